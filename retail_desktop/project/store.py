"""The project's SQLite database: analysis runs, track points and raw detections.

Why SQLite and not files: an analysis writes results every few hundred frames for hours, the GUI
reads them while that happens, and a crash must not lose what was already written. SQLite in WAL
mode gives exactly that: each :meth:`Store.commit` is one durable transaction, and readers see the
last committed state without waiting for the writer.

Threads: **one connection per thread**, opened on the thread's first call and closed by
:meth:`Store.close`. One shared connection behind a lock would make the GUI wait for every batch the
worker writes; separate connections let WAL do its job (readers never block the writer or each
other). Writers queue on SQLite's busy timeout. Call :meth:`Store.close` only once worker threads
have stopped using the store.

Errors that come from the disk or from other programs (read-only files, disk full, database locked,
corrupt file) become :class:`~retail_desktop.errors.ProjectError` naming the database file; anything
else is a bug and propagates unchanged.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import numpy as np

from ..errors import ProjectError
from .migrations import migrate_sqlite
from .model import FINAL_STATUSES, RUN_STATUSES, SOURCES, AnalysisRun, DetectionFrame, TrackPoint

if TYPE_CHECKING:
    import pandas as pd

#: Columns of :meth:`Store.track_array`, in order.
TRACK_COLUMNS: tuple[str, ...] = (
    "frame", "time_s", "track_id", "x1", "y1", "x2", "y2", "confidence", "source",
)

_RUN_COLUMNS = (
    "id, camera_id, config, config_key, status, last_committed_frame, frames_total, "
    "started_at, finished_at, summary"
)
_POINT_COLUMNS = "frame, time_s, track_id, x1, y1, x2, y2, confidence, source"

# Arrays are stored little-endian whatever the machine, so a project folder can move between hosts.
_F32 = np.dtype("<f4")

# Primary SQLite result codes (https://sqlite.org/rescode.html) that mean "the disk or another
# program", i.e. something the user can fix, mapped to the message they need.
_USER_CODES: dict[int, str] = {
    3: "cannot be written (permission denied)",  # SQLITE_PERM
    5: "is locked by another program (database is locked); close other windows using this project and try again",  # BUSY
    6: "is locked by another program (database is locked); close other windows using this project and try again",  # LOCKED
    8: "cannot be written (read-only file or folder); check its permissions",  # SQLITE_READONLY
    10: "could not be read or written (disk I/O error); check the drive",  # SQLITE_IOERR
    11: "is corrupt (database disk image is malformed); restore it from a backup",  # SQLITE_CORRUPT
    13: "cannot be written because the disk is full (database or disk is full); free some space and try again",
    14: "cannot be opened (missing folder or no permission)",  # SQLITE_CANTOPEN
    26: "is not a valid database (file is corrupt or not SQLite); restore it from a backup",  # SQLITE_NOTADB
}
_USER_MESSAGES: tuple[tuple[str, int], ...] = (
    ("database is locked", 5),
    ("database table is locked", 6),
    ("readonly database", 8),
    ("disk i/o error", 10),
    ("malformed", 11),
    ("disk is full", 13),
    ("unable to open database", 14),
    ("not a database", 26),
)


def config_key(config: dict[str, Any]) -> str:
    """Fingerprint of a run's settings: equal configs give equal keys, whatever the key order.

    >>> config_key({"a": 1, "b": [1, 2]}) == config_key({"b": (1, 2), "a": 1})
    True
    """
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _user_error(exc: sqlite3.Error, path: Path, action: str) -> ProjectError | None:
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary not in _USER_CODES:
        text = str(exc).lower()
        primary = next((c for needle, c in _USER_MESSAGES if needle in text), None)
    if primary is None:
        return None
    return ProjectError(f"could not {action}: the database {_USER_CODES[primary]}", path)


def _encode(arr: np.ndarray) -> bytes:
    return np.ascontiguousarray(arr, dtype=_F32).tobytes()


def _decode(blob: bytes, shape: tuple[int, ...]) -> np.ndarray:
    # frombuffer gives a read-only view of the blob; astype copies into a writable native array.
    return np.frombuffer(blob, dtype=_F32).reshape(shape).astype(np.float32)


class Store:
    """Runs, track points and detections of one project (``project.sqlite``).

    Usually reached as ``Project.store``. ``busy_timeout_s`` is how long a write waits for another
    writer before failing with "database is locked".
    """

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 10.0):
        self.path = Path(path)
        self.busy_timeout_s = float(busy_timeout_s)
        self._local = threading.local()
        self._conns_lock = threading.Lock()
        self._conns: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._closed = False
        try:
            conn = self._connection()  # opens the file, so a bad file fails here and not on first use
            with self._translate("open the project database"):
                # WAL is a property of the file; it sticks once set. ``journal_mode`` records what
                # the file system allowed (some network shares cannot do WAL).
                self.journal_mode = str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
                migrate_sqlite(conn, self.path)
        except BaseException:
            self.close()
            raise

    # ----------------------------------------------------------------------------- plumbing

    def _connect(self) -> sqlite3.Connection:
        with self._translate("open the project database"):
            conn = sqlite3.connect(
                str(self.path),
                timeout=self.busy_timeout_s,
                isolation_level=None,  # explicit BEGIN/COMMIT: we decide where transactions end
                check_same_thread=False,  # only so close() can close it from another thread
            )
            try:
                conn.execute("PRAGMA foreign_keys=ON")
                # NORMAL in WAL mode: a commit may be lost on power failure, never corrupted, and
                # commits do not wait for an fsync each.
                conn.execute("PRAGMA synchronous=NORMAL")
            except BaseException:
                conn.close()
                raise
        return conn

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise RuntimeError(f"{self.path}: the store is closed")
        conn = self._connect()
        me = threading.current_thread()
        with self._conns_lock:
            # Pool threads come and go; close connections of threads that have ended.
            alive = []
            for thread, other in self._conns:
                if thread.is_alive():
                    alive.append((thread, other))
                else:
                    other.close()
            alive.append((me, conn))
            self._conns = alive
        self._local.conn = conn
        return conn

    @contextmanager
    def _translate(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            err = _user_error(exc, self.path, action)
            if err is None:
                raise
            raise err from exc

    @contextmanager
    def _write(self, action: str) -> Iterator[sqlite3.Connection]:
        """One write transaction; everything in it lands or nothing does."""
        conn = self._connection()
        with self._translate(action):
            # IMMEDIATE takes the write lock up front: a deferred transaction that later needs to
            # write can fail with "database is locked" at once instead of waiting its turn.
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # some errors (disk full) already rolled back
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass  # report the error that caused the rollback, not this one
                raise

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        conn = self._connection()
        with self._translate("read the project database"):
            return conn.execute(sql, params).fetchall()

    # Public hooks for the other parts of the store (segments, predictions, ID fixes) that live in
    # their own modules: they get the same transaction and error translation as the methods here.

    def transaction(self, action: str):
        """Context manager for one write transaction: ``with store.transaction("save a segment") as conn``.
        ``action`` completes the message of a disk error ("could not <action>: ...")."""
        return self._write(action)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Rows of one read-only statement, with disk errors turned into ProjectError."""
        return self._read(sql, params)

    def close(self) -> None:
        """Close every thread's connection; the store cannot be used afterwards."""
        self._closed = True
        with self._conns_lock:
            conns, self._conns = self._conns, []
        for _, conn in conns:
            try:
                # SQLite's advice for long-lived apps: refresh planner statistics on close, with
                # a sampling limit so it stays fast on big databases.
                conn.execute("PRAGMA analysis_limit=400")
                conn.execute("PRAGMA optimize")
            except sqlite3.Error:
                pass  # read-only or busy: statistics are only a hint
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --------------------------------------------------------------------------------- runs

    @staticmethod
    def _run_from_row(row: tuple) -> AnalysisRun:
        return AnalysisRun(
            id=row[0],
            camera_id=row[1],
            config=json.loads(row[2]),
            config_key=row[3],
            status=row[4],
            last_committed_frame=row[5],
            frames_total=row[6],
            started_at=row[7],
            finished_at=row[8],
            summary=json.loads(row[9]),
        )

    def _missing(self, run_id: int) -> ProjectError:
        return ProjectError(f"analysis run {run_id} does not exist (it may have been deleted)", self.path)

    def begin_run(self, camera_id: str, config: dict[str, Any], frames_total: int | None) -> AnalysisRun:
        """Record a new run in state ``running`` and return it.

        ``config`` must be JSON-serialisable: it is stored to show the user what the run used, and
        its fingerprint decides which earlier run :meth:`find_resumable_run` may continue.
        """
        key = config_key(config)
        config_json = json.dumps(config, sort_keys=True, ensure_ascii=False, allow_nan=False)
        frames_total = None if frames_total is None else int(frames_total)
        with self._write("start an analysis run") as conn:
            cur = conn.execute(
                "INSERT INTO analysis_runs (camera_id, config, config_key, status, last_committed_frame, "
                "frames_total, started_at, finished_at, summary) VALUES (?, ?, ?, 'running', -1, ?, ?, NULL, '{}')",
                (camera_id, config_json, key, frames_total, _now()),
            )
            run_id = cur.lastrowid
        return self.run(run_id)

    def run(self, run_id: int) -> AnalysisRun:
        rows = self._read(f"SELECT {_RUN_COLUMNS} FROM analysis_runs WHERE id = ?", (int(run_id),))
        if not rows:
            raise self._missing(run_id)
        return self._run_from_row(rows[0])

    def runs(self, camera_id: str | None = None) -> list[AnalysisRun]:
        """All runs, oldest first, optionally of one camera."""
        if camera_id is None:
            rows = self._read(f"SELECT {_RUN_COLUMNS} FROM analysis_runs ORDER BY id")
        else:
            rows = self._read(
                f"SELECT {_RUN_COLUMNS} FROM analysis_runs WHERE camera_id = ? ORDER BY id", (camera_id,)
            )
        return [self._run_from_row(r) for r in rows]

    def latest_run(self, camera_id: str, status: str | None = "completed") -> AnalysisRun | None:
        """Newest run of the camera with that status (any status when ``status`` is None)."""
        if status is None:
            rows = self._read(
                f"SELECT {_RUN_COLUMNS} FROM analysis_runs WHERE camera_id = ? ORDER BY id DESC LIMIT 1",
                (camera_id,),
            )
        else:
            rows = self._read(
                f"SELECT {_RUN_COLUMNS} FROM analysis_runs WHERE camera_id = ? AND status = ? "
                "ORDER BY id DESC LIMIT 1",
                (camera_id, status),
            )
        return self._run_from_row(rows[0]) if rows else None

    def find_resumable_run(self, camera_id: str, config: dict[str, Any]) -> AnalysisRun | None:
        """Newest unfinished run (running, cancelled or failed) of this camera with these settings.

        A run left ``running`` is what a crash leaves behind. The store cannot tell it from a run
        another thread is executing right now; the caller must not resume a run it is running.
        """
        rows = self._read(
            f"SELECT {_RUN_COLUMNS} FROM analysis_runs WHERE camera_id = ? AND config_key = ? "
            "AND status != 'completed' ORDER BY id DESC LIMIT 1",
            (camera_id, config_key(config)),
        )
        return self._run_from_row(rows[0]) if rows else None

    def finish_run(self, run_id: int, status: str, summary: dict[str, Any] | None = None) -> None:
        """Mark a run completed, cancelled or failed; ``summary`` (if given) replaces the old one."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"finish status must be one of {FINAL_STATUSES}, got {status!r}")
        with self._write("finish the analysis run") as conn:
            if summary is None:
                cur = conn.execute(
                    "UPDATE analysis_runs SET status = ?, finished_at = ? WHERE id = ?",
                    (status, _now(), int(run_id)),
                )
            else:
                cur = conn.execute(
                    "UPDATE analysis_runs SET status = ?, finished_at = ?, summary = ? WHERE id = ?",
                    (status, _now(), json.dumps(summary, ensure_ascii=False, allow_nan=False), int(run_id)),
                )
            if cur.rowcount == 0:
                raise self._missing(run_id)

    def set_status(self, run_id: int, status: str) -> None:
        """Set any status, e.g. back to ``running`` when a cancelled run is resumed."""
        if status not in RUN_STATUSES:
            raise ValueError(f"status must be one of {RUN_STATUSES}, got {status!r}")
        with self._write("update the analysis run") as conn:
            finished = None if status == "running" else _now()
            cur = conn.execute(
                "UPDATE analysis_runs SET status = ?, finished_at = ? WHERE id = ?", (status, finished, int(run_id))
            )
            if cur.rowcount == 0:
                raise self._missing(run_id)

    def delete_run(self, run_id: int) -> None:
        """Delete a run with its track points and detections (foreign-key cascade)."""
        with self._write("delete the analysis run") as conn:
            conn.execute("DELETE FROM analysis_runs WHERE id = ?", (int(run_id),))

    # ------------------------------------------------------------------------------- writing

    def commit(
        self,
        run_id: int,
        last_frame: int,
        points: Iterable[TrackPoint],
        detections: Iterable[DetectionFrame] = (),
    ) -> None:
        """Store a batch of results and advance ``last_committed_frame`` in ONE transaction.

        Either all of it is stored or none of it (an exception, a full disk or a crash leaves the
        previous state). Rows are keyed by (run, frame, track) and (run, frame): committing the same
        frames again replaces them, so replaying a batch after a crash never duplicates anything.
        """
        run_id = int(run_id)
        # Rows are built lazily inside the transaction: no second copy of a big batch, and a bad
        # value part way through rolls back whatever was inserted before it. int()/float() also
        # accept numpy scalars, which sqlite3 cannot bind.
        point_rows = (
            (run_id, int(p.frame), float(p.time_s), int(p.track_id), float(p.x1), float(p.y1),
             float(p.x2), float(p.y2), float(p.confidence), p.source)
            for p in points
        )
        det_rows = (
            (run_id, d.frame, len(d), None if d.embeddings is None else int(d.embeddings.shape[1]),
             _encode(d.boxes), _encode(d.scores), None if d.embeddings is None else _encode(d.embeddings))
            for d in detections
        )
        with self._write("save analysis results") as conn:
            cur = conn.execute(
                "UPDATE analysis_runs SET last_committed_frame = ? WHERE id = ?", (int(last_frame), run_id)
            )
            if cur.rowcount == 0:
                raise self._missing(run_id)
            conn.executemany(
                f"INSERT OR REPLACE INTO track_points (run_id, {_POINT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                point_rows,
            )
            conn.executemany(
                "INSERT OR REPLACE INTO detection_frames (run_id, frame, n, dim, boxes, scores, embeddings) "
                "VALUES (?,?,?,?,?,?,?)",
                det_rows,
            )

    def delete_after(self, run_id: int, frame: int) -> None:
        """Drop results after ``frame`` and pull ``last_committed_frame`` back to it if beyond.

        A resumed run restarts at ``last_committed_frame + 1``; anything stored past it (which a
        correct writer never leaves) would otherwise mix with the new results.
        """
        frame = int(frame)
        run_id = int(run_id)
        with self._write("trim analysis results") as conn:
            conn.execute("DELETE FROM track_points WHERE run_id = ? AND frame > ?", (run_id, frame))
            conn.execute("DELETE FROM detection_frames WHERE run_id = ? AND frame > ?", (run_id, frame))
            conn.execute(
                "UPDATE analysis_runs SET last_committed_frame = ? WHERE id = ? AND last_committed_frame > ?",
                (frame, run_id, frame),
            )

    # ------------------------------------------------------------------------------- reading

    @staticmethod
    def _frame_range(start_frame: int | None, stop_frame: int | None) -> tuple[str, list[int]]:
        sql, params = "", []
        if start_frame is not None:
            sql += " AND frame >= ?"
            params.append(int(start_frame))
        if stop_frame is not None:
            sql += " AND frame <= ?"
            params.append(int(stop_frame))
        return sql, params

    def track_points(
        self, run_id: int, start_frame: int | None = None, stop_frame: int | None = None
    ) -> list[TrackPoint]:
        """Points with ``start_frame <= frame <= stop_frame`` (both inclusive, like
        ``last_committed_frame``), ordered by frame then track id."""
        where, params = self._frame_range(start_frame, stop_frame)
        rows = self._read(
            f"SELECT {_POINT_COLUMNS} FROM track_points WHERE run_id = ?{where} ORDER BY frame, track_id",
            [int(run_id), *params],
        )
        return [TrackPoint(*r) for r in rows]

    def track_array(
        self, run_id: int, start_frame: int | None = None, stop_frame: int | None = None
    ) -> pd.DataFrame:
        """The run's points as a pandas DataFrame, for analytics that work on whole columns.

        Columns :data:`TRACK_COLUMNS`: ``frame`` and ``track_id`` int64, the numbers float64,
        ``source`` categorical over :data:`~retail_desktop.project.model.SOURCES`; ordered by frame
        then track id, with a default RangeIndex. Frame bounds as in :meth:`track_points`.
        """
        import pandas as pd  # only here: importing pandas costs startup time for every other user

        where, params = self._frame_range(start_frame, stop_frame)
        rows = self._read(
            f"SELECT {_POINT_COLUMNS} FROM track_points WHERE run_id = ?{where} ORDER BY frame, track_id",
            [int(run_id), *params],
        )
        columns = list(zip(*rows)) if rows else [()] * len(TRACK_COLUMNS)
        data: dict[str, Any] = {}
        for name, values in zip(TRACK_COLUMNS, columns):
            if name in ("frame", "track_id"):
                data[name] = np.array(values, dtype=np.int64)
            elif name == "source":
                data[name] = pd.Categorical(list(values), categories=list(SOURCES))
            else:
                data[name] = np.array(values, dtype=np.float64)
        return pd.DataFrame(data, columns=list(TRACK_COLUMNS))

    def track(self, run_id: int, track_id: int) -> list[TrackPoint]:
        """One track's points in frame order (a trajectory).

        ``INDEXED BY`` because, without statistics, SQLite prefers scanning the whole run through
        the primary key, which for a long run is thousands of times more rows than one track has.
        """
        rows = self._read(
            f"SELECT {_POINT_COLUMNS} FROM track_points INDEXED BY track_points_track "
            "WHERE run_id = ? AND track_id = ? ORDER BY frame",
            (int(run_id), int(track_id)),
        )
        return [TrackPoint(*r) for r in rows]

    def track_ids(self, run_id: int) -> list[int]:
        """Distinct track ids of a run, ascending."""
        rows = self._read(
            "SELECT DISTINCT track_id FROM track_points INDEXED BY track_points_track WHERE run_id = ? "
            "ORDER BY track_id",
            (int(run_id),),
        )
        return [r[0] for r in rows]

    def count_points(self, run_id: int) -> int:
        return int(self._read("SELECT count(*) FROM track_points WHERE run_id = ?", (int(run_id),))[0][0])

    def iter_detection_frames(
        self, run_id: int, start_frame: int | None = None, stop_frame: int | None = None
    ) -> Iterator[DetectionFrame]:
        """Stored detections in frame order, fetched in chunks so a long run's embeddings need not
        all fit in memory at once. Frame bounds are inclusive."""
        where, params = self._frame_range(start_frame, stop_frame)
        sql = (
            "SELECT frame, n, dim, boxes, scores, embeddings FROM detection_frames "
            f"WHERE run_id = ?{where} AND frame > ? ORDER BY frame LIMIT 512"
        )
        after = -(2**62)
        while True:
            rows = self._read(sql, [int(run_id), *params, after])
            if not rows:
                return
            for frame, n, dim, boxes, scores, emb in rows:
                yield DetectionFrame(
                    frame=frame,
                    boxes=_decode(boxes, (n, 4)),
                    scores=_decode(scores, (n,)),
                    embeddings=None if emb is None else _decode(emb, (n, dim)),
                )
            after = rows[-1][0]

    def detection_frames(self, run_id: int, stop_frame: int | None = None) -> dict[int, DetectionFrame]:
        """Stored detections with ``frame <= stop_frame``, keyed by frame (in frame order)."""
        return {d.frame: d for d in self.iter_detection_frames(run_id, stop_frame=stop_frame)}

    def count_detection_frames(self, run_id: int) -> int:
        return int(self._read("SELECT count(*) FROM detection_frames WHERE run_id = ?", (int(run_id),))[0][0])
