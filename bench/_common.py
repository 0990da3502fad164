"""Shared bits of the benchmarks: where the data is, and Ultralytics' own tracking loop as competitor."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = Path(os.environ.get("RETAIL_DESKTOP_DATA", ROOT.parent / "shared" / "data"))
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_VERBOSE", "False")


def ultralytics_track(weights: Path, video: Path, tracker: str) -> tuple[pd.DataFrame, float, int]:
    """Ultralytics' documented tracking loop (``model.track(..., persist=True)`` over the video file).

    Returns MOT rows (1-based frame), wall seconds and frames seen."""
    from ultralytics import YOLO

    model = YOLO(str(weights), task="detect")
    rows = []
    t0 = time.perf_counter()
    n = 0
    for i, r in enumerate(model.track(str(video), stream=True, classes=[0], tracker=f"{tracker}.yaml",
                                      persist=True, verbose=False)):
        n += 1
        if r.boxes.id is None:
            continue
        for (x1, y1, x2, y2), tid, c in zip(r.boxes.xyxy.tolist(), r.boxes.id.tolist(), r.boxes.conf.tolist()):
            rows.append((i + 1, int(tid), x1, y1, x2 - x1, y2 - y1, c))
    wall = time.perf_counter() - t0
    df = pd.DataFrame(rows, columns=["frame", "id", "left", "top", "width", "height", "conf"])
    return df, wall, n


def table(rows: list[dict], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns}
    out = ["  ".join(c.ljust(widths[c]) for c in columns)]
    for r in rows:
        out.append("  ".join(_fmt(r.get(c)).ljust(widths[c]) for c in columns))
    return "\n".join(out)


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)
