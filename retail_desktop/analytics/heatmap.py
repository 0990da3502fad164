"""Where people are: per-cell heatmaps of stored track points, for any time window.

Two measures, both from the *foot point* of each box (bottom-centre: where the person stands, not the
middle of their torso, which a raised camera projects well above the floor):

- **presence**: person-seconds spent in each cell. Each track point counts for the time its frame is on
  screen (the gap to the next frame), so strided, variable-frame-rate and 7 fps footage all measure
  seconds, not frames.
- **visitors**: how many distinct tracks touched each cell.

:class:`HeatmapAccumulator` holds a camera's points once (sorted by time, already binned to cells) and
computes the grid of any window on demand: all footage, the last N seconds before the playhead, or a
from-to range, optionally with exponential decay (half-life) towards the window's end. Nothing is
accumulated behind the caller's back: the grid is a pure function of (points, window), and
:meth:`~HeatmapAccumulator.reset` drops the points. :func:`heatmap_image` / :func:`save_png` give the
plain-function entry points the CLI and the GUI export share.

>>> import numpy as np
>>> acc = HeatmapAccumulator(width=100, height=100, cell_px=50)
>>> acc.add(time_s=[0.0, 0.1, 0.2], track_id=[1, 1, 2], foot_x=[10, 10, 80], foot_y=[90, 90, 10], dt_s=0.1)
>>> acc.grid("presence").round(2).tolist()
[[0.0, 0.1], [0.2, 0.0]]
>>> acc.grid("visitors", t0=0.05).tolist()
[[0.0, 1.0], [1.0, 0.0]]
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Sequence

import numpy as np

from retail_desktop.errors import UserError

Mode = Literal["presence", "visitors"]
MODES: tuple[str, ...] = ("presence", "visitors")

#: Colour maps as anchor colours (RGB) spread evenly over 0..1; a 256-entry table is interpolated.
COLORMAPS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "inferno": ((0, 0, 4), (40, 11, 84), (101, 21, 110), (159, 42, 99), (212, 72, 66), (245, 125, 21),
                (250, 193, 39), (252, 255, 164)),
    "viridis": ((68, 1, 84), (70, 50, 126), (54, 92, 141), (39, 127, 142), (31, 161, 135), (74, 193, 109),
                (160, 218, 57), (253, 231, 37)),
    "jet": ((0, 0, 131), (0, 60, 170), (5, 255, 255), (255, 255, 0), (250, 0, 0), (128, 0, 0)),
    "hot": ((11, 0, 0), (230, 0, 0), (255, 210, 0), (255, 255, 255)),
}


@functools.lru_cache(maxsize=None)
def colormap_lut(name: str) -> np.ndarray:
    """256x3 uint8 lookup table of a colour map in :data:`COLORMAPS` (cached: built once per map)."""
    try:
        anchors = np.asarray(COLORMAPS[name], dtype=np.float64)
    except KeyError:
        raise UserError(f"unknown colour map '{name}' (choose from {', '.join(COLORMAPS)})") from None
    x = np.linspace(0.0, 1.0, len(anchors))
    t = np.linspace(0.0, 1.0, 256)
    lut = np.stack([np.interp(t, x, anchors[:, c]) for c in range(3)], axis=1).round().astype(np.uint8)
    lut.flags.writeable = False
    return lut


def foot_points(x1: np.ndarray, y1: np.ndarray, x2: np.ndarray, y2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bottom-centre of each box (image y grows downwards, so the bottom edge is the larger y)."""
    return (np.asarray(x1, float) + np.asarray(x2, float)) / 2.0, np.maximum(np.asarray(y1, float), np.asarray(y2, float))


