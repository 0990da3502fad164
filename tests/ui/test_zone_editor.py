"""pytest-qt: draw zones with the mouse, edit them through their handles, undo, save, reopen."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from retail_desktop.analytics.zones import load_zones
from retail_desktop.project import Project
from retail_desktop.ui.editors.zone_editor import ZoneEditor


@pytest.fixture
def project(tmp_path):
    with Project.create(tmp_path / "shop") as p:
        cam = p.add_camera("Door", tmp_path / "door.mp4")
        cam.extra["frame_size"] = [320, 240]
        p.save()
    return tmp_path / "shop"


@pytest.fixture
def editor(qtbot, project):
    p = Project.open(project)
    ed = ZoneEditor.for_camera(p, "Door")
    ed.set_image(np.full((240, 320, 3), 60, dtype=np.uint8))
    ed.resize(900, 600)
    qtbot.addWidget(ed)
    ed.show()
    qtbot.waitExposed(ed)
    yield ed, p
    p.close()


def click(qtbot, ed, x, y, double=False):
    pos = ed.image_to_widget(x, y)
    if double:  # what a real double click delivers: a click, then the double-click event
        qtbot.mouseClick(ed.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
        qtbot.mouseDClick(ed.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    else:
        qtbot.mouseClick(ed.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_draw_edit_undo_save_reopen(qtbot, editor, project):
    ed, p = editor
    # draw an area with four clicks and Enter
    ed.set_mode("area")
    for x, y in [(20, 20), (120, 20), (120, 120), (20, 120)]:
        click(qtbot, ed, x, y)
    ed.finish_draft()
    assert ed.model.names() == ["Area 1"]
    pts = np.array(ed.model.zone("Area 1").points)
    assert np.allclose(pts, [[20, 20], [120, 20], [120, 120], [20, 120]], atol=1.5)
    # draw a count line with two clicks
    ed.set_mode("line")
    click(qtbot, ed, 200, 50)
    click(qtbot, ed, 200, 200)
    assert ed.model.names() == ["Area 1", "Line 1"]
    assert ed.mode == "select"

    # edit: drag a vertex handle of the area (through the ROI, as a mouse drag would)
    roi = ed._rois["Area 1"]
    roi.movePoint(roi.handles[2]["item"], QPointF(150, 140), finish=True, coords="parent")
    qtbot.waitUntil(lambda: np.allclose(ed.model.zone("Area 1").points[2], [150, 140], atol=1.5))
    # rename and purpose from the side panel
    ed.select("Area 1")
    ed.name_edit.setText("Queue")
    ed.name_edit.editingFinished.emit()
    ed.purpose_box.setCurrentText("queue")
    ed.purpose_box.activated.emit(ed.purpose_box.currentIndex())
    assert ed.model.zone("Queue").purpose == "queue"

    # undo the purpose, the rename and the vertex move
    for _ in range(3):
        ed.buttons["undo"].click()
    assert ed.model.names() == ["Area 1", "Line 1"]
    assert np.allclose(ed.model.zone("Area 1").points[2], [120, 120], atol=1.5)
    ed.buttons["redo"].click()
    assert np.allclose(ed.model.zone("Area 1").points[2], [150, 140], atol=1.5)

    assert ed.save(p)
    with Project.open(project) as again:
        zones = load_zones(again)
        assert [z.name for z in zones] == ["Area 1", "Line 1"]
        reopened = ZoneEditor.for_camera(again, "Door")
        qtbot.addWidget(reopened)
        assert reopened.model.names() == ["Area 1", "Line 1"]
        assert np.allclose(reopened.model.zone("Area 1").points[2], [150, 140], atol=1.5)
        assert sorted(reopened._rois) == ["Area 1", "Line 1"]


def test_double_click_closes_area(qtbot, editor):
    ed, _ = editor
    ed.set_mode("area")
    click(qtbot, ed, 30, 30)
    click(qtbot, ed, 90, 30)
    click(qtbot, ed, 60, 90, double=True)
    assert ed.model.names() == ["Area 1"]
    assert len(ed.model.zone("Area 1").points) == 3


def test_self_intersecting_and_outside_are_refused(qtbot, editor, project):
    ed, p = editor
    ed.set_mode("area")
    for x, y in [(20, 20), (120, 120), (120, 20), (20, 120)]:  # bow tie
        click(qtbot, ed, x, y)
    ed.finish_draft()
    assert ed.model.names() == []
    assert "crosses itself" in ed.status.text()
    ed.set_mode("area")
    for x, y in [(20, 20), (120, 20), (120, 120)]:
        click(qtbot, ed, x, y)
    ed.finish_draft()
    assert ed.save(p)
    before = (project / "project.json").read_bytes()
    # dragging a vertex off the frame is refused and the ROI snaps back to the model
    roi = ed._rois["Area 1"]
    roi.movePoint(roi.handles[0]["item"], QPointF(-50, 20), finish=True, coords="parent")
    qtbot.waitUntil(lambda: "outside" in ed.status.text())
    assert np.allclose(ed.roi_points("Area 1")[0], [20, 20], atol=1.5)
    assert (project / "project.json").read_bytes() == before


def test_plan_zones_are_edited_over_the_plan(qtbot, project, tmp_path):
    import cv2

    from retail_desktop.analytics.floorplan import PLAN_ID, set_plan_image

    plan_png = tmp_path / "plan.png"
    cv2.imwrite(str(plan_png), np.full((300, 400, 3), 90, dtype=np.uint8))
    with Project.open(project) as p:
        set_plan_image(p, plan_png, (400, 300))
        ed = ZoneEditor.for_plan(p)
        qtbot.addWidget(ed)
        assert ed.image.image.shape == (300, 400, 3)
        ed.model.add_area([[10, 10], [390, 10], [390, 290]], name="floor")
        assert ed.save(p)
        assert [(z.camera_id, z.name) for z in load_zones(p)] == [(PLAN_ID, "floor")]


def test_insert_delete_vertex_and_move_zone_through_the_rois(qtbot, editor):
    ed, _ = editor
    ed.model.add_area([[20, 20], [120, 20], [120, 120], [20, 120]], name="shelf")
    roi = ed._rois["shelf"]
    # click on the top edge inserts a vertex there
    top = next(seg for seg in roi.segments
               if sorted((h["item"].pos().x(), h["item"].pos().y()) for h in seg.handles) == [(20, 20), (120, 20)])
    roi.segmentClicked(top, pos=QPointF(70, 20))
    qtbot.waitUntil(lambda: len(ed.model.zone("shelf").points) == 5)
    assert np.allclose(ed.model.zone("shelf").points, [[20, 20], [70, 20], [120, 20], [120, 120], [20, 120]], atol=1e-6)
    # "Remove handle" from a handle's context menu deletes that vertex
    roi = ed._rois["shelf"]
    roi.removeHandle(roi.handles[1]["item"])
    qtbot.waitUntil(lambda: len(ed.model.zone("shelf").points) == 4)
    # dragging the outline moves the whole zone
    roi = ed._rois["shelf"]
    roi.translate(10, 5, finish=True)
    qtbot.waitUntil(lambda: ed.model.zone("shelf").points[0] != [20.0, 20.0])
    assert np.allclose(ed.model.zone("shelf").points, [[30, 25], [130, 25], [130, 125], [30, 125]], atol=1e-6)
    for _ in range(3):
        ed.model.undo()
    assert np.allclose(ed.model.zone("shelf").points, [[20, 20], [120, 20], [120, 120], [20, 120]])


def test_frame_is_decoded_off_the_gui_thread(qtbot):
    from datafiles import data_file
    from retail_desktop.analytics.zone_edit import ZoneEditModel

    video = data_file("videos/mall_entrance_revolving_doors.mp4")
    ed = ZoneEditor(ZoneEditModel("cam1", frame_size=(640, 360)))
    qtbot.addWidget(ed)
    runner = ed.load_frame(video, 100)
    with qtbot.waitSignal(runner.finished, timeout=20000):
        pass
    image = ed.image.image
    assert image.shape == (360, 640, 3) and image.std() > 10  # a real picture, not the black placeholder


def test_for_camera_with_footage_takes_the_frame_size_from_the_decoded_frame(qtbot, tmp_path):
    from datafiles import data_file

    video = data_file("videos/mall_entrance_revolving_doors.mp4")
    with Project.create(tmp_path / "mall") as p:
        p.add_camera("Mall", video)
        ed = ZoneEditor.for_camera(p, "Mall", frame=10)
        qtbot.addWidget(ed)
        assert ed.model.frame_size is None
        qtbot.waitUntil(lambda: ed.model.frame_size == (640, 360), timeout=20000)
        ed.model.add_line((100, 300), (580, 300), name="entrance")
        ed.set_mode("area")
        for x, y in [(600, 300), (700, 300), (650, 340)]:  # off the 640-pixel-wide frame
            ed.add_draft_point(x, y)
        ed.finish_draft()
        assert "outside the camera frame" in ed.status.text()
        assert ed.save(p)
    with Project.open(tmp_path / "mall") as p:
        assert [z.name for z in load_zones(p)] == ["entrance"]
