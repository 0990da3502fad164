"""project.sqlite: runs, atomic commits, replay-safe keys, detection blobs, disk errors, threads."""

from __future__ import annotations

import sqlite3
import threading
import time

import numpy as np
import pandas as pd
import pytest

from retail_desktop.errors import ProjectError
from retail_desktop.project import TRACK_COLUMNS, DetectionFrame, Project, Store, TrackPoint, config_key

CONFIG = {"detector": {"name": "yolov8n", "sha256": "abc"}, "tracker": "bytetrack", "stride": 2}


@pytest.fixture
def project(tmp_path):
    p = Project.create(tmp_path / "shop")
    p.add_camera("Entrance", tmp_path / "e.mp4")
    yield p
    p.close()


@pytest.fixture
def store(project):
    return project.store


def points(frames, tracks=(1, 2), source="detected", shift=0.0):
    return [
        TrackPoint(f, f / 25, t, 10.0 * t + shift, 20.0, 10.0 * t + 30, 80.0, 0.5 + t / 10, source)
        for f in frames
        for t in tracks
    ]


def test_wal_and_pragmas(store, project):
    conn = store._connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.journal_mode == "wal"
    # WAL is recorded in the file itself: another program sees it too.
    other = sqlite3.connect(project.sqlite_path)
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()


def test_runs_lifecycle(store):
    assert store.runs() == [] and store.latest_run("cam1") is None
    run = store.begin_run("cam1", CONFIG, frames_total=100)
    assert (run.camera_id, run.status, run.last_committed_frame, run.frames_total) == ("cam1", "running", -1, 100)
    assert run.config == CONFIG and run.config_key == config_key(CONFIG)
    assert run.finished_at is None and run.summary == {} and run.started_at
    assert store.find_resumable_run("cam1", dict(reversed(list(CONFIG.items())))) == run  # key order free
    assert store.find_resumable_run("cam1", {**CONFIG, "stride": 1}) is None
    assert store.find_resumable_run("cam2", CONFIG) is None

    store.finish_run(run.id, "cancelled")
    assert store.find_resumable_run("cam1", CONFIG).status == "cancelled"
    newer = store.begin_run("cam1", CONFIG, None)
    assert store.find_resumable_run("cam1", CONFIG).id == newer.id  # newest wins
    store.finish_run(newer.id, "completed", {"tracks": 3})
    done = store.run(newer.id)
    assert done.status == "completed" and done.summary == {"tracks": 3} and done.finished_at
    assert store.find_resumable_run("cam1", CONFIG).id == run.id  # completed runs are never resumed
    assert store.latest_run("cam1").id == newer.id
    assert store.latest_run("cam1", status="cancelled").id == run.id
    assert store.latest_run("cam1", status=None).id == newer.id
    other = store.begin_run("cam2", {}, None)
    assert [r.id for r in store.runs()] == [run.id, newer.id, other.id]
    assert [r.id for r in store.runs("cam2")] == [other.id]

    store.set_status(run.id, "running")
    assert store.run(run.id).finished_at is None
    with pytest.raises(ValueError):
        store.finish_run(run.id, "running")
    with pytest.raises(ProjectError, match="analysis run 999 does not exist"):
        store.run(999)
    with pytest.raises(ProjectError, match="does not exist"):
        store.commit(999, 0, points([0]))


def test_commit_and_read_back(store):
    run = store.begin_run("cam1", CONFIG, 10)
    store.commit(run.id, 4, points(range(5), tracks=(2, 1)))
    assert store.run(run.id).last_committed_frame == 4
    got = store.track_points(run.id)
    assert [(p.frame, p.track_id) for p in got] == [(f, t) for f in range(5) for t in (1, 2)]
    assert got[0] == TrackPoint(0, 0.0, 1, 10.0, 20.0, 40.0, 80.0, 0.6, "detected")
    assert [p.frame for p in store.track_points(run.id, 1, 3)] == [1, 1, 2, 2, 3, 3]  # inclusive
    assert [p.frame for p in store.track_points(run.id, stop_frame=0)] == [0, 0]
    assert [p.frame for p in store.track_points(run.id, start_frame=4)] == [4, 4]
    assert store.count_points(run.id) == 10


