"""When to run the detector.

Detection (and DeepSORT's appearance features) is nearly all the cost of analysis, while decoding every
frame is cheap. So every frame is decoded, but the detector runs only on some of them; the assembler
interpolates the frames in between. The adaptive policy watches a tiny grey thumbnail of each frame and
detects rarely when nobody is tracked and nothing moves, a little more often when people stand still
(a checkout queue), and at ``busy_interval_s`` while people move. Any burst of motion in an empty or
still scene (someone walks in) triggers a detection at once. Intervals are in seconds so the policy
behaves the same on 7 fps and 30 fps footage.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

THUMB_WIDTH = 96


@dataclass(frozen=True)
class AdaptiveSettings:
    busy_interval_s: float = 0.08  # ~stride 2 at 25-30 fps, every frame at <= 12 fps
    still_interval_s: float = 0.4
    empty_interval_s: float = 1.0
    motion_threshold: float = 0.004  # fraction of thumbnail pixels that changed
    still_threshold: float = 0.02  # below this much change since the last detection, people are "still"
    pixel_delta: int = 20


def thumbnail(image: np.ndarray) -> np.ndarray:
    """Small blurred grey copy: enough to see people move, immune to sensor noise and compression."""
    h, w = image.shape[:2]
    small = cv2.resize(image, (THUMB_WIDTH, max(1, round(h * THUMB_WIDTH / w))), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    return cv2.GaussianBlur(grey, (3, 3), 0)


class StridePolicy:
    """Decides, frame by frame, whether the detector runs. Deterministic for the same frames."""

    def __init__(self, stride: int | str, fps: float, adaptive: AdaptiveSettings = AdaptiveSettings()):
        self.adaptive = stride == "auto"
        self.fixed = 1 if self.adaptive else max(1, int(stride))
        self.settings = adaptive
        fps = fps if fps > 0 else 25.0
        frames = lambda s: max(1, int(round(s * fps)))  # noqa: E731
        self._busy = frames(adaptive.busy_interval_s)
        self._still = frames(adaptive.still_interval_s)
        self._empty = frames(adaptive.empty_interval_s)
        self._last_frame: int | None = None
        self._last_thumb: np.ndarray | None = None
        self._tracked = 0

    @property
    def max_interval(self) -> int:
        """Longest run of frames without detection while people are tracked (gaps to bridge)."""
        return self._still if self.adaptive else self.fixed

    @property
    def needs_thumbnails(self) -> bool:
        return self.adaptive

    def _motion(self, thumb: np.ndarray | None) -> float:
        if thumb is None or self._last_thumb is None or thumb.shape != self._last_thumb.shape:
            return 1.0
        diff = cv2.absdiff(thumb, self._last_thumb)
        return float(np.count_nonzero(diff > self.settings.pixel_delta)) / diff.size

    def should_detect(self, frame: int, thumb: np.ndarray | None = None) -> bool:
        if self._last_frame is None:
            return True
        gap = frame - self._last_frame
        if not self.adaptive:
            return gap >= self.fixed
        if gap < self._busy:
            return False
        motion = self._motion(thumb)
        if self._tracked == 0:
            return gap >= self._empty or motion > self.settings.motion_threshold
        return gap >= self._still or motion > self.settings.still_threshold

    def detected(self, frame: int, tracked: int, thumb: np.ndarray | None = None) -> None:
        """Tell the policy a detection ran on ``frame`` and how many people are tracked now."""
        self._last_frame = frame
        self._last_thumb = thumb
        self._tracked = tracked
