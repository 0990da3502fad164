"""Frames decoded off the GUI thread, with prefetch: one :class:`FrameServer` per camera.

The GUI asks for "frame i" and gets it either at once (already in the cache) or later through
``frame_ready``. Only the newest request matters: while the user scrubs, the decoder skips requests it
has not started, so it never falls behind the slider. When idle, and the requests walk forward
(playback, stepping), it decodes the frames after the last request, which
:class:`~retail_desktop.video.VideoReader` does without seeking; after a jump it waits.
Images are converted to RGB on the worker thread, so the GUI thread only uploads them.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

import cv2
import numpy as np
from PySide6.QtCore import QObject, Signal

from retail_desktop.errors import UserError
from retail_desktop.video import VideoInfo, VideoReader

log = logging.getLogger(__name__)

#: Decode scales a view may ask for: a few steps, so that resizing a window does not flush the cache
#: on every pixel. 1.0 = the video's own size (always used when zoomed in).
SCALES = (0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0)


def scale_frame(bgr: np.ndarray, scale: float) -> np.ndarray:
    """The RGB picture the view uploads: the decoded BGR frame, shrunk to ``scale`` (area averaging).

    Done on the decoder thread (OpenCV releases the GIL), so the GUI thread converts and paints only as
    many pixels as the screen shows; overlays are unaffected (the view maps the picture onto the full
    frame rectangle).
    """
    if scale >= 0.999:
        return np.ascontiguousarray(bgr[..., ::-1])
    h, w = bgr.shape[:2]
    small = cv2.resize(bgr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_BGR2RGB)


def decode_scale(needed: float) -> float:
    """The smallest step of :data:`SCALES` that still gives ``needed`` picture pixels per frame pixel."""
    return next((s for s in SCALES if s >= needed - 1e-6), 1.0)


class FrameServer(QObject):
    """Decodes one camera's frames on its own thread; ``frame_ready(index, rgb)`` on the GUI thread."""

    frame_ready = Signal(int, object)
    failed = Signal(str)

    def __init__(self, info: VideoInfo, cache_frames: int = 64, prefetch: int = 12, parent: QObject | None = None):
        super().__init__(parent)
        self.info = info
        self.prefetch = prefetch
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self.scale = 1.0  # decode scale of the cached pictures (see set_scale)
        self._cache_frames = max(cache_frames, prefetch + 4)
        self._lock = threading.Condition()
        self._wanted: int | None = None
        self._stop = False
        self.decoded = 0  # frames decoded so far (for benchmarks)
        self._thread = threading.Thread(target=self._loop, name=f"frames-{info.path.name}", daemon=True)
        self._thread.start()

    # -- GUI thread --------------------------------------------------------------------------------
    def cached(self, index: int) -> np.ndarray | None:
        with self._lock:
            image = self._cache.get(index)
            if image is not None:
                self._cache.move_to_end(index)
            return image

    def set_scale(self, needed: float) -> bool:
        """Decode at the step of :data:`SCALES` covering ``needed``; True when that changed (the cache
        is dropped, so the caller should ask for its frame again)."""
        scale = decode_scale(needed)
        with self._lock:
            if scale == self.scale:
                return False
            self.scale = scale
            self._cache.clear()
            return True

    def request(self, index: int) -> np.ndarray | None:
        """The frame if cached (and prefetch continues after it), else None and ``frame_ready`` later."""
        index = min(max(int(index), 0), self.info.frame_count - 1)
        with self._lock:
            image = self._cache.get(index)
            self._wanted = index
            if image is not None:
                self._cache.move_to_end(index)
            self._lock.notify()
        return image

    def close(self, timeout_s: float = 2.0) -> None:
        with self._lock:
            self._stop = True
            self._lock.notify()
        self._thread.join(timeout_s)

    # -- worker thread -----------------------------------------------------------------------------
    def _loop(self) -> None:
        try:
            reader = VideoReader(self.info.path, self.info)
        except UserError as exc:
            self._safe_emit("failed", str(exc))
            return
        anchor: int | None = None  # the last request served while playing forward; prefetch runs after it
        last: int | None = None
        try:
            while True:
                with self._lock:
                    while not self._stop and self._wanted is None and not self._prefetch_target(anchor):
                        self._lock.wait()
                    if self._stop:
                        return
                    wanted, self._wanted = self._wanted, None
                if wanted is not None:
                    image = self._get(reader, wanted)
                    # Prefetch only when requests walk forward (playback, stepping): after a jump the
                    # next request is anywhere, and decoding ahead would only delay it.
                    forward = last is not None and 0 < wanted - last <= self.prefetch
                    anchor, last = (wanted if forward else None), wanted
                    self._safe_emit("frame_ready", wanted, image)
                    continue
                with self._lock:
                    target = self._prefetch_target(anchor)
                if target is not None:
                    self._get(reader, target)
        except UserError as exc:
            self._safe_emit("failed", str(exc))
        except Exception as exc:  # a bug: say so instead of dying silently on a background thread
            log.exception("frame decoding failed")
            self._safe_emit("failed", f"{type(exc).__name__}: {exc}")
        finally:
            reader.close()

    def _prefetch_target(self, anchor: int | None) -> int | None:
        """First frame after ``anchor`` within the prefetch distance that is not cached (lock held)."""
        if anchor is None:
            return None
        for i in range(anchor + 1, min(anchor + 1 + self.prefetch, self.info.frame_count)):
            if i not in self._cache:
                return i
        return None

    def _get(self, reader: VideoReader, index: int) -> np.ndarray:
        with self._lock:
            image = self._cache.get(index)
            scale = self.scale
        if image is not None:
            return image
        image = scale_frame(reader.read(index).image, scale)
        self.decoded += 1
        with self._lock:
            if scale != self.scale:
                return image  # the view changed size meanwhile: show it once, do not cache it
            self._cache[index] = image
            while len(self._cache) > self._cache_frames:
                self._cache.popitem(last=False)
        return image

    def _safe_emit(self, name: str, *args: object) -> None:
        try:
            getattr(self, name).emit(*args)
        except RuntimeError:  # the QObject is gone (window closed); nothing to tell
            pass
