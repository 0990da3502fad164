"""What is known about a video file before any frame is shown: :class:`VideoInfo`.

The stream index (exact timestamps and seek points) travels inside :class:`VideoInfo` so that a
:class:`~retail_desktop.video.reader.VideoReader` built from a probe never has to scan the file again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np

TimestampMode = Literal["pts", "dts", "counter"]


@dataclass(frozen=True, eq=False)
class StreamIndex:
    """How frames are found again in the file; private to the video layer.

    ``keys[i]`` is the timestamp (in ``time_base`` units) that the decoder attaches to display frame ``i``
    in ``mode`` ("pts", or "dts" for files whose packets carry no pts), or simply ``i`` in mode
    "counter" (no usable timestamps: random access then decodes from the start).
    ``seek_indices[j]`` is the display index of a keyframe, where decoding may start after a seek to
    ``seek_ts[j]`` (that keyframe's pts) or ``seek_ts_alt[j]`` (its dts): mp4 and mkv demuxers seek by
    pts, MPEG-TS by dts, and probe records in ``prefer_alt`` which of the two landed on the keyframe.
    """

    mode: TimestampMode
    time_base: Fraction
    keys: np.ndarray  # int64, strictly increasing, one per display frame
    seek_indices: np.ndarray  # int64, increasing display indices of keyframes
    seek_ts: np.ndarray  # int64, the keyframe's key (pts; dts in dts mode), for container.seek
    seek_ts_alt: np.ndarray  # int64, the keyframe's dts where known, else the same as seek_ts
    exact_by: str  # how the frame count was established: "demux" or "decode"
    prefer_alt: bool = False

    def __post_init__(self) -> None:
        for name in ("keys", "seek_indices", "seek_ts", "seek_ts_alt"):
            getattr(self, name).flags.writeable = False

    @property
    def seekable(self) -> bool:
        return self.mode != "counter" and len(self.seek_indices) > 0


@dataclass(frozen=True)
class VideoInfo:
    """Metadata of one video stream, with the real per-frame timestamps.

    Sizes are those of the displayed (upright) frames; ``coded_*`` are what the codec stores.
    ``fps`` is measured from the timestamps (median interval), ``nominal_fps`` is what the header
    claims; they differ on variable-frame-rate files, and ``timestamps`` is the truth for both.

    >>> info = probe("clip.mp4")                                        # doctest: +SKIP
    >>> info.frame_count == len(info.timestamps), info.timestamps[0]   # doctest: +SKIP
    (True, 0.0)
    """

    path: Path
    codec: str
    width: int
    height: int
    coded_width: int
    coded_height: int
    rotation: int
    nominal_fps: float
    fps: float
    frame_count: int
    timestamps: np.ndarray = field(repr=False, compare=False)
    start_time_s: float = 0.0
    duration_s: float = 0.0
    pixel_format: str = ""
    has_audio: bool = False
    stream_index: int = 0
    # Filled by probe(); a hand-made VideoInfo leaves it None and VideoReader then probes the file itself.
    _index: StreamIndex | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen means frozen: nobody downstream may shift the shared timestamps in place.
        ts = np.asarray(self.timestamps, dtype=np.float64)
        if ts.flags.writeable:
            ts = ts.copy()
            ts.flags.writeable = False
        object.__setattr__(self, "timestamps", ts)
        object.__setattr__(self, "path", Path(self.path))
        if len(ts) != self.frame_count:
            raise ValueError(f"{len(ts)} timestamps for {self.frame_count} frames")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only (no arrays): for project files, the CLI and logs."""
        return {
            "path": str(self.path),
            "codec": self.codec,
            "width": self.width,
            "height": self.height,
            "coded_width": self.coded_width,
            "coded_height": self.coded_height,
            "rotation": self.rotation,
            "nominal_fps": float(self.nominal_fps),
            "fps": float(self.fps),
            "frame_count": int(self.frame_count),
            "start_time_s": float(self.start_time_s),
            "duration_s": float(self.duration_s),
            "pixel_format": self.pixel_format,
            "has_audio": bool(self.has_audio),
            "stream_index": int(self.stream_index),
        }
