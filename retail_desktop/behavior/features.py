"""Per-point motion features of a track, resampled to a fixed rate and cut into fixed-duration windows.

Why these choices:

- Positions are the box's foot point and every length is divided by the box height, so "one body
  height per second" means the same on a wide-angle ceiling camera and on a close-up one.
- Tracks are resampled in *time* (linear interpolation to ``rate_hz``) before anything is computed, so
  a 7 fps and a 30 fps recording of the same walk give the same numbers and the same window length.
- The settings travel with every model (``FeatureSettings.to_dict``): a model is only valid on inputs
  built exactly as in training.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Sequence

import numpy as np

#: Names of the per-step features, in column order (zone distance is appended when enabled).
BASE_FEATURES = ("vx", "vy", "ax", "ay", "speed", "heading_change", "stop", "dlog_h", "dlog_w", "aspect")


@dataclass(frozen=True)
class FeatureSettings:
    """How a track becomes model input. Saved with every model and checked when one is loaded."""

    rate_hz: float = 10.0          # resampling rate of every track
    window_s: float = 2.0          # duration of one window
    stride_s: float = 0.5          # step between consecutive windows
    stop_speed: float = 0.15       # body heights per second below which a point counts as stopped
    smooth_s: float = 0.3          # moving-average span applied to positions before differencing
    zone_distance: bool = False    # add distance to the nearest zone (body heights) as a feature
    min_label_fraction: float = 0.5  # a training window needs this share of its steps labelled

    @property
    def steps(self) -> int:
        return max(2, int(round(self.window_s * self.rate_hz)))

    @property
    def feature_names(self) -> tuple[str, ...]:
        return BASE_FEATURES + (("zone_dist",) if self.zone_distance else ())

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FeatureSettings":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown feature settings: {sorted(unknown)}")
        return cls(**data)


@dataclass
class ResampledTrack:
    """One track on the fixed time grid: ``times`` (s), the source frame nearest each step, the box
    per step and the feature matrix ``(steps, n_features)``."""

    times: np.ndarray
    frames: np.ndarray
    boxes: np.ndarray
    features: np.ndarray
    labels: np.ndarray | None = None  # object array of labels per step ("" = unlabelled)
    meta: dict[str, Any] = field(default_factory=dict)


def _smooth(x: np.ndarray, n: int) -> np.ndarray:
    if n <= 1 or len(x) < 3:
        return x
    n = min(n, len(x) if len(x) % 2 else len(x) - 1)
    pad = n // 2
    xp = np.pad(x, ((pad, pad),) + ((0, 0),) * (x.ndim - 1), mode="edge")
    kernel = np.ones(n) / n
    if x.ndim == 1:
        return np.convolve(xp, kernel, mode="valid")
    return np.stack([np.convolve(xp[:, j], kernel, mode="valid") for j in range(x.shape[1])], axis=1)


def _point_to_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    denom = float(ab @ ab) or 1e-12
    t = np.clip(((p - a) @ ab) / denom, 0.0, 1.0)
    return np.linalg.norm(p - (a + t[:, None] * ab), axis=1)


def zone_distances(points: np.ndarray, zones: Sequence[np.ndarray]) -> np.ndarray:
    """Distance (pixels) from each point to the nearest zone polygon's edge, 0 inside a zone."""
    best = np.full(len(points), np.inf)
    for poly in zones:
        poly = np.asarray(poly, float)
        if len(poly) < 3:
            continue
        d = np.min([_point_to_segment(points, poly[i], poly[(i + 1) % len(poly)]) for i in range(len(poly))], axis=0)
        # ray casting for "inside"
        x, y = points[:, 0], points[:, 1]
        inside = np.zeros(len(points), bool)
        for i in range(len(poly)):
            (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % len(poly)]
            cross = ((y1 > y) != (y2 > y)) & (x < (x2 - x1) * (y - y1) / ((y2 - y1) or 1e-12) + x1)
            inside ^= cross
        best = np.minimum(best, np.where(inside, 0.0, d))
    return np.where(np.isfinite(best), best, 0.0)


