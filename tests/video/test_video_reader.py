"""The video layer against real, awkward files: true counts, exact timestamps, frame-exact access.

The reference for every check is a plain PyAV decode of the whole file (no code of ours but the
BGR conversion), hashed per frame, computed once per file and shared by the tests.
"""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import sys
import zlib
from functools import lru_cache
from pathlib import Path

import av
import numpy as np
import pytest
from datafiles import data_file

from retail_desktop.errors import VideoError
from retail_desktop.video import Frame, VideoInfo, VideoReader, probe
from retail_desktop.video import _av

# file: (frame_count, nominal_fps, width, height, codec, has_audio, stream_index)
REAL = {
    "videos/retail_supermarket_checkout_cctv.mp4": (97, 7.0, 1280, 720, "h264", True, 0),
    "videos/mall_entrance_revolving_doors.mp4": (447, 30000 / 1001, 640, 360, "h264", True, 0),
    "videos/mall_concourse_overhead_bw.mp4": (341, 25.0, 1280, 720, "h264", True, 0),
    "videos/intel_one_by_one_person_indoor.mp4": (1394, 10.0, 768, 432, "h264", False, 0),
    "multicam/home_room_cam1.mp4": (147, 359 / 12, 1280, 720, "h264", True, 1),
    "multicam/home_hallway_cam2.mp4": (84, 359 / 12, 1280, 720, "h264", True, 1),
    "hard/audio_first_29.53fps_office_1person.mp4": (182, 141255000 / 4783757, 1280, 720, "h264", True, 1),
    "hard/mjpeg_avi_1s_500x332_bookstore.avi": (32, 30.0, 500, 332, "mjpeg", False, 0),
    "hard/vfr_screenrec_declared25_actual15_nopeople.mp4": (422, 25.0, 1366, 768, "h264", False, 0),
    "labeled/mot15/TUD-Campus/TUD-Campus.mp4": (71, 25.0, 640, 480, "h264", False, 0),
    "labeled/mot15/ETH-Sunnyday/ETH-Sunnyday.mp4": (354, 14.0, 640, 480, "h264", False, 0),
}
FILES = list(REAL)


def crc(image: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(image))


