"""Tracks from ground truth (CAVIAR CVML, MOTChallenge) into a project, as a completed run.

Imported tracks land exactly where analysed ones do (an ``analysis_runs`` row plus ``track_points``),
so the player, the metrics and the exports treat real annotations and tracker output alike; the run's
config says ``{"imported": format, "file": ..., "sha256": ...}`` so nobody mistakes one for the other.

A camera that has no footage (CAVIAR ships XML only) gets the ground-truth file as its ``video`` and
its frame rate and size in the camera entry (``frame_rate``, ``frame_size``), which is all the
analytics need. Importing the same file again into the same camera reuses the camera's current run
(its newest completed one) when that run came from this file: nothing is duplicated, labels added on
top of it are never thrown away, and a ``--labels`` choice not imported yet adds its segments to that
run. (A new run there would become the camera's current run and hide the first one's labels from every
command.) A new run that does make an older labelled run stop being current says so.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from retail_desktop.digests import file_sha256
from retail_desktop.errors import UserError
from retail_desktop.project import Project, TrackPoint
from retail_desktop.project.model import AnalysisRun

from .caviar import CAVIAR_FPS, CAVIAR_SIZE, read_caviar
from .segments import Segment, add_segments, label_runs
from .taxonomy import load_taxonomy

#: ``--labels`` choice -> (CVML field, taxonomy name).
CAVIAR_LABELS = {"movement": ("movement", "caviar-movement"), "situation": ("situation", "caviar-situation")}


@dataclass
class ImportResult:
    camera: str
    run: AnalysisRun
    tracks: int
    boxes: int
    segments: int
    already_imported: bool = False
    taxonomy: str | None = None
    #: (run id, labelled segments) of the run that was current before this import and no longer is.
    superseded: tuple[int, int] | None = None

    def line(self) -> str:
        if self.already_imported:
            head = f"{self.camera}: already imported as run {self.run.id} ({self.tracks} tracks, {self.boxes} boxes)"
            if self.segments:
                return f"{head}; added {self.segments} labelled segments ({self.taxonomy})"
            return f"{head}; nothing changed"
        line = (f"{self.camera}: imported {self.tracks} tracks, {self.boxes} boxes"
                + (f", {self.segments} labelled segments" if self.segments else "") + f" (run {self.run.id})")
        if self.superseded is not None:
            old, n = self.superseded
            line += (f"; note: run {old} ({n} labelled segments) is kept but is no longer this camera's current "
                     f"run (commands use the newest); import into another camera with --camera to keep both in use")
        return line


def _camera_for(project: Project, name: str, source: Path, fps: float, size: tuple[int, int] | None):
    camera = project.camera(name)
    if camera is not None:
        return camera
    camera = project.add_camera(name, source)
    camera.extra.update(frame_rate=float(fps), frame_size=list(size) if size else None, ground_truth=str(source))
    project.save()
    return camera


def camera_fps(project: Project, camera, run=None) -> float:
    """Frame rate of a camera: from the camera entry (imported ground truth), else from the analysis
    run's summary, else by probing its footage. The run comes before the probe so that a camera whose
    video was moved still has figures (and metrics don't rescan every video each time)."""
    if camera.extra.get("frame_rate") is not None:
        raw = camera.extra["frame_rate"]
        try:
            fps = float(raw)
        except (TypeError, ValueError):
            fps = float("nan")
        if not (np.isfinite(fps) and fps > 0):
            from retail_desktop.errors import ProjectError

            raise ProjectError(f"is invalid (camera '{camera.name}': frame_rate must be a positive number, "
                               f"not {raw!r})", project.json_path)
        return fps
    if run is None:
        run = project.store.latest_run(camera.id, status="completed")
    if run is not None and float((run.summary or {}).get("video_fps") or 0) > 0:
        return float(run.summary["video_fps"])
    from retail_desktop.video import probe

    return float(probe(camera.video).fps)


def store_tracks(
    project: Project,
    camera_name: str,
    tracks: pd.DataFrame,
    *,
    source: Path,
    fmt: str,
    fps: float,
    size: tuple[int, int] | None,
    segments: Iterable[tuple[int, int, int, str]] = (),
    taxonomy: str | None = None,
) -> ImportResult:
    """Store ``tracks`` (frame, track_id, x1, y1, x2, y2[, confidence]) as one completed run.

    ``segments`` are ``(track_id, start_frame, end_frame, label)`` stored under ``taxonomy`` with
    source ``import``, in the same call (if writing them fails the run is deleted again).
    """
    if not np.isfinite(fps) or fps <= 0:
        raise UserError(f"frame rate must be a positive number, got {fps}", source)
    if size is not None and len(tracks):
        # Ground truth may reach a little past the frame (people half out of view), never far past it:
        # boxes that do mean the frame size is wrong, and zones checked against it would be refused.
        reach_x, reach_y = float(tracks["x2"].max()), float(tracks["y2"].max())
        if reach_x > 1.5 * size[0] or reach_y > 1.5 * size[1]:
            raise UserError(f"the boxes reach x={reach_x:g}, y={reach_y:g}, far beyond a frame of {size[0]}x{size[1]}; "
                            "check --size", source)
    camera = _camera_for(project, camera_name, source, fps, size)
    digest = file_sha256(source)
    config = {"imported": fmt, "file": str(source), "sha256": digest, "labels": taxonomy}
    store = project.store
    current = store.latest_run(camera.id, status="completed")
    if current is not None and current.config.get("imported") == fmt and current.config.get("sha256") == digest:
        return _reuse(store, camera.name, current, segments, taxonomy)
    frames = tracks["frame"].to_numpy(np.int64)
    conf = tracks["confidence"].to_numpy(float) if "confidence" in tracks else np.ones(len(tracks))
    # Ground truth is "manual"; a format that fills frames between keyframes says "interpolated".
    sources = tracks["source"].tolist() if "source" in tracks else ["manual"] * len(tracks)
    points = [
        TrackPoint(int(f), float(f) / fps, int(t), float(a), float(b), float(c), float(d), float(s), src)
        for f, t, a, b, c, d, s, src in zip(frames, tracks["track_id"], tracks["x1"], tracks["y1"], tracks["x2"],
                                            tracks["y2"], conf, sources)
    ]
    last = int(frames.max()) if len(frames) else -1
    superseded = None
    if current is not None:
        n_labelled = store.query("SELECT count(*) FROM segments WHERE run_id = ? AND status != 'suggestion'",
                                 (current.id,))[0][0]
        superseded = (current.id, int(n_labelled)) if n_labelled else None
    run = store.begin_run(camera.id, config, frames_total=last + 1)
    try:
        store.commit(run.id, last, points)
        segs = [Segment(None, run.id, int(t), int(a), int(b), lab, taxonomy or "", source="import")
                for t, a, b, lab in segments]
        if segs:
            add_segments(store, segs)
        store.finish_run(run.id, "completed", {"frames": last + 1, "tracks": int(tracks["track_id"].nunique()),
                                               "boxes": len(points), "imported": fmt})
    except BaseException:
        store.delete_run(run.id)
        raise
    return ImportResult(camera.name, store.run(run.id), int(tracks["track_id"].nunique()), len(points), len(segs),
                        taxonomy=taxonomy, superseded=superseded)


def _reuse(store, camera_name: str, run: AnalysisRun, segments, taxonomy: str | None) -> ImportResult:
    """The camera's current run came from this very file: add this import's labels if that taxonomy's
    imported segments are not there yet, change nothing else."""
    n_tracks, n_boxes = len(store.track_ids(run.id)), store.count_points(run.id)
    added = 0
    if taxonomy:
        have = store.query("SELECT count(*) FROM segments WHERE run_id = ? AND taxonomy = ? AND source = 'import'",
                           (run.id, taxonomy))[0][0]
        segs = [Segment(None, run.id, int(t), int(a), int(b), lab, taxonomy, source="import") for t, a, b, lab in segments]
        if not have and segs:
            add_segments(store, segs)
            added = len(segs)
    return ImportResult(camera_name, run, n_tracks, n_boxes, added, already_imported=True, taxonomy=taxonomy)


def import_caviar(project: Project, path: str | os.PathLike[str], *, camera: str | None = None,
                  labels: str = "none", fps: float | None = None,
                  size: tuple[int, int] | None = None) -> ImportResult:
    """Import a CAVIAR CVML file; ``labels`` = movement | situation | none turns runs of the same label
    on one track into segments (taxonomy ``caviar-movement`` / ``caviar-situation``). The files carry
    neither frame rate nor size: CAVIAR's own 25 fps and 384x288 unless ``fps`` / ``size`` say otherwise."""
    path = Path(path).absolute()
    if labels != "none" and labels not in CAVIAR_LABELS:
        raise UserError(f"unknown CAVIAR labels {labels!r}; choose movement, situation or none", path)
    df = read_caviar(path)
    segs: list[tuple[int, int, int, str]] = []
    taxonomy = None
    if labels != "none":
        field, taxonomy = CAVIAR_LABELS[labels]
        # Refuse a label the taxonomy does not know before anything is written.
        load_taxonomy(taxonomy).check_labels(set(df[field]) - {""}, path)
        for tid, g in df.groupby("track_id", sort=True):
            segs += [(int(tid), a, b, lab) for a, b, lab in label_runs(g["frame"].tolist(), g[field].tolist())]
    return store_tracks(project, camera or path.stem, df, source=path, fmt="caviar", fps=fps or CAVIAR_FPS,
                        size=size or CAVIAR_SIZE, segments=segs, taxonomy=taxonomy)


def _seqinfo(path: Path) -> tuple[float | None, tuple[int, int] | None]:
    """Frame rate and size from a MOTChallenge ``seqinfo.ini`` next to ``gt/`` (or the file)."""
    for ini in (path.parent.parent / "seqinfo.ini", path.parent / "seqinfo.ini"):
        if ini.is_file():
            cp = configparser.ConfigParser()
            try:
                cp.read(ini)
                seq = cp["Sequence"]
                return float(seq["frameRate"]), (int(seq["imWidth"]), int(seq["imHeight"]))
            except (KeyError, ValueError, configparser.Error):
                return None, None
    return None, None


def import_mot(project: Project, path: str | os.PathLike[str], *, camera: str | None = None,
               fps: float | None = None, size: tuple[int, int] | None = None) -> ImportResult:
    """Import MOTChallenge tracks (frame 1-based in the file, 0-based in the project)."""
    from retail_desktop.vision.mot_format import read_mot

    path = Path(path).absolute()
    df = read_mot(path)
    if (df["id"] < 0).any():
        raise UserError("holds detections without track ids (id -1); import ground truth or tracker output", path)
    ini_fps, ini_size = _seqinfo(path)
    name = camera or (path.parent.parent.name if path.parent.name == "gt" else path.stem)
    existing = project.camera(name)
    if fps is None:
        fps = ini_fps
    if fps is None and existing is not None:
        fps = camera_fps(project, existing)
    if fps is None:
        raise UserError("frame rate unknown: pass --fps (no seqinfo.ini beside the file)", path)
    tracks = pd.DataFrame({
        "frame": df["frame"].to_numpy(np.int64) - 1,
        "track_id": df["id"].to_numpy(np.int64),
        "x1": df["left"], "y1": df["top"],
        "x2": df["left"] + df["width"], "y2": df["top"] + df["height"],
        "confidence": df["conf"].clip(0, 1),
    })
    return store_tracks(project, name, tracks, source=path, fmt="mot", fps=float(fps), size=size or ini_size)
