"""Frame-exact reading: ``VideoReader`` and the :class:`Frame` it returns.

A frame is always recognised by the timestamp the decoder attaches to it, never by counting frames
after a seek: demuxers land on "a keyframe near" the request, and counting from there is how players
end up one frame off. Because probe() named every frame by its timestamp, ``read(i)`` after a seek
returns the very picture that sequential decoding returns as frame ``i`` (the tests compare bit for bit).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import numpy as np

from retail_desktop.errors import VideoError

from . import _av
from .info import StreamIndex, VideoInfo
from .probe import probe

# Walking forward is preferred to seeking when the keyframe before the target is at most this many
# frames past the current position: a seek flushes the threaded decoder, whose refill costs about as
# much as decoding a few frames.
WALK_SLACK = 4

# Times within this of a frame's timestamp count as that frame, so that read_at(info.timestamps[i])
# and read_at(i / fps) land on frame i despite float rounding. Far below any real frame interval.
TIME_TOLERANCE_S = 1e-6


@dataclass(frozen=True, eq=False, slots=True)
class Frame:
    """One decoded picture: ``image`` is HxWx3 uint8 BGR (OpenCV order), already upright."""

    index: int
    time_s: float
    image: np.ndarray


class VideoReader:
    """Sequential and random access to the frames of one video, exact to the frame.

    One reader keeps one decoder open, so stepping forward (scrubbing, playback, ``frames()``) decodes
    each frame once; a jump backwards or far ahead seeks to the keyframe before the target and decodes
    forward. Not thread-safe: give each thread its own reader (they are cheap; reuse the probe).

    >>> with VideoReader("clip.mp4") as r:                                  # doctest: +SKIP
    ...     f = r.read(10)
    ...     f.image.shape == (r.info.height, r.info.width, 3)
    True
    """

    def __init__(self, path: str | Path, info: VideoInfo | None = None):
        self._path = _av.check_path(path)
        _av.tune_glibc_malloc()
        if info is None or info._index is None:
            info = probe(self._path)
        self._info = info
        self._index: StreamIndex = info._index  # type: ignore[assignment]
        self._timestamps = info.timestamps
        self._key_to_index = {int(k): i for i, k in enumerate(self._index.keys)}
        self._container: av.container.InputContainer | None = None
        self._stream: av.video.stream.VideoStream | None = None
        self._decoded: Iterator[av.VideoFrame] | None = None
        self._pos: int | None = None  # display index of the last frame decoded; None: unknown
        self._valid_from = 0  # frames before this index, seen after a seek, may lack references
        self._counter = 0  # frames decoded since the start of the file (timestamp-less files)
        self._seek_alt = self._index.prefer_alt  # seek by dts (MPEG-TS) rather than pts (mp4, mkv)
        self._hint = _av.SkipHint("dts" if self._index.mode == "dts" else "pts") if self._index.mode != "counter" else None
        self._restart()

    # ----------------------------------------------------------------------------------- public
    @property
    def info(self) -> VideoInfo:
        return self._info

    @property
    def path(self) -> Path:
        return self._path

    def __len__(self) -> int:
        return self._info.frame_count

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._container is None else f"at frame {self._pos}"
        return f"VideoReader({str(self._path)!r}, {self._info.frame_count} frames, {state})"

    def close(self) -> None:
        """Release the file and the decoder; safe to call twice."""
        if self._container is not None:
            try:
                self._container.close()
            finally:
                self._container = None
                self._stream = None
                self._decoded = None
                self._pos = None

    def frames(self, start: int = 0, stop: int | None = None, step: int = 1) -> Iterator[Frame]:
        """Frames ``start, start+step, ... < stop`` (``stop`` None: to the end), decoded in one pass.

        Memory stays bounded (one frame at a time). Positioning at ``start`` is exact (one seek); from
        there the decoder only moves forward, seeking again only when ``step`` jumps over a keyframe
        (cheaper than decoding the frames in between).
        """
        n = self._info.frame_count
        start, step = operator.index(start), operator.index(step)
        stop = n if stop is None else min(operator.index(stop), n)
        if start < 0 or stop < 0:
            raise ValueError(f"start and stop must be >= 0, got start={start}, stop={stop}")
        if step < 1:
            raise ValueError(f"step must be >= 1, got {step}")
        return (self.read(i) for i in range(start, stop, step))

    def read(self, index: int) -> Frame:
        """Frame ``index`` (display order, 0-based), exactly as sequential decoding produces it.

        Raises IndexError outside ``0..frame_count-1``.
        """
        index = operator.index(index)
        n = self._info.frame_count
        if not 0 <= index < n:
            raise IndexError(f"frame index {index} out of range 0..{n - 1} for {self._path}")
        self._check_open()
        restarted = False
        if not self._can_walk_to(index):
            restarted = self._reposition(index, back=0)
        if self._hint is not None:
            self._hint.before_key = int(self._index.keys[index])
        try:
            return self._decode_until(index, restarted)
        finally:
            if self._hint is not None:
                self._hint.before_key = None

    def _decode_until(self, index: int, restarted: bool) -> Frame:
        back = 0
        while True:
            idx, frame = self._next_frame()
            if frame is None or (idx is not None and idx > index):
                # The end came first or the seek landed past the target: start one keyframe earlier.
                # From the very start of the file this cannot fail unless the file changed under us.
                if restarted:
                    raise VideoError(f"frame {index} could not be decoded (file changed or damaged?)", self._path)
                if frame is not None and not self._seek_alt and self._pos is None:
                    # A seek landed late: this demuxer wants dts (MPEG-TS). Use it from now on.
                    self._seek_alt = True
                else:
                    back += 1
                restarted = self._reposition(index, back=back)
                continue
            if idx is None or idx < self._valid_from:
                continue
            self._pos = idx
            if idx == index:
                return Frame(index, float(self._timestamps[index]), _av.to_bgr(frame, self._info.rotation))

    def read_at(self, time_s: float) -> Frame:
        """The frame on screen at ``time_s`` (seconds from the first frame): see :meth:`index_at`."""
        return self.read(self.index_at(time_s))

    def index_at(self, time_s: float) -> int:
        """Index of the last frame whose timestamp is <= ``time_s``, clamped to the first/last frame.

        Uses the real timestamps, so it is right on variable-frame-rate files too.
        """
        t = float(time_s)
        if math.isnan(t):
            raise ValueError("time_s is NaN")
        i = int(np.searchsorted(self._timestamps, t + TIME_TOLERANCE_S, side="right")) - 1
        return min(max(i, 0), self._info.frame_count - 1)

    # ---------------------------------------------------------------------------------- private
    def _check_open(self) -> None:
        if self._container is None:
            raise ValueError(f"I/O operation on a closed VideoReader ({self._path})")

    def _restart(self) -> None:
        """Reopen the file: the only way to the first frames that cannot fail on any container."""
        if self._container is not None:
            self._container.close()
        self._container = _av.open_container(self._path)
        self._stream = self._container.streams[self._info.stream_index]
        _av.configure_decoder(self._stream)
        self._decoded = _av.decoded_frames(self._container, self._stream, self._hint)
        self._pos = -1
        self._valid_from = 0
        self._counter = 0

    def _governing_seek_point(self, index: int) -> int:
        """Position in seek_indices of the last keyframe at or before ``index``; -1 when none."""
        return int(np.searchsorted(self._index.seek_indices, index, side="right")) - 1

    def _can_walk_to(self, index: int) -> bool:
        if self._pos is None or index <= self._pos:
            return False
        if not self._index.seekable:
            return True
        j = self._governing_seek_point(index)
        keyframe = int(self._index.seek_indices[j]) if j >= 0 else 0
        return keyframe - self._pos <= WALK_SLACK

    def _reposition(self, index: int, back: int) -> bool:
        """Seek to the ``back``-th keyframe before the one that governs ``index``; True if it restarted."""
        j = self._governing_seek_point(index) - back
        if not self._index.seekable or j < 0 or int(self._index.seek_indices[j]) == 0:
            self._restart()
            return True
        assert self._container is not None and self._stream is not None
        seek_ts = self._index.seek_ts_alt if self._seek_alt else self._index.seek_ts
        try:
            self._container.seek(int(seek_ts[j]), stream=self._stream, backward=True)
        except av.error.FFmpegError:
            self._restart()
            return True
        self._decoded = _av.decoded_frames(self._container, self._stream, self._hint)
        self._pos = None
        self._valid_from = int(self._index.seek_indices[j])
        return False

    def _next_frame(self) -> tuple[int | None, av.VideoFrame | None]:
        """The next decoded frame and its display index (None: not one of the file's frames)."""
        assert self._decoded is not None
        frame = next(self._decoded, None)
        if frame is None:
            return None, None
        if self._index.mode == "counter":
            idx = self._counter
            self._counter += 1
            return idx, frame
        key = _av.frame_key(frame, self._index.mode)
        return (self._key_to_index.get(key) if key is not None else None), frame