@dataclass(frozen=True)
class HeatmapWindow:
    """Which points a heatmap counts.

    ``kind``: "all" (every point), "last" (the ``seconds`` before the playhead, playhead included) or
    "range" (``t0``..``t1``, both inclusive). ``half_life_s`` (optional) weighs a point by
    0.5 ** (age / half_life), age measured back from the window's end.

    >>> HeatmapWindow("last", seconds=5).bounds(playhead_s=12.0)
    (7.0, 12.0)
    """

    kind: Literal["all", "last", "range"] = "all"
    seconds: float = 10.0
    t0: float | None = None
    t1: float | None = None
    half_life_s: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("all", "last", "range"):
            raise ValueError(f"window kind must be all, last or range, not {self.kind!r}")
        if self.kind == "last" and not self.seconds > 0:
            raise ValueError(f"window length must be positive, not {self.seconds!r}")
        if self.half_life_s is not None and not self.half_life_s > 0:
            raise ValueError(f"half-life must be positive, not {self.half_life_s!r}")

    def bounds(self, playhead_s: float | None = None) -> tuple[float | None, float | None]:
        """(t0, t1) in the points' time base; None: open-ended on that side."""
        if self.kind == "all":
            return None, None
        if self.kind == "last":
            if playhead_s is None:
                raise ValueError("a 'last N seconds' window needs the playhead time")
            return playhead_s - self.seconds, playhead_s
        return self.t0, self.t1


