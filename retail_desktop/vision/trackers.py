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
import os
from dataclasses import dataclass
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
    """deep-sort-realtime's knobs, plus the score below which a detection is not used at all.

    Two defaults differ from deep-sort-realtime's. ``min_confidence`` 0.5: DeepSORT has no second, low-score
    association stage (ByteTrack's), so weak YOLO boxes only start false tracks; the recall they would add
    at track starts comes back through the assembler's back-fill. ``max_cosine_distance`` 0.3 (not 0.2):
    our features are ImageNet MobileNet features of 128x64 crops, not re-identification features, and the
    same person's distances spread wider. Chosen on a grid over min_confidence 0.3-0.6, n_init 2-5,
    max_cosine_distance 0.2-0.4 on TUD-Campus and ETH-Sunnyday, where it sits in a broad optimum rather than
    a spike (neighbours within 0.03 of the mean MOTA/IDF1)."""

    min_confidence: float = 0.5
    max_age: int = 30
    n_init: int = 3
    max_iou_distance: float = 0.7
    max_cosine_distance: float = 0.3
    nn_budget: int | None = 100
    nms_max_overlap: float = 1.0
    # Reuse a track's last feature for a detection that overlaps only that track's last box by at least
    # reuse_iou (and nothing else by more than reuse_clearance); a fresh feature at least every
    # reuse_refresh detected frames. Off by default: it embeds 35-55 % of the boxes at stride 1 but cost
    # 5-9 IDF1 points on TUD-Campus and ETH-Sunnyday (the galleries go stale); a speed option for CPUs.
    reuse_features: bool = False
    reuse_iou: float = 0.6
    reuse_clearance: float = 0.1
    reuse_refresh: int = 5


