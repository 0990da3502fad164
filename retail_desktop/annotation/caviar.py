"""CAVIAR CVML ground truth (the INRIA lobby clips): per frame, per person a box, an id and labels.

How boxes are read — checked on all 17 shared lobby files, 384x288 at 25 fps:
``<box xc yc w h>`` gives the centre and two extents. In these files ``w`` behaves as the
**vertical** extent and ``h`` as the horizontal one: people are taller than wide, and ``w > h`` holds
for 55-100 % of the boxes of every file (median w/h 1.07-1.92), and the box of a person entering at
the bottom edge grows in ``w`` while ``yc`` stays at the edge. So we read::

    x1 = xc - h/2    x2 = xc + h/2    y1 = yc - w/2    y2 = yc + w/2

Boxes are not clipped to the image (a few reach past the bottom edge), so the box centre is always
exactly ``(xc, yc)`` as annotated. The raw attributes are kept (``w_attr``, ``h_attr``) for anyone
who wants the other reading.

Labels: each object has one hypothesis (evaluation 1.0) with ``movement`` (walking, active, inactive,
running), ``role``, ``context`` and ``situation`` (moving, browsing, inactive, ...). Groups
(``<grouplist>``) are not people and are skipped.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd

from retail_desktop.errors import UserError

#: Frame size and rate of the CAVIAR INRIA lobby clips (the files do not say it).
CAVIAR_SIZE = (384, 288)
CAVIAR_FPS = 25.0

LABEL_FIELDS = ("movement", "role", "context", "situation")
COLUMNS = ("frame", "track_id", "x1", "y1", "x2", "y2", "xc", "yc", "w_attr", "h_attr") + LABEL_FIELDS


def _number(obj: ET.Element, box: ET.Element, key: str, path: Path) -> float:
    raw = box.get(key)
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise UserError(f"object {obj.get('id')!r} has a box without a numeric {key!r} ({raw!r})", path) from None
    if not np.isfinite(value):
        raise UserError(f"object {obj.get('id')!r} has a non-finite box {key!r}", path)
    return value


def read_caviar(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read one CVML file into a frame with :data:`COLUMNS`, one row per person per frame.

    Malformed or truncated XML raises :class:`UserError` with the line and column where parsing
    stopped; a valid XML file that is not CVML (no ``<frame>`` elements) is refused too.
    """
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        raise UserError("CAVIAR XML file not found", path) from None
    except IsADirectoryError:
        raise UserError("is a folder, expected a CAVIAR .xml file", path) from None
    except ET.ParseError as exc:
        line, col = exc.position
        raise UserError(f"is not valid XML (line {line}, column {col + 1}): it may be truncated", path) from None
    except OSError as exc:
        raise UserError(f"cannot be read ({exc.strerror or exc})", path) from None
    frames = root.findall("frame") if root.tag == "dataset" else []
    if not frames:
        raise UserError("is not a CAVIAR CVML file (no <dataset> with <frame> elements)", path)
    rows: list[tuple] = []
    for frame_el in frames:
        try:
            frame = int(frame_el.get("number", ""))
        except ValueError:
            raise UserError(f"has a <frame> without a whole-number 'number' ({frame_el.get('number')!r})", path) from None
        objects = frame_el.find("objectlist")
        for obj in objects.findall("object") if objects is not None else ():
            try:
                track_id = int(obj.get("id", ""))
            except ValueError:
                raise UserError(f"frame {frame}: an <object> without a whole-number id ({obj.get('id')!r})", path) from None
            box = obj.find("box")
            if box is None:
                raise UserError(f"frame {frame}: object {track_id} has no <box>", path)
            xc, yc, w, h = (_number(obj, box, k, path) for k in ("xc", "yc", "w", "h"))
            hyp = obj.find("hypothesislist/hypothesis")
            labels = tuple(
                (hyp.findtext(field) or "").strip() if hyp is not None else "" for field in LABEL_FIELDS
            )
            rows.append((frame, track_id, xc - h / 2, yc - w / 2, xc + h / 2, yc + w / 2, xc, yc, w, h) + labels)
    df = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    df = df.astype({"frame": "int64", "track_id": "int64"})
    dupes = df.duplicated(["frame", "track_id"])
    if dupes.any():
        row = df[dupes].iloc[0]
        raise UserError(f"frame {row.frame}: object id {row.track_id} appears twice", path)
    return df.sort_values(["frame", "track_id"], kind="stable").reset_index(drop=True)
