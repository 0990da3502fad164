"""Zone editor: draw and edit a camera's zones and count lines over one of its frames.

A view of :class:`~retail_desktop.analytics.zone_edit.ZoneEditModel`: the widget turns mouse work into
model edits and redraws from the model after every change; undo/redo and every check live in the
model, so a refused edit (a polygon crossing itself, a point off the frame) only shows its message.

Mouse: in *Draw area* mode each click adds a vertex, a double click (or Enter) closes the polygon;
in *Draw line* mode two clicks make a count line (its "in" direction is drawn as an arrow). Existing
zones are pyqtgraph ROIs: drag a handle to move a vertex, drag the outline to move the zone, click
an edge to insert a vertex, right-click a handle to remove it. The frame is passed in as an array
(:meth:`set_image`) or decoded off the GUI thread from a video (:meth:`load_frame`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QColorDialog, QComboBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QPushButton, QVBoxLayout, QWidget,
)

from retail_desktop.analytics.geometry import line_normal
from retail_desktop.analytics.zone_edit import ZoneEditModel
from retail_desktop.analytics.zones import PURPOSES, load_zones
from retail_desktop.errors import UserError


def _decode_frame(video: str, index: int, task=None) -> np.ndarray:
    from retail_desktop.video.reader import VideoReader

    with VideoReader(video) as reader:
        return np.ascontiguousarray(reader.read(index).image[..., ::-1])  # BGR -> RGB


class _AreaROI(pg.PolyLineROI):
    """A closed polygon ROI that reports inserted vertices as a finished change, like moved ones."""

    def segmentClicked(self, segment, ev=None, pos=None):  # noqa: N802 - pyqtgraph's name
        super().segmentClicked(segment, ev, pos)
        self.sigRegionChangeFinished.emit(self)


class _FrameView(pg.GraphicsLayoutWidget):
    """The editor's canvas; a double click is handed to ``on_double_click`` (returns True when used).

    An override rather than an event filter on the viewport: a Python event filter is called for every
    event, including those Qt sends while PySide destroys left-over widgets at interpreter exit, and a
    Python call then crashes the process (seen as a segfault after test_zone_editor's tests passed)."""

    def __init__(self):
        super().__init__()
        self.on_double_click = lambda: False

    def mouseDoubleClickEvent(self, ev):  # noqa: N802 - Qt's name
        if self.on_double_click():
            ev.accept()
            return
        super().mouseDoubleClickEvent(ev)


class ZoneEditor(QWidget):
    """Edits ``model``'s zones; ``save_requested`` carries nothing: the owner decides where to save
    (or call :meth:`save` with a project). ``message`` shows the latest refusal or confirmation."""

    zones_changed = Signal()
    message = Signal(str)

    def __init__(self, model: ZoneEditModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.mode = "select"  # select | area | line
        self._draft: list[list[float]] = []
        self._rois: dict[str, pg.ROI] = {}
        self._extras: list[pg.GraphicsObject] = []
        self._runner = None

        self.view = _FrameView()
        self.plot = self.view.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.draft_item = pg.PlotDataItem(pen=pg.mkPen("#ffffff", width=2, style=Qt.PenStyle.DashLine),
                                          symbol="o", symbolSize=6)
        self.plot.addItem(self.draft_item)
        self.view.scene().sigMouseClicked.connect(self._on_click)
        self.view.on_double_click = self._on_double_click

        self.list = QListWidget()
        self.list.currentTextChanged.connect(self._on_select)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("zone name")
        self.name_edit.editingFinished.connect(self._on_rename)
        self.purpose_box = QComboBox()
        self.purpose_box.addItems(PURPOSES)
        self.purpose_box.activated.connect(lambda _i: self._try(self.model.set_purpose, self.selected(),
                                                                self.purpose_box.currentText()))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.message.connect(self.status.setText)

        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (
            ("area", "Draw area", lambda: self.set_mode("area")),
            ("line", "Draw line", lambda: self.set_mode("line")),
            ("delete", "Delete zone", lambda: self._try(self.model.delete_zone, self.selected())),
            ("reverse", "Reverse line", lambda: self._try(self.model.reverse_line, self.selected())),
            ("color", "Colour…", self._pick_color),
            ("undo", "Undo", self.model.undo),
            ("redo", "Redo", self.model.redo),
        ):
            b = QPushButton(text)
            b.clicked.connect(slot)
            buttons.addWidget(b)
            self.buttons[key] = b
        self.buttons["area"].setCheckable(True)
        self.buttons["line"].setCheckable(True)

        side = QVBoxLayout()
        side.addWidget(QLabel("Zones"))
        side.addWidget(self.list)
        side.addWidget(self.name_edit)
        side.addWidget(self.purpose_box)
        side.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.view, 1)
        body.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addLayout(body, 1)
        layout.addWidget(self.status)

        QShortcut(QKeySequence.StandardKey.Undo, self, self.model.undo)
        QShortcut(QKeySequence.StandardKey.Redo, self, self.model.redo)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self, self.finish_draft)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, lambda: self.set_mode("select"))

        self.model.subscribe(self.refresh)
        if model.frame_size:
            self.set_image(np.zeros((model.frame_size[1], model.frame_size[0], 3), dtype=np.uint8))
        self.refresh()

    # -------------------------------------------------------------------- frame
    def set_image(self, image: np.ndarray) -> None:
        """Show ``image`` (H x W or H x W x 3, RGB) as the background, one pixel per zone unit. When the
        model does not know the frame size yet, the image's becomes the bound for its points."""
        image = np.asarray(image)
        self.image.setImage(image)
        if self.model.frame_size is None:
            self.model.frame_size = (int(image.shape[1]), int(image.shape[0]))
        self.plot.autoRange(padding=0.02)

    def load_frame(self, video: str | Path, index: int = 0):
        """Decode frame ``index`` of ``video`` on a worker thread and show it when ready."""
        from retail_desktop.ui.workers import TaskRunner

        self._runner = TaskRunner(_decode_frame, str(video), int(index), parent=self)
        self._runner.finished.connect(self.set_image)
        self._runner.failed.connect(self.message.emit)
        return self._runner.start()

    # -------------------------------------------------------------------- state
    def selected(self) -> str:
        item = self.list.currentItem()
        return item.text() if item else ""

    def select(self, name: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).text() == name:
                self.list.setCurrentRow(i)

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self._draft = []
        self.buttons["area"].setChecked(mode == "area")
        self.buttons["line"].setChecked(mode == "line")
        self._draw_draft()
        self.message.emit({"area": "Click to add vertices; double-click or Enter closes the area.",
                           "line": "Click the two ends of the count line.", "select": ""}[mode])

    def _try(self, fn, *args) -> bool:
        try:
            fn(*args)
        except UserError as exc:
            self.message.emit(str(exc))
            self.refresh()  # put ROIs back where the model says
            return False
        return True

    def save(self, project) -> bool:
        if self._try(self.model.save, project):
            self.message.emit(f"Saved {len(self.model.names())} zones")
            return True
        return False

    @classmethod
    def for_camera(cls, project, camera_name: str, frame: int | None = 0, parent: QWidget | None = None) -> ZoneEditor:
        """An editor of one camera's zones as stored in ``project``. With footage, frame ``frame`` is
        decoded off the GUI thread (its size then bounds the zones); ``frame=None`` skips that."""
        camera = project.camera(camera_name)
        if camera is None:
            raise UserError(f"no camera named '{camera_name}'", project.path)
        size = camera.extra.get("frame_size")
        editor = cls(ZoneEditModel(camera.id, load_zones(project), tuple(size) if size else None), parent)
        if frame is not None and not camera.extra.get("ground_truth") and Path(camera.video).is_file():
            editor.load_frame(camera.video, frame)
        elif frame is not None:
            editor.message.emit("No footage for this camera: zones are drawn on a blank frame")
        return editor

    @classmethod
    def for_plan(cls, project, parent: QWidget | None = None) -> ZoneEditor:
        """An editor of the zones drawn on the floor plan, over the plan image."""
        from retail_desktop.analytics.floorplan import PLAN_ID, floor_plan

        plan = floor_plan(project)
        if plan is None:
            raise UserError("load a floor plan image first", project.path)
        editor = cls(ZoneEditModel(PLAN_ID, load_zones(project), tuple(plan["size"])), parent)
        try:
            from retail_desktop.ui.panels.floor_plan import load_plan_image

            editor.set_image(load_plan_image(plan["image"]))
        except OSError as exc:
            editor.message.emit(str(exc))
        return editor

    # -------------------------------------------------------------------- drawing
    def scene_to_image(self, pos: QPointF) -> tuple[float, float]:
        p = self.plot.mapSceneToView(pos)
        return float(p.x()), float(p.y())

    def image_to_widget(self, x: float, y: float):
        """Where image point (x, y) is on the view widget (for tests and tools)."""
        scene = self.plot.mapViewToScene(QPointF(x, y))
        return self.view.mapFromScene(scene)

    def _on_click(self, ev) -> None:
        if self.mode == "select" or ev.button() != Qt.MouseButton.LeftButton:
            return
        x, y = self.scene_to_image(ev.scenePos())
        if ev.double():
            return  # handled by _on_double_click (pyqtgraph does not always report it)
        self.add_draft_point(x, y)

    def _on_double_click(self) -> bool:
        if self.mode == "area":
            self.finish_draft()
            return True
        return False

    def add_draft_point(self, x: float, y: float) -> None:
        self._draft.append([x, y])
        if self.mode == "line" and len(self._draft) == 2:
            a, b = self._draft
            self._draft = []
            if self._try(self.model.add_line, a, b):
                self.set_mode("select")
                self.select(self.model.names()[-1])
        self._draw_draft()

    def finish_draft(self) -> None:
        if self.mode != "area":
            return
        points = self._draft
        # a double click also delivered its first click: drop a repeated last point
        while len(points) >= 2 and np.hypot(points[-1][0] - points[-2][0], points[-1][1] - points[-2][1]) < 1e-6:
            points = points[:-1]
        if len(points) < 3:
            self.message.emit("An area needs at least 3 vertices")
            return
        if self._try(self.model.add_area, points):
            self.set_mode("select")
            self.select(self.model.names()[-1])
        self._draw_draft()

    def _draw_draft(self) -> None:
        if self._draft:
            pts = np.asarray(self._draft)
            self.draft_item.setData(pts[:, 0], pts[:, 1])
        else:
            self.draft_item.setData([], [])

    def refresh(self) -> None:
        """Redraw everything from the model."""
        current = self.selected()
        for roi in self._rois.values():
            self.plot.removeItem(roi)
        for item in self._extras:
            self.plot.removeItem(item)
        self._rois, self._extras = {}, []
        self.list.blockSignals(True)
        self.list.clear()
        for zone in self.model.zones:
            self.list.addItem(zone.name)
            pen = pg.mkPen(zone.color, width=3 if zone.name == current else 2)
            if zone.kind == "area":
                roi = _AreaROI(zone.points, closed=True, pen=pen, movable=True)
            else:
                roi = pg.LineSegmentROI(zone.points, pen=pen, movable=True)
                self._add_arrow(zone)
            roi.sigRegionChangeFinished.connect(lambda r, name=zone.name: self._on_roi_changed(name, r))
            self.plot.addItem(roi)
            label = pg.TextItem(zone.name, color=zone.color, anchor=(0, 1))
            label.setPos(*zone.points[0])
            self.plot.addItem(label)
            self._extras.append(label)
            self._rois[zone.name] = roi
        self.list.blockSignals(False)
        if current in self.model.names():
            self.select(current)
        self._on_select(self.selected())
        self.buttons["undo"].setEnabled(self.model.can_undo)
        self.buttons["redo"].setEnabled(self.model.can_redo)
        self.zones_changed.emit()

    def _add_arrow(self, zone) -> None:
        (ax, ay), (bx, by) = zone.points
        nx, ny = line_normal((ax, ay), (bx, by))
        mx, my = (ax + bx) / 2, (ay + by) / 2
        length = max(15.0, 0.15 * float(np.hypot(bx - ax, by - ay)))
        arrow = pg.PlotDataItem([mx, mx + nx * length], [my, my + ny * length], pen=pg.mkPen(zone.color, width=2))
        head = pg.TextItem("in", color=zone.color, anchor=(0.5, 0.5))
        head.setPos(mx + nx * length * 1.3, my + ny * length * 1.3)
        for item in (arrow, head):
            self.plot.addItem(item)
            self._extras.append(item)

    def roi_points(self, name: str) -> list[list[float]]:
        """A zone's outline as its ROI shows it now (image coordinates)."""
        roi = self._rois[name]
        return [[float(p.x()), float(p.y())] for p in (roi.mapToParent(h["item"].pos()) for h in roi.handles)]

    def _on_roi_changed(self, name: str, roi) -> None:
        # pyqtgraph reports some changes (an inserted handle) before it has finished making them, and
        # applying them redraws every ROI; so read the outline once control is back in the event loop.
        QTimer.singleShot(0, lambda: self._apply_roi(name, roi))

    def _apply_roi(self, name: str, roi) -> None:
        if self._rois.get(name) is not roi:
            return  # already redrawn from the model
        points = self.roi_points(name)
        if points != self.model.zone(name).points:
            self._try(self.model.set_points, name, points)

    def _on_select(self, name: str) -> None:
        if not name or name not in self.model.names():
            self.name_edit.clear()
            return
        zone = self.model.zone(name)
        self.name_edit.setText(zone.name)
        self.purpose_box.setCurrentText(zone.purpose)
        self.buttons["reverse"].setEnabled(zone.kind == "line")

    def _on_rename(self) -> None:
        name, new = self.selected(), self.name_edit.text()
        if name and new != name and self._try(self.model.rename, name, new):
            self.select(new.strip())

    def _pick_color(self) -> None:
        name = self.selected()
        if not name:
            return
        color = QColorDialog.getColor(QColor(self.model.zone(name).color), self, "Zone colour")
        if color.isValid():
            self._try(self.model.set_color, name, color.name())