class DeepSortTracker:
    """DeepSORT (deep-sort-realtime) with appearance features supplied by the caller.

    Features are the expensive part on a CPU, and most of them tell the tracker nothing new: a person
    whose box overlaps their own last box strongly and nobody else's cannot be confused with anyone.
    :meth:`plan_features` marks such detections; for them :meth:`fill_features` reuses that track's last
    feature instead of running the network, except every ``reuse_refresh``-th step so each track's
    appearance gallery keeps learning. Everything the plan depends on is updated in :meth:`update` from
    the features actually used (which the pipeline stores), so a replay reproduces it exactly.
    """

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
        # track id -> (box matched at the last detected frame, feature used for it, steps since fresh)
        self._last: dict[int, tuple[np.ndarray, np.ndarray, int]] = {}

    def usable(self, dets: Detections) -> np.ndarray:
        """Detections DeepSORT will use (the others never need a feature)."""
        return (
            (dets.scores >= self.settings.min_confidence)
            & (dets.xyxy[:, 2] > dets.xyxy[:, 0])
            & (dets.xyxy[:, 3] > dets.xyxy[:, 1])
        )

    def plan_features(self, dets: Detections) -> dict[int, int]:
        """Detection index -> track id whose last feature can stand in for a fresh one."""
        s = self.settings
        usable = np.flatnonzero(self.usable(dets))
        if not s.reuse_features or not self._last or len(usable) == 0:
            return {}
        ids = list(self._last)
        track_boxes = np.stack([self._last[i][0] for i in ids])
        boxes = dets.xyxy[usable]
        iou_td = _iou(track_boxes, boxes)
        iou_dd = _iou(boxes, boxes)
        np.fill_diagonal(iou_dd, 0.0)
        plan = {}
        for j, d in enumerate(usable):
            t = int(np.argmax(iou_td[:, j]))
            if (
                iou_td[t, j] >= s.reuse_iou
                and np.count_nonzero(iou_td[:, j] > s.reuse_clearance) == 1
                and np.count_nonzero(iou_td[t] > s.reuse_clearance) == 1
                and iou_dd[j].max(initial=0.0) <= s.reuse_clearance
                and self._last[ids[t]][2] + 1 < s.reuse_refresh
            ):
                plan[int(d)] = ids[t]
        return plan

    def fill_features(self, features: np.ndarray, plan: dict[int, int]) -> None:
        for d, tid in plan.items():
            features[d] = self._last[tid][1]

    def update(self, dets: Detections, image: np.ndarray | None) -> list[Observation]:
        if dets.embeddings is None:
            raise ValueError("DeepSORT needs appearance embeddings")
        keep = np.flatnonzero(self.usable(dets))
        raw = []
        for i in keep:
            x1, y1, x2, y2 = (float(v) for v in dets.xyxy[i])
            raw.append(([x1, y1, x2 - x1, y2 - y1], float(dets.scores[i]), "person"))
        embeds = [dets.embeddings[i] for i in keep]
        tracks = self._ds.update_tracks(raw, embeds=embeds, others=[int(i) for i in keep])
        out = []
        last: dict[int, tuple[np.ndarray, np.ndarray, int]] = {}
        for t in tracks:
            if t.time_since_update != 0 or t.is_deleted():
                continue
            idx = t.get_det_supplementary()
            if idx is None:
                continue
            tid = int(t.track_id)
            out.append(Observation(tid, int(idx), bool(t.is_confirmed())))
            feature = dets.embeddings[idx]
            prev = self._last.get(tid)
            reused = prev is not None and np.array_equal(prev[1], feature)
            last[tid] = (dets.xyxy[idx].copy(), feature.copy(), prev[2] + 1 if reused else 0)
        self._last = last
        return out


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of two sets of xyxy boxes."""
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(br - tl, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def _ultralytics_defaults(kind: str) -> dict[str, Any]:
    # resources.files imports ultralytics, which reads YOLO_VERBOSE once, at import: keep it quiet, as
    # the detector does, or its warnings would flood stderr when settings are checked before it loads.
    os.environ.setdefault("YOLO_VERBOSE", "False")
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
        check_settings(kind, settings)
        cfg = _ultralytics_defaults(kind)
        cfg.update(settings or {})
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


def _value_problem(value: Any, default: Any, none_ok: bool) -> str | None:
    """Why ``value`` cannot replace ``default`` (a type or sign mismatch), or None when it can."""
    if value is None:
        return None if none_ok else "must not be empty"
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(default, int) or (default is None and none_ok):
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            return "must be a number"
    elif isinstance(default, str):
        return None if isinstance(value, str) else "must be text"
    if isinstance(value, (int, float)) and value < 0:
        return "must be 0 or more"
    return None


def check_settings(kind: str, settings: dict[str, Any] | None) -> None:
    """Raise :class:`UserError` for a setting the tracker does not have or a value of the wrong type,
    before any work starts (``max_age=abc`` would otherwise fail deep inside the tracker)."""
    kind = kind.lower()
    if kind not in TRACKERS:
        raise UserError(f"unknown tracker '{kind}' (choose from {', '.join(TRACKERS)})")
    defaults = default_settings(kind)
    nullable = set()
    if kind == "deepsort":
        nullable = {f.name for f in dataclasses.fields(DeepSortSettings) if "None" in str(f.type)}
    bad = sorted(set(settings or {}) - set(defaults))
    if bad:
        raise UserError(f"unknown {kind} setting(s) {', '.join(bad)} (known: {', '.join(sorted(defaults))})")
    for key, value in (settings or {}).items():
        problem = _value_problem(value, defaults[key], key in nullable)
        if problem:
            raise UserError(f"{kind} setting {key} {problem}, not {value!r}")


def make_tracker(kind: str, settings: dict[str, Any] | None = None, frame_rate: float = 30.0) -> Tracker:
    """Build a tracker by name; ``settings`` override its defaults (unknown keys are a user error)."""
    kind = kind.lower()
    check_settings(kind, settings)
    if kind == "deepsort":
        return DeepSortTracker(DeepSortSettings(**(settings or {})))
    return UltralyticsTracker(kind, settings, frame_rate)


def default_settings(kind: str) -> dict[str, Any]:
    if kind == "deepsort":
        return dataclasses.asdict(DeepSortSettings())
    cfg = _ultralytics_defaults(kind)
    cfg.pop("tracker_type", None)
    return cfg
