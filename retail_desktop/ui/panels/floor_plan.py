"""Floor plan view: the plan image with every calibrated camera's foot points, a combined heatmap,
the zones drawn on the plan, and each camera's reprojection error.

Points and heatmap come from :mod:`retail_desktop.analytics.floorplan` on a worker thread; the view
only draws. Calibrating (the point pairs) is done with
:func:`~retail_desktop.analytics.floorplan.calibrate_camera`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from retail_desktop.analytics.floorplan import PLAN_ID, calibration_report, floor_plan, plan_heatmap, plan_points
from retail_desktop.analytics.zones import load_zones

CAMERA_COLORS = ("#ffb000", "#00c2ff", "#ff4d6d", "#6ee06e", "#c77dff", "#f77f00")


def load_plan_image(path: str) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise OSError(f"{path}: cannot be read as an image")
    return np.ascontiguousarray(image[..., ::-1])  # BGR -> RGB


def _compute(project, task=None):
    plan = floor_plan(project)
    image = None
    if plan and plan.get("image"):
        try:
            image = load_plan_image(plan["image"])
        except OSError:
            image = None
    size = tuple(plan["size"]) if plan else (0, 0)
    points = plan_points(project)
    heat = plan_heatmap(points, size) if plan else np.zeros((0, 0))
    return image, size, points, heat, calibration_report(project)


class FloorPlanView(QWidget):
    """Shows ``project``'s floor plan; :meth:`refresh` reloads it on a worker thread."""

    loaded = Signal()

    def __init__(self, project, parent: QWidget | None = None):
        super().__init__(parent)
        self.project = project
        self._runner = None
        self.view = pg.GraphicsLayoutWidget()
        self.box = self.view.addViewBox(lockAspect=True, invertY=True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.heat.setOpacity(0.55)
        self.heat.setLookupTable(pg.colormap.get("inferno").getLookupTable(nPts=256))
        self.box.addItem(self.image)
        self.box.addItem(self.heat)
        self.scatters: dict[str, pg.ScatterPlotItem] = {}
        self.zone_items: list[pg.GraphicsObject] = []
        self.show_points = QCheckBox("Foot points")
        self.show_points.setChecked(True)
        self.show_points.toggled.connect(lambda on: [s.setVisible(on) for s in self.scatters.values()])
        self.show_heat = QCheckBox("Heatmap")
        self.show_heat.setChecked(True)
        self.show_heat.toggled.connect(self.heat.setVisible)
        self.errors = QLabel()
        self.errors.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.show_points)
        top.addWidget(self.show_heat)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.errors)

    def refresh(self):
        from retail_desktop.ui.workers import TaskRunner

        self._runner = TaskRunner(_compute, self.project, parent=self)
        self._runner.finished.connect(lambda out: self.show_data(*out))
        self._runner.failed.connect(self.errors.setText)
        return self._runner.start()

    def show_data(self, image, size, points, heat, calibrations) -> None:
        if image is not None:
            self.image.setImage(image)
        w, h = size
        if heat.size:
            cell = w / heat.shape[1] if heat.shape[1] else 1.0
            self.heat.setImage(np.log1p(heat), autoLevels=True)
            self.heat.setRect(0, 0, heat.shape[1] * cell, heat.shape[0] * cell)
        for s in self.scatters.values():
            self.box.removeItem(s)
        self.scatters = {}
        for i, (name, pts) in enumerate(sorted(points.items())):
            step = max(1, len(pts) // 20000)  # enough to see where people go, cheap to draw
            s = pg.ScatterPlotItem(pts[::step, 0], pts[::step, 1], size=3, pen=None,
                                   brush=pg.mkBrush(CAMERA_COLORS[i % len(CAMERA_COLORS)]))
            s.setVisible(self.show_points.isChecked())
            self.box.addItem(s)
            self.scatters[name] = s
        for item in self.zone_items:
            self.box.removeItem(item)
        self.zone_items = []
        for zone in load_zones(self.project):
            if zone.camera_id != PLAN_ID:
                continue
            pts = np.asarray(zone.points + ([zone.points[0]] if zone.kind == "area" else []))
            item = pg.PlotDataItem(pts[:, 0], pts[:, 1], pen=pg.mkPen(zone.color, width=2))
            self.box.addItem(item)
            self.zone_items.append(item)
        lines = [f"{name}: reprojection error {cal.rms:.1f} px (max {cal.errors.max():.1f}) over {len(cal.errors)} pairs"
                 for name, cal in sorted(calibrations.items())]
        uncalibrated = [c.name for c in self.project.cameras if c.name not in calibrations]
        if uncalibrated:
            lines.append("not calibrated: " + ", ".join(uncalibrated))
        self.errors.setText("\n".join(lines))
        if w and h:
            self.box.setRange(xRange=(0, w), yRange=(0, h), padding=0.02)
        self.loaded.emit()
