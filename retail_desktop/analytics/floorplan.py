"""Floor plan: one image of the store, and per camera a homography from its pixels to plan pixels.

A homography is right for points on the floor (a plane), which is why feet — the bottom-centre
anchor — are what gets mapped. It is fitted from >= 4 point pairs (camera pixel <-> plan pixel) a
person clicks on landmarks visible in both (tile corners, shelf feet); the reprojection error (how
far the fitted mapping puts each camera point from its plan point, in plan pixels) tells whether the
pairs agree. Stored in ``project.json``: ``floor_plan`` = ``{"image", "size", "pairs": {camera id:
[[cx, cy, px, py], ...]}}`` and the fitted matrix in the camera's ``homography``.

Zones drawn on the plan have camera id :data:`PLAN_ID`; their metrics use every calibrated camera's
tracks mapped onto the plan (one row per camera and plan zone: track ids are per camera).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from retail_desktop.errors import UserError

PLAN_ID = "plan"
PLAN_KEY = "floor_plan"


@dataclass
class Calibration:
    homography: np.ndarray  # 3x3, camera pixel -> plan pixel
    errors: np.ndarray  # per pair, plan pixels

    @property
    def rms(self) -> float:
        return float(np.sqrt(np.mean(self.errors ** 2)))


def _normalise(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hartley normalisation: centroid at 0, mean distance sqrt(2); keeps the DLT well conditioned."""
    c = pts.mean(axis=0)
    d = np.sqrt(((pts - c) ** 2).sum(axis=1)).mean()
    s = np.sqrt(2) / d if d > 0 else 1.0
    t = np.array([[s, 0, -s * c[0]], [0, s, -s * c[1]], [0, 0, 1]])
    return (np.c_[pts, np.ones(len(pts))] @ t.T)[:, :2], t


