"""Multi-object trackers behind one small interface.

Each adapter takes one detected frame (boxes, scores, and for DeepSORT appearance features) and says,
for every detection it assigned to a track, which track and whether that track is confirmed yet. It
reports only *observations* (a detection matched to a track); boxes for frames in between are made by
:mod:`retail_desktop.vision.assembler`, so a detection stride and occlusion gaps are handled the same way
for every tracker. Adapters are deterministic for the same input sequence, which is what lets an
interrupted analysis be resumed exactly by replaying stored detections.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Protocol

import numpy as np
import yaml

from retail_desktop.errors import UserError
from retail_desktop.vision.detections import Detections

TRACKERS = ("deepsort", "bytetrack", "botsort")


@dataclass(frozen=True)
class Observation:
    track_id: int
    det_index: int
    confirmed: bool


class Tracker(Protocol):
    name: str
    uses_embeddings: bool

    def update(self, dets: Detections, image: np.ndarray | None) -> list[Observation]: ...


@dataclass(frozen=True)
class DeepSortSettings:
    """deep-sort-realtime's knobs, plus the score below which a detection is not used at all."""

    min_confidence: float = 0.4
    max_age: int = 30
    n_init: int = 3
    max_iou_distance: float = 0.7
    max_cosine_distance: float = 0.2
    nn_budget: int | None = 100
    nms_max_overlap: float = 1.0


class DeepSortTracker:
    name = "deepsort"
    uses_embeddings = True

    def __init__(self, settings: DeepSortSettings = DeepSortSettings()):
        from deep_sort_realtime.deepsort_tracker import DeepSort

        self.settings = settings
        # embedder=None: features come from AppearanceEmbedder (and from the store when replaying).
        self._ds = DeepSort(
            max_age=settings.max_age,
            n_init=settings.n_init,
            max_iou_distance=settings.max_iou_distance,
            max_cosine_distance=settings.max_cosine_distance,
            nn_budget=settings.nn_budget,
            nms_max_overlap=settings.nms_max_overlap,
            embedder=None,
        )

    def update(self, dets: Detections, image: np.ndarray | None) -> list[Observation]:
        if dets.embeddings is None:
            raise ValueError("DeepSORT needs appearance embeddings")
        keep = np.flatnonzero(
            (dets.scores >= self.settings.min_confidence)
            & (dets.xyxy[:, 2] > dets.xyxy[:, 0])
            & (dets.xyxy[:, 3] > dets.xyxy[:, 1])
        )
        raw = []
        for i in keep:
            x1, y1, x2, y2 = (float(v) for v in dets.xyxy[i])
            raw.append(([x1, y1, x2 - x1, y2 - y1], float(dets.scores[i]), "person"))
        embeds = [dets.embeddings[i] for i in keep]
        tracks = self._ds.update_tracks(raw, embeds=embeds, others=[int(i) for i in keep])
        out = []
        for t in tracks:
            if t.time_since_update != 0 or t.is_deleted():
                continue
            idx = t.get_det_supplementary()
            if idx is None:
                continue
            out.append(Observation(int(t.track_id), int(idx), bool(t.is_confirmed())))
        return out


def _ultralytics_defaults(kind: str) -> dict[str, Any]:
    text = (resources.files("ultralytics") / "cfg" / "trackers" / f"{kind}.yaml").read_text()
    return yaml.safe_load(text)


class _NumpyBoxes:
    """The slice of Ultralytics' ``Boxes`` API its trackers read (conf, cls, xywh, boolean indexing)."""

    def __init__(self, xyxy: np.ndarray, conf: np.ndarray):
        self.xyxy = xyxy.astype(np.float32)
        self.conf = conf.astype(np.float32)
        self.cls = np.zeros(len(conf), np.float32)

    @property
    def xywh(self) -> np.ndarray:
        x = self.xyxy
        return np.stack([(x[:, 0] + x[:, 2]) / 2, (x[:, 1] + x[:, 3]) / 2, x[:, 2] - x[:, 0], x[:, 3] - x[:, 1]], 1)

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, idx) -> "_NumpyBoxes":
        return _NumpyBoxes(self.xyxy[idx], self.conf[idx])


class UltralyticsTracker:
    """Ultralytics' ByteTrack or BoT-SORT, fed with our detections instead of its predictor loop."""

    uses_embeddings = False

    def __init__(self, kind: str, settings: dict[str, Any] | None = None, frame_rate: float = 30.0):
        from ultralytics.trackers.bot_sort import BOTSORT
        from ultralytics.trackers.byte_tracker import BYTETracker
        from ultralytics.utils import IterableSimpleNamespace

        self.name = kind
        cfg = _ultralytics_defaults(kind)
        for key, value in (settings or {}).items():
            if key not in cfg or key == "tracker_type":
                raise UserError(f"unknown {kind} setting '{key}' (known: {', '.join(sorted(cfg))})")
            cfg[key] = value
        self.settings = cfg
        args = IterableSimpleNamespace(**cfg)
        cls = BYTETracker if kind == "bytetrack" else BOTSORT
        # Older Ultralytics releases scale track_buffer by frame_rate/30; newer ones take frames as given.
        if "frame_rate" in inspect.signature(cls.__init__).parameters:
            self._t = cls(args, frame_rate=max(1, int(round(frame_rate))))
        else:
            self._t = cls(args)

    def update(self, dets: Detections, image: np.ndarray | None) -> list[Observation]:
        boxes = _NumpyBoxes(dets.xyxy, dets.scores)
        rows = self._t.update(boxes, image)
        out = [Observation(int(r[4]), int(r[7]), True) for r in rows]
        frame_id = self._t.frame_id
        for t in self._t.tracked_stracks:  # new, not yet confirmed tracks: kept for back-filling
            if not t.is_activated and t.frame_id == frame_id and t.idx is not None:
                out.append(Observation(int(t.track_id), int(t.idx), False))
        return out


def settings_dict(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) else dict(obj)


def make_tracker(kind: str, settings: dict[str, Any] | None = None, frame_rate: float = 30.0) -> Tracker:
    """Build a tracker by name; ``settings`` override its defaults (unknown keys are a user error)."""
    kind = kind.lower()
    if kind == "deepsort":
        known = {f.name for f in dataclasses.fields(DeepSortSettings)}
        bad = set(settings or {}) - known
        if bad:
            raise UserError(f"unknown deepsort setting(s) {', '.join(sorted(bad))} (known: {', '.join(sorted(known))})")
        return DeepSortTracker(DeepSortSettings(**(settings or {})))
    if kind in ("bytetrack", "botsort"):
        return UltralyticsTracker(kind, settings, frame_rate)
    raise UserError(f"unknown tracker '{kind}' (choose from {', '.join(TRACKERS)})")


def default_settings(kind: str) -> dict[str, Any]:
    if kind == "deepsort":
        return dataclasses.asdict(DeepSortSettings())
    cfg = _ultralytics_defaults(kind)
    cfg.pop("tracker_type", None)
    return cfg