def test_numpy_scalars_are_accepted(store):
    run = store.begin_run("cam1", CONFIG, None)
    p = TrackPoint(np.int64(3), np.float32(0.12), np.int32(5), *np.float32([1, 2, 3, 4, 0.5]), "predicted")
    store.commit(run.id, np.int64(3), [p])
    (back,) = store.track_points(run.id)
    assert type(back.frame) is int and back.track_id == 5 and back.x2 == 3.0
    assert back.time_s == pytest.approx(0.12)


def test_track_array_is_a_dataframe(store):
    run = store.begin_run("cam1", CONFIG, None)
    empty = store.track_array(run.id)
    assert isinstance(empty, pd.DataFrame) and list(empty.columns) == list(TRACK_COLUMNS) and len(empty) == 0
    store.commit(run.id, 2, points(range(3)) + [TrackPoint(1, 0.04, 9, 0, 0, 1, 1, 1.0, "manual")])
    df = store.track_array(run.id)
    assert list(df.columns) == list(TRACK_COLUMNS)
    assert len(df) == 7
    assert df["frame"].dtype == np.int64 and df["track_id"].dtype == np.int64
    assert df["x1"].dtype == np.float64
    assert isinstance(df["source"].dtype, pd.CategoricalDtype)
    assert list(df["frame"]) == [0, 0, 1, 1, 1, 2, 2]
    assert list(df.loc[df.source == "manual", "track_id"]) == [9]
    assert len(store.track_array(run.id, 1, 1)) == 3
    assert empty["frame"].dtype == np.int64


def test_same_frames_twice_never_duplicate(store):
    run = store.begin_run("cam1", CONFIG, None)
    dets = [DetectionFrame(f, [[1, 2, 3, 4]], [0.5]) for f in range(3)]
    store.commit(run.id, 2, points(range(3)), dets)
    store.commit(run.id, 2, points(range(3), shift=5.0), dets)  # a replayed batch after a crash
    store.commit(run.id, 2, points([1, 1]))  # duplicates inside one batch too
    assert store.count_points(run.id) == 6
    assert store.count_detection_frames(run.id) == 3
    assert {p.x1 for p in store.track_points(run.id, 0, 0)} == {15.0, 25.0}  # replaced, not kept twice


def test_exception_inside_commit_leaves_everything(store):
    run = store.begin_run("cam1", CONFIG, None)
    store.commit(run.id, 9, points(range(10)), [DetectionFrame(f, [[0, 0, 1, 1]], [0.9]) for f in range(10)])
    before_points = store.track_points(run.id)
    before_dets = store.detection_frames(run.id)

    # A bad value half way through the points: rows before it were already inserted.
    bad = points(range(10, 20))
    bad[7].x1 = "not a number"
    with pytest.raises(ValueError):
        store.commit(run.id, 19, bad)
    # The points are all fine but the detections fail afterwards.
    def failing_detections():
        yield DetectionFrame(10, [[0, 0, 1, 1]], [0.9])
        raise RuntimeError("detector blew up")

    with pytest.raises(RuntimeError):
        store.commit(run.id, 19, points(range(10, 20)), failing_detections())

    assert store.run(run.id).last_committed_frame == 9
    assert store.track_points(run.id) == before_points
    assert store.detection_frames(run.id) == before_dets
    # And the store is still usable afterwards.
    store.commit(run.id, 10, points([10]))
    assert store.run(run.id).last_committed_frame == 10


