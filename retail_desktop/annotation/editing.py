"""Editing a run's labels and track identities, with undo/redo: the model behind annotation mode.

Why edit records: every change an annotator makes (label a span, split or merge segments, accept a
suggestion, merge or split a track) is one :class:`Edit` — a short list of row-level operations that
know how to do and undo themselves. Applying an edit is **one SQLite transaction, committed at once**,
so a crash loses at most the edit being made; undo and redo apply the same records backwards and
forwards, each again one transaction. The history is kept in memory (a session's undo stack, not a
journal on disk): after a restart the saved labels are all there, only the undo stack starts empty.

Labels paint: labelling frames a..b of a track replaces whatever segments of the same taxonomy
covered those frames (they are cut, split or removed), so a track's timeline never holds two labels
for one frame of one taxonomy.

ID fixes rewrite ``track_points.track_id`` of the run (so the player's overlays, the metrics and the
exports, which all read track points, see the fixed identities) and move the track's segments (all
taxonomies) with its frames. Behaviour predictions of the tracks involved are dropped (they describe
windows of the old identities); undo restores them.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from retail_desktop.errors import UserError
from retail_desktop.project.store import Store

from .segments import Segment, list_segments, now_iso
from .taxonomy import Taxonomy, TaxonomyError, load_taxonomy

_SEG_COLS = ("id", "run_id", "track_id", "start_frame", "end_frame", "label", "taxonomy", "source", "status",
             "annotator", "confidence", "created_at", "updated_at")
_POINT_COLS = ("run_id", "frame", "time_s", "track_id", "x1", "y1", "x2", "y2", "confidence", "source")
_PRED_COLS = ("run_id", "track_id", "start_frame", "end_frame", "label", "confidence", "probabilities", "model",
              "created_at")
#: Which box wins when two merged tracks both have one on a frame (higher wins; ties keep the kept track's).
_SOURCE_RANK = {"manual": 3, "detected": 2, "interpolated": 1, "predicted": 0}


class EditConflict(UserError):
    """The store no longer matches what an edit expects (another window or process changed it)."""


def _seg_row(s: Segment) -> tuple:
    return tuple(getattr(s, c) for c in _SEG_COLS)


# ------------------------------------------------------------------------------------------- ops


class _Op:
    def do(self, conn: sqlite3.Connection) -> None:
        raise NotImplementedError

    def undo(self, conn: sqlite3.Connection) -> None:
        raise NotImplementedError


@dataclass
class _InsertSegment(_Op):
    seg: Segment

    def do(self, conn):
        cols = _SEG_COLS if self.seg.id is not None else _SEG_COLS[1:]
        row = _seg_row(self.seg) if self.seg.id is not None else _seg_row(self.seg)[1:]
        cur = conn.execute(f"INSERT INTO segments ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})", row)
        if self.seg.id is None:
            self.seg = replace(self.seg, id=int(cur.lastrowid))

    def undo(self, conn):
        if conn.execute("DELETE FROM segments WHERE id = ?", (self.seg.id,)).rowcount != 1:
            raise EditConflict(f"segment {self.seg.id} was removed by someone else; cannot undo")


@dataclass
class _DeleteSegment(_Op):
    seg: Segment

    def do(self, conn):
        if conn.execute("DELETE FROM segments WHERE id = ?", (self.seg.id,)).rowcount != 1:
            raise EditConflict(f"segment {self.seg.id} no longer exists (changed elsewhere); reload the track")

    def undo(self, conn):
        conn.execute(f"INSERT INTO segments ({', '.join(_SEG_COLS)}) VALUES ({','.join('?' * len(_SEG_COLS))})",
                     _seg_row(self.seg))


@dataclass
class _UpdateSegment(_Op):
    before: Segment
    after: Segment

    @staticmethod
    def _write(conn, s: Segment) -> None:
        sets = ", ".join(f"{c} = ?" for c in _SEG_COLS[1:])
        if conn.execute(f"UPDATE segments SET {sets} WHERE id = ?", (*_seg_row(s)[1:], s.id)).rowcount != 1:
            raise EditConflict(f"segment {s.id} no longer exists (changed elsewhere); reload the track")

    def do(self, conn):
        self._write(conn, self.after)

    def undo(self, conn):
        self._write(conn, self.before)


@dataclass
class _MovePoints(_Op):
    run_id: int
    frames: list[int]
    from_track: int
    to_track: int

    def _move(self, conn, a: int, b: int) -> None:
        conn.executemany("UPDATE track_points SET track_id = ? WHERE run_id = ? AND track_id = ? AND frame = ?",
                         [(b, self.run_id, a, f) for f in self.frames])

    def do(self, conn):
        self._move(conn, self.from_track, self.to_track)

    def undo(self, conn):
        self._move(conn, self.to_track, self.from_track)


@dataclass
class _DeleteRows(_Op):
    """Delete whole rows (kept here so undo can put them back)."""

    table: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    rows: list[tuple]

    def do(self, conn):
        where = " AND ".join(f"{k} = ?" for k in self.key)
        idx = [self.columns.index(k) for k in self.key]
        conn.executemany(f"DELETE FROM {self.table} WHERE {where}", [tuple(r[i] for i in idx) for r in self.rows])

    def undo(self, conn):
        conn.executemany(f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES "
                         f"({','.join('?' * len(self.columns))})", self.rows)


@dataclass
class _RecountTracks(_Op):
    """Keep the run summary's ``tracks`` figure true after an ID fix. Recomputed from the rows, so it is
    put first *and* last in an edit: whichever way the edit runs, the last recount sees the result."""

    run_id: int

    def do(self, conn):
        row = conn.execute("SELECT summary FROM analysis_runs WHERE id = ?", (self.run_id,)).fetchone()
        if row is None:
            return
        summary = json.loads(row[0] or "{}")
        if "tracks" not in summary:
            return
        summary["tracks"] = conn.execute(
            "SELECT count(DISTINCT track_id) FROM track_points WHERE run_id = ?", (self.run_id,)).fetchone()[0]
        conn.execute("UPDATE analysis_runs SET summary = ? WHERE id = ?", (json.dumps(summary), self.run_id))

    undo = do


@dataclass
class Edit:
    """One undoable change: what the user did, in words, and the row operations that did it."""

    description: str
    ops: list[_Op]
    tracks: tuple[int, ...] = ()
    made_at: float = field(default_factory=time.time)
    #: Segment ids this edit created (after it was applied), for the caller to select.
    created: list[int] = field(default_factory=list)

    @property
    def changes_tracks(self) -> bool:
        """True for ID fixes (merge, split, delete a track): views that draw track points must re-read them."""
        return any(isinstance(op, (_MovePoints, _RecountTracks))
                   or (isinstance(op, _DeleteRows) and op.table == "track_points") for op in self.ops)


# ------------------------------------------------------------------------------------- the model


class AnnotationModel:
    """Segments and identities of one run, edited by one annotator in one taxonomy.

    Every method that changes something applies one :class:`Edit` (committed before it returns) and
    pushes it on the undo stack; a new edit clears the redo stack. ``on_change(edit)`` is called after
    every applied, undone or redone edit (the GUI repaints there).
    """

    def __init__(self, store: Store, run_id: int, taxonomy: "str | Taxonomy", annotator: str | None = None,
                 *, on_change: Callable[[Edit], None] | None = None, history_limit: int = 500):
        self.store = store
        self.run_id = int(run_id)
        # A Taxonomy (or a shipped one's name) lets the model refuse labels outside it; an unknown
        # name is taken as is (a taxonomy from a file the caller has already checked).
        if isinstance(taxonomy, str):
            try:
                taxonomy = load_taxonomy(taxonomy)
            except TaxonomyError:
                pass
        self.classes: tuple[str, ...] | None = taxonomy.names if isinstance(taxonomy, Taxonomy) else None
        self.taxonomy: str = taxonomy.name if isinstance(taxonomy, Taxonomy) else taxonomy
        self.annotator = annotator or None
        self.on_change = on_change
        self.history_limit = history_limit
        self._undo: list[Edit] = []
        self._redo: list[Edit] = []

    # ------------------------------------------------------------------------------- reading

    def segments(self, track_id: int | None = None, *, all_taxonomies: bool = False) -> list[Segment]:
        return list_segments(self.store, self.run_id, track_id, taxonomy=None if all_taxonomies else self.taxonomy)

    def segment(self, seg_id: int) -> Segment:
        rows = self.store.query(f"SELECT {', '.join(_SEG_COLS)} FROM segments WHERE id = ?", (int(seg_id),))
        if not rows or rows[0][1] != self.run_id:
            raise EditConflict(f"segment {seg_id} does not exist in run {self.run_id}", self.store.path)
        return Segment(*rows[0])

    def track_ids(self) -> list[int]:
        return self.store.track_ids(self.run_id)

    def track_frames(self, track_id: int) -> tuple[int, int] | None:
        rows = self.store.query("SELECT min(frame), max(frame) FROM track_points WHERE run_id = ? AND track_id = ?",
                                (self.run_id, int(track_id)))
        return None if rows[0][0] is None else (int(rows[0][0]), int(rows[0][1]))

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_text(self) -> str | None:
        return self._undo[-1].description if self._undo else None

    @property
    def redo_text(self) -> str | None:
        return self._redo[-1].description if self._redo else None

    # ------------------------------------------------------------------------------ applying

    def _run(self, edit: Edit, ops: Sequence[_Op], forward: bool) -> None:
        with self.store.transaction(edit.description.lower()) as conn:
            for op in ops:
                op.do(conn) if forward else op.undo(conn)

    def apply(self, edit: Edit) -> Edit:
        if not edit.ops:
            return edit
        self._run(edit, edit.ops, True)
        edit.created = [op.seg.id for op in edit.ops if isinstance(op, _InsertSegment)]
        self._undo.append(edit)
        del self._undo[:-self.history_limit]
        self._redo.clear()
        self._changed(edit)
        return edit

    def undo(self) -> Edit | None:
        if not self._undo:
            return None
        edit = self._undo[-1]
        self._run(edit, list(reversed(edit.ops)), False)
        self._redo.append(self._undo.pop())
        self._changed(edit)
        return edit

    def redo(self) -> Edit | None:
        if not self._redo:
            return None
        edit = self._redo[-1]
        self._run(edit, edit.ops, True)
        self._undo.append(self._redo.pop())
        self._changed(edit)
        return edit

    def clear_history(self) -> None:
        """Forget undo and redo (after something outside the model rewrote rows the edits refer to)."""
        self._undo.clear()
        self._redo.clear()

    def clear_redo(self) -> None:
        """Forget undone edits (a caller keeping one history over several models calls this when an
        edit lands in another model)."""
        self._redo.clear()

    def _changed(self, edit: Edit) -> None:
        if self.on_change is not None:
            self.on_change(edit)

    # ----------------------------------------------------------------------------- segments

    def _stamp(self, s: Segment, **changes) -> Segment:
        return replace(s, updated_at=now_iso(), **changes)

    def _cut_ops(self, track_id: int, start: int, end: int, exclude: Sequence[int] = ()) -> list[_Op]:
        """Ops that clear frames start..end of a track in this taxonomy (cutting, splitting, removing)."""
        ops: list[_Op] = []
        for s in self.segments(track_id):
            if s.id in exclude or s.end_frame < start or s.start_frame > end:
                continue
            left = s.start_frame < start
            right = s.end_frame > end
            if left and right:
                ops.append(_UpdateSegment(s, self._stamp(s, end_frame=start - 1)))
                ops.append(_InsertSegment(self._stamp(s, id=None, start_frame=end + 1)))
            elif left:
                ops.append(_UpdateSegment(s, self._stamp(s, end_frame=start - 1)))
            elif right:
                ops.append(_UpdateSegment(s, self._stamp(s, start_frame=end + 1)))
            else:
                ops.append(_DeleteSegment(s))
        return ops

    def _check_label(self, label: str) -> None:
        if self.classes is not None and label not in self.classes:
            raise UserError(f"{label!r} is not a class of taxonomy {self.taxonomy} ({', '.join(self.classes)})")

    def label_span(self, track_id: int, start: int, end: int, label: str) -> Edit:
        """Label frames ``start..end`` (either order) of a track; what was there in this taxonomy goes."""
        start, end = sorted((int(start), int(end)))
        self._check_label(label)
        stamp = now_iso()
        new = Segment(None, self.run_id, int(track_id), start, end, label, self.taxonomy, source="human",
                      status="accepted", annotator=self.annotator, created_at=stamp, updated_at=stamp)
        ops = self._cut_ops(int(track_id), start, end) + [_InsertSegment(new)]
        return self.apply(Edit(f"Label frames {start}-{end} of track {track_id} {label}", ops, (int(track_id),)))

    def edit_segment(self, seg_id: int, *, start: int | None = None, end: int | None = None,
                     label: str | None = None) -> Edit:
        """Change a segment's span or label (it becomes the annotator's, accepted)."""
        s = self.segment(seg_id)
        a = s.start_frame if start is None else int(start)
        b = s.end_frame if end is None else int(end)
        a, b = sorted((a, b))
        if label:
            self._check_label(label)
        after = self._stamp(s, start_frame=a, end_frame=b, label=label or s.label, status="accepted",
                            annotator=self.annotator or s.annotator)
        ops = self._cut_ops(s.track_id, a, b, exclude=[s.id]) + [_UpdateSegment(s, after)]
        return self.apply(Edit(f"Edit segment {s.id}", ops, (s.track_id,)))

    def split_segment(self, seg_id: int, frame: int) -> Edit:
        """Two segments: ``start..frame-1`` and ``frame..end`` (same label and origin)."""
        s = self.segment(seg_id)
        frame = int(frame)
        if not s.start_frame < frame <= s.end_frame:
            raise UserError(f"cannot split segment {s.start_frame}-{s.end_frame} at frame {frame}: "
                            "the frame must lie after its first frame and not beyond its last")
        ops: list[_Op] = [_UpdateSegment(s, self._stamp(s, end_frame=frame - 1)),
                          _InsertSegment(self._stamp(s, id=None, start_frame=frame))]
        return self.apply(Edit(f"Split segment {s.id} at frame {frame}", ops, (s.track_id,)))

    def merge_segments(self, first_id: int, second_id: int) -> Edit:
        """One segment from the earlier start to the later end with the first segment's label."""
        a, b = self.segment(first_id), self.segment(second_id)
        if a.track_id != b.track_id or a.id == b.id:
            raise UserError("merge needs two different segments of the same track")
        lo, hi = min(a.start_frame, b.start_frame), max(a.end_frame, b.end_frame)
        after = self._stamp(a, start_frame=lo, end_frame=hi, status="accepted",
                            annotator=self.annotator or a.annotator)
        ops = self._cut_ops(a.track_id, lo, hi, exclude=[a.id, b.id]) + [_DeleteSegment(b), _UpdateSegment(a, after)]
        return self.apply(Edit(f"Merge segments {a.id} and {b.id}", ops, (a.track_id,)))

    def delete_segment(self, seg_id: int) -> Edit:
        s = self.segment(seg_id)
        return self.apply(Edit(f"Delete segment {s.id}", [_DeleteSegment(s)], (s.track_id,)))

    def accept(self, seg_id: int) -> Edit:
        """A suggestion becomes an accepted label (its source says who proposed it)."""
        s = self.segment(seg_id)
        after = self._stamp(s, status="accepted", annotator=self.annotator or s.annotator)
        return self.apply(Edit(f"Accept {s.label} suggestion", [_UpdateSegment(s, after)], (s.track_id,)))

    def reject(self, seg_id: int) -> Edit:
        """A rejected suggestion is removed (undo brings it back)."""
        s = self.segment(seg_id)
        if s.status != "suggestion":
            raise UserError(f"segment {s.id} is an accepted label, not a suggestion; delete it instead")
        return self.apply(Edit(f"Reject {s.label} suggestion", [_DeleteSegment(s)], (s.track_id,)))

    def segment_at(self, track_id: int, frame: int, *, status: str | None = None) -> Segment | None:
        for s in self.segments(track_id):
            if s.start_frame <= frame <= s.end_frame and (status is None or s.status == status):
                return s
        return None

    # ----------------------------------------------------------------------------- ID fixes

    def _points(self, track_id: int) -> list[tuple]:
        return self.store.query(f"SELECT {', '.join(_POINT_COLS)} FROM track_points WHERE run_id = ? AND track_id = ? "
                                "ORDER BY frame", (self.run_id, int(track_id)))

    def _prediction_ops(self, tracks: Sequence[int]) -> list[_Op]:
        rows = []
        for t in tracks:
            rows += self.store.query(f"SELECT {', '.join(_PRED_COLS)} FROM behavior_predictions WHERE run_id = ? "
                                     "AND track_id = ?", (self.run_id, int(t)))
        return [_DeleteRows("behavior_predictions", _PRED_COLS, ("run_id", "track_id", "start_frame", "model"),
                            rows)] if rows else []

    def _require_track(self, track_id: int) -> None:
        if self.track_frames(track_id) is None:
            raise UserError(f"track {track_id} does not exist in run {self.run_id}")

    def merge_tracks(self, keep: int, absorb: int) -> Edit:
        """Track ``absorb`` becomes part of ``keep`` (same person). Where both have a box on a frame, the
        better one stays (detected/manual over interpolated over predicted; a tie keeps ``keep``'s)."""
        keep, absorb = int(keep), int(absorb)
        if keep == absorb:
            raise UserError("cannot merge a track with itself")
        self._require_track(keep)
        self._require_track(absorb)
        kept = {r[1]: r for r in self._points(keep)}
        move: list[int] = []
        drop: list[tuple] = []
        for r in self._points(absorb):
            other = kept.get(r[1])
            if other is None:
                move.append(r[1])
            elif _SOURCE_RANK.get(r[9], 0) > _SOURCE_RANK.get(other[9], 0):
                drop.append(other)
                move.append(r[1])
            else:
                drop.append(r)
        ops: list[_Op] = []
        if drop:
            ops.append(_DeleteRows("track_points", _POINT_COLS, ("run_id", "frame", "track_id"), drop))
        ops.append(_MovePoints(self.run_id, move, absorb, keep))
        for s in self.segments(absorb, all_taxonomies=True):
            ops.append(_UpdateSegment(s, self._stamp(s, track_id=keep)))
        ops += self._prediction_ops([keep, absorb])
        ops = [_RecountTracks(self.run_id), *ops, _RecountTracks(self.run_id)]
        return self.apply(Edit(f"Merge track {absorb} into track {keep}", ops, (keep, absorb)))

    def next_track_id(self) -> int:
        rows = self.store.query("SELECT max(m) FROM (SELECT max(track_id) AS m FROM track_points WHERE run_id = ? "
                                "UNION ALL SELECT max(track_id) FROM segments WHERE run_id = ?)",
                                (self.run_id, self.run_id))
        return int(rows[0][0] if rows[0][0] is not None else 0) + 1

    def split_track(self, track_id: int, frame: int) -> Edit:
        """Frames from ``frame`` on become a new track (two people under one id); segments follow."""
        track_id, frame = int(track_id), int(frame)
        span = self.track_frames(track_id)
        if span is None:
            raise UserError(f"track {track_id} does not exist in run {self.run_id}")
        if not span[0] < frame <= span[1]:
            raise UserError(f"cannot split track {track_id} (frames {span[0]}-{span[1]}) at frame {frame}: "
                            "choose a frame after its first and not beyond its last")
        new = self.next_track_id()
        frames = [r[1] for r in self._points(track_id) if r[1] >= frame]
        ops: list[_Op] = [_MovePoints(self.run_id, frames, track_id, new)]
        for s in self.segments(track_id, all_taxonomies=True):
            if s.start_frame >= frame:
                ops.append(_UpdateSegment(s, self._stamp(s, track_id=new)))
            elif s.end_frame >= frame:
                ops.append(_UpdateSegment(s, self._stamp(s, end_frame=frame - 1)))
                ops.append(_InsertSegment(self._stamp(s, id=None, track_id=new, start_frame=frame)))
        ops += self._prediction_ops([track_id])
        ops = [_RecountTracks(self.run_id), *ops, _RecountTracks(self.run_id)]
        return self.apply(Edit(f"Split track {track_id} at frame {frame} (new track {new})", ops, (track_id, new)))

    def delete_track(self, track_id: int) -> Edit:
        """A false track (not a person): its boxes, segments and predictions go."""
        track_id = int(track_id)
        points = self._points(track_id)
        if not points:
            raise UserError(f"track {track_id} does not exist in run {self.run_id}")
        ops: list[_Op] = [_DeleteSegment(s) for s in self.segments(track_id, all_taxonomies=True)]
        ops += self._prediction_ops([track_id])
        ops.append(_DeleteRows("track_points", _POINT_COLS, ("run_id", "frame", "track_id"), points))
        ops = [_RecountTracks(self.run_id), *ops, _RecountTracks(self.run_id)]
        return self.apply(Edit(f"Delete track {track_id}", ops, (track_id,)))


__all__ = ["AnnotationModel", "Edit", "EditConflict"]