def resample_track(
    times: np.ndarray,
    frames: np.ndarray,
    boxes: np.ndarray,
    settings: FeatureSettings,
    *,
    labels: Sequence[str] | None = None,
    zones: Sequence[np.ndarray] = (),
) -> ResampledTrack | None:
    """Resample one track (times in s, boxes ``x1 y1 x2 y2``) to ``settings.rate_hz`` and compute
    its features. Returns None for a track with fewer than two distinct times."""
    times = np.asarray(times, float)
    order = np.argsort(times, kind="stable")
    times, frames, boxes = times[order], np.asarray(frames)[order], np.asarray(boxes, float)[order]
    keep = np.concatenate([[True], np.diff(times) > 1e-9])
    times, frames, boxes = times[keep], frames[keep], boxes[keep]
    if len(times) < 2:
        return None
    dt = 1.0 / settings.rate_hz
    grid = np.arange(times[0], times[-1] + 1e-9, dt)
    if len(grid) < 2:
        grid = np.array([times[0], times[0] + dt])
    box = np.stack([np.interp(grid, times, boxes[:, j]) for j in range(4)], axis=1)
    nearest = np.clip(np.searchsorted(times, grid), 0, len(times) - 1)
    prev = np.clip(nearest - 1, 0, len(times) - 1)
    nearest = np.where(np.abs(times[prev] - grid) <= np.abs(times[nearest] - grid), prev, nearest)
    step_frames = np.asarray(frames)[nearest].astype(np.int64)
    step_labels = None
    if labels is not None:
        lab = np.asarray(labels, dtype=object)[order][keep]
        step_labels = lab[nearest]

    n_smooth = max(1, int(round(settings.smooth_s * settings.rate_hz)) | 1)
    w = np.maximum(box[:, 2] - box[:, 0], 1e-3)
    h = np.maximum(box[:, 3] - box[:, 1], 1e-3)
    foot = np.stack([(box[:, 0] + box[:, 2]) / 2, box[:, 3]], axis=1)
    foot_s = _smooth(foot, n_smooth)
    h_s = _smooth(h, n_smooth)
    h_ref = np.maximum(h_s, 1e-3)
    v = np.gradient(foot_s, dt, axis=0) / h_ref[:, None]
    a = np.gradient(v, dt, axis=0)
    speed = np.linalg.norm(v, axis=1)
    heading = np.arctan2(v[:, 1], v[:, 0])
    dhead = np.abs(np.angle(np.exp(1j * np.diff(heading, prepend=heading[:1]))))
    dhead = np.where(speed > settings.stop_speed, dhead, 0.0)
    stop = (speed < settings.stop_speed).astype(float)
    dlog_h = np.gradient(np.log(h), dt)
    dlog_w = np.gradient(np.log(w), dt)
    aspect = np.log(w / h)
    cols = [v[:, 0], v[:, 1], a[:, 0], a[:, 1], speed, dhead, stop, dlog_h, dlog_w, aspect]
    if settings.zone_distance:
        cols.append(zone_distances(foot, zones) / h_ref if len(zones) else np.full(len(grid), 10.0))
    feats = np.stack(cols, axis=1).astype(np.float32)
    feats = np.clip(np.nan_to_num(feats, nan=0.0, posinf=0.0, neginf=0.0), -50, 50)
    return ResampledTrack(grid, step_frames, box, feats, step_labels)


def window_starts(n_steps: int, settings: FeatureSettings, *, cover_end: bool = True) -> list[int]:
    """Start indices of the sliding windows over ``n_steps`` steps; a track shorter than one window
    gets one window (padded later), and the last window is moved to end at the track's end."""
    size = settings.steps
    if n_steps <= size:
        return [0]
    stride = max(1, int(round(settings.stride_s * settings.rate_hz)))
    starts = list(range(0, n_steps - size + 1, stride))
    if cover_end and starts[-1] != n_steps - size:
        starts.append(n_steps - size)
    return starts


def cut_window(features: np.ndarray, start: int, size: int) -> np.ndarray:
    """``size`` steps from ``start``; a short track is padded by repeating its last step."""
    win = features[start:start + size]
    if len(win) < size:
        win = np.concatenate([win, np.repeat(win[-1:], size - len(win), axis=0)], axis=0)
    return win


def window_label(labels: np.ndarray, start: int, size: int, min_fraction: float) -> str:
    """Majority label of a window's steps; "" when fewer than ``min_fraction`` of them are labelled."""
    lab = [x for x in labels[start:start + size] if x]
    if len(lab) < min_fraction * size or not lab:
        return ""
    values, counts = np.unique(np.asarray(lab, dtype=str), return_counts=True)
    return str(values[np.argmax(counts)])
