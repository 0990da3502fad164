"""MOTChallenge text files: ``frame,id,left,top,width,height,conf,x,y,z``, one box per line, frame 1-based.

This is the exchange format between the tracker, the evaluation and outside tools (TrackEval, py-motmetrics,
the MOTChallenge servers), so reading is lenient where real files differ harmlessly (comma or whitespace
separators, 6 to 10 columns, blank lines) and strict where a silent guess would corrupt scores (non-numbers,
frame 0, negative sizes, the same track id twice in one frame). A file the user picked that breaks these
rules raises :class:`~retail_desktop.errors.UserError` naming the file and the line, because it is the user
who has to fix or replace it.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from retail_desktop.errors import UserError
from retail_desktop.project.atomic import atomic_write_text

__all__ = ["BOX_COLUMNS", "MOT_COLUMNS", "WORLD_COLUMNS", "empty_mot", "read_mot", "write_mot"]

#: Columns every frame returned by :func:`read_mot` has, in file order.
MOT_COLUMNS = ("frame", "id", "left", "top", "width", "height", "conf")
#: World coordinates; only MOT15 ground truth fills them, so they are kept only when a file has them.
WORLD_COLUMNS = ("x", "y", "z")
BOX_COLUMNS = ("left", "top", "width", "height")

# Values written for absent data. MOT files use -1 for "not given"; conf 1 means "a real box" in gt and is
# what trackers conventionally write when they have no score.
_DEFAULT_CONF = 1.0
_UNSET = -1.0

_SEPARATOR = re.compile(r"[,\s]+")


def empty_mot() -> pd.DataFrame:
    """A frame with the :func:`read_mot` columns and dtypes and no rows (a tracker that saw nobody)."""
    return _frame_from_arrays(np.empty((0, len(MOT_COLUMNS))), with_world=False)


def read_mot(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a MOTChallenge file into columns ``frame, id, left, top, width, height, conf`` (+ ``x, y, z``).

    ``frame`` and ``id`` are int64, everything else float64; rows keep file order. A 6-column file gets
    ``conf`` = 1. ``x, y, z`` are added only when some line has more than 7 values; shorter lines get -1
    there. Public detections (``id`` = -1) are accepted; a real track id twice in the same frame is not,
    because every tracking metric would silently pick one of the two boxes.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError("MOT file not found", path) from None
    except IsADirectoryError:
        raise UserError("is a folder, expected a MOT .txt file", path) from None
    except UnicodeDecodeError:
        raise UserError("not a text file (expected MOT rows frame,id,left,top,width,height,...)", path) from None
    except OSError as err:
        raise UserError(f"cannot read MOT file ({err.strerror or err})", path) from None

    rows: list[list[float]] = []
    line_numbers: list[int] = []
    widest = 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = [f for f in _SEPARATOR.split(stripped) if f]
        if not 6 <= len(fields) <= 10:
            raise UserError(
                f"line {number}: expected 6 to 10 values (frame,id,left,top,width,height,conf,x,y,z), "
                f"found {len(fields)}",
                path,
            )
        try:
            values = [float(f) for f in fields]
        except ValueError:
            bad = next(f for f in fields if not _is_float(f))
            raise UserError(f"line {number}: {bad!r} is not a number", path) from None
        if not all(math.isfinite(v) for v in values):
            raise UserError(f"line {number}: values must be finite numbers (found inf or nan)", path)
        problem = _row_problem(values)
        if problem:
            raise UserError(f"line {number}: {problem}", path)
        widest = max(widest, len(values))
        rows.append(values)
        line_numbers.append(number)

    with_world = widest > len(MOT_COLUMNS)
    width = len(MOT_COLUMNS) + (len(WORLD_COLUMNS) if with_world else 0)
    table = np.full((len(rows), width), _UNSET)
    table[:, 6] = _DEFAULT_CONF
    for i, values in enumerate(rows):
        table[i, : len(values)] = values

    duplicate = _first_duplicate_track(table[:, 0], table[:, 1])
    if duplicate is not None:
        frame, track = int(table[duplicate, 0]), int(table[duplicate, 1])
        raise UserError(f"line {line_numbers[duplicate]}: track id {track} appears twice in frame {frame}", path)
    return _frame_from_arrays(table, with_world)


def write_mot(
    boxes: pd.DataFrame | Iterable[Sequence[float]],
    path: str | os.PathLike[str],
) -> Path:
    """Write ``frame,id,left,top,width,height,conf,-1,-1,-1`` lines, sorted by frame then id, atomically.

    ``boxes`` is a frame with at least the columns ``frame, id, left, top, width, height`` (``conf``
    optional, default 1) or rows in that column order with an optional 7th ``conf`` value. Boxes get 2
    decimals and conf 4, without trailing zeros: sub-pixel digits beyond that are noise, and compact files
    stay diffable. The world columns are written as -1 because our tracker works in image space.

    The file is written to a temporary name beside ``path`` and moved over it, so a crash or a full disk
    never leaves a half-written result that would later be scored as a genuinely bad tracker. Missing parent
    folders are created. Invalid data raises ``ValueError`` (it comes from our code, not the user); an
    unwritable destination raises :class:`UserError`.
    """
    path = Path(path)
    table = _as_table(boxes)
    _check_writable_table(table)
    order = np.lexsort((table[:, 1], table[:, 0]))
    table = table[order]

    lines = [
        ",".join(
            (
                str(int(row[0])),
                str(int(row[1])),
                _compact(row[2], 2),
                _compact(row[3], 2),
                _compact(row[4], 2),
                _compact(row[5], 2),
                _compact(row[6], 4),
                "-1,-1,-1",
            )
        )
        for row in table
    ]
    payload = "".join(line + "\n" for line in lines)

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot write MOT file ({err.strerror or err})", path) from None
    atomic_write_text(path, payload)
    return path


# --------------------------------------------------------------------------------------------------------


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _row_problem(values: Sequence[float]) -> str | None:
    frame, track, _left, _top, width, height = values[:6]
    if frame != int(frame) or frame < 1:
        return f"frame must be a whole number >= 1 (MOT frames are 1-based), found {_compact(frame, 4)}"
    if track != int(track):
        return f"track id must be a whole number, found {_compact(track, 4)}"
    if width < 0 or height < 0:
        return f"box width and height must not be negative, found {_compact(width, 2)}x{_compact(height, 2)}"
    return None


def _first_duplicate_track(frames: np.ndarray, ids: np.ndarray) -> int | None:
    """Row index of the first repeat of a (frame, id) pair among real ids (>= 0), in file order."""
    real = np.flatnonzero(ids >= 0)
    if real.size == 0:
        return None
    pairs = np.stack([frames[real], ids[real]], axis=1)
    _, first = np.unique(pairs, axis=0, return_index=True)
    if first.size == real.size:
        return None
    repeated = np.setdiff1d(np.arange(real.size), first)
    return int(real[repeated.min()])


def _frame_from_arrays(table: np.ndarray, with_world: bool) -> pd.DataFrame:
    columns = MOT_COLUMNS + (WORLD_COLUMNS if with_world else ())
    frame = pd.DataFrame(table, columns=list(columns)).astype("float64")
    frame["frame"] = frame["frame"].astype("int64")
    frame["id"] = frame["id"].astype("int64")
    return frame


def _as_table(boxes: pd.DataFrame | Iterable[Sequence[float]]) -> np.ndarray:
    """Rows as an (N, 7) float array ``frame,id,left,top,width,height,conf``."""
    if isinstance(boxes, pd.DataFrame):
        missing = [c for c in MOT_COLUMNS[:6] if c not in boxes.columns]
        if missing:
            raise ValueError(f"MOT frame lacks columns {missing}; has {list(boxes.columns)}")
        columns = list(MOT_COLUMNS[:6])
        table = boxes[columns].to_numpy(dtype=np.float64, copy=True)
        conf = (
            boxes["conf"].to_numpy(dtype=np.float64)
            if "conf" in boxes.columns
            else np.full(len(boxes), _DEFAULT_CONF)
        )
        return np.column_stack([table, conf]) if len(table) else np.empty((0, 7))

    table = []
    for i, row in enumerate(boxes):
        values = [float(v) for v in row]
        if len(values) == 6:
            values.append(_DEFAULT_CONF)
        if len(values) != 7:
            raise ValueError(
                f"MOT row {i} has {len(values)} values; expected frame,id,left,top,width,height[,conf]"
            )
        table.append(values)
    return np.asarray(table, dtype=np.float64).reshape(-1, 7)


def _check_writable_table(table: np.ndarray) -> None:
    if not np.isfinite(table).all():
        bad = int(np.flatnonzero(~np.isfinite(table).all(axis=1))[0])
        raise ValueError(f"MOT row {bad} has inf or nan: {table[bad].tolist()}")
    for i, row in enumerate(table):
        problem = _row_problem(row)
        if problem:
            raise ValueError(f"MOT row {i}: {problem}")
    duplicate = _first_duplicate_track(table[:, 0], table[:, 1])
    if duplicate is not None:
        frame, track = int(table[duplicate, 0]), int(table[duplicate, 1])
        raise ValueError(f"MOT row {duplicate}: track id {track} appears twice in frame {frame}")


def _compact(value: float, decimals: int) -> str:
    """``62.2200`` -> ``62.22``, ``50.00`` -> ``50``, ``-0.00`` -> ``0``: fixed precision, no padding."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
