"""Hand-made tracks for the metric tests: a track is a list of (frame, x, y) feet positions."""

from __future__ import annotations

import pandas as pd


def make_tracks(tracks: dict[int, list[tuple[int, float, float]]], half_w: float = 5.0, height: float = 20.0) -> pd.DataFrame:
    """Boxes whose bottom centre is (x, y): x1 = x - half_w, x2 = x + half_w, y1 = y - height, y2 = y."""
    rows = []
    for tid, points in tracks.items():
        for frame, x, y in points:
            rows.append((frame, tid, x - half_w, y - height, x + half_w, y))
    return pd.DataFrame(rows, columns=["frame", "track_id", "x1", "y1", "x2", "y2"])


def walk(track_frames: range, xs, y: float = 50.0):
    return [(f, float(x), y) for f, x in zip(track_frames, xs)]
