"""Labelled track sequences (from a project or a sequences file) and the windows a model trains on.

A *sequence table* is the exchange format: one row per track point with ``camera, run_id, track,
frame, time, x1, y1, x2, y2, label`` (``label`` empty where nobody labelled). A project's segments
become one, ``export --format sequences`` writes one to Parquet, and training reads one back, so
labels made in another project (or another tool) train the same way as this project's own.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from retail_desktop.errors import UserError

from .features import FeatureSettings, cut_window, resample_track, window_label, window_starts

SEQUENCE_COLUMNS = ("camera", "run_id", "track", "frame", "time", "x1", "y1", "x2", "y2", "label")


@dataclass
class WindowSet:
    """Windows ``X (n, steps, features)`` with their label, group (one per track or clip, for a
    split that never puts one track on both sides) and where they come from."""

    X: np.ndarray
    labels: np.ndarray           # str per window ("" = unlabelled)
    groups: np.ndarray           # str per window
    meta: pd.DataFrame           # camera, run_id, track, start_frame, end_frame
    settings: FeatureSettings

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, mask: np.ndarray) -> "WindowSet":
        return WindowSet(self.X[mask], self.labels[mask], self.groups[mask],
                         self.meta[mask].reset_index(drop=True), self.settings)

    def class_counts(self, classes: Sequence[str] | None = None) -> dict[str, int]:
        values, counts = np.unique(self.labels[self.labels != ""], return_counts=True)
        found = dict(zip(values.tolist(), counts.astype(int).tolist()))
        return {c: found.get(c, 0) for c in classes} if classes is not None else found

    def fingerprint(self) -> str:
        """SHA-256 of the windows and their labels: two runs with the same fingerprint saw the same data."""
        h = hashlib.sha256()
        h.update(json.dumps(self.settings.to_dict(), sort_keys=True).encode())
        h.update(np.ascontiguousarray(self.X, dtype=np.float32).tobytes())
        h.update("\n".join(self.labels.tolist()).encode())
        h.update("\n".join(self.groups.tolist()).encode())
        return h.hexdigest()


def camera_zones(project, camera) -> list[np.ndarray]:
    """Zone polygons (image pixels) of a camera from ``project.json``'s ``zones`` list, if any.

    Accepts entries ``{"camera": id-or-name, "points"|"polygon": [[x, y], ...]}``; anything else
    (lines, floor-plan zones) is ignored, because a distance in one camera's image needs that image."""
    from retail_desktop.errors import ProjectError

    out: list[np.ndarray] = []
    raw = project.extra.get("zones", []) or []
    if not isinstance(raw, list):
        raise ProjectError("is invalid (zones must be a list)", project.json_path)
    for z in raw:
        if not isinstance(z, dict) or z.get("camera") not in (camera.id, camera.name):
            continue
        pts = z.get("points") or z.get("polygon")
        try:
            arr = np.asarray(pts, float)
        except (TypeError, ValueError):
            continue
        if arr.ndim == 2 and arr.shape[1] == 2 and len(arr) >= 3:
            out.append(arr)
    return out


def project_sequences(project, *, taxonomy: str | None = None, accepted_only: bool = True) -> pd.DataFrame:
    """Every camera's latest completed run as a sequence table, labels from its segments
    (``taxonomy`` only, accepted ones only unless told otherwise)."""
    from retail_desktop.annotation.segments import list_segments

    parts: list[pd.DataFrame] = []
    for camera in project.cameras:
        run = project.store.latest_run(camera.id, status="completed")
        if run is None:
            continue
        df = project.store.track_array(run.id)
        if df.empty:
            continue
        segs = list_segments(project.store, run.id, taxonomy=taxonomy,
                             status="accepted" if accepted_only else None)
        labels = np.full(len(df), "", dtype=object)
        taxa = np.full(len(df), "", dtype=object)
        frames = df["frame"].to_numpy()
        tracks = df["track_id"].to_numpy()
        for s in segs:  # later segments win where segments overlap, as in frame_labels
            hit = (tracks == s.track_id) & (frames >= s.start_frame) & (frames <= s.end_frame)
            labels[hit] = s.label
            taxa[hit] = s.taxonomy
        parts.append(pd.DataFrame({
            "camera": camera.name, "run_id": int(run.id), "track": tracks.astype(np.int64),
            "frame": frames.astype(np.int64), "time": df["time_s"].to_numpy(float),
            "x1": df["x1"], "y1": df["y1"], "x2": df["x2"], "y2": df["y2"], "label": labels.astype(str),
            "taxonomy": taxa.astype(str),
        }))
    if not parts:
        return pd.DataFrame({c: [] for c in SEQUENCE_COLUMNS + ("taxonomy",)})
    return pd.concat(parts, ignore_index=True)