def apply_homography(h: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h = np.asarray(h, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    return (h[0, 0] * x + h[0, 1] * y + h[0, 2]) / w, (h[1, 0] * x + h[1, 1] * y + h[1, 2]) / w


def fit_homography(camera_pts: Sequence[Sequence[float]], plan_pts: Sequence[Sequence[float]]) -> Calibration:
    """Least-squares homography (normalised DLT) from >= 4 pairs; refuses too few pairs and
    degenerate ones (three of four on a line, repeated points)."""
    src = np.asarray(camera_pts, dtype=np.float64)
    dst = np.asarray(plan_pts, dtype=np.float64)
    if src.ndim != 2 or src.shape[1:] != (2,) or src.shape != dst.shape:
        raise UserError("point pairs must be matching lists of [x, y] (camera) and [x, y] (plan)")
    if len(src) < 4:
        raise UserError(f"a floor-plan homography needs at least 4 point pairs, got {len(src)}")
    if not (np.isfinite(src).all() and np.isfinite(dst).all()):
        raise UserError("point pairs must be finite numbers")
    for pts, side in ((src, "camera"), (dst, "plan")):
        centred = pts - pts.mean(axis=0)
        sv = np.linalg.svd(centred, compute_uv=False)
        if sv[1] < 1e-6 * max(sv[0], 1e-12):
            raise UserError(f"the {side} points all lie on one line; spread them over the floor")
    ns, ts = _normalise(src)
    nd, td = _normalise(dst)
    rows = []
    for (x, y), (u, v) in zip(ns, nd):
        rows.append([-x, -y, -1, 0, 0, 0, u * x, u * y, u])
        rows.append([0, 0, 0, -x, -y, -1, v * x, v * y, v])
    _, s, vt = np.linalg.svd(np.asarray(rows))
    hn = vt[-1].reshape(3, 3)
    h = np.linalg.inv(td) @ hn @ ts
    if abs(h[2, 2]) < 1e-12 or np.linalg.matrix_rank(h) < 3:
        raise UserError("these point pairs do not define a usable mapping (degenerate); pick other landmarks")
    h = h / h[2, 2]
    px, py = apply_homography(h, src[:, 0], src[:, 1])
    errors = np.hypot(px - dst[:, 0], py - dst[:, 1])
    return Calibration(h, errors)


# ------------------------------------------------------------------------------ project storage

def floor_plan(project) -> dict | None:
    data = project.extra.get(PLAN_KEY)
    return data if isinstance(data, dict) else None


def set_plan_image(project, image: str | Path, size: tuple[int, int]) -> None:
    """Record the plan image (path stored absolute) and its size in pixels; saves."""
    path = Path(image).expanduser().absolute()
    if not path.is_file():
        raise UserError("floor plan image not found", path)
    previous = project.extra.get(PLAN_KEY)
    data = dict(previous or {})
    data.update(image=str(path), size=[int(size[0]), int(size[1])])
    data.setdefault("pairs", {})
    project.extra[PLAN_KEY] = data
    try:
        project.save()
    except BaseException:
        project.extra[PLAN_KEY] = previous
        raise


def calibrate_camera(project, camera_name: str, pairs: Sequence[Sequence[float]]) -> Calibration:
    """Fit camera ``camera_name``'s homography from ``[[cx, cy, px, py], ...]``, store it and the pairs
    (atomic save; on any error nothing changes) and return it with its reprojection errors."""
    camera = project.camera(camera_name)
    if camera is None:
        known = ", ".join(c.name for c in project.cameras) or "none"
        raise UserError(f"no camera named '{camera_name}' (cameras: {known})", project.path)
    plan = floor_plan(project)
    if plan is None:
        raise UserError("load a floor plan image first", project.path)
    arr = np.asarray(pairs, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise UserError("point pairs must be rows of camera x, camera y, plan x, plan y")
    cal = fit_homography(arr[:, :2], arr[:, 2:])
    old_h, old_plan = camera.homography, dict(plan)
    camera.homography = cal.homography.tolist()
    plan["pairs"] = dict(plan.get("pairs", {}), **{camera.id: arr.tolist()})
    try:
        project.save()
    except BaseException:
        camera.homography = old_h
        project.extra[PLAN_KEY] = old_plan
        raise
    return cal


def to_plan(tracks: pd.DataFrame, homography, anchor: str = "bottom-center") -> pd.DataFrame:
    """Tracks with their anchor mapped to the plan, as zero-size boxes at the plan point (so any
    anchor of them is that point and the metrics run unchanged on plan coordinates)."""
    from .metrics import anchors

    x, y = anchors(tracks, anchor)
    px, py = apply_homography(np.asarray(homography), x, y)
    out = tracks.copy()
    out["x1"], out["x2"], out["y1"], out["y2"] = px, px, py, py
    return out


def calibration_report(project) -> dict[str, Calibration]:
    """Camera name -> its fit from the stored pairs (for showing reprojection errors)."""
    plan = floor_plan(project) or {}
    out = {}
    for cam in project.cameras:
        pairs = (plan.get("pairs") or {}).get(cam.id)
        if pairs:
            arr = np.asarray(pairs, dtype=np.float64)
            try:
                out[cam.name] = fit_homography(arr[:, :2], arr[:, 2:])
            except UserError:
                continue
    return out


def plan_points(project, anchor: str = "bottom-center", task=None) -> dict[str, np.ndarray]:
    """Camera name -> (N, 2) plan positions of the anchors of its latest completed run, for every
    calibrated camera (the plan view's foot points and heatmap)."""
    out: dict[str, np.ndarray] = {}
    for cam in project.cameras:
        if cam.homography is None:
            continue
        run = project.store.latest_run(cam.id, status="completed")
        if run is None:
            continue
        mapped = to_plan(project.store.track_array(run.id), cam.homography, anchor)
        out[cam.name] = np.c_[mapped["x1"].to_numpy(), mapped["y1"].to_numpy()]
    return out


def plan_heatmap(points: dict[str, np.ndarray], size: tuple[int, int], cell_px: float = 10.0) -> np.ndarray:
    """Presence heatmap over the plan: number of track points per ``cell_px`` square, all cameras
    together; shape (rows, columns) = (ceil(h / cell), ceil(w / cell))."""
    w, h = size
    nx, ny = int(np.ceil(w / cell_px)), int(np.ceil(h / cell_px))
    allp = np.concatenate([p for p in points.values() if len(p)] or [np.zeros((0, 2))])
    hist, _, _ = np.histogram2d(allp[:, 1], allp[:, 0], bins=[ny, nx], range=[[0, ny * cell_px], [0, nx * cell_px]])
    return hist
