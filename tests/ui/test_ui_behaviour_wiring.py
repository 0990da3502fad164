"""Annotation mode and the behaviour model reached from the main window, on the analysed multicam project.

Everything a user does here goes through the window: the View action's key, the track list's keys,
the Behaviour menu. The checks read what the player draws (its overlay items) and what the store holds.
"""

from __future__ import annotations

import shutil

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QImage, QPainter

from retail_desktop.annotation.segments import list_segments, now_iso
from retail_desktop.annotation.taxonomy import load_taxonomy
from retail_desktop.behavior.inference import DEFAULT_MODEL_DIR
from retail_desktop.project import Project
from retail_desktop.ui.player.labels import FrameLabels
from retail_desktop.ui.player.overlay import DIM_ALPHA, TrackOverlayItem, track_colour
from retail_desktop.ui.player.tracks import FrameBoxes

TAX = "retail-behaviour"


def open_in_player(window, qtbot, folder):
    with qtbot.waitSignal(window.review_loaded, timeout=60000):
        window.open_project(folder)
    qtbot.waitUntil(lambda: not window.is_busy() and window.behaviour.editor is not None, timeout=30000)
    return window.player


def enter_annotation_mode(window, qtbot):
    window.activateWindow()  # shortcuts need an active window
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    editor = window.behaviour.editor
    qtbot.waitUntil(lambda: window.behaviour.dock.isVisible() and editor.table.hasFocus(), timeout=5000)
    return editor


def select_long_track(editor, qtbot, min_frames=40):
    """Move down the list with the keyboard until a track of at least ``min_frames`` is selected."""
    editor.min_length.setValue(min_frames)
    editor.table.setFocus()
    editor.table.setCurrentCell(-1, 0)
    qtbot.keyClick(editor.table, Qt.Key.Key_Down)
    sel = editor.selected()
    assert sel is not None and sel.n_frames >= min_frames
    return sel


def shown(player, qtbot, cid, frame):
    qtbot.waitUntil(lambda: player.views[cid].shown_frame == frame, timeout=10000)


def test_annotation_mode_drives_the_player_and_saves_labels(window, qtbot, multicam_project):
    player = open_in_player(window, qtbot, multicam_project)
    action = window.findChild(QAction, "action_annotation_mode")
    assert action in window.view_menu.actions() and action.shortcut().toString() == "Ctrl+2"
    assert not window.behaviour.dock.isVisible()
    editor = enter_annotation_mode(window, qtbot)

    # A track chosen with the keyboard: the player highlights it and shows its first frame.
    sel = select_long_track(editor, qtbot)
    cid = window.behaviour.camera_id(sel.camera)
    view = player.views[cid]
    assert player.highlight == {cid: sel.track_id}
    assert view.overlay.highlight == sel.track_id
    trajectory = view.overlay._trajectory
    with Project.open(multicam_project) as project:
        run = project.store.latest_run(cid)
        points = project.store.track_array(run.id)
    n_points = int(np.sum(np.asarray(points["track_id"]) == sel.track_id))
    assert trajectory is not None and len(trajectory) == n_points  # the whole trajectory, not a trail
    shown(player, qtbot, cid, sel.first_frame)
    others = [c for c in player.views if c != cid]
    assert all(player.views[c].overlay.highlight is None for c in others)

    # The editor's step keys move the player (the window's own Left/Right are out of the way).
    assert not window.playback_actions[1].isEnabled()  # "Next Frame" while the track list has the keys
    for _ in range(5):
        qtbot.keyClick(editor.table, Qt.Key.Key_Right)
    shown(player, qtbot, cid, sel.first_frame + 5)
    assert window.pages.currentWidget() is player

    # The player's frame reaches the editor: labelling acts where the player is.
    start = sel.first_frame + 12
    window.seek_to(cid, start)
    shown(player, qtbot, cid, start)
    qtbot.waitUntil(lambda: editor.current_frame() == start, timeout=5000)
    editor.table.setFocus()
    key2 = next(c for c in load_taxonomy(TAX).classes if str(c.key) == "2").name
    qtbot.keyClick(editor.table, Qt.Key.Key_I)
    for _ in range(3):
        qtbot.keyClick(editor.table, Qt.Key.Key_Right)
    qtbot.keyClick(editor.table, Qt.Key.Key_O)
    qtbot.keyClick(editor.table, Qt.Key.Key_2)
    with Project.open(multicam_project) as project:
        human = [(s.track_id, s.start_frame, s.end_frame, s.label)
                 for s in list_segments(project.store, run.id, taxonomy=TAX) if s.source == "human"]
    assert human == [(sel.track_id, start, start + 3, key2)]
    assert "saved" in window.statusBar().currentMessage()

    # Focus leaves the editor: the window's playback keys work again.
    player.setFocus()
    qtbot.waitUntil(lambda: window.playback_actions[1].isEnabled(), timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: view.shown_frame == start + 4, timeout=10000)

    # Help lists the new keys.
    window.shortcuts_action.trigger()
    assert "Ctrl+2" in window.last_message_box.text() and "Shift+Delete" in window.last_message_box.text()
    window.last_message_box.close()


