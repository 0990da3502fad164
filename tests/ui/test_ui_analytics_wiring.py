"""pytest-qt: zones, the zones layer, the analytics dock and the floor plan, reached from the main
window, on the real analysed multicam project (two cameras, one person walking through each)."""

from __future__ import annotations

import json

import cv2
import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMenu, QMessageBox

from retail_desktop.analytics.metrics import project_metrics
from retail_desktop.analytics.zones import Zone, load_zones, save_zones
from retail_desktop.project import Project
from retail_desktop.ui.integration_analytics import NO_ZONES, _running
from retail_desktop.ui.panels.analytics import TABLE_COLUMNS, _fmt
from retail_desktop.video.reader import VideoReader

# Where the analysed person walks (foot points): camera 1 from (120, 713) at frame 48 to (729, 349) at
# frame 114; camera 2 from (449, 582) at frame 0 down to (580, 713) and back left to (307, 704).
AISLE = [[400, 300], [900, 300], [900, 720], [400, 720]]
DOOR = [[500, 0], [500, 719]]
HALL = [[500, 500], [700, 500], [700, 720], [500, 720]]


def open_in_player(window, qtbot, folder):
    with qtbot.waitSignal(window.review_loaded, timeout=60000):
        window.open_project(folder)
    settle(window, qtbot)
    return window.player


def settle(window, qtbot, timeout=60000):
    """No window task running and the analytics dock done computing (nothing queued either)."""
    integ = window.analytics_integration

    def idle():
        dock = integ.dock
        return (not window.is_busy() and dock is not None and not _running(getattr(dock, "_runner", None))
                and not integ._refresh_pending)

    qtbot.waitUntil(idle, timeout=timeout)


def col(name):
    return [c for c, _ in TABLE_COLUMNS].index(name)


def table_rows(dock):
    return [[dock.table.item(i, j).text() for j in range(len(TABLE_COLUMNS))] for i in range(dock.table.rowCount())]


def zones_on_disk(folder):
    with Project.open(folder) as p:
        return [(z.camera_id, z.name, z.kind, z.points) for z in load_zones(p)]


def pen_pixels(view, x, y, colour, radius=3, tolerance=60):
    """How many pixels within ``radius`` of frame point (x, y), as the view shows it, are ``colour``."""
    image = view.grab().toImage()
    p = view.mapFromScene(view.box.mapViewToScene(QPointF(x, y)))
    want = QColor(colour)
    n = 0
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            c = image.pixelColor(p.x() + dx, p.y() + dy)
            if abs(c.red() - want.red()) + abs(c.green() - want.green()) + abs(c.blue() - want.blue()) < tolerance:
                n += 1
    return n