def test_detection_blobs_round_trip_exactly(store):
    rng = np.random.default_rng(0)
    run = store.begin_run("cam1", CONFIG, None)
    frames = [
        DetectionFrame(0, rng.random((3, 4), dtype=np.float32) * 1920, rng.random(3, dtype=np.float32),
                       rng.standard_normal((3, 128), dtype=np.float32)),
        DetectionFrame(1, np.zeros((0, 4), np.float32), np.zeros(0, np.float32), None),  # nobody there
        DetectionFrame(2, np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0, 128), np.float32)),
        DetectionFrame(5, rng.random((2, 4), dtype=np.float32), rng.random(2, dtype=np.float32), None),
        DetectionFrame(6, [], [], None),  # lists are coerced
    ]
    store.commit(run.id, 6, [], frames)
    back = store.detection_frames(run.id)
    assert list(back) == [0, 1, 2, 5, 6]
    for original in frames:
        got = back[original.frame]
        assert got == original
        assert got.boxes.dtype == np.float32 and got.scores.dtype == np.float32
        assert got.boxes.tobytes() == original.boxes.tobytes()  # bit-exact, not approximately
        assert got.boxes.shape == original.boxes.shape and got.scores.shape == original.scores.shape
        if original.embeddings is None:
            assert got.embeddings is None
        else:
            assert got.embeddings.shape == original.embeddings.shape
            assert got.embeddings.tobytes() == original.embeddings.tobytes()
        got.boxes[...] = 0  # writable, not a view of the blob
    assert list(store.detection_frames(run.id, stop_frame=2)) == [0, 1, 2]
    assert [d.frame for d in store.iter_detection_frames(run.id, start_frame=2, stop_frame=5)] == [2, 5]
    # No pickle anywhere: the blob is the raw little-endian float32 bytes.
    raw = store._connection().execute("SELECT boxes FROM detection_frames WHERE frame = 0").fetchone()[0]
    assert raw == frames[0].boxes.astype("<f4").tobytes()


def test_iter_detection_frames_pages_through_long_runs(store):
    run = store.begin_run("cam1", CONFIG, None)
    store.commit(run.id, 1199, [], [DetectionFrame(f, [[f, 0, f + 1, 1]], [0.5]) for f in range(1200)])
    frames = [d.frame for d in store.iter_detection_frames(run.id)]
    assert frames == list(range(1200))


def test_detection_frame_validation():
    with pytest.raises(ValueError):
        DetectionFrame(0, np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError):
        DetectionFrame(0, np.zeros((2, 4)), np.zeros(3))
    with pytest.raises(ValueError):
        DetectionFrame(0, np.zeros((2, 4)), np.zeros(2), np.zeros((3, 8)))
    with pytest.raises(ValueError):
        TrackPoint(0, 0.0, 1, 0, 0, 1, 1, 1.0, "guessed")


def test_delete_after_and_delete_run(store):
    run = store.begin_run("cam1", CONFIG, None)
    store.commit(run.id, 9, points(range(10)), [DetectionFrame(f, [], []) for f in range(10)])
    store.delete_after(run.id, 4)
    assert store.count_points(run.id) == 10
    assert max(p.frame for p in store.track_points(run.id)) == 4
    assert list(store.detection_frames(run.id)) == [0, 1, 2, 3, 4]
    assert store.run(run.id).last_committed_frame == 4
    store.delete_after(run.id, 7)  # never moves last_committed_frame forward
    assert store.run(run.id).last_committed_frame == 4

    keep = store.begin_run("cam1", CONFIG, None)
    store.commit(keep.id, 0, points([0]))
    store.delete_run(run.id)
    assert [r.id for r in store.runs()] == [keep.id]
    conn = store._connection()
    assert conn.execute("SELECT count(*) FROM track_points WHERE run_id = ?", (run.id,)).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM detection_frames WHERE run_id = ?", (run.id,)).fetchone()[0] == 0
    assert store.count_points(keep.id) == 2
    # Ids are never reused, so a stale reference cannot point at someone else's run.
    assert store.begin_run("cam1", CONFIG, None).id > keep.id


def test_indexes_serve_frame_and_track_queries(store, monkeypatch):
    run = store.begin_run("cam1", CONFIG, None)
    store.commit(run.id, 99, points(range(100), tracks=(3, 1, 2)))
    assert [p.frame for p in store.track(run.id, 2)] == list(range(100))
    assert {p.track_id for p in store.track(run.id, 2)} == {2}
    assert store.track_ids(run.id) == [1, 2, 3]

    conn = store._connection()
    plans = []
    real_read = store._read

    def read(sql, params=()):
        plans.append(" ".join(r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params)))
        return real_read(sql, params)

    monkeypatch.setattr(store, "_read", read)
    store.track_points(run.id, 5, 10)
    store.track(run.id, 2)
    store.track_ids(run.id)
    assert "USING PRIMARY KEY (run_id=? AND frame>? AND frame<?)" in plans[0]
    assert "USING INDEX track_points_track (run_id=? AND track_id=?)" in plans[1]
    assert "track_points_track" in plans[2]


