"""Annotation mode driven by the keyboard only; the store is checked after every step."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from datafiles import data_file
from retail_desktop.annotation.prelabel import prelabel_run
from retail_desktop.annotation.segments import list_segments
from retail_desktop.annotation.track_import import import_caviar
from retail_desktop.project import Project

TAX = "retail-behaviour"


@pytest.fixture
def project(tmp_path):
    p = Project.create(tmp_path / "p")
    import_caviar(p, data_file("labeled/caviar_lobby/Walk1__wk1gt.xml"), camera="walk")
    b = import_caviar(p, data_file("labeled/caviar_lobby/Browse1__br1gt.xml"), camera="browse")
    prelabel_run(p, b.run.id)
    yield p
    p.close()


@pytest.fixture
def editor(qtbot, project, settings):
    from retail_desktop.ui.editors.annotation import AnnotationEditor

    w = AnnotationEditor(project, settings)
    qtbot.addWidget(w)
    w.resize(700, 500)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()  # shortcuts need an active window
    qtbot.waitUntil(w.isActiveWindow)
    return w


def key(qtbot, w, k, mod=Qt.KeyboardModifier.NoModifier, times=1):
    for _ in range(times):
        qtbot.keyClick(w, k, mod)


def human(project, camera):
    run = project.store.latest_run(project.camera(camera).id)
    return [(s.track_id, s.start_frame, s.end_frame, s.label, s.annotator)
            for s in list_segments(project.store, run.id, taxonomy=TAX) if s.source == "human"]


def test_keyboard_flow_label_undo_redo_merge_split(qtbot, editor, project):
    # Annotator name, typed (the digit keys type into the box, they do not label).
    editor.annotator_edit.setFocus()
    qtbot.keyClicks(editor.annotator_edit, "alice7")
    key(qtbot, editor.annotator_edit, Qt.Key.Key_Return)
    assert editor.annotator == "alice7" and editor.settings.value("annotation/annotator") == "alice7"
    assert human(project, "walk") == human(project, "browse") == []

    table = editor.table
    table.setFocus()
    selected, seeks = [], []
    editor.track_selected.connect(lambda c, t: selected.append((c, t)))
    editor.seek_requested.connect(lambda c, f: seeks.append((c, f)))
    editor.sort_combo.setCurrentText("camera")
    key(qtbot, table, Qt.Key.Key_Down)
    sel = editor.selected()
    assert sel is not None and selected[-1] == (sel.camera, sel.track_id) and seeks[-1] == (sel.camera, sel.first_frame)
    cam, tid, f0 = sel.camera, sel.track_id, sel.first_frame

    # I / O span and label 2 (decisive).
    key(qtbot, table, Qt.Key.Key_Right, times=5)
    assert editor.current_frame() == f0 + 5 and seeks[-1] == (cam, f0 + 5)
    key(qtbot, table, Qt.Key.Key_I)
    key(qtbot, table, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier, times=2)
    key(qtbot, table, Qt.Key.Key_O)
    key(qtbot, table, Qt.Key.Key_2)
    assert human(project, cam) == [(tid, f0 + 5, f0 + 25, "decisive", "alice7")]

    # Undo, redo.
    said = []
    editor.edited.connect(said.append)
    key(qtbot, table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert human(project, cam) == []
    assert editor.status.text().startswith("Undone: ") and said[-1].startswith("Undone: ")
    key(qtbot, table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert human(project, cam) == [(tid, f0 + 5, f0 + 25, "decisive", "alice7")]
    assert editor.status.text().startswith("Redone: ") and said[-1].startswith("Redone: ")

    # A second span right after it, label 3 (confused).
    key(qtbot, table, Qt.Key.Key_Right)
    key(qtbot, table, Qt.Key.Key_I)
    key(qtbot, table, Qt.Key.Key_Right, times=9)
    key(qtbot, table, Qt.Key.Key_O)
    key(qtbot, table, Qt.Key.Key_3)
    assert human(project, cam) == [(tid, f0 + 5, f0 + 25, "decisive", "alice7"),
                                   (tid, f0 + 26, f0 + 35, "confused", "alice7")]

    # M on the first segment merges it with the next.
    key(qtbot, table, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier, times=2)
    assert editor.current_frame() == f0 + 15
    key(qtbot, table, Qt.Key.Key_M)
    assert human(project, cam) == [(tid, f0 + 5, f0 + 35, "decisive", "alice7")]

    # S splits it at the current frame.
    key(qtbot, table, Qt.Key.Key_S)
    assert human(project, cam) == [(tid, f0 + 5, f0 + 14, "decisive", "alice7"),
                                   (tid, f0 + 15, f0 + 35, "decisive", "alice7")]
    key(qtbot, table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert human(project, cam) == [(tid, f0 + 5, f0 + 35, "decisive", "alice7")]

    # The strip shows the selected track's segments.
    strip = editor.strip.segments
    assert [(s.start_frame, s.end_frame) for s in strip if s.status == "accepted"] == [(f0 + 5, f0 + 35)]
    # Suggestions were cut around the labels painted over them.
    assert all(s.end_frame < f0 + 5 or s.start_frame > f0 + 35 for s in strip if s.status == "suggestion")

    # N jumps to the next unlabelled track.
    key(qtbot, table, Qt.Key.Key_N)
    nxt = editor.selected()
    assert (nxt.camera, nxt.track_id) != (cam, tid) and not nxt.labelled
    assert selected[-1] == (nxt.camera, nxt.track_id)


def test_keyboard_accept_reject_and_id_fixes(qtbot, editor, project):
    editor.annotator_edit.setText("bob")
    editor._annotator_changed()
    editor.camera_combo.setCurrentText("browse")
    editor.sort_combo.setCurrentText("track")
    table = editor.table
    table.setFocus()
    run = project.store.latest_run(project.camera("browse").id)

    def segs(status):
        return [(s.track_id, s.start_frame, s.end_frame, s.label, s.status, s.annotator)
                for s in list_segments(project.store, run.id, taxonomy=TAX, status=status)]

    key(qtbot, table, Qt.Key.Key_Down)
    while editor.selected().suggestions < 2:  # a track with at least two suggestions
        row = table.currentRow()
        key(qtbot, table, Qt.Key.Key_Down)
        assert table.currentRow() == row + 1, "no track with two suggestions"
    sel = editor.selected()
    sugg = [s for s in segs("suggestion") if s[0] == sel.track_id]
    assert len(sugg) >= 2 and sugg[0][1] == sel.first_frame
    key(qtbot, table, Qt.Key.Key_A)  # the suggestion under the current frame (the track's first frame)
    assert segs("accepted") == [sugg[0][:4] + ("accepted", "bob")]
    key(qtbot, table, Qt.Key.Key_R)  # no suggestion at this frame any more: the track's first one goes
    left = [s for s in segs("suggestion") if s[0] == sel.track_id]
    assert left == sugg[2:]
    key(qtbot, table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [s for s in segs("suggestion") if s[0] == sel.track_id] == sugg[1:]

    # ID fixes on the last track of the camera: split it, then merge the two halves back.
    key(qtbot, table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    last = editor.selected()
    before = project.store.track(run.id, last.track_id)
    mid = (last.first_frame + last.last_frame) // 2
    key(qtbot, table, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier, times=(mid - last.first_frame) // 10)
    at = editor.current_frame()
    key(qtbot, table, Qt.Key.Key_S, Qt.KeyboardModifier.ShiftModifier)
    ids = project.store.track_ids(run.id)
    new = max(ids)
    assert new > last.track_id
    assert [p.frame for p in project.store.track(run.id, new)][0] == at
    assert max(p.frame for p in project.store.track(run.id, last.track_id)) < at
    assert editor.selected().track_id == last.track_id
    key(qtbot, table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)  # extend the selection to the new half
    key(qtbot, table, Qt.Key.Key_M, Qt.KeyboardModifier.ShiftModifier)
    assert new not in project.store.track_ids(run.id)
    assert project.store.track(run.id, last.track_id) == before
    # Undo the merge: the split is back; undo again: the original track.
    key(qtbot, table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert new in project.store.track_ids(run.id)
    key(qtbot, table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert project.store.track(run.id, last.track_id) == before and new not in project.store.track_ids(run.id)


def test_filters_and_sort(qtbot, editor, project):
    all_rows = len(editor._shown)
    editor.camera_combo.setCurrentText("walk")
    assert {s.camera for s in editor._shown} == {"walk"}
    editor.camera_combo.setCurrentIndex(0)
    editor.state_combo.setCurrentText("suggestions")
    assert editor._shown and {s.camera for s in editor._shown} == {"browse"}
    editor.state_combo.setCurrentText("all")
    longest = max(s.n_frames for s in editor._shown)
    editor.min_length.setValue(longest)
    assert [s.n_frames for s in editor._shown] == [longest]
    editor.min_length.setValue(0)
    editor.sort_combo.setCurrentText("length")
    lengths = [s.n_frames for s in editor._shown]
    assert lengths == sorted(lengths, reverse=True) and len(lengths) == all_rows
    assert editor.table.rowCount() == all_rows


def test_set_current_frame_slot_and_taxonomy_switch(qtbot, editor, project):
    editor.table.setFocus()
    key(qtbot, editor.table, Qt.Key.Key_Down)
    sel = editor.selected()
    editor.set_current_frame(sel.camera, sel.first_frame + 3)
    key(qtbot, editor.table, Qt.Key.Key_I)
    editor.set_current_frame(sel.camera, sel.first_frame + 7)
    key(qtbot, editor.table, Qt.Key.Key_O)
    editor.taxonomy_combo.setCurrentText("caviar-movement")
    editor.select_track(sel.camera, sel.track_id)
    editor.set_current_frame(sel.camera, sel.first_frame + 3)
    key(qtbot, editor.table, Qt.Key.Key_I)
    editor.set_current_frame(sel.camera, sel.first_frame + 7)
    key(qtbot, editor.table, Qt.Key.Key_O)
    key(qtbot, editor.table, Qt.Key.Key_4)  # running in caviar-movement
    run = project.store.latest_run(project.camera(sel.camera).id)
    got = [(s.start_frame, s.end_frame, s.label, s.taxonomy) for s in list_segments(project.store, run.id)
           if s.source == "human"]
    assert got == [(sel.first_frame + 3, sel.first_frame + 7, "running", "caviar-movement")]


def test_p_suggests_labels_off_the_gui_thread(qtbot, editor, project):
    editor.camera_combo.setCurrentText("walk")
    editor.table.setFocus()
    key(qtbot, editor.table, Qt.Key.Key_Down)
    sel = editor.selected()
    key(qtbot, editor.table, Qt.Key.Key_1)  # a label on the whole track, then suggestions around it
    run = project.store.latest_run(project.camera("walk").id)
    assert not list_segments(project.store, run.id, status="suggestion")
    with qtbot.waitSignal(editor.edited, timeout=20000):
        key(qtbot, editor.table, Qt.Key.Key_P)
    sugg = list_segments(project.store, run.id, status="suggestion")
    assert sugg and all(s.source == "rule" for s in sugg)
    assert all(s.track_id != sel.track_id for s in sugg)  # its frames are all labelled by a human
    assert "suggested segments" in editor.status.text()
    assert not editor._history  # the suggestion run ended this camera's undo history


def test_delete_keys(qtbot, editor, project):
    editor.camera_combo.setCurrentText("walk")
    table = editor.table
    table.setFocus()
    key(qtbot, table, Qt.Key.Key_Down)
    sel = editor.selected()
    run = project.store.latest_run(project.camera("walk").id)
    key(qtbot, table, Qt.Key.Key_5)
    assert [s.label for s in list_segments(project.store, run.id, sel.track_id, taxonomy=TAX)] == ["disinterested"]
    key(qtbot, table, Qt.Key.Key_Delete)
    assert list_segments(project.store, run.id, sel.track_id, taxonomy=TAX) == []
    n = project.store.count_points(run.id)
    key(qtbot, table, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    assert sel.track_id not in project.store.track_ids(run.id)
    assert project.store.count_points(run.id) == n - sel.n_points
    assert all(s.track_id != sel.track_id for s in editor._shown)
    key(qtbot, table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    key(qtbot, table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert project.store.count_points(run.id) == n
    assert [s.label for s in list_segments(project.store, run.id, sel.track_id, taxonomy=TAX)] == ["disinterested"]


def test_empty_project_and_keys_without_a_track(qtbot, tmp_path, settings):
    from retail_desktop.ui.editors.annotation import AnnotationEditor

    with Project.create(tmp_path / "empty") as p:
        w = AnnotationEditor(p, settings)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        w.activateWindow()
        qtbot.waitUntil(w.isActiveWindow)
        assert w.table.rowCount() == 0 and w.selected() is None
        w.table.setFocus()
        for k in (Qt.Key.Key_I, Qt.Key.Key_O, Qt.Key.Key_1, Qt.Key.Key_N, Qt.Key.Key_A, Qt.Key.Key_M, Qt.Key.Key_P):
            key(qtbot, w.table, k)
        key(qtbot, w.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert w.status.text() == "Nothing to undo"


def test_shift_p_suggests_the_models_predictions_once_the_tracks_are_classified(qtbot, editor, project):
    from retail_desktop.behavior.inference import classify_project, resolve_model

    editor.camera_combo.setCurrentText("walk")
    editor.table.setFocus()
    key(qtbot, editor.table, Qt.Key.Key_Down)
    run = project.store.latest_run(project.camera("walk").id)
    # Nothing classified yet: a message, nothing stored.
    with qtbot.waitSignal(editor.error, timeout=20000) as blocker:
        key(qtbot, editor.table, Qt.Key.Key_P, Qt.KeyboardModifier.ShiftModifier)
    assert "no behaviour predictions" in blocker.args[0]
    assert not list_segments(project.store, run.id, status="suggestion")
    classify_project(project, resolve_model(project.path, "default"))
    predicted = {r[0] for r in project.store.query(
        "SELECT DISTINCT label FROM behavior_predictions WHERE run_id = ?", (run.id,))}
    with qtbot.waitSignal(editor.edited, timeout=20000):
        key(qtbot, editor.table, Qt.Key.Key_P, Qt.KeyboardModifier.ShiftModifier)
    sugg = list_segments(project.store, run.id, status="suggestion")
    assert sugg and all(s.source == "model" for s in sugg)
    assert {s.label for s in sugg} <= predicted
    assert "suggested segments" in editor.status.text()


def test_the_labels_default_to_the_projects_own_taxonomy(qtbot, tmp_path, settings):
    from retail_desktop.ui.editors.annotation import TAXONOMY_KEY, AnnotationEditor

    settings.setValue(TAXONOMY_KEY, TAX)  # the last choice, made in another project
    with Project.create(tmp_path / "gt") as p:
        import_caviar(p, data_file("labeled/caviar_lobby/Walk1__wk1gt.xml"), labels="movement")
        w = AnnotationEditor(p, settings)
        qtbot.addWidget(w)
        assert w.taxonomy.name == "caviar-movement" and w.taxonomy_combo.currentText() == "caviar-movement"
        assert w._summaries and sum(s.labelled for s in w._summaries) > len(w._summaries) / 2
