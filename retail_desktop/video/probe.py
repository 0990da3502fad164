"""``probe(path)``: metadata and the real per-frame timestamps of a video, without trusting its header.

Why the frame count is right
----------------------------
Headers lie (``nb_frames``, ``r_frame_rate``, a VFR screen recording declaring 25 fps), so the count and
timestamps come from the stream itself. Ground truth is what :func:`._av.decoded_frames` yields when it
decodes the file from the start — the same loop the reader uses. ``probe`` reaches that number in one of
two ways:

* **demux** (fast, the usual case): every packet of the video stream is read without decoding and its pts
  kept. Counting packets counts frames only when all of these hold, and each is checked: the codec puts
  exactly one picture in each packet (H.264, HEVC, MJPEG); every packet has a unique pts; no packet is
  flagged corrupt or discard (an edit list hiding frames), lies past the end of the file or failed to
  read (a cut file); the stream starts on a keyframe (the decoder drops frames before one). Then the
  first frame is decoded (it must match the smallest pts) and the last GOP is decoded after a seek to the
  last keyframe (its frames must be exactly the pts the packets announced). A decoder that drops frames
  at either end, where files are damaged in practice, is caught there.
* **decode** (everything else: other codecs, missing pts, truncated or damaged files, a failed check
  above): the whole stream is decoded once and the frames are counted as they come out. Slower, exact by
  definition. Frames whose decoded timestamps are missing or not increasing are then named by their
  position in decoding order ("counter" mode), and random access decodes from the start.

The tests check both paths against a full sequential decode on every file of the shared test data.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np

from retail_desktop.errors import VideoError

from . import _av
from .info import StreamIndex, TimestampMode, VideoInfo

# Used only when a file has neither timestamps nor a frame rate in its header.
FALLBACK_FPS = 25.0


@dataclass(frozen=True)
class _Packet:
    pts: int | None
    dts: int | None
    keyframe: bool
    size: int
    pos: int | None
    corrupt: bool
    discard: bool


@dataclass
class _Scan:
    packets: list[_Packet]
    read_error: bool


def probe(path: str | Path) -> VideoInfo:
    """Read a video's metadata and exact frame timestamps; raise :class:`VideoError` if it is unusable.

    >>> info = probe("hard/vfr_screenrec_declared25_actual15_nopeople.mp4")   # doctest: +SKIP
    >>> round(info.nominal_fps), round(info.fps), info.frame_count             # doctest: +SKIP
    (25, 15, 422)
    """
    p = _av.check_path(path)
    container = _av.open_container(p)
    try:
        stream = _av.pick_video_stream(container, p)
        stream_index = stream.index
        codec = stream.codec_context.name
        time_base = Fraction(stream.time_base) if stream.time_base else Fraction(1, 1)
        # The claim, not a measurement: mp4's average_rate is nb_frames / duration (15.02 on the VFR
        # screen recording), while guessed_rate is r_frame_rate from the codec/container header (25).
        nominal_fps = float(stream.guessed_rate or stream.average_rate or 0.0)
        has_audio = any(s.type == "audio" for s in container.streams)
        scan = _scan_packets(container, stream)
    finally:
        container.close()

    mode = _timestamp_mode(scan.packets)
    result = None
    if _demux_count_trustworthy(p, codec, mode, scan):
        result = _verify_demux_index(p, stream_index, scan, mode, time_base)
    if result is None:
        result = _decode_index(p, stream_index, scan, mode, time_base)
    index, ((coded_w, coded_h), rotation, pixel_format) = result

    keys = index.keys
    n = len(keys)
    if index.mode == "counter":
        interval = 1.0 / (nominal_fps or FALLBACK_FPS)
        timestamps = np.arange(n, dtype=np.float64) * interval
        start_time_s = 0.0
    else:
        timestamps = (keys - keys[0]).astype(np.float64) * (time_base.numerator / time_base.denominator)
        start_time_s = float(int(keys[0]) * time_base)
    fps = _measured_fps(timestamps, nominal_fps)
    duration_s = float(timestamps[-1] + (1.0 / fps if fps > 0 else 0.0))

    width, height = (coded_h, coded_w) if rotation in (90, 270) else (coded_w, coded_h)
    return VideoInfo(
        path=p,
        codec=codec,
        width=width,
        height=height,
        coded_width=coded_w,
        coded_height=coded_h,
        rotation=rotation,
        nominal_fps=nominal_fps,
        fps=fps,
        frame_count=n,
        timestamps=timestamps,
        start_time_s=start_time_s,
        duration_s=duration_s,
        pixel_format=pixel_format,
        has_audio=has_audio,
        stream_index=stream_index,
        _index=index,
    )


def _measured_fps(timestamps: np.ndarray, nominal_fps: float) -> float:
    """Frames per second of stream time: (frames - 1) / (last timestamp - first).

    The average, not 1 / median interval: cameras that stamp frames with jitter (the multicam clips step
    2991-3009 ticks of 1/90000 s) have a median interval that rounds to 30.00 fps while the real rate is
    29.92 (359/12), and a sync across cameras needs the real one. A variable-rate file gets its mean
    rate (the screen recording that declares 25 fps measures 15.0)."""
    if len(timestamps) < 2:
        return float(nominal_fps)
    span = float(timestamps[-1] - timestamps[0])
    if span <= 0:
        return float(nominal_fps)
    return (len(timestamps) - 1) / span


def _scan_packets(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> _Scan:
    packets: list[_Packet] = []
    demux = container.demux(stream)
    read_error = False
    while True:
        try:
            packet = next(demux)
        except StopIteration:
            break
        except av.error.FFmpegError:
            read_error = True  # damaged or cut file: what was read so far is all there is
            break
        if packet.size == 0 and packet.pts is None and packet.dts is None:
            continue  # PyAV's end-of-stream marker, not data
        pos = packet.pos
        packets.append(
            _Packet(
                pts=packet.pts,
                dts=packet.dts,
                keyframe=bool(packet.is_keyframe),
                size=int(packet.size),
                pos=int(pos) if pos is not None and pos >= 0 else None,
                corrupt=bool(packet.is_corrupt),
                discard=bool(packet.is_discard),
            )
        )
    return _Scan(packets, read_error)


def _timestamp_mode(packets: list[_Packet]) -> TimestampMode:
    """pts when every packet has one; dts for muxers that only write dts (AVI); else frame counting."""
    if packets and all(pk.pts is not None for pk in packets):
        return "pts"
    if packets and all(pk.dts is not None for pk in packets):
        return "dts"
    return "counter"


def _demux_count_trustworthy(path: Path, codec: str, mode: TimestampMode, scan: _Scan) -> bool:
    packets = scan.packets
    if codec not in _av.ONE_FRAME_PER_PACKET or mode != "pts" or scan.read_error or not packets:
        return False
    if not packets[0].keyframe:
        return False
    file_size = path.stat().st_size
    for pk in packets:
        if pk.corrupt or pk.discard or pk.size <= 0:
            return False
        if pk.pos is None or pk.pos + pk.size > file_size:
            return False
    pts = [pk.pts for pk in packets]
    return len(set(pts)) == len(pts)


def _seek_points(packets: list[_Packet], keys: np.ndarray, mode: TimestampMode) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Display indices of keyframes and two timestamps to seek to for each: its pts and its dts.

    Demuxers disagree on what a seek timestamp means. FFmpeg's mp4 and mkv demuxers seek by pts: a
    keyframe's dts is below its pts when B-frames follow, and seeking to the dts lands one whole GOP
    early (measured on the mall and ETH clips). The MPEG-TS demuxer seeks by dts: seeking to the pts
    lands one GOP late. Early costs time, late misses the frame, so pts is tried first and dts kept.
    """
    key_to_index = {int(k): i for i, k in enumerate(keys)}
    points: dict[int, tuple[int, int]] = {}
    for pk in packets:
        if not pk.keyframe:
            continue
        key = pk.pts if mode == "pts" else pk.dts
        if key is None or key not in key_to_index:
            continue
        points.setdefault(key_to_index[key], (int(key), int(pk.dts if pk.dts is not None else key)))
    order = sorted(points)
    return (
        np.array(order, dtype=np.int64),
        np.array([points[i][0] for i in order], dtype=np.int64),
        np.array([points[i][1] for i in order], dtype=np.int64),
    )


