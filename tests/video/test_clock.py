"""The project clock: project time <-> per-camera frame index, offsets, frame rates, beyond footage."""

from __future__ import annotations

import numpy as np
import pytest

from retail_desktop.video import VideoReader, probe
from retail_desktop.video.clock import CameraTimeline, ProjectClock


def test_offset_and_frame_rate_map_to_the_frame_on_screen():
    a = CameraTimeline("a", np.arange(30) / 30.0, offset_s=0.0)  # 30 fps, 1 s
    b = CameraTimeline("b", np.arange(10) / 10.0, offset_s=0.25)  # 10 fps, starts 0.25 s later
    clock = ProjectClock([a, b])
    assert (clock.start_s, clock.end_s) == (0.0, pytest.approx(1.25))
    assert clock.frames_at(0.0) == {"a": 0, "b": None}
    assert clock.frames_at(0.25) == {"a": 7, "b": 0}  # 0.25 s = a's frame 7.5 -> 7 is on screen
    assert clock.frames_at(0.349) == {"a": 10, "b": 0}
    assert clock.frames_at(0.35) == {"a": 10, "b": 1}  # exactly at b's frame 1
    assert clock.frames_at(1.0) == {"a": None, "b": 7}  # a's last frame left the screen at 1.0
    assert clock.frames_at(1.25)["b"] is None
    assert clock.time_of("b", 3) == pytest.approx(0.55)


def test_variable_frame_rate_uses_the_real_timestamps():
    ts = np.array([0.0, 0.1, 0.15, 0.4, 0.45])
    cam = CameraTimeline("v", ts, offset_s=-0.1, frame_interval_s=0.05)
    assert [cam.frame_at(t) for t in (-0.1, 0.0, 0.05, 0.29, 0.3, 0.349, 0.35, 0.399, 0.4)] == [0, 1, 2, 2, 3, 3, 4, 4, None]
    assert cam.frame_at(-0.11) is None


def test_steps_follow_the_chosen_camera_and_stop_at_the_ends():
    a = CameraTimeline("a", np.arange(30) / 30.0)
    b = CameraTimeline("b", np.arange(10) / 10.0, offset_s=0.5)
    clock = ProjectClock([a, b])
    assert clock.step(0.0, 1) == pytest.approx(1 / 30)  # default: the next change of any camera
    assert clock.step(0.49, 1) == pytest.approx(0.5)  # b's first frame comes before a's frame 15
    assert clock.step(0.5, -1) == pytest.approx(14 / 30)
    assert clock.step(1.2, 1) == pytest.approx(1.3)  # a has ended: b's frames still count
    assert clock.step(1.45, 1) == pytest.approx(1.45)  # nothing after the last frame
    assert clock.step(0.52, 1, "b") == pytest.approx(0.6)
    assert clock.step(0.52, -1, "b") == pytest.approx(0.5)  # clamped at b's first frame
    assert clock.step(0.1, 2, "b") == pytest.approx(0.6)  # before b starts: from its first frame
    assert clock.with_offset("b", 0.0).frames_at(0.1)["b"] == 1
    assert clock.frames_at(0.1)["b"] is None  # the original clock is unchanged


def test_bad_timelines_are_refused():
    with pytest.raises(ValueError):
        CameraTimeline("x", np.array([0.0, 0.0]))
    with pytest.raises(ValueError):
        CameraTimeline("x", np.array([]))
    with pytest.raises(ValueError):
        CameraTimeline("x", np.array([0.0]), offset_s=float("nan"))


@pytest.mark.parametrize("name", ["multicam/home_room_cam1.mp4", "hard/vfr_screenrec_declared25_actual15_nopeople.mp4"])
def test_clock_agrees_with_the_reader_on_real_files(data, name):
    info = probe(data(name))
    offset = 1.75
    cam = CameraTimeline.from_info("c", info, offset)
    rng = np.random.default_rng(0)
    with VideoReader(info.path, info) as reader:
        for t in rng.uniform(0, info.timestamps[-1], 50):
            assert cam.frame_at(t + offset) == reader.index_at(t)
        for i in (0, 1, info.frame_count // 2, info.frame_count - 1):
            assert cam.frame_at(cam.time_of(i)) == i
