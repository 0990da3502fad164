"""Stored tracks out to files other tools read (MOTChallenge txt, CSV)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Mapping

import pandas as pd

from retail_desktop.errors import UserError
from retail_desktop.project import atomic_write_text
from retail_desktop.vision.mot_format import write_mot


def tracks_as_mot_frame(tracks: pd.DataFrame) -> pd.DataFrame:
    """Store rows (0-based frame, x1..y2) as MOTChallenge rows (1-based frame = video frame number)."""
    return pd.DataFrame(
        {
            "frame": tracks["frame"].astype(int) + 1,
            "id": tracks["track_id"].astype(int),
            "left": tracks["x1"],
            "top": tracks["y1"],
            "width": tracks["x2"] - tracks["x1"],
            "height": tracks["y2"] - tracks["y1"],
            "conf": tracks["confidence"],
        }
    )


def check_out_path(out: Path) -> None:
    """Raise :class:`UserError` when ``out`` cannot be a file to write: a folder, or below a file."""
    out = Path(out)
    try:
        if out.is_dir():
            raise UserError("is a folder; give a file name for --out", out)
        blocker = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    except OSError as exc:  # permission denied on a parent folder, name too long...
        raise UserError(f"cannot write ({exc.strerror or exc})", out) from exc
    if blocker is not None:
        raise UserError(f"cannot write: {blocker} is a file, not a folder", out)


def tracks_to_mot(tracks: pd.DataFrame, out: Path) -> int:
    check_out_path(out)
    write_mot(tracks_as_mot_frame(tracks), out)
    return len(tracks)


def tracks_to_csv(per_camera: Mapping[str, pd.DataFrame], out: Path) -> int:
    """One CSV for all cameras: camera, frame, time_s, track_id, x1, y1, x2, y2, confidence, source."""
    frames = [df.assign(camera=name) for name, df in per_camera.items()]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(table):
        table = table[["camera", "frame", "time_s", "track_id", "x1", "y1", "x2", "y2", "confidence", "source"]]
    buf = io.StringIO()
    table.to_csv(buf, index=False, float_format="%.3f")
    out = Path(out)
    check_out_path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out, buf.getvalue())
    except UserError:
        raise
    except OSError as exc:
        raise UserError(f"cannot write: {exc.strerror or exc}", out) from exc
    return len(table)