def _open_decoder(path: Path, stream_index: int):
    container = _av.open_container(path)
    stream = container.streams[stream_index]
    _av.configure_decoder(stream)
    return container, stream


def _first_frame_facts(frame: av.VideoFrame, stream) -> tuple[tuple[int, int], int, str]:
    return (int(frame.width), int(frame.height)), _av.clockwise_rotation(frame, stream), frame.format.name


def _verify_demux_index(path: Path, stream_index: int, scan: _Scan, mode: TimestampMode, time_base: Fraction):
    """Decode the first frame and the last GOP; return the demux-built index, or None to fall back."""
    keys = np.array(sorted(pk.pts for pk in scan.packets), dtype=np.int64)
    seek_indices, seek_ts, seek_ts_alt = _seek_points(scan.packets, keys, mode)
    if len(seek_indices) == 0 or seek_indices[0] != 0:
        return None
    prefer_alt = False
    container, stream = _open_decoder(path, stream_index)
    try:
        decoded = _av.decoded_frames(container, stream)
        first = next(decoded, None)
        if first is None:
            raise VideoError("no decodable video frames (file truncated or corrupt?)", path)
        if first.pts != keys[0]:
            return None
        facts = _first_frame_facts(first, stream)
        last_kf = int(seek_indices[-1])
        expected = keys[last_kf:].tolist()
        if last_kf == 0:
            tail = _tail_keys(decoded, int(keys[0]), [first.pts])
        else:
            tail = None
            for alt, target in ((False, int(seek_ts[-1])), (True, int(seek_ts_alt[-1]))):
                if alt and target == int(seek_ts[-1]):
                    break
                try:
                    container.seek(target, stream=stream, backward=True)
                except av.error.FFmpegError:
                    return None
                tail = _tail_keys(_av.decoded_frames(container, stream), expected[0], [])
                if tail and tail[0] == expected[0]:
                    prefer_alt = alt  # this demuxer lands on the keyframe with this kind of timestamp
                    break
        if tail != expected:
            return None
    finally:
        container.close()
    index = StreamIndex(mode, time_base, keys, seek_indices, seek_ts, seek_ts_alt, "demux", prefer_alt)
    return index, facts


