import numpy as np
import pytest

from retail_desktop.behavior.dataset import build_windows
from retail_desktop.behavior.features import (FeatureSettings, cut_window, resample_track, window_label,
                                              window_starts, zone_distances)

from synth import sequence_table, walk_then_stop


def _features(df, settings):
    rt = resample_track(df["time"].to_numpy(), df["frame"].to_numpy(), df[["x1", "y1", "x2", "y2"]].to_numpy(),
                        settings, labels=df["label"].to_numpy())
    return rt


def test_7_and_30_fps_give_the_same_windows():
    s = FeatureSettings(rate_hz=10, window_s=2.0, smooth_s=0.3)
    a = _features(walk_then_stop(7.0), s)
    b = _features(walk_then_stop(30.0), s)
    n = min(len(a.times), len(b.times))
    assert abs(len(a.times) - len(b.times)) <= 1
    # Same speed and stop flag away from the walk->stop corner (interpolation differs right at it).
    far = np.abs(a.times[:n] - 6.0) > 0.6
    speed = s.feature_names.index("speed")
    np.testing.assert_allclose(a.features[:n][far, speed], b.features[:n][far, speed], atol=0.03)
    stop = s.feature_names.index("stop")
    assert np.mean(a.features[:n][far, stop] == b.features[:n][far, stop]) > 0.97
    assert a.features.shape[1] == b.features.shape[1] == s.n_features


def test_features_are_in_body_heights_so_scale_does_not_matter():
    s = FeatureSettings()
    a = _features(walk_then_stop(25.0), s)
    b = _features(walk_then_stop(25.0, scale=3.0), s)
    np.testing.assert_allclose(a.features, b.features, atol=1e-4)
    speed = a.features[:, s.feature_names.index("speed")]
    assert speed[a.times < 5].mean() == pytest.approx(0.6, abs=0.05)  # 60 px/s at 100 px tall
    assert speed[a.times > 7].max() < s.stop_speed


def test_windows_strides_padding_and_labels():
    s = FeatureSettings(rate_hz=10, window_s=2.0, stride_s=0.5)
    assert s.steps == 20
    assert window_starts(20, s) == [0]
    assert window_starts(10, s) == [0]
    assert window_starts(47, s) == [0, 5, 10, 15, 20, 25, 27]
    feats = np.arange(30, dtype=float).reshape(10, 3)
    win = cut_window(feats, 0, 20)
    assert win.shape == (20, 3) and (win[-1] == feats[-1]).all()
    labels = np.array(["a"] * 6 + ["b"] * 4 + [""] * 10, dtype=object)
    assert window_label(labels, 0, 10, 0.5) == "a"
    assert window_label(labels, 5, 10, 0.5) == "b"      # 5 of 10 labelled, b has 4 of them
    assert window_label(labels, 8, 10, 0.5) == ""       # 2 of 10 labelled


def test_settings_round_trip_and_refuse_unknown_keys():
    s = FeatureSettings(window_s=3.0, zone_distance=True)
    assert FeatureSettings.from_dict(s.to_dict()) == s
    assert s.feature_names[-1] == "zone_dist"
    with pytest.raises(ValueError, match="unknown"):
        FeatureSettings.from_dict({"windw_s": 2})


def test_zone_distance():
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], float)
    d = zone_distances(np.array([[5, 5], [15, 5], [5, -3]], float), [square])
    np.testing.assert_allclose(d, [0, 5, 3])


def test_build_windows_groups_by_track():
    s = FeatureSettings(window_s=2.0, stride_s=1.0)
    ws = build_windows(sequence_table(4), s)
    assert ws.X.shape[1:] == (s.steps, s.n_features)
    assert set(ws.labels) == {"walking", "standing"}
    assert len(set(ws.groups)) == 4
    assert ws.fingerprint() == build_windows(sequence_table(4), s).fingerprint()
    assert ws.fingerprint() != build_windows(sequence_table(4, seed=9), s).fingerprint()