def key(qtbot, widget, k, modifiers=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(widget, k, modifiers)


def test_zones_drawn_in_the_editor_page_are_saved_drawn_on_the_camera_and_measured(window, qtbot, multicam_project):
    folder = multicam_project
    player = open_in_player(window, qtbot, folder)
    integ = window.analytics_integration
    dock = integ.dock
    assert dock.isVisible() and dock.project.path == folder
    assert integ._dock_action in window.view_menu.actions()
    assert dock.status.text() == NO_ZONES and dock.table.rowCount() == 0
    menus = {m.objectName(): m for m in window.menuBar().findChildren(QMenu)}
    assert integ.edit_camera_action in menus["menu_zones"].actions()

    player.seek_to("cam1", 80)
    qtbot.waitUntil(lambda: player.views["cam1"].shown_frame == 80, timeout=10000)
    integ.edit_camera_action.trigger()
    page = integ.editor_page
    ed = page.editor
    assert window.pages.currentWidget() is page and ed.model.camera_id == "cam1"
    # the editor shows the frame the player showed, decoded at full size off the GUI thread
    qtbot.waitUntil(lambda: ed.image.image is not None and ed.image.image.shape[:2] == (720, 1280), timeout=20000)
    with VideoReader(player.cameras["cam1"].video) as reader:
        assert np.array_equal(ed.image.image, reader.read(80).image[..., ::-1])

    ed.model.add_area(AISLE, name="aisle")
    ed.model.add_line(*DOOR, name="door")
    assert page.dirty and page.save_button.text() == "Save*"
    window.activateWindow()
    ed.view.setFocus()
    qtbot.waitUntil(lambda: ed.isAncestorOf(window.focusWidget() or window), timeout=5000)
    key(qtbot, ed.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert ed.model.names() == ["aisle"]
    key(qtbot, ed.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert ed.model.names() == ["aisle", "door"]

    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: integ.editor_page is None, timeout=20000)
    assert window.pages.currentWidget() is player
    assert zones_on_disk(folder) == [("cam1", "aisle", "area", AISLE), ("cam1", "door", "line", DOOR)]
    settle(window, qtbot)

    # the zones layer of camera 1 draws both zones, camera 2 none
    layer = integ.zone_layer("cam1")
    assert [z.name for z in layer.zones] == ["aisle", "door"] and layer.isVisible()
    assert integ.zone_layer("cam2").zones == []
    view = player.views["cam1"]
    colour = layer.zones[0].color
    on = pen_pixels(view, 650, 300, colour)  # middle of the aisle's top edge
    window.layers.findChild(type(integ.zones_check), "layer_zones").setChecked(False)
    assert not integ.show_zones_action.isChecked() and not layer.isVisible()
    off = pen_pixels(view, 650, 300, colour)
    assert on >= 3 and off == 0, (on, off)
    integ.show_zones_action.setChecked(True)
    assert integ.zones_check.isChecked() and layer.isVisible()

    # the dock's figures are the ones analytics.metrics computes from the project directly
    with Project.open(folder) as p:
        direct, _notes = project_metrics(p, dock.options())
    rows = [r for cm in direct for r in cm.rows]
    assert [(r.camera, r.zone) for r in rows] == [("home_room_cam1", "aisle"), ("home_room_cam1", "door")]
    assert rows[0].visitors >= 1 and rows[0].entries >= 1 and rows[0].dwell_s_total > 0
    assert rows[1].line_in + rows[1].line_out >= 1
    assert table_rows(dock) == [[_fmt(getattr(r, c)) for c, _ in TABLE_COLUMNS] for r in rows]


def test_a_track_in_the_dock_sends_the_player_to_its_camera_and_frame(window, qtbot, multicam_project):
    with Project.open(multicam_project) as p:
        save_zones(p, [Zone("aisle", "area", "cam1", AISLE), Zone("hall", "area", "cam2", HALL)])
        direct, _ = project_metrics(p)
    player = open_in_player(window, qtbot, multicam_project)
    dock = window.analytics_integration.dock
    zones = [dock.table.item(i, col("zone")).text() for i in range(dock.table.rowCount())]
    assert zones == ["aisle", "hall"]
    hall = next(r for cm in direct for r in cm.rows if r.zone == "hall")
    (track, frame), = hall.event_frames["visitors"].items()  # one person in the hallway
    assert player.current_camera == "cam1"

    dock.show_tracks_behind(1, col("visitors"))
    item = dock.track_list.item(0)
    assert item.text().startswith(f"track {track} · frame {frame}") and item.text().endswith("home_hallway_cam2")
    rect = dock.track_list.visualItemRect(item)
    qtbot.mouseClick(dock.track_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert player.current_camera == "cam2" and window.pages.currentWidget() is player
    qtbot.waitUntil(lambda: player.views["cam2"].shown_frame == frame, timeout=10000)
    assert player.clock.cameras["cam2"].frame_at(player.position) == frame
    assert f"frame {frame}" in window.position_label.text()


def test_bad_geojson_shows_a_message_and_changes_nothing_good_geojson_is_drawn(window, qtbot, multicam_project,
                                                                             tmp_path):
    with Project.open(multicam_project) as p:
        save_zones(p, [Zone("aisle", "area", "cam1", AISLE)])
    before = (multicam_project / "project.json").read_bytes()
    open_in_player(window, qtbot, multicam_project)
    integ = window.analytics_integration

    bowtie = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [100, 100], [100, 0], [0, 100]]]},
        "properties": {"name": "bad", "camera": "home_room_cam1"}}]}
    for name, text, words in (("bowtie.geojson", json.dumps(bowtie), "crosses itself"),
                              ("truncated.geojson", '{"type": "FeatureCollection", "features": [', "not valid JSON")):
        bad = tmp_path / name
        bad.write_text(text)
        runner = integ.import_zones(bad)
        with qtbot.waitSignal(runner.failed, timeout=10000):
            pass
        box = window.last_message_box
        assert box is not None and box.isVisible() and box.windowTitle() == "Cannot import zones"
        assert name in box.text() and words in box.text() and "unchanged" in box.text()
        box.close()
        settle(window, qtbot)
        assert (multicam_project / "project.json").read_bytes() == before
        assert [z.name for z in integ.zone_layer("cam1").zones] == ["aisle"]

    # export, then import the same file with the zone moved to camera 2 under a new name
    out = tmp_path / "zones.geojson"
    runner = integ.export_zones(out)
    with qtbot.waitSignal(runner.finished, timeout=10000):
        pass
    data = json.loads(out.read_text())
    assert [f["properties"]["name"] for f in data["features"]] == ["aisle"]
    data["features"][0]["properties"].update(name="hall", camera="home_hallway_cam2")
    data["features"][0]["geometry"]["coordinates"] = [HALL + [HALL[0]]]
    out.write_text(json.dumps(data))
    integ.import_zones(out)
    qtbot.waitUntil(lambda: [z.name for z in integ.zone_layer("cam2").zones] == ["hall"], timeout=20000)
    settle(window, qtbot)
    assert [z.name for z in integ.zone_layer("cam1").zones] == ["aisle"]
    assert [window.analytics_integration.dock.table.item(i, col("zone")).text() for i in range(2)] == ["aisle", "hall"]


