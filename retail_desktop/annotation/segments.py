"""Behaviour segments: a label on a stretch of frames of one track (table ``segments``).

A segment belongs to an analysis run's track (``run_id``, ``track_id``) because those ids are what
the overlays, metrics and exports show. ``source`` says who made it (human, rule, model, import) and
``status`` whether it is an accepted label or a suggestion waiting for a human.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Iterable, Sequence

import numpy as np

from retail_desktop.project.store import Store

SEGMENT_SOURCES = ("human", "rule", "model", "import")
SEGMENT_STATUSES = ("accepted", "suggestion")

_COLUMNS = ("id, run_id, track_id, start_frame, end_frame, label, taxonomy, source, status, annotator, "
            "confidence, created_at, updated_at")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Segment:
    """Frames ``start_frame..end_frame`` (inclusive) of one track carry ``label``.

    >>> Segment(None, 1, 7, 10, 20, "walking", "caviar-movement").n_frames
    11
    """

    id: int | None
    run_id: int
    track_id: int
    start_frame: int
    end_frame: int
    label: str
    taxonomy: str
    source: str = "human"
    status: str = "accepted"
    annotator: str | None = None
    confidence: float | None = None
    created_at: str | None = None
    updated_at: str | None = None

    def __post_init__(self) -> None:
        if self.end_frame < self.start_frame:
            raise ValueError(f"segment ends (frame {self.end_frame}) before it starts (frame {self.start_frame})")
        if self.source not in SEGMENT_SOURCES:
            raise ValueError(f"segment source must be one of {SEGMENT_SOURCES}, got {self.source!r}")
        if self.status not in SEGMENT_STATUSES:
            raise ValueError(f"segment status must be one of {SEGMENT_STATUSES}, got {self.status!r}")
        if not self.label:
            raise ValueError("segment label must not be empty")

    @property
    def n_frames(self) -> int:
        return self.end_frame - self.start_frame + 1


def label_runs(frames: Sequence[int], labels: Sequence[str], max_gap: int = 1) -> list[tuple[int, int, str]]:
    """Runs of one label over a track's frames: ``[(start, end, label), ...]``.

    A new run starts where the label changes or where frames jump by more than ``max_gap``. Empty
    labels end a run and are skipped.

    >>> label_runs([1, 2, 3, 4, 7], ["a", "a", "b", "b", "b"])
    [(1, 2, 'a'), (3, 4, 'b'), (7, 7, 'b')]
    """
    runs: list[tuple[int, int, str]] = []
    start = prev = None
    current = ""
    for f, lab in zip(frames, labels):
        f = int(f)
        if lab != current or prev is None or f - prev > max_gap:
            if current and start is not None:
                runs.append((start, prev, current))
            start, current = f, lab
        prev = f
    if current and start is not None and prev is not None:
        runs.append((start, prev, current))
    return runs


def insert_segments(conn, segments: Iterable[Segment], stamp: str | None = None) -> list[int]:
    """Insert segments inside the caller's open transaction (``with store.transaction(...) as conn``)
    and return their ids; for modules that change segments together with other rows."""
    stamp = stamp or now_iso()
    ids: list[int] = []
    for s in segments:
        cur = conn.execute(
            "INSERT INTO segments (run_id, track_id, start_frame, end_frame, label, taxonomy, source, status, "
            "annotator, confidence, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (int(s.run_id), int(s.track_id), int(s.start_frame), int(s.end_frame), s.label, s.taxonomy,
             s.source, s.status, s.annotator, s.confidence, s.created_at or stamp, s.updated_at or stamp),
        )
        ids.append(int(cur.lastrowid))
    return ids


def add_segments(store: Store, segments: Iterable[Segment]) -> list[int]:
    """Insert segments in one transaction and return their ids (all land or none)."""
    with store.transaction("save behaviour segments") as conn:
        return insert_segments(conn, segments)


def _from_row(row: tuple) -> Segment:
    return Segment(*row)


def list_segments(
    store: Store,
    run_id: int,
    track_id: int | None = None,
    *,
    taxonomy: str | None = None,
    status: str | None = None,
) -> list[Segment]:
    """Segments of a run (optionally one track / taxonomy / status), ordered by track and start."""
    sql = f"SELECT {_COLUMNS} FROM segments WHERE run_id = ?"
    params: list = [int(run_id)]
    for col, value in (("track_id", track_id), ("taxonomy", taxonomy), ("status", status)):
        if value is not None:
            sql += f" AND {col} = ?"
            params.append(value)
    sql += " ORDER BY track_id, start_frame, id"
    return [_from_row(r) for r in store.query(sql, params)]


def delete_segments(store: Store, ids: Iterable[int]) -> int:
    ids = [int(i) for i in ids]
    with store.transaction("delete behaviour segments") as conn:
        return sum(conn.execute("DELETE FROM segments WHERE id = ?", (i,)).rowcount for i in ids)


def frame_labels(segments: Iterable[Segment], frames: np.ndarray) -> np.ndarray:
    """The label of each frame of ``frames`` (object array, "" where no segment covers it); a later
    segment wins where segments overlap."""
    frames = np.asarray(frames)
    out = np.full(frames.shape, "", dtype=object)
    for s in segments:
        out[(frames >= s.start_frame) & (frames <= s.end_frame)] = s.label
    return out


__all__ = ["Segment", "SEGMENT_SOURCES", "SEGMENT_STATUSES", "add_segments", "delete_segments",
           "frame_labels", "insert_segments", "label_runs", "list_segments", "now_iso", "replace"]