def _tail_keys(frames, tail_from: int, tail: list[int]) -> list[int] | None:
    """pts of the decoded frames from ``tail_from`` on; None if one has no pts (the full decode decides)."""
    for frame in frames:
        if frame.pts is None:
            return None
        if frame.pts >= tail_from:  # earlier ones are open-GOP leading frames of the previous GOP
            tail.append(frame.pts)
    return tail


def _decode_index(path: Path, stream_index: int, scan: _Scan, mode: TimestampMode, time_base: Fraction):
    """Count by decoding everything, exactly as the reader will decode it."""
    container, stream = _open_decoder(path, stream_index)
    keys: list[int | None] = []
    facts = None
    try:
        for frame in _av.decoded_frames(container, stream):
            if facts is None:
                facts = _first_frame_facts(frame, stream)
            keys.append(_av.frame_key(frame, mode))
    finally:
        container.close()
    if facts is None:
        raise VideoError("no decodable video frames (file truncated or corrupt?)", path)
    usable = mode != "counter" and all(k is not None for k in keys)
    arr = np.array([k if k is not None else 0 for k in keys], dtype=np.int64)
    if usable and len(arr) > 1 and not bool(np.all(np.diff(arr) > 0)):
        usable = False  # timestamps that go backwards or repeat cannot name frames
    if not usable:
        mode = "counter"
        arr = np.arange(len(keys), dtype=np.int64)
        seek_indices = seek_ts = seek_ts_alt = np.zeros(0, dtype=np.int64)
    else:
        seek_indices, seek_ts, seek_ts_alt = _seek_points(scan.packets, arr, mode)
    index = StreamIndex(mode, time_base, arr, seek_indices, seek_ts, seek_ts_alt, "decode")
    return index, facts