def read_sequences(path: str | Path) -> pd.DataFrame:
    """A sequences Parquet file (see ``docs/architecture.md``), checked for the columns training needs."""
    path = Path(path)
    if not path.is_file():
        raise UserError("sequences file not found", path)
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many kinds for a file that is not Parquet
        raise UserError(f"is not a readable Parquet sequences file ({type(exc).__name__})", path) from exc
    missing = [c for c in SEQUENCE_COLUMNS if c not in df.columns and c != "run_id"]
    if missing:
        raise UserError(f"lacks sequence columns {missing} (expected {', '.join(SEQUENCE_COLUMNS)})", path)
    if "run_id" not in df.columns:
        df["run_id"] = 0
    df["label"] = df["label"].fillna("").astype(str)
    return df


def build_windows(
    seq: pd.DataFrame,
    settings: FeatureSettings,
    *,
    labelled_only: bool = True,
    group_by: str = "track",
    zones: dict[str, list[np.ndarray]] | None = None,
) -> WindowSet:
    """Cut every track of a sequence table into windows (see :mod:`.features`).

    ``group_by``: ``"track"`` (camera + run + track) or ``"camera"`` (a whole clip), the unit a
    validation split keeps on one side."""
    size = settings.steps
    X: list[np.ndarray] = []
    labels: list[str] = []
    groups: list[str] = []
    meta: list[tuple] = []
    keys = ["camera", "run_id", "track"]
    for (camera, run_id, track), g in seq.groupby(keys, sort=True):
        lab = g["label"].to_numpy(dtype=object) if "label" in g else None
        if labelled_only and (lab is None or not any(lab)):
            continue
        rt = resample_track(g["time"].to_numpy(float), g["frame"].to_numpy(np.int64),
                            g[["x1", "y1", "x2", "y2"]].to_numpy(float), settings, labels=lab,
                            zones=(zones or {}).get(str(camera), ()))
        if rt is None:
            continue
        for start in window_starts(len(rt.times), settings):
            label = window_label(rt.labels, start, size, settings.min_label_fraction) if rt.labels is not None else ""
            if labelled_only and not label:
                continue
            X.append(cut_window(rt.features, start, size))
            labels.append(label)
            groups.append(f"{camera}" if group_by == "camera" else f"{camera}/{run_id}/{track}")
            end = min(start + size, len(rt.frames)) - 1
            meta.append((str(camera), int(run_id), int(track), int(rt.frames[start]), int(rt.frames[end])))
    arr = np.stack(X).astype(np.float32) if X else np.zeros((0, size, settings.n_features), np.float32)
    return WindowSet(arr, np.asarray(labels, dtype=str) if labels else np.array([], str),
                     np.asarray(groups, dtype=str) if groups else np.array([], str),
                     pd.DataFrame(meta, columns=["camera", "run_id", "track", "start_frame", "end_frame"]),
                     settings)


def sequences_with_features(seq: pd.DataFrame, settings: FeatureSettings | None = None) -> pd.DataFrame:
    """The sequence table plus per-point feature columns ``f_<name>`` computed at the points' own
    times (not resampled), for people who analyse the export elsewhere."""
    settings = settings or FeatureSettings()
    # Features at each point's own time: resample at the track's own median rate, read back by frame.
    out = seq.copy()
    for name in settings.feature_names:
        out[f"f_{name}"] = np.float32(0.0)
    for _, idx in seq.groupby(["camera", "run_id", "track"]).indices.items():
        g = seq.iloc[idx]
        t = g["time"].to_numpy(float)
        if len(t) < 2:
            continue
        rate = 1.0 / max(float(np.median(np.diff(np.sort(t)))), 1e-3)
        local = FeatureSettings(**{**settings.to_dict(), "rate_hz": rate})
        rt = resample_track(t, g["frame"].to_numpy(np.int64), g[["x1", "y1", "x2", "y2"]].to_numpy(float), local)
        if rt is None:
            continue
        pos = np.clip(np.searchsorted(rt.times, t - 1e-9), 0, len(rt.times) - 1)
        for j, name in enumerate(settings.feature_names):
            out.iloc[idx, out.columns.get_loc(f"f_{name}")] = rt.features[pos, j]
    return out


def dataset_summary(ws: WindowSet, classes: Iterable[str]) -> dict[str, Any]:
    return {"windows": len(ws), "groups": int(len(set(ws.groups.tolist()))),
            "class_counts": ws.class_counts(list(classes)), "sha256": ws.fingerprint()}
