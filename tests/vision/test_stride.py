"""StridePolicy on synthetic frames: fixed stride, and the adaptive rules (empty, still, motion burst)."""

import numpy as np

from retail_desktop.vision.stride import AdaptiveSettings, StridePolicy, thumbnail


def _frame(x=None):
    img = np.full((180, 320, 3), 90, np.uint8)
    if x is not None:
        img[60:160, x : x + 30] = 230  # a bright "person"
    return img


def _run(policy, frames, tracked):
    detected = []
    for i, img in enumerate(frames):
        t = thumbnail(img) if policy.needs_thumbnails else None
        if policy.should_detect(i, t):
            detected.append(i)
            policy.detected(i, tracked(i), t)
    return detected


def test_fixed_stride():
    p = StridePolicy(3, fps=25)
    assert _run(p, [_frame()] * 10, lambda i: 1) == [0, 3, 6, 9]
    assert p.max_interval == 3


def test_empty_still_scene_detects_once_per_empty_interval():
    p = StridePolicy("auto", fps=10, adaptive=AdaptiveSettings(empty_interval_s=1.0))
    assert _run(p, [_frame()] * 35, lambda i: 0) == [0, 10, 20, 30]


def test_someone_walking_in_triggers_detection_at_once():
    p = StridePolicy("auto", fps=10, adaptive=AdaptiveSettings(empty_interval_s=1.0))
    frames = [_frame()] * 14 + [_frame(100 + 8 * k) for k in range(10)]
    detected = _run(p, frames, lambda i: 0 if i < 14 else 1)
    assert 14 in detected  # the first frame with the person
    assert all(b - a == 1 for a, b in zip(detected[-5:], detected[-4:]))  # moving: every frame at 10 fps


def test_people_standing_still_detected_at_still_interval():
    s = AdaptiveSettings(still_interval_s=0.4, busy_interval_s=0.08)
    p = StridePolicy("auto", fps=25, adaptive=s)
    detected = _run(p, [_frame(100)] * 50, lambda i: 2)
    assert detected == list(range(0, 50, 10))
    assert p.max_interval == 10


def test_busy_interval_limits_detection_rate_at_high_fps():
    p = StridePolicy("auto", fps=30, adaptive=AdaptiveSettings(busy_interval_s=0.08))
    frames = [_frame(5 * k) for k in range(30)]
    detected = _run(p, frames, lambda i: 1)
    assert np.diff(detected).min() == 2