def test_disk_full_is_a_project_error_and_keeps_old_data(store):
    run = store.begin_run("cam1", CONFIG, None)
    store.commit(run.id, 9, points(range(10)))
    conn = store._connection()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # the "disk" is nearly full
    big = [DetectionFrame(f, np.ones((50, 4)), np.ones(50), np.ones((50, 512))) for f in range(10, 60)]
    with pytest.raises(ProjectError, match="disk is full") as err:
        store.commit(run.id, 59, points(range(10, 60)), big)
    assert "\n" not in str(err.value) and "project.sqlite" in str(err.value)
    conn.execute("PRAGMA max_page_count = 1073741823")
    assert store.run(run.id).last_committed_frame == 9
    assert store.count_points(run.id) == 20
    store.commit(run.id, 10, points([10]))  # space freed: carries on


def test_readonly_database_is_a_project_error(store):
    run = store.begin_run("cam1", CONFIG, None)
    store.commit(run.id, 0, points([0]))
    # query_only makes SQLite answer exactly as for a read-only file (SQLITE_READONLY), which a
    # chmod cannot produce when the tests run as root.
    store._connection().execute("PRAGMA query_only = 1")
    with pytest.raises(ProjectError, match="read-only"):
        store.commit(run.id, 1, points([1]))
    store._connection().execute("PRAGMA query_only = 0")
    assert store.run(run.id).last_committed_frame == 0


def test_locked_database_is_a_project_error(project):
    store = Store(project.sqlite_path, busy_timeout_s=0.2)
    run = store.begin_run("cam1", CONFIG, None)
    other = sqlite3.connect(project.sqlite_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    try:
        with pytest.raises(ProjectError, match="database is locked"):
            store.commit(run.id, 0, points([0]))
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.commit(run.id, 0, points([0]))
    assert store.count_points(run.id) == 2
    store.close()


def test_garbage_with_sqlite_header_is_refused_untouched(tmp_path):
    path = tmp_path / "project.sqlite"
    content = b"SQLite format 3\x00" + bytes(range(256)) * 40
    path.write_bytes(content)
    with pytest.raises(ProjectError, match="project.sqlite") as err:
        Store(path)
    assert "\n" not in str(err.value)
    assert path.read_bytes() == content


def test_reader_thread_sees_only_whole_batches(store):
    """The GUI reads while a worker writes: every read must see a whole number of batches."""
    run = store.begin_run("cam1", CONFIG, None)
    batch = 50  # frames per commit, 2 tracks each
    seen, errors = [], []

    def writer():
        try:
            for b in range(20):
                store.commit(run.id, (b + 1) * batch - 1, points(range(b * batch, (b + 1) * batch)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    while thread.is_alive():
        seen.append(store.count_points(run.id))
    thread.join()
    assert not errors
    assert all(n % (2 * batch) == 0 for n in seen)
    assert seen == sorted(seen)
    assert store.count_points(run.id) == 20 * batch * 2
    # The worker thread had its own connection; a fresh thread's connection replaces it when it ended.
    t = threading.Thread(target=lambda: store.count_points(run.id))
    t.start()
    t.join()
    assert len(store._conns) <= 2


def test_many_rows_are_fast(store):
    run = store.begin_run("cam1", CONFIG, None)
    rows = points(range(10_000), tracks=range(10))  # 100k points
    start = time.perf_counter()
    store.commit(run.id, 9_999, rows)
    elapsed = time.perf_counter() - start
    assert store.count_points(run.id) == 100_000
    assert elapsed < 10, f"100k points took {elapsed:.1f}s"
    start = time.perf_counter()
    df = store.track_array(run.id)
    assert len(df) == 100_000
    assert time.perf_counter() - start < 10


def test_store_closed_with_project(project):
    store = project.store
    project.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.runs()
    assert project.store is not store  # reopened on demand
    assert project.store.runs() == []
