"""Opening projects written by older schema versions."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from retail_desktop.errors import ProjectError
from retail_desktop.project import SCHEMA_VERSION, DetectionFrame, Project, TrackPoint
from retail_desktop.project.migrations import JSON_MIGRATIONS, SQLITE_MIGRATIONS, migrate_sqlite, sqlite_version

V1_JSON = {
    "schema_version": 1,
    "cameras": [
        {"id": "cam1", "name": "Entrance", "video": "/videos/entrance.mp4"},
        {"id": "cam2", "name": "Till", "video": "/videos/till.mp4"},
    ],
    "settings": {"stride": 2},
}


def write_v1_project(folder):
    """A project as Retail Desktop schema 1 left it: json without offsets, a v1 database with one run."""
    raw = json.dumps(V1_JSON, indent=2).encode()
    (folder / "project.json").write_bytes(raw)
    conn = sqlite3.connect(folder / "project.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    migrate_sqlite(conn, folder / "project.sqlite", target=1)
    conn.execute(
        "INSERT INTO analysis_runs (camera_id, config, config_key, status, last_committed_frame, frames_total,"
        " started_at, finished_at, summary) VALUES ('cam1', '{}', 'k', 'completed', 9, 10, 't0', 't1', '{\"n\": 1}')"
    )
    conn.executemany(
        "INSERT INTO track_points VALUES (1, ?, ?, 7, 1, 2, 3, 4, 0.5, 'detected')",
        [(f, f / 10) for f in range(10)],
    )
    conn.close()
    return raw


def test_migration_steps_cover_every_version():
    assert set(JSON_MIGRATIONS) == set(range(1, SCHEMA_VERSION))
    assert set(SQLITE_MIGRATIONS) == set(range(0, SCHEMA_VERSION))


def test_v1_project_opens_migrated_with_backup(tmp_path):
    raw = write_v1_project(tmp_path)
    p = Project.open(tmp_path)
    assert p.migrated_from == 1
    assert p.backup_path == tmp_path / "project.json.v1.bak"
    assert (tmp_path / "project.json.v1.bak").read_bytes() == raw
    assert [(c.id, c.name, c.offset_s, c.homography) for c in p.cameras] == [
        ("cam1", "Entrance", 0.0, None),
        ("cam2", "Till", 0.0, None),
    ]
    assert p.settings == {"stride": 2}
    on_disk = json.loads((tmp_path / "project.json").read_text())
    assert on_disk["schema_version"] == SCHEMA_VERSION
    assert on_disk["cameras"][0]["offset_s"] == 0.0

    # The database is upgraded on first use, keeping its rows, and gains the v2 features.
    store = p.store
    run = store.run(1)
    assert (run.status, run.last_committed_frame, run.summary) == ("completed", 9, {"n": 1})
    assert store.count_points(1) == 10
    assert store.track_points(1, 3, 3) == [TrackPoint(3, 0.3, 7, 1, 2, 3, 4, 0.5, "detected")]
    store.commit(1, 9, [], [DetectionFrame(0, np.zeros((0, 4)), np.zeros(0), None)])
    assert list(store.detection_frames(1)) == [0]
    p.close()
    conn = sqlite3.connect(tmp_path / "project.sqlite")
    assert sqlite_version(conn) == SCHEMA_VERSION
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "track_points_track" in indexes
    conn.close()

    # Opening again: nothing left to migrate, backup untouched.
    q = Project.open(tmp_path)
    assert q.migrated_from is None
    assert (tmp_path / "project.json.v1.bak").read_bytes() == raw


def test_existing_backup_is_never_overwritten(tmp_path):
    raw = write_v1_project(tmp_path)
    (tmp_path / "project.json.v1.bak").write_text("an older backup")
    p = Project.open(tmp_path)
    assert (tmp_path / "project.json.v1.bak").read_text() == "an older backup"
    assert p.backup_path == tmp_path / "project.json.v1.2.bak"
    assert p.backup_path.read_bytes() == raw


def test_fresh_and_migrated_databases_have_the_same_schema(tmp_path):
    (tmp_path / "old").mkdir()
    write_v1_project(tmp_path / "old")
    Project.open(tmp_path / "old").store.close()
    Project.create(tmp_path / "new").store.close()

    def schema(path):
        conn = sqlite3.connect(path)
        rows = conn.execute("SELECT type, name, tbl_name FROM sqlite_master ORDER BY name").fetchall()
        cols = {t: conn.execute(f"PRAGMA table_info({t})").fetchall() for _, t, _ in rows}
        conn.close()
        return rows, cols

    assert schema(tmp_path / "old" / "project.sqlite") == schema(tmp_path / "new" / "project.sqlite")


def test_failed_sqlite_migration_leaves_database_unchanged(tmp_path, monkeypatch):
    write_v1_project(tmp_path)

    def broken(conn):
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("bug in a migration step")

    monkeypatch.setitem(SQLITE_MIGRATIONS, 1, broken)
    p = Project.open(tmp_path)
    with pytest.raises(RuntimeError):
        p.store
    conn = sqlite3.connect(tmp_path / "project.sqlite")
    assert sqlite_version(conn) == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "half_done" not in tables and "detection_frames" not in tables
    assert conn.execute("SELECT count(*) FROM track_points").fetchone()[0] == 10
    conn.close()


def test_foreign_sqlite_database_is_refused(tmp_path):
    Project.create(tmp_path)
    conn = sqlite3.connect(tmp_path / "project.sqlite")
    conn.execute("CREATE TABLE something_else (x)")
    conn.commit()
    conn.close()
    p = Project.open(tmp_path)
    with pytest.raises(ProjectError, match="not a Retail Desktop one"):
        p.store
