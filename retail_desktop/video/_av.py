"""The few PyAV operations the video layer needs, with FFmpeg's failures turned into :class:`VideoError`.

Probe and reader share :func:`decoded_frames`, so "the frames that sequential decoding yields" means
one thing in the whole package: what this loop yields, with the same threading settings.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import av
import av.error
import cv2
import numpy as np

from retail_desktop.errors import VideoError

from .info import TimestampMode

# Codecs whose every demuxed packet holds exactly one displayed picture, so that counting packets
# counts frames. Codecs not listed (VP8 alt-ref packets that show nothing, MPEG-4 packed B-frames,
# ...) are counted by decoding instead.
ONE_FRAME_PER_PACKET = frozenset({"h264", "hevc", "mjpeg"})


_MALLOC_TUNED = False


def tune_glibc_malloc() -> None:
    """Stop glibc from handing frame memory back to the kernel after every frame (once per process).

    A consumer holds frame N while frame N+1 is converted (``for f in r.frames()`` does), so the newest
    1-6 MB buffer sits at the top of the heap when the older one is freed; glibc then trims the heap top
    and the next frame faults every page in again: 150 (768x432) to 510 (1366x768) minor faults per frame,
    a third of the CPU time of decode + conversion (1.34 -> 0.90 ms and 3.84 -> 2.39 ms per frame
    measured). Keeping up to 256 MiB of free heap and serving allocations under 32 MiB (a 4K BGR frame is
    25 MB) from the heap removes that; peak memory is unchanged. It is process-wide, so it can be
    refused with ``RETAIL_DESKTOP_NO_MALLOPT=1``; it does nothing where the C library is not glibc.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    _MALLOC_TUNED = True
    if os.environ.get("RETAIL_DESKTOP_NO_MALLOPT") or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):
            return  # musl & co: different allocator, different knobs
        m_trim_threshold, m_mmap_threshold = -1, -3
        libc.mallopt(m_trim_threshold, 256 * 1024 * 1024)
        libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)
    except (OSError, AttributeError):
        pass


def check_path(path: str | Path) -> Path:
    """Reject what FFmpeg would report obscurely (or, for a FIFO, block on) before opening it."""
    p = Path(path)
    try:
        os.stat(p)  # Path.exists() lets "name too long" and "permission denied" escape as tracebacks
    except (FileNotFoundError, NotADirectoryError):
        raise VideoError("file does not exist", p) from None
    except OSError as exc:
        raise VideoError(f"cannot be accessed ({exc.strerror or exc})", p) from None
    if p.is_dir():
        raise VideoError("is a directory, not a video file", p)
    if not p.is_file():
        raise VideoError("is not a regular file", p)
    if p.stat().st_size == 0:
        raise VideoError("file is empty (0 bytes)", p)
    if not os.access(p, os.R_OK):
        raise VideoError("cannot be read (permission denied)", p)
    return p


def _reason(err: BaseException) -> str:
    text = getattr(err, "strerror", None) or str(err) or type(err).__name__
    return " ".join(str(text).split())  # one line, whatever FFmpeg said


def open_container(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path), mode="r")
    except av.error.FFmpegError as err:
        raise VideoError(f"not a readable video file ({_reason(err)})", path) from None
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise VideoError(f"cannot be opened ({_reason(err)})", path) from None


def pick_video_stream(container: av.container.InputContainer, path: Path) -> av.video.stream.VideoStream:
    """The first real video stream; cover art (attached pictures) is not footage."""
    for stream in container.streams.video:
        if stream.disposition & av.stream.Disposition.attached_pic:
            continue
        return stream
    kinds = ", ".join(s.type for s in container.streams) or "none"
    raise VideoError(f"contains no video stream (streams: {kinds})", path)


def configure_decoder(stream: av.video.stream.VideoStream) -> None:
    # Frame and slice threads: output (and so random access) stays bit-exact, only faster.
    stream.thread_type = "AUTO"


def frame_key(frame: av.VideoFrame, mode: TimestampMode) -> int | None:
    """The timestamp a decoded frame is recognised by; ``None`` when the file gives it none."""
    if mode == "pts":
        return frame.pts
    if mode == "dts":
        return frame.dts  # AVFrame.pkt_dts: the dts of the packet that carried this picture
    return None


# Codecs whose decoders may drop non-reference pictures without changing any other picture
# (H.264 nal_ref_idc == 0, HEVC sub-layer non-reference pictures).
SKIPPABLE_NONREF = frozenset({"h264", "hevc"})