def test_id_fix_is_redrawn_by_the_player_and_undone(window, qtbot, multicam_project):
    player = open_in_player(window, qtbot, multicam_project)
    editor = enter_annotation_mode(window, qtbot)
    sel = select_long_track(editor, qtbot, min_frames=5)
    cid = window.behaviour.camera_id(sel.camera)
    assert sel.track_id in player.cameras[cid].tracks.track_ids
    qtbot.keyClick(editor.table, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: sel.track_id not in player.cameras[cid].tracks.track_ids, timeout=10000)
    frame = player.views[cid].shown_frame
    assert sel.track_id not in player.cameras[cid].tracks.at(frame).track_ids.tolist()
    qtbot.waitUntil(lambda: not window.is_busy(), timeout=10000)
    editor.table.setFocus()
    qtbot.keyClick(editor.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: sel.track_id in player.cameras[cid].tracks.track_ids, timeout=10000)


def expected_label(rows, track, frame):
    """Independent of FrameLabels: the covering window whose centre is nearest the frame."""
    covering = [r for r in rows if r[0] == track and r[1] <= frame <= r[2]]
    if not covering:
        return None
    return min(covering, key=lambda r: abs((r[1] + r[2]) / 2 - frame))[3]


def test_classify_tracks_from_the_menu_labels_the_shown_frame(window, qtbot, multicam_project, tmp_path):
    player = open_in_player(window, qtbot, multicam_project)
    classify = window.findChild(QAction, "action_classify_tracks")
    assert classify.isEnabled() and classify in window.behaviour.menu.actions()
    assert not any(player.labels.values())
    classify.trigger()
    assert window.cancel_button.isVisible()  # a status-bar task like the others
    qtbot.waitUntil(lambda: window.behaviour._classifying is None and not window.is_busy(), timeout=120000)
    assert "classified" in window.statusBar().currentMessage().lower()

    with Project.open(multicam_project) as project:
        cams = {c.id: project.store.latest_run(c.id).id for c in project.cameras}
        rows = {cid: project.store.query("SELECT track_id, start_frame, end_frame, label, model FROM "
                                         "behavior_predictions WHERE run_id = ?", (run,)) for cid, run in cams.items()}
    assert all(rows.values())
    models = {r[4] for rs in rows.values() for r in rs}
    assert models == {f"file:{DEFAULT_MODEL_DIR}"}

    # The overlay of the shown frame carries the label of the window covering it (not one per track).
    cid = next(c for c in cams if rows[c])
    track, a, b, _label, _m = max(rows[cid], key=lambda r: r[2] - r[1])
    frame = (a + b) // 2
    points = player.cameras[cid].tracks.at(frame)
    assert track in points.track_ids.tolist()
    player.seek_to(cid, frame)
    shown(player, qtbot, cid, frame)
    drawn = player.views[cid].overlay.labels
    assert drawn[track] == expected_label(rows[cid], track, frame)
    assert set(drawn) == set(points.track_ids.tolist()) & {r[0] for r in rows[cid]}
    # A newer model's windows that disagree along the track (these clips are too short for the
    # bundled model's 3 s windows to differ): the newest model is shown, frame by frame.
    with Project.open(multicam_project) as project, project.store.transaction("test predictions") as conn:
        mid = (a + b) // 2
        for s0, e0, lab in ((a, mid, "hesitant"), (mid - 4, b, "confused")):
            conn.execute("INSERT INTO behavior_predictions VALUES (?,?,?,?,?,?,?,?,?)",
                         (cams[cid], track, s0, e0, lab, 0.9, "{}", "newer", now_iso()))
    with qtbot.waitSignal(window.behaviour.load_labels().finished, timeout=10000):
        pass
    assert player.labels[cid].model == "newer"
    for f, lab in ((a + 2, "hesitant"), (mid - 2, "hesitant"), (mid + 2, "confused"), (b - 1, "confused")):
        player.seek_to(cid, f)
        shown(player, qtbot, cid, f)
        assert player.views[cid].overlay.labels.get(track) == lab, f

    # Classify again with another model (a copy of the bundle stands in for a new champion): its labels show.
    other = tmp_path / "other-model"
    shutil.copytree(DEFAULT_MODEL_DIR, other)
    runner = window.behaviour.classify(str(other))
    with qtbot.waitSignal(runner.finished, timeout=120000):
        pass
    qtbot.waitUntil(lambda: isinstance(player.labels.get(cid), FrameLabels)
                    and player.labels[cid].model == f"file:{other}", timeout=10000)

    # Reopening the project shows the stored labels again.
    with qtbot.waitSignal(window.review_loaded, timeout=60000):
        window.open_project(multicam_project)
    qtbot.waitUntil(lambda: isinstance(player.labels.get(cid), FrameLabels), timeout=10000)
    assert player.labels[cid].model == f"file:{other}"


