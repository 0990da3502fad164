"""Fast per-frame lookup of a camera's stored tracks, for overlays (Qt-free; lives beside its only user).

The store hands over a whole run as columns (``Store.track_array``); the player needs "the boxes of
frame i" and "the foot points of track t over the last N seconds" sixty times a second, so both are
answered by binary search over arrays sorted once, never by filtering a DataFrame per frame.
Results that arrive from a running analysis (``FrameTracks`` partials) are kept apart in ``live`` until
the run's stored points replace them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np


@dataclass(frozen=True)
class FrameBoxes:
    """What one frame's overlay draws: ``boxes`` is (n, 4) x1 y1 x2 y2 in displayed-frame pixels."""

    frame: int
    track_ids: np.ndarray
    boxes: np.ndarray
    confidence: np.ndarray
    trails: dict[int, np.ndarray] = field(default_factory=dict)  # track id -> (k, 2) foot points, oldest first

    def __len__(self) -> int:
        return len(self.track_ids)


_EMPTY = (np.empty(0, np.int64), np.empty((0, 4)), np.empty(0))


class CameraTracks:
    """A camera's track points indexed by frame and by track."""

    def __init__(self, tracks: Any | None = None):
        self.live: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if tracks is None or len(tracks) == 0:
            self._frame = np.empty(0, np.int64)
            self._ids = np.empty(0, np.int64)
            self._boxes = np.empty((0, 4))
            self._conf = np.empty(0)
            self._time = np.empty(0)
            self._by_track: dict[int, tuple[np.ndarray, np.ndarray]] = {}
            return
        order = np.lexsort((np.asarray(tracks["track_id"]), np.asarray(tracks["frame"])))
        self._frame = np.asarray(tracks["frame"], np.int64)[order]
        self._ids = np.asarray(tracks["track_id"], np.int64)[order]
        self._boxes = np.stack([np.asarray(tracks[c], np.float64)[order] for c in ("x1", "y1", "x2", "y2")], axis=1)
        self._conf = np.asarray(tracks["confidence"], np.float64)[order]
        self._time = np.asarray(tracks["time_s"], np.float64)[order]
        foot = np.stack([(self._boxes[:, 0] + self._boxes[:, 2]) / 2, np.maximum(self._boxes[:, 1], self._boxes[:, 3])], 1)
        self._by_track = {}
        by_id = np.argsort(self._ids, kind="stable")  # stable: frames stay in order within a track
        ids_sorted = self._ids[by_id]
        starts = np.flatnonzero(np.r_[True, ids_sorted[1:] != ids_sorted[:-1]])
        ends = np.r_[starts[1:], len(ids_sorted)]
        for s, e in zip(starts, ends):
            rows = by_id[s:e]
            self._by_track[int(ids_sorted[s])] = (self._frame[rows], foot[rows])

    def __len__(self) -> int:
        return len(self._frame)

    @property
    def track_ids(self) -> list[int]:
        return sorted(self._by_track)

    def trajectory(self, track_id: int) -> np.ndarray:
        """The foot points (bottom-centre of the box) of a track's whole life, oldest first: (k, 2)."""
        entry = self._by_track.get(int(track_id))
        return entry[1] if entry is not None else np.empty((0, 2))

    def add_live(self, frame: int, track_ids: np.ndarray, boxes: np.ndarray) -> None:
        """Boxes reported by a running analysis, shown until the stored run is loaded."""
        self.live[int(frame)] = (np.asarray(track_ids, np.int64), np.asarray(boxes, np.float64).reshape(-1, 4))

    def at(self, frame: int, trail_frames: int = 0) -> FrameBoxes:
        """The boxes of ``frame``, and with ``trail_frames`` > 0 each shown track's foot points over the
        previous ``trail_frames`` frames (inclusive of this one)."""
        lo = int(np.searchsorted(self._frame, frame, side="left"))
        hi = int(np.searchsorted(self._frame, frame, side="right"))
        if hi > lo:
            ids, boxes, conf = self._ids[lo:hi], self._boxes[lo:hi], self._conf[lo:hi]
        elif frame in self.live:
            ids, boxes = self.live[frame]
            conf = np.full(len(ids), np.nan)
        else:
            ids, boxes, conf = _EMPTY
        trails: dict[int, np.ndarray] = {}
        if trail_frames > 0:
            for tid in ids.tolist():
                entry = self._by_track.get(tid)
                if entry is None:
                    continue
                frames, foot = entry
                a = int(np.searchsorted(frames, frame - trail_frames + 1, side="left"))
                b = int(np.searchsorted(frames, frame, side="right"))
                if b - a >= 2:
                    trails[tid] = foot[a:b]
        return FrameBoxes(frame, ids, boxes, conf, trails)


def label_for(labels: Mapping[int, str] | None, track_id: int) -> str | None:
    """The behaviour label of a track, if a labeller (issue 6's model, a human) provided one."""
    if not labels:
        return None
    return labels.get(int(track_id))