class HeatmapAccumulator:
    """A camera's foot points, binned once, from which windowed grids are computed on demand.

    The grid has ``ceil(width / cell_px)`` x ``ceil(height / cell_px)`` cells (rows = y). Points may be
    added in any order and in several calls (results arriving from a running analysis); they are kept
    sorted by time so a window costs a binary search plus the points inside it.
    """

    def __init__(self, width: int, height: int, cell_px: int = 16):
        if width <= 0 or height <= 0 or cell_px <= 0:
            raise ValueError(f"need positive width, height and cell size, got {width}x{height} / {cell_px}")
        self.width, self.height, self.cell_px = int(width), int(height), int(cell_px)
        self.shape = (math.ceil(self.height / self.cell_px), math.ceil(self.width / self.cell_px))
        #: The area the cells cover, in frame pixels (the last row/column may reach past the frame).
        self.extent = (self.shape[1] * self.cell_px, self.shape[0] * self.cell_px)
        self.reset()

    def reset(self) -> None:
        """Forget every point (a new analysis run, another camera)."""
        self._time = np.empty(0, np.float64)
        self._track = np.empty(0, np.int64)
        self._cell = np.empty(0, np.int64)
        self._dt = np.empty(0, np.float64)
        self._sorted = True

    def __len__(self) -> int:
        return len(self._time)

    @property
    def time_range(self) -> tuple[float, float] | None:
        self._sort()
        return (float(self._time[0]), float(self._time[-1])) if len(self._time) else None

    def add(self, time_s: Sequence[float] | np.ndarray, track_id: Sequence[int] | np.ndarray,
            foot_x: Sequence[float] | np.ndarray, foot_y: Sequence[float] | np.ndarray,
            dt_s: float | Sequence[float] | np.ndarray) -> None:
        """Add foot points; ``dt_s`` is how long each one's frame is on screen (person-seconds weight).

        Points outside the frame are clipped to the border cell (a box cut by the image edge still
        stands somewhere in view).
        """
        t = np.asarray(time_s, np.float64).ravel()
        n = len(t)
        ids = np.asarray(track_id, np.int64).ravel()
        fx = np.asarray(foot_x, np.float64).ravel()
        fy = np.asarray(foot_y, np.float64).ravel()
        dt = np.broadcast_to(np.asarray(dt_s, np.float64), (n,)).astype(np.float64)
        if not (len(ids) == len(fx) == len(fy) == n):
            raise ValueError("time_s, track_id, foot_x and foot_y must have the same length")
        keep = np.isfinite(t) & np.isfinite(fx) & np.isfinite(fy)
        t, ids, fx, fy, dt = t[keep], ids[keep], fx[keep], fy[keep], dt[keep]
        rows, cols = self.shape
        col = np.clip((fx // self.cell_px).astype(np.int64), 0, cols - 1)
        row = np.clip((fy // self.cell_px).astype(np.int64), 0, rows - 1)
        self._time = np.concatenate([self._time, t])
        self._track = np.concatenate([self._track, ids])
        self._cell = np.concatenate([self._cell, row * cols + col])
        self._dt = np.concatenate([self._dt, dt])
        self._sorted = False

    def add_tracks(self, tracks: Any, timestamps: np.ndarray | None = None, fps: float | None = None) -> None:
        """Add a store track frame (``Store.track_array``: frame, time_s, track_id, x1, y1, x2, y2, ...).

        Each point's weight is its frame's duration: from the video's ``timestamps`` when given (exact for
        variable frame rates), else ``1 / fps``, else the median gap between the points' distinct times.
        """
        if len(tracks) == 0:
            return
        frames = np.asarray(tracks["frame"], np.int64)
        times = np.asarray(tracks["time_s"], np.float64)
        if timestamps is not None and len(timestamps) > 1:
            ts = np.asarray(timestamps, np.float64)
            gaps = np.append(np.diff(ts), np.median(np.diff(ts)))
            dt = gaps[np.clip(frames, 0, len(ts) - 1)]
        elif fps:
            dt = np.full(len(frames), 1.0 / fps)
        else:
            distinct = np.unique(times)
            dt = np.full(len(frames), float(np.median(np.diff(distinct))) if len(distinct) > 1 else 0.04)
        fx, fy = foot_points(tracks["x1"], tracks["y1"], tracks["x2"], tracks["y2"])
        self.add(times, tracks["track_id"], fx, fy, dt)

    def _sort(self) -> None:
        if not self._sorted:
            order = np.argsort(self._time, kind="stable")
            self._time, self._track, self._cell, self._dt = (
                self._time[order], self._track[order], self._cell[order], self._dt[order]
            )
            self._sorted = True

    def grid(self, mode: str = "presence", t0: float | None = None, t1: float | None = None,
             half_life_s: float | None = None) -> np.ndarray:
        """Cell values for points with ``t0 <= time <= t1`` (None: unbounded), as float64 (rows, cols).

        presence: sum of the points' durations (person-seconds); visitors: distinct track ids per cell.
        With ``half_life_s``, each point (visitors: each track's most recent point in the cell) is
        weighed by 0.5 ** ((t_end - time) / half_life_s), ``t_end`` being ``t1`` or the last point.
        """
        if mode not in MODES:
            raise UserError(f"unknown heatmap mode '{mode}' (choose from {', '.join(MODES)})")
        self._sort()
        lo = 0 if t0 is None else int(np.searchsorted(self._time, t0, side="left"))
        hi = len(self._time) if t1 is None else int(np.searchsorted(self._time, t1, side="right"))
        size = self.shape[0] * self.shape[1]
        if hi <= lo:
            return np.zeros(self.shape, np.float64)
        time, cell, track = self._time[lo:hi], self._cell[lo:hi], self._track[lo:hi]
        weight = np.ones(hi - lo)
        if half_life_s is not None:
            t_end = float(t1) if t1 is not None else float(time[-1])
            weight = np.power(0.5, np.maximum(t_end - time, 0.0) / half_life_s)
        if mode == "presence":
            values = np.bincount(cell, weights=weight * self._dt[lo:hi], minlength=size)
        else:
            # One count per (cell, track): keep the pair's largest weight (its latest point).
            order = np.argsort(-weight, kind="stable")
            keys = cell[order] * (int(track.max()) - int(track.min()) + 1) + (track[order] - int(track.min()))
            _, first = np.unique(keys, return_index=True)
            values = np.bincount(cell[order][first], weights=weight[order][first], minlength=size)
        return values.reshape(self.shape)

    def window_grid(self, mode: str, window: HeatmapWindow, playhead_s: float | None = None) -> np.ndarray:
        t0, t1 = window.bounds(playhead_s)
        return self.grid(mode, t0, t1, window.half_life_s)


def colorize(grid: np.ndarray, colormap: str = "inferno", vmax: float | None = None,
             opacity: float = 1.0) -> np.ndarray:
    """RGBA uint8 image of ``grid``: colour from the map, alpha rising with the value (empty cells clear).

    ``vmax`` (default: the grid's maximum) is the value shown at full colour, so a live view can keep
    one scale while the window moves. Colours follow the square root of value / vmax.
    """
    lut = colormap_lut(colormap)
    top = float(vmax) if vmax else float(grid.max()) if grid.size else 0.0
    norm = np.clip(grid / top, 0.0, 1.0) if top > 0 else np.zeros_like(grid, dtype=np.float64)
    # Square root: a few cells where people stand for long would otherwise leave every path near black.
    norm = np.sqrt(norm)
    rgba = np.empty(grid.shape + (4,), np.uint8)
    rgba[..., :3] = lut[(norm * 255).round().astype(np.int64)]
    alpha = np.where(norm > 0, 0.35 + 0.65 * np.sqrt(norm), 0.0) * float(np.clip(opacity, 0.0, 1.0))
    rgba[..., 3] = (alpha * 255).round().astype(np.uint8)
    return rgba


def camera_accumulator(project: Any, camera: Any, cell_px: int = 16) -> HeatmapAccumulator:
    """Accumulator filled with the points of ``camera``'s latest completed run (its video probed for
    size and frame durations). Raises :class:`UserError` when the camera has no completed analysis."""
    from retail_desktop.video import probe

    info = probe(camera.video)
    acc = HeatmapAccumulator(info.width, info.height, cell_px)
    run = project.store.latest_run(camera.id, status="completed")
    if run is None:
        raise UserError(f"camera '{camera.name}' has no completed analysis; run retail-desktop analyze", project.path)
    acc.add_tracks(project.store.track_array(run.id), timestamps=info.timestamps)
    return acc


def heatmap_image(project: Any, camera: Any, t0: float | None = None, t1: float | None = None,
                  mode: str = "presence", *, cell_px: int = 16, colormap: str = "inferno",
                  half_life_s: float | None = None, background: np.ndarray | None = None,
                  opacity: float = 0.75) -> np.ndarray:
    """The heatmap of ``camera`` for video times ``t0..t1`` as an RGB uint8 image at the video's size.

    ``background`` (an HxWx3 RGB frame of that size) is blended under the heatmap; without it the
    heatmap is drawn on black. This is what ``heatmap`` exports and the GUI's "Export PNG" write.
    """
    acc = camera_accumulator(project, camera, cell_px)
    rgba = colorize(acc.grid(mode, t0, t1, half_life_s), colormap, opacity=opacity)
    return compose(rgba, acc.width, acc.height, background, acc.cell_px)


def compose(rgba: np.ndarray, width: int, height: int, background: np.ndarray | None = None,
            cell_px: int | None = None) -> np.ndarray:
    """Scale an RGBA cell image to ``width`` x ``height`` (nearest: cells stay crisp) over ``background``.

    With ``cell_px``, pixel (x, y) takes cell (y // cell_px, x // cell_px), exactly as points were binned
    (the last row and column of cells may reach past the frame's edge); without, the cells are stretched
    evenly over the image.
    """
    if cell_px:
        rows = (np.arange(height) // cell_px).clip(0, rgba.shape[0] - 1)
        cols = (np.arange(width) // cell_px).clip(0, rgba.shape[1] - 1)
    else:
        rows = (np.arange(height) * rgba.shape[0] // height).clip(0, rgba.shape[0] - 1)
        cols = (np.arange(width) * rgba.shape[1] // width).clip(0, rgba.shape[1] - 1)
    big = rgba[rows][:, cols].astype(np.float64)
    base = np.zeros((height, width, 3)) if background is None else np.asarray(background, np.float64)
    if base.shape[:2] != (height, width):
        raise ValueError(f"background is {base.shape[1]}x{base.shape[0]}, the heatmap {width}x{height}")
    a = big[..., 3:4] / 255.0
    return (big[..., :3] * a + base[..., :3] * (1 - a)).round().astype(np.uint8)


def save_png(image: np.ndarray, path: str | Path) -> Path:
    """Write an RGB or RGBA uint8 image as PNG, atomically (temp file + rename); OpenCV encodes it."""
    import cv2

    from retail_desktop.project.atomic import atomic_write_bytes

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise UserError("must end in .png", path)
    image = np.ascontiguousarray(image)
    if image.ndim != 3 or image.shape[2] not in (3, 4) or image.dtype != np.uint8:
        raise ValueError(f"expected an HxWx3 or HxWx4 uint8 image, got {image.shape} {image.dtype}")
    code = cv2.COLOR_RGB2BGR if image.shape[2] == 3 else cv2.COLOR_RGBA2BGRA
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(image, code))
    if not ok:
        raise UserError("could not be encoded as PNG", path)
    try:
        atomic_write_bytes(path, encoded.tobytes())
    except OSError as exc:
        raise UserError(f"cannot be written ({exc.strerror or exc})", path) from exc
    return path
