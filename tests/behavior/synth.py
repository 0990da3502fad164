"""Synthetic tracks for unit tests of the behaviour package: a person who walks, then stands."""

from __future__ import annotations

import numpy as np
import pandas as pd


def walk_then_stop(fps: float, *, seconds: float = 12.0, speed_px_s: float = 60.0, height: float = 100.0,
                   x0: float = 50.0, scale: float = 1.0, jitter: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Frames at ``fps``: walking right for the first half, standing still for the second half."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, seconds, 1.0 / fps)
    half = seconds / 2
    x = x0 + speed_px_s * np.minimum(t, half)
    y = np.full_like(t, 300.0)
    x = x + rng.normal(0, jitter, len(t))
    w = height * 0.4
    return pd.DataFrame({
        "time": t, "frame": np.arange(len(t)),
        "x1": scale * (x - w / 2), "y1": scale * (y - height), "x2": scale * (x + w / 2), "y2": scale * y,
        "label": np.where(t < half, "walking", "standing"),
    })


def sequence_table(n_tracks: int = 8, fps: float = 10.0, seed: int = 0) -> pd.DataFrame:
    parts = []
    for k in range(n_tracks):
        df = walk_then_stop(fps, speed_px_s=40 + 10 * k, jitter=0.5, seed=seed + k)
        parts.append(df.assign(camera="cam", run_id=1, track=k))
    return pd.concat(parts, ignore_index=True)
