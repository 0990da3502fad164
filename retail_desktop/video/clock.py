"""One clock for several cameras: project time <-> each camera's frame index.

Cameras start recording at different moments and run at different frame rates (or a variable one), so
"frame 120" means a different instant on each. The project clock is the one time line the player, the
heatmaps and the analytics agree on: a camera's video time 0 sits at ``offset_s`` on it, and the frame
shown at project time ``t`` is the last frame whose own timestamp is <= ``t - offset_s`` — the same rule
as :meth:`VideoReader.index_at`, so the clock and the reader can never disagree by a frame. Outside a
camera's footage (before its first frame, after its last frame has been on screen for its duration)
there is no frame: :meth:`CameraTimeline.frame_at` returns None and the view says "beyond footage".

>>> import numpy as np
>>> a = CameraTimeline("a", np.arange(10) / 10.0, offset_s=0.0)     # 10 fps, 1 s
>>> b = CameraTimeline("b", np.arange(5) / 5.0, offset_s=0.5)       # 5 fps, starts 0.5 s later
>>> clock = ProjectClock([a, b])
>>> clock.frames_at(0.55)
{'a': 5, 'b': 0}
>>> clock.frames_at(0.2)["b"] is None, clock.end_s
(True, 1.5)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

# Same tolerance as the reader: a time within 1 us of a frame's timestamp counts as that frame.
TIME_TOLERANCE_S = 1e-6


@dataclass(frozen=True)
class CameraTimeline:
    """Where one camera's frames lie on the project clock.

    ``timestamps`` are the frames' presentation times in seconds from the video's start (``VideoInfo``
    gives them, exact even for variable frame rates); ``offset_s`` is where video time 0 lies on the
    project clock. The last frame stays on screen for one typical frame interval.
    """

    camera_id: str
    timestamps: np.ndarray
    offset_s: float = 0.0
    frame_interval_s: float = field(default=0.0)

    def __post_init__(self) -> None:
        ts = np.asarray(self.timestamps, dtype=np.float64)
        if ts.ndim != 1 or len(ts) == 0:
            raise ValueError(f"camera {self.camera_id!r}: need at least one frame timestamp")
        if len(ts) > 1 and np.any(np.diff(ts) <= 0):
            raise ValueError(f"camera {self.camera_id!r}: timestamps must increase")
        if not math.isfinite(self.offset_s):
            raise ValueError(f"camera {self.camera_id!r}: offset must be finite, got {self.offset_s!r}")
        object.__setattr__(self, "timestamps", ts)
        interval = self.frame_interval_s
        if not interval or interval <= 0:
            interval = float(np.median(np.diff(ts))) if len(ts) > 1 else 1.0 / 25.0
        object.__setattr__(self, "frame_interval_s", interval)

    @classmethod
    def from_info(cls, camera_id: str, info, offset_s: float = 0.0) -> CameraTimeline:
        """From a :class:`~retail_desktop.video.VideoInfo` (its exact timestamps and measured fps)."""
        interval = 1.0 / info.fps if info.fps and info.fps > 0 else 0.0
        return cls(camera_id, info.timestamps, float(offset_s), interval)

    def with_offset(self, offset_s: float) -> CameraTimeline:
        return CameraTimeline(self.camera_id, self.timestamps, float(offset_s), self.frame_interval_s)

    @property
    def frame_count(self) -> int:
        return len(self.timestamps)

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_interval_s

    @property
    def start_s(self) -> float:
        """Project time of the first frame."""
        return self.offset_s + float(self.timestamps[0])

    @property
    def end_s(self) -> float:
        """Project time at which the last frame leaves the screen (exclusive end of the footage)."""
        return self.offset_s + float(self.timestamps[-1]) + self.frame_interval_s

    def frame_at(self, project_s: float) -> int | None:
        """Index of the frame on screen at project time ``project_s``; None outside the footage."""
        if math.isnan(project_s):
            raise ValueError("project time is NaN")
        local = project_s - self.offset_s
        if local < self.timestamps[0] - TIME_TOLERANCE_S or project_s >= self.end_s - TIME_TOLERANCE_S:
            return None
        i = int(np.searchsorted(self.timestamps, local + TIME_TOLERANCE_S, side="right")) - 1
        return min(max(i, 0), len(self.timestamps) - 1)

    def time_of(self, frame: int) -> float:
        """Project time at which ``frame`` appears."""
        if not 0 <= frame < len(self.timestamps):
            raise IndexError(f"frame {frame} out of range 0..{len(self.timestamps) - 1} of camera {self.camera_id!r}")
        return self.offset_s + float(self.timestamps[frame])

    def local_time(self, project_s: float) -> float:
        """Video time (seconds from the video's start) at project time ``project_s``."""
        return project_s - self.offset_s


class ProjectClock:
    """All cameras of a project on one time line; project time runs from the earliest first frame
    to the latest end of footage. Immutable: change an offset with :meth:`with_offset`."""

    def __init__(self, cameras: Sequence[CameraTimeline]):
        self.cameras: dict[str, CameraTimeline] = {c.camera_id: c for c in cameras}
        if len(self.cameras) != len(cameras):
            raise ValueError("camera ids must be unique")

    def __contains__(self, camera_id: object) -> bool:
        return camera_id in self.cameras

    def __getitem__(self, camera_id: str) -> CameraTimeline:
        return self.cameras[camera_id]

    @property
    def start_s(self) -> float:
        return min((c.start_s for c in self.cameras.values()), default=0.0)

    @property
    def end_s(self) -> float:
        return max((c.end_s for c in self.cameras.values()), default=0.0)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def clamp(self, project_s: float) -> float:
        """``project_s`` limited to the clock's range (the last instant that still shows a frame)."""
        last = self.end_s - max((c.frame_interval_s for c in self.cameras.values()), default=0.0) / 2
        return min(max(project_s, self.start_s), max(self.start_s, last))

    def frames_at(self, project_s: float) -> dict[str, int | None]:
        return {cid: c.frame_at(project_s) for cid, c in self.cameras.items()}

    def time_of(self, camera_id: str, frame: int) -> float:
        return self.cameras[camera_id].time_of(frame)

    def with_offset(self, camera_id: str, offset_s: float) -> ProjectClock:
        cams = [c.with_offset(offset_s) if cid == camera_id else c for cid, c in self.cameras.items()]
        return ProjectClock(cams)

    def step(self, project_s: float, frames: int, camera_id: str | None = None) -> float:
        """Project time ``frames`` frames after (negative: before) the one shown at ``project_s``.

        With ``camera_id``, steps along that camera's frames (outside its footage: from its nearest
        end). Without, each step goes to the next (previous) moment at which any camera changes
        frame, so no camera skips a frame, whatever the offsets and frame rates.
        """
        if not self.cameras or frames == 0:
            return project_s
        if camera_id is None:
            t = project_s
            for _ in range(abs(frames)):
                t = self._next_change(t) if frames > 0 else self._previous_change(t)
            return t
        cam = self.cameras[camera_id]
        current = cam.frame_at(project_s)
        if current is None:
            current = -1 if project_s < cam.start_s else cam.frame_count
            if frames < 0 and current == -1 or frames > 0 and current == cam.frame_count:
                return project_s
        target = min(max(current + frames, 0), cam.frame_count - 1)
        return cam.time_of(target)

    def _next_change(self, t: float) -> float:
        starts = []
        for cam in self.cameras.values():
            local = t - cam.offset_s
            i = int(np.searchsorted(cam.timestamps, local + TIME_TOLERANCE_S, side="right"))
            if i < cam.frame_count:
                starts.append(cam.offset_s + float(cam.timestamps[i]))
        return min(starts) if starts else t

    def _previous_change(self, t: float) -> float:
        """Start of the latest frame (of any camera) that began before the frame shown at ``t``."""
        current = [c.time_of(f) for c in self.cameras.values() if (f := c.frame_at(t)) is not None]
        ref = max(current) if current else t  # the latest frame change at or before t
        starts = []
        for cam in self.cameras.values():
            local = ref - cam.offset_s
            i = int(np.searchsorted(cam.timestamps, local - TIME_TOLERANCE_S, side="left")) - 1
            if i >= 0:
                starts.append(cam.offset_s + float(cam.timestamps[i]))
        return max(starts) if starts else t