def test_behaviour_menu_opens_one_training_dialog(window, qtbot, multicam_project):
    train = window.findChild(QAction, "action_train_behaviour")
    assert not train.isEnabled()  # no project yet
    open_in_player(window, qtbot, multicam_project)
    assert train.isEnabled() and train in window.behaviour.menu.actions()
    train.trigger()
    dialog = window.behaviour.training
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    assert dialog.project_path == multicam_project and multicam_project.name in dialog.windowTitle()
    train.trigger()
    assert window.behaviour.training is dialog  # one at a time
    window.close()
    assert not dialog.isVisible() and window.behaviour.project is None


def test_highlight_dims_the_other_tracks():
    item = TrackOverlayItem(200, 100)
    boxes = np.array([[10, 10, 60, 90], [120, 10, 170, 90]], float)
    data = FrameBoxes(5, np.array([1, 2]), boxes, np.array([0.9, 0.9]))
    item.setData(data)
    item.setLayers(item.layers.__class__(ids=False, labels=False, trails=False))

    def render():
        image = QImage(200, 100, QImage.Format.Format_ARGB32)
        image.fill(QColor(0, 0, 0, 0))
        p = QPainter(image)
        item.paint(p)
        p.end()
        return image

    plain = render()
    assert plain.pixelColor(120, 50).alpha() == 255 and plain.pixelColor(10, 50).alpha() == 255
    item.setHighlight(1, np.array([[20.0, 95.0], [100.0, 95.0], [190.0, 95.0]]))
    lit = render()
    assert lit.pixelColor(120, 50).alpha() <= DIM_ALPHA + 5  # track 2 dimmed
    assert lit.pixelColor(10, 50).alpha() == 255 and lit.pixelColor(10, 50).hue() == track_colour(1).hue()
    assert lit.pixelColor(100, 95).alpha() > 100  # the trajectory, away from both boxes
    assert plain.pixelColor(100, 95).alpha() == 0
    item.setHighlight(None)
    assert render().pixelColor(120, 50).alpha() == 255


def test_frame_labels_prefer_the_covering_window_nearest_the_frame():
    labels = FrameLabels([(1, 0, 30, "hesitant"), (1, 10, 40, "decisive"), (1, 20, 50, "confused"), (2, 5, 9, "x")])
    assert labels.label(1, 0) == "hesitant"
    assert labels.label(1, 20) == "hesitant"  # centres 15 and 25 tie: the earlier window wins
    assert labels.label(1, 25) == "decisive"
    assert labels.label(1, 45) == "confused"
    assert labels.label(1, 60) == "confused"  # past the last window: the nearest one
    assert labels.label(3, 5) is None
    assert labels.at(7, [1, 2, 3]) == {1: "hesitant", 2: "x"}
    assert len(labels) == 2 and labels.track_ids == [1, 2]


def test_a_ground_truth_only_project_opens_quietly_and_annotates_without_errors(window, qtbot, tmp_path, capsys):
    """GUI walkthrough finding: CAVIAR imports (XML, no footage) gave a 'cannot be shown' dialog for every
    camera and a KeyError on every track selection / step in annotation mode."""
    from datafiles import data_file
    from retail_desktop.annotation.track_import import import_caviar

    folder = tmp_path / "caviar"
    with Project.create(folder) as project:
        import_caviar(project, data_file("labeled/caviar_lobby/Walk1__wk1gt.xml"), labels="movement")
    player = open_in_player(window, qtbot, folder)
    assert window.last_message_box is None  # no "cannot be shown" dialog: there is no video by design
    (cid,) = player.views
    assert "Ground truth only" in player.views[cid].message.textItem.toPlainText()
    assert len(player.cameras[cid].tracks) > 0
    editor = enter_annotation_mode(window, qtbot)
    sel = select_long_track(editor, qtbot)
    before = editor.current_frame()
    for _ in range(3):
        qtbot.keyClick(editor.table, Qt.Key.Key_Right)
    assert editor.current_frame() == before + 3
    assert "no footage" in window.statusBar().currentMessage() or "no footage" in editor.status.text()
    qtbot.keyClick(editor.table, Qt.Key.Key_2)
    run = Project.open(folder)
    try:
        human = [s for s in list_segments(run.store, sel.run_id) if s.source == "human"]
    finally:
        run.close()
    assert human
    assert "Traceback" not in capsys.readouterr().err


def test_ctrl_2_again_leaves_annotation_mode(window, qtbot, multicam_project):
    open_in_player(window, qtbot, multicam_project)
    editor = enter_annotation_mode(window, qtbot)
    assert window.behaviour.dock.isVisible()
    qtbot.keyClick(editor.table, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.behaviour.dock.isVisible(), timeout=5000)
    assert "Left annotation mode" in window.statusBar().currentMessage()
    enter_annotation_mode(window, qtbot)  # and back in
    assert window.behaviour.dock.isVisible()