@lru_cache(maxsize=None)
def reference(path: Path) -> tuple[list[int], list[int], float, list[int]]:
    """(pts, frame hashes, stream time base, keyframe flags) from one plain sequential decode."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        pts, hashes, keys = [], [], []
        for frame in container.decode(stream):
            pts.append(frame.pts)
            hashes.append(crc(_av.to_bgr(frame, 0)))
            keys.append(frame.key_frame)
        return pts, hashes, float(stream.time_base), keys


@lru_cache(maxsize=None)
def cached_probe(path: Path) -> VideoInfo:
    return probe(path)


# ------------------------------------------------------------------------------------- metadata
@pytest.mark.parametrize("name", FILES)
def test_metadata_matches_a_full_decode(name):
    path = data_file(name)
    count, nominal, width, height, codec, has_audio, stream_index = REAL[name]
    info = cached_probe(path)
    pts, _, time_base, _ = reference(path)

    assert info.frame_count == len(pts) == count  # the real count: what sequential decoding yields
    assert len(info.timestamps) == count and info.timestamps[0] == 0.0
    expected = (np.array(pts, dtype=np.float64) - pts[0]) * time_base
    np.testing.assert_allclose(info.timestamps, expected, rtol=0, atol=1e-9)
    assert np.all(np.diff(info.timestamps) > 0)
    assert info.start_time_s == pytest.approx(pts[0] * time_base)
    assert (info.width, info.height, info.coded_width, info.coded_height) == (width, height, width, height)
    assert info.rotation == 0 and info.codec == codec
    assert info.has_audio is has_audio and info.stream_index == stream_index
    assert info.nominal_fps == pytest.approx(nominal, rel=1e-6)
    assert info.fps == pytest.approx((len(expected) - 1) / (expected[-1] - expected[0]))
    assert info.duration_s == pytest.approx(expected[-1] + 1.0 / info.fps)
    assert info.pixel_format in ("yuv420p", "yuvj420p")

    d = info.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["frame_count"] == count and d["fps"] == info.fps and d["nominal_fps"] == info.nominal_fps
    assert d["duration_s"] == info.duration_s


def test_vfr_header_lies_timestamps_do_not():
    info = cached_probe(data_file("hard/vfr_screenrec_declared25_actual15_nopeople.mp4"))
    assert info.nominal_fps == pytest.approx(25.0)
    assert info.fps == pytest.approx(15.0, abs=0.05)
    assert info.frame_count == 422
    assert info.duration_s == pytest.approx(28.1, abs=0.05)  # 422 frames at 25 fps would be 16.9 s


def test_audio_first_and_multicam_rates():
    info = cached_probe(data_file("hard/audio_first_29.53fps_office_1person.mp4"))
    assert info.stream_index == 1 and info.has_audio
    assert info.fps == pytest.approx(29.53, abs=0.01)
    cam1 = cached_probe(data_file("multicam/home_room_cam1.mp4"))
    assert cam1.nominal_fps == pytest.approx(359 / 12)
    # real cameras jitter (intervals of 2991-3009 ticks): the measured rate is the mean, 29.92, not 30.00
    for name in ("multicam/home_room_cam1.mp4", "multicam/home_hallway_cam2.mp4"):
        assert cached_probe(data_file(name)).fps == pytest.approx(359 / 12, abs=0.01)


def test_mjpeg_full_range_converted_as_full_range():
    path = data_file("hard/mjpeg_avi_1s_500x332_bookstore.avi")
    info = cached_probe(path)
    assert info.pixel_format == "yuvj420p"
    with av.open(str(path)) as container:
        yuv = next(container.decode(video=0))
        h, w = yuv.height, yuv.width
        planes = [
            np.frombuffer(p, np.uint8).reshape(-1, p.line_size)[: (h if i == 0 else (h + 1) // 2), : (w if i == 0 else (w + 1) // 2)]
            for i, p in enumerate(yuv.planes)
        ]
    y = planes[0].astype(np.float64)
    u, v = (np.repeat(np.repeat(p.astype(np.float64), 2, 0), 2, 1)[:h, :w] - 128 for p in planes[1:])
    full = np.stack([y + 1.772 * u, y - 0.344136 * u - 0.714136 * v, y + 1.402 * v], -1).clip(0, 255)
    yl = (y - 16) * 255 / 219  # what a limited-range (wrong) conversion would do to the luma
    limited = np.stack([yl + 1.772 * u, yl - 0.344136 * u - 0.714136 * v, yl + 1.402 * v], -1).clip(0, 255)
    with VideoReader(path, info) as r:
        image = r.read(0).image.astype(np.float64)
    assert image.shape == (332, 500, 3)
    assert np.abs(image - full).mean() < 1.0
    assert np.abs(image - limited).mean() > 5.0


# ------------------------------------------------------------------------------ frame-exact access
@pytest.mark.parametrize("name", FILES)
def test_random_access_equals_sequential_decoding(name):
    path = data_file(name)
    info = cached_probe(path)
    _, hashes, _, _ = reference(path)
    rng = random.Random(name)
    drawn = [rng.randrange(info.frame_count) for _ in range(50)]
    with VideoReader(path, info) as r:
        # all 50 in ascending order: seeks forward over keyframes and decodes forward within a GOP
        got = {i: crc(r.read(i).image) for i in sorted(drawn)}
        assert sum(got[i] == hashes[i] for i in drawn) == 50
        # in the order drawn: backward seeks and restarts too (all 50 where GOPs are short, else 8,
        # as a random jump into a 30-250 frame GOP of 720p costs 0.05-0.3 s on 2 cores)
        gop = info.frame_count / max(1, len(info._index.seek_indices))
        for i in drawn if gop <= 12 else drawn[:8]:
            frame = r.read(i)
            assert (frame.index, crc(frame.image)) == (i, hashes[i]), f"frame {i}"
            assert frame.time_s == info.timestamps[i]
            assert frame.image.shape == (info.height, info.width, 3) and frame.image.dtype == np.uint8


@pytest.mark.parametrize(
    "name", ["hard/mjpeg_avi_1s_500x332_bookstore.avi", "labeled/mot15/TUD-Campus/TUD-Campus.mp4", "multicam/home_hallway_cam2.mp4"]
)
def test_frames_generator_is_the_sequential_decode(name):
    path = data_file(name)
    _, hashes, _, _ = reference(path)
    with VideoReader(path) as r:
        frames = r.frames()
        assert [crc(f.image) for f in frames] == hashes
        n = r.info.frame_count
        assert [f.index for f in r.frames(start=5, stop=40, step=6)] == list(range(5, min(40, n), 6))


def test_frames_with_start_and_step_on_the_long_clip():
    path = data_file("videos/intel_one_by_one_person_indoor.mp4")
    _, hashes, _, _ = reference(path)
    with VideoReader(path, cached_probe(path)) as r:
        got = [(f.index, crc(f.image)) for f in r.frames(start=700, stop=1394, step=37)]
        assert got == [(i, hashes[i]) for i in range(700, 1394, 37)]
        tail = list(r.frames(start=1390))
        assert [f.index for f in tail] == [1390, 1391, 1392, 1393]
        with pytest.raises(ValueError):
            r.frames(step=0)


def test_read_at_uses_the_real_timestamps():
    path = data_file("hard/vfr_screenrec_declared25_actual15_nopeople.mp4")
    info = cached_probe(path)
    ts = info.timestamps
    with VideoReader(path, info) as r:
        assert r.index_at(-5.0) == 0 and r.index_at(1e9) == info.frame_count - 1
        for i in (0, 1, 15, 200, 421):
            assert r.index_at(ts[i]) == i
            assert r.index_at(ts[i] - 1e-4) == max(i - 1, 0)  # just before: previous frame still shown
        assert r.index_at((ts[10] + ts[11]) / 2) == 10
        assert r.index_at(1.0) == 15  # 15 fps in truth; a 25 fps header would say frame 25
        frame = r.read_at(ts[100] + 0.01)
        assert frame.index == 100 and frame.time_s == ts[100]
        _, hashes, _, _ = reference(path)
        assert crc(frame.image) == hashes[100]
        with pytest.raises(ValueError):
            r.index_at(float("nan"))


def test_reader_api_contract():
    path = data_file("hard/mjpeg_avi_1s_500x332_bookstore.avi")
    info = cached_probe(path)
    r = VideoReader(path, info)
    assert r.info is info and len(r) == 32
    for bad in (-1, 32):
        with pytest.raises(IndexError):
            r.read(bad)
    frame = r.read(31)
    assert isinstance(frame, Frame) and frame.image.flags.c_contiguous
    r.close()
    r.close()
    with pytest.raises(ValueError):
        r.read(0)
    with pytest.raises(ValueError):
        info.timestamps[0] = 1.0  # frozen, shared: nobody may shift timestamps in place


# ------------------------------------------------------------------------------- damaged inputs
def _assert_video_error(path: Path) -> None:
    for call in (probe, VideoReader):
        with pytest.raises(VideoError) as err:
            call(path)
        message = str(err.value)
        assert str(path) in message and "\n" not in message and err.value.path == path


def test_unusable_inputs_raise_video_error_naming_the_file(tmp_path):
    _assert_video_error(tmp_path / "missing.mp4")
    _assert_video_error(tmp_path)
    (tmp_path / "empty.mp4").write_bytes(b"")
    _assert_video_error(tmp_path / "empty.mp4")
    (tmp_path / "notes.mp4").write_text("this is a shopping list, not a video\n" * 50)
    _assert_video_error(tmp_path / "notes.mp4")

    audio = tmp_path / "audio_only.wav"
    with av.open(str(audio), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    _assert_video_error(audio)
    with pytest.raises(VideoError, match="no video stream"):
        probe(audio)


def test_truncated_files_without_frames(tmp_path):
    # moov at the end (home_room): cutting it off leaves nothing a demuxer can read
    whole = data_file("multicam/home_room_cam1.mp4").read_bytes()
    (tmp_path / "half_room.mp4").write_bytes(whole[: len(whole) // 2])
    _assert_video_error(tmp_path / "half_room.mp4")
    # moov first (mall entrance): the header survives, but no frame data does
    whole = data_file("videos/mall_entrance_revolving_doors.mp4").read_bytes()
    (tmp_path / "header_only.mp4").write_bytes(whole[: whole.index(b"mdat") + 200])
    _assert_video_error(tmp_path / "header_only.mp4")
    with pytest.raises(VideoError, match="no decodable video frames"):
        probe(tmp_path / "header_only.mp4")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["videos/mall_entrance_revolving_doors.mp4", "hard/mjpeg_avi_1s_500x332_bookstore.avi"])
def test_file_cut_in_half_gives_its_decodable_frames(tmp_path, name):
    source = data_file(name)
    whole = source.read_bytes()
    cut = tmp_path / ("half_" + source.name)
    cut.write_bytes(whole[: len(whole) // 2])
    info = probe(cut)
    full = cached_probe(source)
    assert 0 < info.frame_count < full.frame_count
    np.testing.assert_array_equal(info.timestamps, full.timestamps[: info.frame_count])
    _, full_hashes, _, _ = reference(source)
    with VideoReader(cut, info) as r:
        seq = [crc(f.image) for f in r.frames()]
        assert len(seq) == info.frame_count
        # frames wholly before the cut are the intact file's frames
        assert seq[: info.frame_count - 10] == full_hashes[: info.frame_count - 10]
        rng = random.Random(7)
        for i in [rng.randrange(info.frame_count) for _ in range(25)] + [info.frame_count - 1, 0]:
            assert crc(r.read(i).image) == seq[i], f"frame {i}"


# -------------------------------------------------------------------------- synthetic clips
def _write_clip(path: Path, *, ccw: int | None = None, n: int = 12, fmt: str | None = None, w: int = 64, h: int = 32):
    """A clip whose coded top-left quadrant is red, with a frame counter in the right edge."""
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream("libx264", rate=10, options={"g": "5"})
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        if ccw is not None:
            stream.set_display_rotation(ccw)
        for i in range(n):
            image = np.full((h, w, 3), 40, np.uint8)
            image[: h // 2, : w // 2] = (0, 0, 255)
            image[:, -8:] = (10 + 8 * i) % 256
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@pytest.mark.parametrize("ccw, clockwise, red_corner", [(None, 0, (0, 0)), (-90, 90, (0, 1)), (180, 180, (1, 1)), (90, 270, (1, 0))])
def test_rotation_from_display_matrix_gives_upright_frames(tmp_path, ccw, clockwise, red_corner):
    path = tmp_path / f"rot{clockwise}.mp4"
    _write_clip(path, ccw=ccw)
    info = probe(path)
    assert info.rotation == clockwise
    assert (info.coded_width, info.coded_height) == (64, 32)
    assert (info.width, info.height) == ((32, 64) if clockwise in (90, 270) else (64, 32))
    with VideoReader(path, info) as r:
        image = r.read(3).image
    assert image.shape == (info.height, info.width, 3)
    hh, ww = image.shape[0] // 2, image.shape[1] // 2
    quadrants = {(qy, qx): image[qy * hh : (qy + 1) * hh, qx * ww : (qx + 1) * ww, 2].mean() for qy in (0, 1) for qx in (0, 1)}
    assert max(quadrants, key=quadrants.get) == red_corner


def test_rotate_image_turns_clockwise():
    image = np.arange(6, dtype=np.uint8).reshape(2, 3, 1).repeat(3, axis=2)
    np.testing.assert_array_equal(_av.rotate_image(image, 90), np.rot90(image, k=-1))
    np.testing.assert_array_equal(_av.rotate_image(image, 180), np.rot90(image, k=2))
    np.testing.assert_array_equal(_av.rotate_image(image, 270), np.rot90(image, k=1))


def test_stream_without_timestamps(tmp_path):
    """A raw H.264 elementary stream: no pts, no dts, no seeking; frames are counted and decoded in order."""
    path = tmp_path / "raw.h264"
    _write_clip(path, fmt="h264", n=30)
    info = probe(path)
    assert info.frame_count == 30 and info._index.mode == "counter"
    assert info.nominal_fps == pytest.approx(10.0) and info.fps == pytest.approx(10.0)
    with VideoReader(path, info) as r:
        seq = [crc(f.image) for f in r.frames()]
        for i in (29, 3, 17, 0, 18, 2):
            assert crc(r.read(i).image) == seq[i]
    assert len(set(seq)) == 30  # each frame distinct, so a wrong index could not pass


@pytest.mark.parametrize(
    "suffix, codec, exact_by",
    [(".ts", "libx264", "demux"), (".mkv", "libx264", "demux"), (".mkv", "libx265", "demux"), (".avi", "mpeg4", "decode")],
)
def test_other_containers_and_codecs(tmp_path, suffix, codec, exact_by):
    """MPEG-TS seeks by dts, mp4/mkv by pts; MPEG-4 part 2 is counted by decoding. All must be exact."""
    if codec not in av.codecs_available:
        pytest.skip(f"{codec} not in this FFmpeg build")
    path = tmp_path / f"clip{suffix}"
    options = {"x265-params": "keyint=20:log-level=none"} if codec == "libx265" else {"g": "15", "bf": "3"}
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=25, options=options)
        stream.width, stream.height, stream.pix_fmt = 128, 96, "yuv420p"
        for i in range(60):
            image = np.zeros((96, 128, 3), np.uint8)
            image[:, 2 * i : 2 * i + 10] = 255
            image[80:, :] = 4 * i
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    info = probe(path)
    assert info.frame_count == 60 and info._index.exact_by == exact_by
    assert info.fps == pytest.approx(25.0) and info.timestamps[-1] == pytest.approx(59 / 25)
    assert info._index.prefer_alt == (suffix == ".ts")
    # a reader that starts with the wrong kind of seek timestamp must notice and still be exact
    wrong = dataclasses.replace(info, _index=dataclasses.replace(info._index, prefer_alt=not info._index.prefer_alt))
    for candidate in (info, wrong):
        with VideoReader(path, candidate) as r:
            seq = [crc(f.image) for f in r.frames()]
            assert len(set(seq)) == 60
            rng = random.Random(3)
            for i in [rng.randrange(60) for _ in range(30)]:
                assert crc(r.read(i).image) == seq[i], f"frame {i}"


def test_video_layer_imports_no_qt():
    code = (
        "import sys; sys.modules['PySide6'] = None; sys.modules['pyqtgraph'] = None\n"
        "import retail_desktop.video as v; print(v.VideoReader.__name__)"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
