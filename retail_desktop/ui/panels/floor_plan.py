"""Floor plan view: the plan image with every calibrated camera's foot points, a combined heatmap,
the zones drawn on the plan, and each camera's reprojection error.

Points and heatmap come from :mod:`retail_desktop.analytics.floorplan` on a worker thread; the view
only draws. :class:`CalibrationWidget` collects a camera's point pairs and calls
:func:`~retail_desktop.analytics.floorplan.calibrate_camera`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
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
        lut = pg.colormap.get("inferno").getLookupTable(nPts=256, alpha=True)
        lut[0, 3] = 0  # empty cells transparent: the plan stays readable where nobody walked
        self.heat.setLookupTable(lut)
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


class CalibrationWidget(QWidget):
    """Point pairs for one camera: click a floor landmark on the camera frame (left), then the same
    landmark on the plan (right); *Fit* computes the homography, stores it and shows the reprojection
    error of every pair. Needs >= 4 pairs spread over the floor."""

    calibrated = Signal(float)  # rms reprojection error, plan pixels

    def __init__(self, project, camera_name: str, parent: QWidget | None = None):
        from PySide6.QtWidgets import QPushButton, QTableWidget

        super().__init__(parent)
        self.project = project
        self.camera_name = camera_name
        self.pairs: list[list[float]] = []
        self._pending: list[float] | None = None
        self._runner = None
        plan = floor_plan(project) or {}
        camera = project.camera(camera_name)
        stored = (plan.get("pairs") or {}).get(camera.id) if camera else None
        self.pairs = [list(map(float, p)) for p in stored] if stored else []

        self.view = pg.GraphicsLayoutWidget()
        self.cam_box = self.view.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.plan_box = self.view.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.cam_image = pg.ImageItem(axisOrder="row-major")
        self.plan_image = pg.ImageItem(axisOrder="row-major")
        self.cam_box.addItem(self.cam_image)
        self.plan_box.addItem(self.plan_image)
        self.cam_marks = pg.ScatterPlotItem(size=9, brush=pg.mkBrush("#ffb000"))
        self.plan_marks = pg.ScatterPlotItem(size=9, brush=pg.mkBrush("#00c2ff"))
        self.cam_box.addItem(self.cam_marks)
        self.plan_box.addItem(self.plan_marks)
        self.view.scene().sigMouseClicked.connect(self._on_click)
        if plan.get("image"):
            try:
                self.plan_image.setImage(load_plan_image(plan["image"]))
            except OSError as exc:
                self.plan_image.setImage(np.zeros((10, 10, 3), dtype=np.uint8))
                plan_error = str(exc)
            else:
                plan_error = ""
        else:
            plan_error = "load a floor plan image first"

        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["camera x", "camera y", "plan x", "plan y", "error (px)"])
        self.status = QLabel(plan_error or "Click a floor point on the camera, then the same point on the plan.")
        self.status.setWordWrap(True)
        fit = QPushButton("Fit")
        fit.clicked.connect(self.fit)
        undo = QPushButton("Remove last pair")
        undo.clicked.connect(self.remove_last)
        buttons = QHBoxLayout()
        buttons.addWidget(fit)
        buttons.addWidget(undo)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 3)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self._redraw()

    def set_camera_image(self, image: np.ndarray) -> None:
        self.cam_image.setImage(np.asarray(image))

    def load_camera_frame(self, index: int = 0):
        """Decode a frame of the camera's footage off the GUI thread."""
        from retail_desktop.ui.editors.zone_editor import _decode_frame
        from retail_desktop.ui.workers import TaskRunner

        camera = self.project.camera(self.camera_name)
        self._runner = TaskRunner(_decode_frame, camera.video, int(index), parent=self)
        self._runner.finished.connect(self.set_camera_image)
        self._runner.failed.connect(self.status.setText)
        return self._runner.start()

    def _on_click(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        for box, add in ((self.cam_box, self.add_camera_point), (self.plan_box, self.add_plan_point)):
            if box.sceneBoundingRect().contains(ev.scenePos()):
                p = box.mapSceneToView(ev.scenePos())
                add(float(p.x()), float(p.y()))
                return

    def add_camera_point(self, x: float, y: float) -> None:
        self._pending = [x, y]
        self.status.setText(f"Camera point ({x:.0f}, {y:.0f}); now click the same place on the plan.")
        self._redraw()

    def add_plan_point(self, x: float, y: float) -> None:
        if self._pending is None:
            self.status.setText("Click the camera point first, then the plan point.")
            return
        self.pairs.append(self._pending + [x, y])
        self._pending = None
        self.status.setText(f"{len(self.pairs)} pairs" + ("" if len(self.pairs) >= 4 else " (4 needed)"))
        self._redraw()

    def remove_last(self) -> None:
        if self.pairs:
            self.pairs.pop()
        self._pending = None
        self._redraw()

    def fit(self) -> None:
        from retail_desktop.analytics.floorplan import PLAN_KEY, calibrate_camera
        from retail_desktop.errors import UserError
        from retail_desktop.project import Project

        # Saved through a freshly read project: whatever else changed project.json while this dialog
        # was open (an offset, a zone, the tracking URI) is kept, not overwritten by an old copy.
        try:
            with Project.open(self.project.path) as fresh:
                cal = calibrate_camera(fresh, self.camera_name, self.pairs)
                self.project.camera(self.camera_name).homography = fresh.camera(self.camera_name).homography
                self.project.extra[PLAN_KEY] = fresh.extra.get(PLAN_KEY)
        except UserError as exc:
            self.status.setText(str(exc))
            return
        self._redraw(cal.errors)
        self.status.setText(f"Reprojection error {cal.rms:.1f} px RMS, worst pair {cal.errors.max():.1f} px; saved")
        self.calibrated.emit(cal.rms)

    def _redraw(self, errors=None) -> None:
        from PySide6.QtWidgets import QTableWidgetItem

        cam = [p[:2] for p in self.pairs] + ([self._pending] if self._pending else [])
        self.cam_marks.setData(pos=np.asarray(cam, dtype=float).reshape(-1, 2))
        self.plan_marks.setData(pos=np.asarray([p[2:] for p in self.pairs], dtype=float).reshape(-1, 2))
        self.table.setRowCount(len(self.pairs))
        for i, p in enumerate(self.pairs):
            values = list(p) + ([errors[i]] if errors is not None else [None])
            for j, v in enumerate(values):
                self.table.setItem(i, j, QTableWidgetItem("" if v is None else f"{v:.1f}"))
