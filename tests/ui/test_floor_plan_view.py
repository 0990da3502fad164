"""pytest-qt: the floor plan view shows calibrated cameras' foot points, the heatmap, plan zones and
reprojection errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import cv2
from PySide6.QtCore import QPointF

from retail_desktop.analytics.floorplan import apply_homography, calibrate_camera, set_plan_image
from retail_desktop.analytics.zones import Zone, save_zones
from retail_desktop.annotation.track_import import store_tracks
from retail_desktop.project import Project
from retail_desktop.ui.panels.floor_plan import FloorPlanView


def test_plan_view(qtbot, tmp_path):
    src = tmp_path / "gt.txt"
    src.write_text("x")
    plan_png = tmp_path / "plan.png"
    cv2.imwrite(str(plan_png), np.full((300, 400, 3), 200, dtype=np.uint8))
    rows = [(f, 1, 10 + 5 * f, 20, 20 + 5 * f, 60) for f in range(30)]
    with Project.create(tmp_path / "p") as p:
        store_tracks(p, "Door", pd.DataFrame(rows, columns=["frame", "track_id", "x1", "y1", "x2", "y2"]),
                     source=src, fmt="mot", fps=10.0, size=(320, 240))
        p.add_camera("Back", tmp_path / "back.mp4")
        set_plan_image(p, plan_png, (400, 300))
        h = np.array([[1.0, 0, 20], [0, 1.0, 30], [0, 0, 1]])
        cam = np.array([[0, 0], [320, 0], [320, 240], [0, 240]], dtype=float)
        px, py = apply_homography(h, cam[:, 0], cam[:, 1])
        calibrate_camera(p, "Door", np.c_[cam, px, py])
        save_zones(p, [Zone("aisle", "area", "plan", [[50, 50], [150, 50], [150, 150]])])
        view = FloorPlanView(p)
        qtbot.addWidget(view)
        with qtbot.waitSignal(view.loaded, timeout=10000):
            view.refresh()
        assert list(view.scatters) == ["Door"]
        xs, ys = view.scatters["Door"].getData()
        assert len(xs) == 30 and np.allclose(xs[:2], [35, 40]) and np.allclose(ys, 90)  # feet + (20, 30)
        assert view.heat.image is not None and view.heat.image.shape == (30, 40)
        assert len(view.zone_items) == 1
        assert "Door: reprojection error 0.0 px" in view.errors.text()
        assert "not calibrated: Back" in view.errors.text()
        assert view.image.image.shape == (300, 400, 3)


def test_calibration_widget_collects_pairs_and_fits(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from retail_desktop.ui.panels.floor_plan import CalibrationWidget

    plan_png = tmp_path / "plan.png"
    cv2.imwrite(str(plan_png), np.full((300, 400, 3), 200, dtype=np.uint8))
    with Project.create(tmp_path / "p") as p:
        p.add_camera("Door", tmp_path / "door.mp4")
        set_plan_image(p, plan_png, (400, 300))
        w = CalibrationWidget(p, "Door")
        w.set_camera_image(np.zeros((240, 320, 3), dtype=np.uint8))
        w.resize(900, 500)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        w.add_plan_point(5, 5)
        assert "camera point first" in w.status.text()
        # the first camera point with a real click on the left view
        w.cam_box.autoRange()
        w.plan_box.autoRange()
        scene = w.cam_box.mapViewToScene(QPointF(40, 40))
        qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=w.view.mapFromScene(scene))
        assert w._pending is not None and np.allclose(w._pending, [40, 40], atol=2)
        w._pending = [40.0, 40.0]
        scene = w.plan_box.mapViewToScene(QPointF(60, 70))
        qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=w.view.mapFromScene(scene))
        assert len(w.pairs) == 1 and np.allclose(w.pairs[0][2:], [60, 70], atol=2)
        w.pairs[0][2:] = [60.0, 70.0]
        w.fit()
        assert "at least 4" in w.status.text()
        for cx, cy in [(300, 40), (300, 200), (40, 200)]:
            w.add_camera_point(cx, cy)
            w.add_plan_point(cx + 20, cy + 30)
        with Project.open(tmp_path / "p") as other:  # another edit while the dialog is open
            other.camera("Door").offset_s = 12.5
            other.settings["note"] = "kept"
            other.save()
        with qtbot.waitSignal(w.calibrated) as sig:
            w.fit()
        assert sig.args[0] < 1e-6
        assert np.allclose(p.camera("Door").homography, [[1, 0, 20], [0, 1, 30], [0, 0, 1]], atol=1e-6)
        assert w.table.rowCount() == 4 and w.table.item(3, 4).text() == "0.0"
    with Project.open(tmp_path / "p") as again:
        assert CalibrationWidget(again, "Door").pairs[3] == [40.0, 200.0, 60.0, 230.0]
        assert np.allclose(again.camera("Door").homography, [[1, 0, 20], [0, 1, 30], [0, 0, 1]], atol=1e-6)
        assert again.camera("Door").offset_s == 12.5 and again.settings["note"] == "kept"  # not overwritten
