"""Heatmap arithmetic: presence in person-seconds, distinct visitors, windows, decay, reset, PNG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retail_desktop.analytics.heatmap import (
    HeatmapAccumulator,
    HeatmapWindow,
    colorize,
    compose,
    foot_points,
    save_png,
)
from retail_desktop.errors import UserError


def _tracks(rows):
    return pd.DataFrame(rows, columns=["frame", "time_s", "track_id", "x1", "y1", "x2", "y2", "confidence", "source"])


def test_foot_point_is_the_bottom_centre_of_the_box():
    x, y = foot_points(np.array([10.0]), np.array([20.0]), np.array([30.0]), np.array([100.0]))
    assert (x[0], y[0]) == (20.0, 100.0)
    acc = HeatmapAccumulator(100, 100, cell_px=10)
    # The box's centre (20, 60) lies in cell (6, 2); its foot (20, 100 -> clipped 99) in cell (9, 2).
    acc.add_tracks(_tracks([(0, 0.0, 1, 10, 20, 30, 100, 0.9, "detected")]), fps=10)
    grid = acc.grid("presence")
    assert grid[9, 2] == pytest.approx(0.1) and grid.sum() == pytest.approx(0.1)


def test_presence_is_person_seconds_and_visitors_are_distinct_tracks():
    acc = HeatmapAccumulator(40, 20, cell_px=20)  # two cells: left, right
    fps = 4.0
    rows = []
    for f in range(8):  # track 1 stands in the left cell for 2 s
        rows.append((f, f / fps, 1, 0, 0, 10, 10, 0.9, "detected"))
    for f in range(4):  # tracks 2 and 3 each spend 1 s in the right cell
        rows.append((f, f / fps, 2, 20, 0, 30, 10, 0.9, "detected"))
        rows.append((f + 4, (f + 4) / fps, 3, 25, 0, 35, 10, 0.9, "detected"))
    acc.add_tracks(_tracks(rows), fps=fps)
    assert acc.grid("presence").tolist() == [[2.0, 2.0]]
    assert acc.grid("visitors").tolist() == [[1.0, 2.0]]


def test_frame_durations_come_from_the_video_timestamps():
    acc = HeatmapAccumulator(10, 10, cell_px=10)
    timestamps = np.array([0.0, 0.1, 0.4, 0.5])  # variable frame rate
    acc.add_tracks(_tracks([(f, timestamps[f], 1, 0, 0, 5, 5, 1, "detected") for f in range(4)]), timestamps=timestamps)
    # 0.1 + 0.3 + 0.1 + (last frame: the median interval, 0.1)
    assert acc.grid("presence")[0, 0] == pytest.approx(0.6)


def test_windows_count_exactly_the_points_inside_them():
    acc = HeatmapAccumulator(10, 10, cell_px=10)
    times = np.arange(0, 10.0, 0.5)  # 20 points, one per 0.5 s, 0.5 s each
    acc.add(times, np.arange(20) % 3, np.full(20, 5.0), np.full(20, 5.0), dt_s=0.5)
    assert acc.grid("presence")[0, 0] == pytest.approx(10.0)
    last3 = HeatmapWindow("last", seconds=3.0)
    assert last3.bounds(6.0) == (3.0, 6.0)
    assert acc.window_grid("presence", last3, 6.0)[0, 0] == pytest.approx(7 * 0.5)  # 3.0, 3.5 ... 6.0
    assert acc.window_grid("presence", HeatmapWindow("range", t0=1.0, t1=2.0))[0, 0] == pytest.approx(1.5)
    assert acc.window_grid("visitors", HeatmapWindow("range", t0=1.0, t1=1.5))[0, 0] == 2  # tracks 2 and 0
    assert acc.grid("presence", t0=20.0)[0, 0] == 0.0
    # Moving the window forgets what fell out of it: nothing only grows.
    assert acc.window_grid("presence", last3, 9.5)[0, 0] == pytest.approx(7 * 0.5)


def test_decay_halves_the_weight_per_half_life():
    acc = HeatmapAccumulator(20, 10, cell_px=10)
    acc.add([0.0, 2.0], [1, 2], [5.0, 15.0], [5.0, 5.0], dt_s=1.0)
    grid = acc.grid("presence", t1=2.0, half_life_s=2.0)
    assert grid[0, 0] == pytest.approx(0.5) and grid[0, 1] == pytest.approx(1.0)
    acc.add([1.0], [1], [5.0], [5.0], dt_s=1.0)  # visitors keep the track's most recent point
    assert acc.grid("visitors", t1=2.0, half_life_s=2.0)[0, 0] == pytest.approx(0.5 ** 0.5)


def test_reset_empties_and_points_can_arrive_out_of_order():
    acc = HeatmapAccumulator(10, 10, cell_px=10)
    acc.add([5.0], [1], [1.0], [1.0], 1.0)
    acc.add([1.0], [2], [1.0], [1.0], 1.0)
    assert acc.time_range == (1.0, 5.0)
    assert acc.grid("presence", t1=2.0)[0, 0] == 1.0
    acc.reset()
    assert len(acc) == 0 and acc.grid("presence").sum() == 0.0


def test_bad_mode_and_window_are_refused():
    acc = HeatmapAccumulator(10, 10)
    with pytest.raises(UserError):
        acc.grid("density")
    with pytest.raises(ValueError):
        HeatmapWindow("last", seconds=0)
    with pytest.raises(ValueError):
        HeatmapWindow("last").bounds(None)


def test_colorize_and_png_export(tmp_path):
    grid = np.array([[0.0, 1.0], [4.0, 2.0]])
    rgba = colorize(grid, "inferno")
    assert rgba.shape == (2, 2, 4) and rgba[0, 0, 3] == 0 and rgba[1, 0, 3] == 255
    assert tuple(rgba[1, 0, :3]) == (252, 255, 164)  # the map's top colour at the maximum
    image = compose(rgba, 20, 10)
    assert image.shape == (10, 20, 3) and (image[:5, :10] == 0).all()
    out = save_png(image, tmp_path / "heat.png")
    import cv2

    assert np.array_equal(cv2.imread(str(out))[..., ::-1], image)
    with pytest.raises(UserError):
        save_png(image, tmp_path / "heat.jpg")
