"""Turn a tracker's per-detection observations into the boxes we store, frame by frame.

Analysis is offline, so we can afford to wait a little before writing a box, and use what came after:
- a track's first detections, seen while the tracker had not yet confirmed it, are written once it is
  confirmed (online trackers drop them, which costs recall at every track start);
- frames between two detections of a track (a detection stride, or a short occlusion) are filled by
  linear interpolation, marked ``interpolated``; a gap longer than ``max_gap`` frames is left empty;
- after the last detected frame of the video, tracks seen there are carried forward with their last
  velocity, marked ``predicted``.
A box, once emitted, is final: nothing is ever retracted. That is what makes batch commits and exact
resume safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from retail_desktop.vision.detections import Detections
from retail_desktop.vision.trackers import Observation

DETECTED, INTERPOLATED, PREDICTED = "detected", "interpolated", "predicted"


@dataclass(frozen=True)
class TrackBox:
    frame: int
    track_id: int
    box: tuple[float, float, float, float]
    confidence: float
    source: str


@dataclass
class _TrackState:
    confirmed: bool = False
    pending: list[tuple[int, np.ndarray, float]] = field(default_factory=list)
    last: tuple[int, np.ndarray, float] | None = None
    prev: tuple[int, np.ndarray, float] | None = None
    last_seen: int = -1


class TrackAssembler:
    def __init__(self, max_gap: int):
        self.max_gap = max(1, int(max_gap))
        self._tracks: dict[int, _TrackState] = {}
        self._out: list[TrackBox] = []
        self._last_detected_frame = -1

    def add(self, frame: int, dets: Detections, observations: list[Observation]) -> None:
        """Record one detected frame's observations (frames must arrive in increasing order)."""
        self._last_detected_frame = frame
        for ob in observations:
            st = self._tracks.setdefault(ob.track_id, _TrackState())
            st.last_seen = frame
            point = (frame, dets.xyxy[ob.det_index].astype(np.float64), float(dets.scores[ob.det_index]))
            if not ob.confirmed:
                st.pending.append(point)
                continue
            if not st.confirmed:
                st.confirmed = True
                for p in st.pending:
                    self._emit_detected(ob.track_id, st, p)
                st.pending.clear()
            self._emit_detected(ob.track_id, st, point)
        self._forget_stale(frame)

    def _emit_detected(self, tid: int, st: _TrackState, point: tuple[int, np.ndarray, float]) -> None:
        frame, box, score = point
        if st.last is not None:
            f0, b0, s0 = st.last
            gap = frame - f0
            if 1 < gap <= self.max_gap:
                conf = min(s0, score)
                for f in range(f0 + 1, frame):
                    a = (f - f0) / gap
                    b = (1 - a) * b0 + a * box
                    self._out.append(TrackBox(f, tid, tuple(float(v) for v in b), conf, INTERPOLATED))
        self._out.append(TrackBox(frame, tid, tuple(float(v) for v in box), score, DETECTED))
        st.prev, st.last = st.last, point

    def _forget_stale(self, frame: int) -> None:
        stale = [tid for tid, st in self._tracks.items() if frame - st.last_seen > self.max_gap]
        for tid in stale:
            del self._tracks[tid]

    def finish(self, last_frame: int) -> None:
        """End of video: carry tracks seen at the last detected frame through the frames after it."""
        f_det = self._last_detected_frame
        if f_det < 0 or last_frame <= f_det:
            return
        for tid, st in self._tracks.items():
            if not st.confirmed or st.last is None or st.last[0] != f_det:
                continue
            f0, b0, s0 = st.last
            velocity = np.zeros(4)
            if st.prev is not None and 0 < f0 - st.prev[0] <= self.max_gap:
                velocity = (b0 - st.prev[1]) / (f0 - st.prev[0])
            for f in range(f0 + 1, last_frame + 1):
                b = b0 + velocity * (f - f0)
                self._out.append(TrackBox(f, tid, tuple(float(v) for v in b), s0, PREDICTED))

    def drain(self) -> list[TrackBox]:
        """Boxes finalised since the last call."""
        out, self._out = self._out, []
        return out
