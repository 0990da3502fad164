"""Typed records of a project: what ``project.json`` and ``project.sqlite`` hold.

They validate on construction so that a bad value fails where it is made, not later inside a SQL
transaction or a JSON dump far from the code that produced it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Where a track point came from. ``predicted`` is a tracker's coast (no detection that frame),
#: ``interpolated`` is filled in between strided detections, ``manual`` is a human edit.
SOURCES: tuple[str, ...] = ("detected", "predicted", "interpolated", "manual")

#: States of an analysis run. Only ``completed`` runs are final; the others can be resumed.
RUN_STATUSES: tuple[str, ...] = ("running", "completed", "cancelled", "failed")
FINAL_STATUSES: tuple[str, ...] = ("completed", "cancelled", "failed")

_SOURCE_SET = frozenset(SOURCES)


@dataclass
class Camera:
    """One video source of the project.

    ``offset_s`` places the video's time 0 on the project timeline (so cameras that started recording
    at different moments line up); ``homography`` maps this camera's pixels to floor-plan units.

    >>> Camera("cam1", "Entrance", "/videos/entrance.mp4").offset_s
    0.0
    """

    id: str
    name: str
    video: str
    offset_s: float = 0.0
    homography: list[list[float]] | None = None
    # Keys of a camera entry that this version does not know: kept so that saving does not drop
    # what a hand edit or a plug-in wrote.
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("id", "name", "video"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"camera {name} must be a non-empty string, got {getattr(self, name)!r}")
        if isinstance(self.offset_s, bool) or not isinstance(self.offset_s, (int, float)):
            raise ValueError(f"camera offset_s must be a number, got {self.offset_s!r}")
        self.offset_s = float(self.offset_s)
        if not math.isfinite(self.offset_s):
            raise ValueError(f"camera offset_s must be finite, got {self.offset_s!r}")
        if self.homography is not None:
            h = self.homography
            ok = (
                isinstance(h, (list, tuple))
                and len(h) == 3
                and all(isinstance(row, (list, tuple)) and len(row) == 3 for row in h)
            )
            if not ok:
                raise ValueError(f"camera homography must be a 3x3 list of numbers, got {h!r}")
            try:
                self.homography = [[float(v) for v in row] for row in h]
            except (TypeError, ValueError):
                raise ValueError(f"camera homography must be a 3x3 list of numbers, got {h!r}") from None
            if not all(math.isfinite(v) for row in self.homography for v in row):
                raise ValueError("camera homography must hold finite numbers")

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.extra)
        data.update(
            id=self.id, name=self.name, video=self.video, offset_s=self.offset_s, homography=self.homography
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Camera:
        """Build from a ``project.json`` entry; raises ``ValueError``/``KeyError`` on a bad entry."""
        if not isinstance(data, dict):
            raise ValueError(f"camera entry must be an object, got {type(data).__name__}")
        known = {"id", "name", "video", "offset_s", "homography"}
        return cls(
            id=data["id"],
            name=data["name"],
            video=data["video"],
            offset_s=data.get("offset_s", 0.0),
            homography=data.get("homography"),
            extra={k: v for k, v in data.items() if k not in known},
        )


@dataclass(slots=True)
class TrackPoint:
    """One box of one track on one frame.

    ``frame`` is the 0-based index of the decoded video frame and ``time_s`` its presentation time
    from the stream (not ``frame / fps``), so variable-frame-rate footage stays right.

    >>> TrackPoint(0, 0.0, 1, 10, 20, 50, 120, 0.9, "detected").source
    'detected'
    """

    frame: int
    time_s: float
    track_id: int
    x1: float
    y1: float
    x2: float
    y2: float
    confidence: float
    source: str

    def __post_init__(self) -> None:
        if self.source not in _SOURCE_SET:
            raise ValueError(f"track point source must be one of {SOURCES}, got {self.source!r}")


@dataclass(eq=False)
class DetectionFrame:
    """Raw detector output for one frame, kept so that a resumed or re-tracked run can replay the
    tracker without running the detector again.

    Arrays are coerced to float32 on construction: ``boxes`` (N, 4) xyxy pixels, ``scores`` (N,),
    ``embeddings`` (N, D) appearance vectors or None when the tracker does not use them. N may be 0.

    >>> f = DetectionFrame(3, [[0, 0, 10, 20]], [0.8], None)
    >>> f.boxes.shape, f.boxes.dtype.name
    ((1, 4), 'float32')
    """

    frame: int
    boxes: np.ndarray
    scores: np.ndarray
    embeddings: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.frame = int(self.frame)
        boxes = np.asarray(self.boxes, dtype=np.float32)
        if boxes.size == 0:
            boxes = boxes.reshape(0, 4)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(f"boxes must have shape (N, 4), got {boxes.shape}")
        n = boxes.shape[0]
        scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
        if scores.shape[0] != n:
            raise ValueError(f"scores must have shape ({n},), got {scores.shape}")
        self.boxes, self.scores = boxes, scores
        if self.embeddings is not None:
            emb = np.asarray(self.embeddings, dtype=np.float32)
            if emb.ndim != 2 or emb.shape[0] != n:
                raise ValueError(f"embeddings must have shape ({n}, D), got {emb.shape}")
            self.embeddings = emb

    def __len__(self) -> int:
        return int(self.boxes.shape[0])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DetectionFrame):
            return NotImplemented
        if self.frame != other.frame:
            return False
        if not (np.array_equal(self.boxes, other.boxes) and np.array_equal(self.scores, other.scores)):
            return False
        if self.embeddings is None or other.embeddings is None:
            return self.embeddings is None and other.embeddings is None
        return self.embeddings.shape == other.embeddings.shape and np.array_equal(
            self.embeddings, other.embeddings
        )

    __hash__ = None  # type: ignore[assignment]  # mutable arrays


@dataclass
class AnalysisRun:
    """One pass of detector + tracker over one camera's video.

    ``last_committed_frame`` is the last frame whose results are durably stored (-1: none), which is
    what lets a crashed or cancelled run resume instead of starting over. ``config_key`` identifies
    the settings, so a run is only resumed with the settings it was started with.
    """

    id: int
    camera_id: str
    config: dict[str, Any]
    config_key: str
    status: str
    last_committed_frame: int
    frames_total: int | None
    started_at: str
    finished_at: str | None
    summary: dict[str, Any]

    @property
    def resumable(self) -> bool:
        return self.status != "completed"
