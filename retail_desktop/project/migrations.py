"""Schema versions of a project and the steps that bring older projects up to date.

Both files of a project share one schema number: ``project.json`` stores it as ``schema_version`` and
``project.sqlite`` as ``PRAGMA user_version``. A release that changes only one file still bumps the
number and registers a no-op step for the other, so "schema N" always means one thing in messages.

Each step is keyed by the version it upgrades *from* and produces version + 1; steps run in order, so
a v1 project opened by a v5 release passes through 1->2->3->4->5 and every step stays small and
testable. Never edit a released step: add a new one.

History:

* v1: cameras are ``{id, name, video}``; the database holds analysis runs and track points.
* v2: cameras gain ``offset_s`` (place on the project timeline) and ``homography`` (to the floor
  plan); the database keeps raw detections per frame (``detection_frames``) so a run can be
  re-tracked without the detector, and track points get a per-track index for trajectory queries.
* v3: behaviour ``segments`` on tracks (human labels, rule suggestions, imported labels) and
  ``behavior_predictions`` (a model's label per track window, with the model version that made it);
  ``project.json`` may carry ``zones`` and ``floor_plan`` (no change to existing keys).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Callable

from ..errors import ProjectError

SCHEMA_VERSION = 3


def newer_schema_error(path: Path, version: int) -> ProjectError:
    return ProjectError(
        f"was written by a newer Retail Desktop (schema {version}); this version reads schema "
        f"{SCHEMA_VERSION} or older, so update Retail Desktop to open it",
        path,
    )


# ---------------------------------------------------------------------------------------- json


def _json_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    cameras = []
    for cam in data.get("cameras", []):
        cam = dict(cam) if isinstance(cam, dict) else cam
        if isinstance(cam, dict):
            cam.setdefault("offset_s", 0.0)
            cam.setdefault("homography", None)
        cameras.append(cam)
    return {**data, "cameras": cameras, "settings": data.get("settings", {})}


def _json_2_to_3(data: dict[str, Any]) -> dict[str, Any]:
    # Zones and the floor plan are new optional keys; nothing existing changes shape.
    return dict(data)


JSON_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: _json_1_to_2,
    2: _json_2_to_3,
}


def migrate_json(data: dict[str, Any], path: Path, target: int = SCHEMA_VERSION) -> dict[str, Any]:
    """Return ``data`` upgraded to ``target``; the input dict is not modified.

    >>> migrate_json({"schema_version": 1, "cameras": [{"id": "cam1", "name": "A", "video": "/a.mp4"}]},
    ...              Path("project.json"))["cameras"][0]["offset_s"]
    0.0
    """
    version = data["schema_version"]
    if version > SCHEMA_VERSION:
        raise newer_schema_error(path, version)
    while version < target:
        step = JSON_MIGRATIONS.get(version)
        if step is None:
            raise ProjectError(f"schema {version} is too old for this Retail Desktop to upgrade", path)
        data = step(data)
        version += 1
        data = {**data, "schema_version": version}
    return data


# -------------------------------------------------------------------------------------- sqlite


def _sqlite_0_to_1(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE analysis_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            camera_id TEXT NOT NULL,
            config TEXT NOT NULL,
            config_key TEXT NOT NULL,
            status TEXT NOT NULL,
            last_committed_frame INTEGER NOT NULL DEFAULT -1,
            frames_total INTEGER,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            summary TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    conn.execute("CREATE INDEX analysis_runs_camera ON analysis_runs(camera_id, config_key)")
    # WITHOUT ROWID clusters the rows by (run, frame, track): reading a frame range, the most common
    # query, touches consecutive pages, and the primary key doubles as the (run_id, frame) index.
    conn.execute(
        """
        CREATE TABLE track_points (
            run_id INTEGER NOT NULL REFERENCES analysis_runs(id) ON DELETE CASCADE,
            frame INTEGER NOT NULL,
            time_s REAL NOT NULL,
            track_id INTEGER NOT NULL,
            x1 REAL NOT NULL,
            y1 REAL NOT NULL,
            x2 REAL NOT NULL,
            y2 REAL NOT NULL,
            confidence REAL NOT NULL,
            source TEXT NOT NULL,
            PRIMARY KEY (run_id, frame, track_id)
        ) WITHOUT ROWID
        """
    )


def _sqlite_1_to_2(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE INDEX track_points_track ON track_points(run_id, track_id)")
    # A rowid table, not WITHOUT ROWID: embedding blobs run to kilobytes per frame, and SQLite
    # advises against WITHOUT ROWID for large rows.
    conn.execute(
        """
        CREATE TABLE detection_frames (
            run_id INTEGER NOT NULL REFERENCES analysis_runs(id) ON DELETE CASCADE,
            frame INTEGER NOT NULL,
            n INTEGER NOT NULL,
            dim INTEGER,
            boxes BLOB NOT NULL,
            scores BLOB NOT NULL,
            embeddings BLOB,
            UNIQUE (run_id, frame)
        )
        """
    )


def _sqlite_2_to_3(conn: sqlite3.Connection) -> None:
    # Segments hang off (run, track): an analysis run's track ids are the identities people are
    # labelled by. ID fixes (merge/split) rewrite track ids in place and move segments with them.
    conn.execute(
        """
        CREATE TABLE segments (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES analysis_runs(id) ON DELETE CASCADE,
            track_id INTEGER NOT NULL,
            start_frame INTEGER NOT NULL,
            end_frame INTEGER NOT NULL,
            label TEXT NOT NULL,
            taxonomy TEXT NOT NULL,
            source TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'accepted',
            annotator TEXT,
            confidence REAL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            CHECK (end_frame >= start_frame)
        )
        """
    )
    conn.execute("CREATE INDEX segments_track ON segments(run_id, track_id, start_frame)")
    conn.execute(
        """
        CREATE TABLE behavior_predictions (
            run_id INTEGER NOT NULL REFERENCES analysis_runs(id) ON DELETE CASCADE,
            track_id INTEGER NOT NULL,
            start_frame INTEGER NOT NULL,
            end_frame INTEGER NOT NULL,
            label TEXT NOT NULL,
            confidence REAL NOT NULL,
            probabilities TEXT NOT NULL,
            model TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (run_id, track_id, start_frame, model)
        ) WITHOUT ROWID
        """
    )


SQLITE_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    0: _sqlite_0_to_1,
    1: _sqlite_1_to_2,
    2: _sqlite_2_to_3,
}


def sqlite_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate_sqlite(conn: sqlite3.Connection, path: Path, target: int = SCHEMA_VERSION) -> int:
    """Upgrade the open database to ``target`` in one transaction; return the version it had.

    The connection must be in autocommit mode (``isolation_level=None``). DDL is transactional in
    SQLite, so a failure part way leaves the file exactly as it was. A fresh file (version 0) is
    built by running every step from 0, so new and upgraded databases cannot drift apart.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Read the version inside the write lock: another process may have upgraded meanwhile.
        version = sqlite_version(conn)
        if version > SCHEMA_VERSION:
            raise newer_schema_error(path, version)
        if version == 0:
            tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
            if tables:
                raise ProjectError("is an SQLite database, but not a Retail Desktop one", path)
        start = version
        while version < target:
            step = SQLITE_MIGRATIONS.get(version)
            if step is None:
                raise ProjectError(f"schema {version} is too old for this Retail Desktop to upgrade", path)
            step(conn)
            version += 1
        if version != start:
            conn.execute(f"PRAGMA user_version = {int(version)}")
        conn.execute("COMMIT")
        return start
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
