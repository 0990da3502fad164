"""Person detection with Ultralytics YOLO.

Weights come from a local file (.pt, .onnx, OpenVINO folder, ...) or an Ultralytics model name such as
``yolov8n.pt``, which Ultralytics downloads on first use. With ``YOLO_OFFLINE=1`` nothing is downloaded
or pip-installed, so a name that is not already on disk is a clear :class:`DetectorError`, not a hang on
a blocked network.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from retail_desktop.digests import file_sha256

import numpy as np

from retail_desktop.errors import DetectorError
from retail_desktop.vision.detections import Detections

log = logging.getLogger(__name__)

PERSON_CLASS = 0
DEFAULT_DETECTOR = "yolov8n.pt"
_WEIGHT_SUFFIXES = {".pt", ".onnx", ".engine", ".torchscript", ".tflite", ".pb", ".mlpackage", ".xml"}


def resolve_device(device: str = "auto") -> str:
    """``auto`` picks cuda > mps > cpu; an explicit device that is not present is a user error."""
    import torch

    device = (device or "auto").lower()
    if device == "auto":
        if torch.cuda.is_available():
            return "cuda:0"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise DetectorError("--device cuda was asked for but no CUDA GPU is available (use auto or cpu)")
    if device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise DetectorError("--device mps was asked for but Apple MPS is not available (use auto or cpu)")
    if device.isdigit():
        return f"cuda:{device}"
    return device


def _looks_like_path(spec: str) -> bool:
    return os.sep in spec or "/" in spec or spec.startswith(".")


@dataclass(frozen=True)
class DetectorSettings:
    weights: str = DEFAULT_DETECTOR
    device: str = "auto"
    confidence: float = 0.1  # low on purpose: ByteTrack's second association feeds on weak boxes
    iou: float = 0.7
    imgsz: int | None = None  # None: the model's own size (fixed for exported models)
    batch: int = 0  # 0: pick (1 on CPU or for fixed-batch exports, 8 on CUDA)


class PersonDetector:
    """Finds people in BGR frames; one instance per analysis (the model is not thread-safe)."""

    def __init__(self, settings: DetectorSettings = DetectorSettings()):
        self.settings = settings
        self.weights_path, self.model = self._load(settings.weights)  # first: a typo fails before torch loads
        self.device = resolve_device(settings.device)
        try:
            self.weights_hash = file_sha256(self.weights_path) if self.weights_path.is_file() else ""
        except OSError as exc:
            raise DetectorError(f"cannot read detector weights ({exc.strerror or exc})", self.weights_path) from exc
        suffix = self.weights_path.suffix.lower()
        self.half = self.device.startswith("cuda") and suffix == ".pt"
        fixed_batch = suffix in {".onnx", ".engine", ".tflite", ".xml"}
        if settings.batch > 0:
            self.batch = 1 if fixed_batch else settings.batch
        else:
            self.batch = 8 if (self.device.startswith("cuda") and not fixed_batch) else 1
        # Exported models (.onnx, ...) are only opened by their first prediction. Make that happen now,
        # on a blank image, so that a corrupt weights file fails before any project is touched.
        try:
            self._predict([np.zeros((32, 32, 3), np.uint8)])
        except Exception as exc:  # Ultralytics raises TypeError, RuntimeError... for unloadable weights
            raise DetectorError(f"cannot load detector weights: {_reason(exc)}", self.weights_path) from exc

    @property
    def name(self) -> str:
        return self.weights_path.name

    def _load(self, spec: str):
        path = Path(spec).expanduser()
        offline = os.environ.get("YOLO_OFFLINE", "").lower() in {"1", "true", "yes"}
        try:
            exists = path.exists()
            if exists and path.is_file() and path.stat().st_size == 0:
                raise DetectorError("detector weights file is empty", path)
        except OSError as exc:  # permission denied on a parent folder, name too long...
            raise DetectorError(f"cannot read detector weights ({exc.strerror or exc})", path) from exc
        if not exists and (_looks_like_path(spec) or path.suffix.lower() not in _WEIGHT_SUFFIXES):
            raise DetectorError(
                "detector weights not found (give a weights file or an Ultralytics name such as yolov8n.pt)",
                path,
            )
        if not exists and offline:
            raise DetectorError(
                "not on disk, and YOLO_OFFLINE=1 forbids downloading it; pass a local weights file with --detector",
                spec,
            )
        os.environ.setdefault("YOLO_VERBOSE", "False")
        try:
            from ultralytics import YOLO
        except ImportError as exc:  # pragma: no cover - install problem
            raise DetectorError(f"Ultralytics is not installed ({exc})") from exc
        try:
            model = YOLO(str(path) if exists else spec, task="detect")
        except Exception as exc:  # Ultralytics raises many types for bad/missing weights
            raise DetectorError(f"cannot load detector weights: {_reason(exc)}", spec) from exc
        if exists:
            return path, model
        downloaded = getattr(model, "ckpt_path", None)  # where Ultralytics put the named weights
        return (Path(downloaded) if downloaded else path), model

    def detect(self, images: Sequence[np.ndarray]) -> list[Detections]:
        """Detect people in each BGR image; returns one :class:`Detections` per image."""
        out: list[Detections] = []
        for start in range(0, len(images), self.batch):
            chunk = list(images[start : start + self.batch])
            try:
                results = self._predict(chunk)
            except Exception as exc:
                if isinstance(exc, DetectorError):
                    raise
                raise DetectorError(f"detector failed: {_reason(exc)}", self.weights_path) from exc
            for r in results:
                boxes = r.boxes
                out.append(Detections(boxes.xyxy.cpu().numpy(), boxes.conf.cpu().numpy()))
        return out

    def _predict(self, chunk: list[np.ndarray]):
        return self.model.predict(
            chunk,
            classes=[PERSON_CLASS],
            conf=self.settings.confidence,
            iou=self.settings.iou,
            imgsz=self.settings.imgsz or _model_imgsz(self.model),
            device=self.device,
            half=self.half,
            verbose=False,
        )


def _reason(exc: BaseException) -> str:
    """First line of an Ultralytics/ONNX Runtime error, without its "ERROR ❌️" decoration."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    text = re.sub(r"^\W*ERROR\W*", "", lines[0])
    return " ".join(text.split()) or type(exc).__name__


def _model_imgsz(model) -> int:
    """Exported models have a fixed input size; use it so Ultralytics doesn't warn and resize twice."""
    overrides = getattr(model, "overrides", {}) or {}
    size = overrides.get("imgsz")
    if isinstance(size, (list, tuple)):
        size = max(size)
    return int(size) if size else 640
