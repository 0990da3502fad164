"""The "Cameras" dock: one row per camera of the open project.

It only displays a :class:`~retail_desktop.ui.project_summary.ProjectSummary`; choosing a camera will
drive the player in the review app, so selection is exposed as a signal rather than acted on here.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QStackedWidget, QVBoxLayout, QWidget

from retail_desktop.ui.pages import STATUS_COLOURS, camera_status
from retail_desktop.ui.project_summary import ProjectSummary


def _dot(status: str) -> QIcon:
    """A small status dot; drawn rather than shipped so its colour stays in one place."""
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(STATUS_COLOURS[status]))
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)


class CamerasPanel(QWidget):
    camera_selected = Signal(str)  # camera id

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("CamerasPanel")
        self._stack = QStackedWidget(self)
        self._empty = QLabel("No project open.\n\nFile \u25b8 Open Project\u2026 (Ctrl+O)", self)
        self._empty.setObjectName("DockEmptyLabel")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._empty.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setObjectName("camera_list")
        self.list.setAlternatingRowColors(False)
        self.list.currentItemChanged.connect(self._on_current_changed)
        self._stack.addWidget(self._empty)
        self._stack.addWidget(self.list)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._stack)

    def show_project(self, summary: ProjectSummary | None) -> None:
        self.list.clear()
        if summary is None:
            self._empty.setText("No project open.\n\nFile \u25b8 Open Project\u2026 (Ctrl+O)")
            self._stack.setCurrentWidget(self._empty)
            return
        if not summary.cameras:
            self._empty.setText("This project has no cameras yet.")
            self._stack.setCurrentWidget(self._empty)
            return
        for camera in summary.cameras:
            item = QListWidgetItem(_dot(camera_status(camera)), camera.label)
            item.setData(Qt.ItemDataRole.UserRole, camera.id)
            tip = "\n".join(camera.videos) or "no video file"
            if camera.ground_truth_only:
                tip = "Ground truth only (no video): tracks and labels, no footage to play\n" + tip
            elif camera.missing:
                tip += "\n\nMissing: " + ", ".join(camera.missing)
            item.setToolTip(tip)
            self.list.addItem(item)
        self._stack.setCurrentWidget(self.list)

    def camera_names(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _on_current_changed(self, current: QListWidgetItem | None, _previous: object) -> None:
        if current is not None:
            self.camera_selected.emit(str(current.data(Qt.ItemDataRole.UserRole)))
