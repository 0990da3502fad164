"""The annotation model: every edit lands in sqlite at once, undo/redo restore the exact rows."""

from __future__ import annotations

import pytest

from retail_desktop.annotation.editing import AnnotationModel
from retail_desktop.annotation.segments import Segment, add_segments
from retail_desktop.errors import UserError
from retail_desktop.project import Project, TrackPoint

TAX = "retail-behaviour"


@pytest.fixture
def project(tmp_path):
    p = Project.create(tmp_path / "p")
    cam = p.add_camera("cam", "/nowhere.mp4")
    run = p.store.begin_run(cam.id, {"t": 1}, frames_total=200)
    pts = [TrackPoint(f, f / 25, 1, 10, 10, 20, 50, 1.0, "detected") for f in range(0, 100)]
    pts += [TrackPoint(f, f / 25, 2, 30, 10, 40, 50, 1.0, "predicted" if f < 100 else "detected")
            for f in range(95, 150)]
    pts += [TrackPoint(f, f / 25, 3, 60, 10, 70, 50, 1.0, "detected") for f in range(0, 40)]
    p.store.commit(run.id, 199, pts)
    p.store.finish_run(run.id, "completed")
    p.run_id = run.id
    yield p
    p.close()


def state(p):
    segs = p.store.query("SELECT id, track_id, start_frame, end_frame, label, taxonomy, source, status, annotator "
                         "FROM segments ORDER BY id")
    pts = p.store.query("SELECT frame, track_id, source FROM track_points ORDER BY frame, track_id")
    return segs, pts


def spans(model, track):
    return [(s.start_frame, s.end_frame, s.label, s.status) for s in model.segments(track)]


def test_label_paints_over_and_undo_redo_restore_rows(project):
    m = AnnotationModel(project.store, project.run_id, TAX, "ann")
    s0 = state(project)
    m.label_span(1, 10, 60, "decisive")
    s1 = state(project)
    m.label_span(1, 30, 20, "hesitant")  # reversed span is fine
    assert spans(m, 1) == [(10, 19, "decisive", "accepted"), (20, 30, "hesitant", "accepted"),
                           (31, 60, "decisive", "accepted")]
    s2 = state(project)
    m.label_span(1, 0, 99, "interested")
    assert spans(m, 1) == [(0, 99, "interested", "accepted")]
    with pytest.raises(UserError, match="'walking' is not a class of taxonomy retail-behaviour"):
        m.label_span(1, 0, 5, "walking")
    assert m.segments(1)[0].annotator == "ann"
    m.undo()
    assert state(project) == s2
    m.undo()
    assert state(project) == s1
    m.undo()
    assert state(project) == s0 and not m.can_undo
    m.redo(); m.redo()
    assert state(project) == s2
    # A new edit clears the redo stack.
    m.label_span(3, 0, 5, "confused")
    assert not m.can_redo


def test_edit_split_merge_delete(project):
    m = AnnotationModel(project.store, project.run_id, TAX, "ann")
    (sid,) = m.label_span(1, 10, 50, "decisive").created
    e = m.split_segment(sid, 30)
    second = e.created[0]
    assert spans(m, 1) == [(10, 29, "decisive", "accepted"), (30, 50, "decisive", "accepted")]
    m.edit_segment(second, label="confused", end=60)
    assert spans(m, 1) == [(10, 29, "decisive", "accepted"), (30, 60, "confused", "accepted")]
    m.merge_segments(sid, second)
    assert spans(m, 1) == [(10, 60, "decisive", "accepted")]
    with pytest.raises(UserError, match="cannot split"):
        m.split_segment(sid, 10)
    m.delete_segment(sid)
    assert spans(m, 1) == []
    for _ in range(4):
        m.undo()
    assert spans(m, 1) == [(10, 50, "decisive", "accepted")]


