"""Video layer (Qt-free): open what FFmpeg reads, exact metadata and timestamps, frame-exact access.

>>> from retail_desktop.video import probe, VideoReader               # doctest: +SKIP
>>> info = probe("clip.mp4")                                          # doctest: +SKIP
>>> with VideoReader(info.path, info) as r:                           # doctest: +SKIP
...     frame = r.read_at(2.5)                                        # the frame on screen at 2.5 s
"""

from .info import VideoInfo
from .probe import probe
from .reader import Frame, VideoReader

__all__ = ["Frame", "VideoInfo", "VideoReader", "probe"]