class SkipHint:
    """Lets a reader tell :func:`decoded_frames` which pictures it will not look at.

    While ``before_key`` is set, packets whose key (pts, or dts in dts mode) is below it are decoded with
    ``skip_frame=NONREF``: the decoder drops the pictures nobody references, which cannot change the
    pictures that are shown later, so random access stays bit-exact and gets 20-35 % faster on the
    long-GOP clips. Pictures at or after ``before_key`` are always decoded in full.
    """

    __slots__ = ("before_key", "key_attr")

    def __init__(self, key_attr: str) -> None:
        self.before_key: int | None = None
        self.key_attr = key_attr  # "pts" or "dts"


def decoded_frames(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    hint: SkipHint | None = None,
) -> Iterator[av.VideoFrame]:
    """Every frame the decoder yields from the current position to the end, in display order.

    Damaged data is skipped, not fatal: a packet the demuxer flags corrupt or the decoder rejects
    costs that packet only (and the frames that depend on it, as the decoder decides), and a
    read error (truncated or damaged file) ends the stream as if it were the end of the file, after
    the decoder has given back the frames it still holds. So a cut file ends instead of hanging or
    raising in the middle of playback.
    """
    packets = container.demux(stream)
    codec_context = stream.codec_context
    if hint is not None and codec_context.name not in SKIPPABLE_NONREF:
        hint = None
    if hint is not None:
        codec_context.skip_frame = "DEFAULT"  # an abandoned generator (a seek mid-read) may have left NONREF
    skipping = False
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError:
            try:
                yield from stream.codec_context.decode(None)
            except av.error.FFmpegError:
                pass
            return
        if packet.is_corrupt and packet.size > 0:
            # A short read at the cut end of a file. Decoding it would show stale buffer memory where the
            # data is missing, different on every pass, so no exact access to it could exist.
            continue
        if hint is not None:
            key = getattr(packet, hint.key_attr)
            skip = hint.before_key is not None and key is not None and key < hint.before_key
            if skip != skipping:
                codec_context.skip_frame = "NONREF" if skip else "DEFAULT"
                skipping = skip
        try:
            frames = packet.decode()
        except av.error.EOFError:
            return
        except av.error.FFmpegError:
            continue
        yield from frames


def to_bgr(frame: av.VideoFrame, rotation: int) -> np.ndarray:
    """HxWx3 uint8 BGR, upright.

    A frame tagged full range (yuvj420p from MJPEG, or yuv420p with color_range=pc) is expanded as
    such; swscale only infers that from the yuvj pixel formats, so the tag is passed on explicitly.
    """
    # threads=1: PyAV's default (0, "auto") sets up a swscale thread pool on every call, which made
    # conversion 9x slower (2.7 ms against 0.3 ms for 768x432) on 2 cores busy with decoding anyway.
    if frame.color_range == 2:  # AVCOL_RANGE_JPEG
        image = frame.to_ndarray(format="bgr24", src_color_range="JPEG", threads=1)
    else:
        image = frame.to_ndarray(format="bgr24", threads=1)
    # PyAV hands out a view with the row padding of the AVFrame for some widths (500 px: 1504-byte
    # rows); consumers such as QImage(bytes) and hashing need plain C order.
    return np.ascontiguousarray(rotate_image(image, rotation))


_CV2_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def rotate_image(image: np.ndarray, rotation: int) -> np.ndarray:
    """Turn a coded image ``rotation`` degrees clockwise, as players display it (contiguous result)."""
    if rotation == 0:
        return image
    return cv2.rotate(image, _CV2_ROTATE[rotation])


def clockwise_rotation(frame: av.VideoFrame | None, stream: av.video.stream.VideoStream) -> int:
    """Display rotation, clockwise, snapped to 0/90/180/270.

    FFmpeg reports the display matrix counter-clockwise (``frame.rotation``, from the stream's
    matrix that FFmpeg 7 copies onto each frame); old files and muxers may instead carry a
    clockwise ``rotate`` tag. Odd angles are snapped because frames can only be turned by quarters.
    """
    ccw = 0.0
    if frame is not None:
        try:
            ccw = float(frame.rotation or 0)
        except (AttributeError, TypeError, ValueError):
            ccw = 0.0
    clockwise = -ccw
    if ccw == 0.0:
        tag = stream.metadata.get("rotate")
        try:
            clockwise = float(tag) if tag is not None else 0.0
        except ValueError:
            clockwise = 0.0
    return int(round(clockwise / 90.0)) % 4 * 90