def test_accept_reject_suggestions(project):
    m = AnnotationModel(project.store, project.run_id, TAX, "bob")
    a, b = add_segments(project.store, [
        Segment(None, project.run_id, 1, 0, 40, "hesitant", TAX, source="rule", status="suggestion"),
        Segment(None, project.run_id, 1, 41, 99, "decisive", TAX, source="rule", status="suggestion")])
    m.accept(a)
    m.reject(b)
    segs = m.segments(1)
    assert [(s.label, s.status, s.source, s.annotator) for s in segs] == [("hesitant", "accepted", "rule", "bob")]
    with pytest.raises(UserError, match="not a suggestion"):
        m.reject(a)
    m.undo()
    assert len(m.segments(1)) == 2
    m.undo()
    assert {s.status for s in m.segments(1)} == {"suggestion"}


def test_merge_tracks_moves_points_and_segments_and_prefers_detected_boxes(project):
    m = AnnotationModel(project.store, project.run_id, TAX, "ann")
    m.label_span(2, 100, 140, "decisive")
    before = state(project)
    m.merge_tracks(1, 2)
    assert 2 not in m.track_ids()
    pts = project.store.track(project.run_id, 1)
    assert [p.frame for p in pts] == list(range(0, 150))
    # Frames 95-99: both detected (track 1) vs predicted (track 2): track 1's boxes stay.
    assert all(p.x1 == 10 for p in pts if 95 <= p.frame <= 99)
    assert spans(m, 1) == [(100, 140, "decisive", "accepted")]
    m.undo()
    assert state(project) == before
    m.redo()
    assert 2 not in m.track_ids()


def test_split_and_delete_track(project):
    m = AnnotationModel(project.store, project.run_id, TAX, "ann")
    m.label_span(1, 10, 80, "decisive")
    before = state(project)
    e = m.split_track(1, 50)
    new = e.tracks[1]
    assert new == 4
    assert m.track_frames(1) == (0, 49) and m.track_frames(new) == (50, 99)
    assert spans(m, 1) == [(10, 49, "decisive", "accepted")]
    assert spans(m, new) == [(50, 80, "decisive", "accepted")]
    with pytest.raises(UserError, match="cannot split track"):
        m.split_track(1, 0)
    m.delete_track(new)
    assert new not in m.track_ids() and m.segments(new) == []
    m.undo(); m.undo()
    assert state(project) == before
    # Saved at once: a second store on the same file sees the edit without any save call.
    m.redo()
    other = Project.open(project.path)
    assert set(other.store.track_ids(project.run_id)) == {1, 2, 3, new}
    other.close()


def test_id_fixes_show_in_exports(tmp_path, capsys):
    """ID fixes rewrite the run's track points, so the MOT export (like overlays and metrics) follows."""
    from datafiles import data_file
    from retail_desktop.cli import main

    src = data_file("labeled/caviar_lobby/Meet_Split_3rdGuy__ms3ggt.xml")
    folder = tmp_path / "p"
    assert main(["import", str(folder), str(src), "--format", "caviar"]) == 0
    with Project.open(folder) as p:
        run = p.store.runs()[0]
        m = AnnotationModel(p.store, run.id, TAX, "ann")
        ids = m.track_ids()
        a, b = ids[0], ids[1]
        m.merge_tracks(a, b)
        lo, hi = m.track_frames(ids[2])
        e = m.split_track(ids[2], (lo + hi) // 2)
        new = e.tracks[1]
        assert p.store.run(run.id).summary["tracks"] == len(ids)  # one fewer (merge), one more (split)
        m.delete_track(new)
        assert p.store.run(run.id).summary["tracks"] == len(ids) - 1
        m.undo()
        assert p.store.run(run.id).summary["tracks"] == len(ids)
    out = tmp_path / "mot.txt"
    assert main(["export", str(folder), "--format", "mot", "--out", str(out)]) == 0
    exported = {int(line.split(",")[1]) for line in out.read_text().splitlines()}
    assert b not in exported and a in exported and new in exported
    assert exported == (set(ids) - {b}) | {new}