def test_unsaved_zone_edits_are_asked_about_on_cancel_and_on_quit(window, qtbot, multicam_project):
    before = (multicam_project / "project.json").read_bytes()
    player = open_in_player(window, qtbot, multicam_project)
    integ = window.analytics_integration
    page = integ.edit_camera_zones("cam2")
    page.editor.model.add_area(HALL, name="hall")

    page.cancel_button.click()
    box = page.prompt
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert integ.editor_page is page and window.pages.currentWidget() is page and page.dirty

    page.cancel_button.click()
    page.prompt.button(QMessageBox.StandardButton.Discard).click()
    assert integ.editor_page is None and window.pages.currentWidget() is player
    assert (multicam_project / "project.json").read_bytes() == before

    # closing the window with unsaved edits asks too; Save stores them, then the window closes
    page = integ.edit_camera_zones("cam2")
    page.editor.model.add_area(HALL, name="hall")
    assert not window.close()
    assert window.isVisible() and page.prompt is not None
    page.prompt.button(QMessageBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20000)
    assert zones_on_disk(multicam_project) == [("cam2", "hall", "area", HALL)]


def test_floor_plan_load_calibrate_plan_zones_and_a_new_dock_for_another_project(window, qtbot, multicam_project,
                                                                                tmp_path):
    from retail_desktop.ui.panels.floor_plan import CalibrationWidget

    with Project.open(multicam_project) as p, VideoReader(p.camera("home_room_cam1").video) as reader:
        frame = reader.read(0).image
    plan_png = tmp_path / "store plan.png"
    cv2.imwrite(str(plan_png), cv2.resize(frame, (640, 360)))  # the room seen from above, say: half size
    player = open_in_player(window, qtbot, multicam_project)
    integ = window.analytics_integration
    assert integ.edit_plan_zones() is None  # no plan yet: a message says what to do
    assert "Load Floor Plan" in window.last_message_box.text()
    window.last_message_box.close()

    runner = integ.load_floor_plan(plan_png)
    with qtbot.waitSignal(runner.finished, timeout=10000):
        pass
    settle(window, qtbot)
    assert (multicam_project / "floor_plan" / "store plan.png").is_file()
    page = integ.plan_page
    assert window.pages.currentWidget() is page and page.note.isHidden() and not page.view.isHidden()
    with Project.open(multicam_project) as p:
        assert p.extra["floor_plan"]["size"] == [640, 360]

    # calibrate camera 1: its pixels are the plan's, halved
    player.set_current_camera("cam1")
    integ.calibrate_current_camera()
    qtbot.waitUntil(lambda: getattr(integ, "calibration_dialog", None) is not None
                    and integ.calibration_dialog.isVisible(), timeout=10000)
    widget = integ.calibration_dialog.findChild(CalibrationWidget)
    for cx, cy in [(100, 400), (1200, 420), (1100, 700), (150, 690), (640, 500)]:
        widget.add_camera_point(cx, cy)
        widget.add_plan_point(cx / 2, cy / 2)
    widget.fit()
    assert "saved" in widget.status.text()
    integ.calibration_dialog.close()
    qtbot.waitUntil(lambda: page.view.scatters.get("home_room_cam1") is not None, timeout=20000)
    xs, ys = page.view.scatters["home_room_cam1"].getData()
    with Project.open(multicam_project) as p:
        tracks = p.store.track_array(p.store.latest_run("cam1").id)
    assert len(xs) == len(tracks)
    assert np.allclose(np.sort(ys), np.sort(tracks["y2"].to_numpy() / 2), atol=0.5)

    # a zone on the plan, drawn in the plan editor page and measured on camera 1's mapped feet
    integ.edit_plan_action.trigger()
    ed = integ.editor_page.editor
    assert ed.model.camera_id == "plan" and ed.image.image.shape[:2] == (360, 640)
    ed.model.add_area([[200, 150], [450, 150], [450, 360], [200, 360]], name="floor")
    integ.editor_page.save_button.click()
    qtbot.waitUntil(lambda: integ.editor_page is None, timeout=20000)
    settle(window, qtbot)
    dock = integ.dock
    rows = [(dock.table.item(i, col("camera")).text(), dock.table.item(i, col("zone")).text())
            for i in range(dock.table.rowCount())]
    assert rows == [("plan:home_room_cam1", "floor")]
    assert int(dock.table.item(0, col("visitors")).text()) >= 1

    # another project: a new dock for it, one Analytics entry in the View menu
    other = tmp_path / "other"
    import shutil

    shutil.copytree(multicam_project, other, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    with Project.open(other) as p:
        p.extra.pop("floor_plan")
        p.extra["zones"] = []
        p.save()
    old_dock = dock
    open_in_player(window, qtbot, other)
    assert integ.dock is not old_dock and integ.dock.project.path == other
    assert [a.text() for a in window.view_menu.actions()].count("Analytics") == 1
    assert integ.dock.status.text() == NO_ZONES
    assert integ.plan_page.view is None or integ.plan_page.view.isHidden()
