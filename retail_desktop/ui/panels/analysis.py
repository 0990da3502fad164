"""The "Analysis" dock: run detection + tracking for chosen cameras in the background.

The work is :func:`analyze_cameras`, a plain Task function over the same engine the CLI runs
(``vision.pipeline.analyze_camera``); the dock only picks cameras, starts a
:class:`~retail_desktop.ui.workers.TaskRunner`, shows progress with an ETA and offers Cancel.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from retail_desktop.errors import UserError
from retail_desktop.tasks import Progress, Task


def analyze_cameras(folder: str | Path, camera_ids: list[str], options, task: Task, force: bool = False) -> list:
    """Analyse the given cameras of an existing project one after the other (Qt-free)."""
    from retail_desktop.project import Project
    from retail_desktop.vision.pipeline import _Engine, analyze_camera

    options.validate()
    with Project.open(folder) as project:
        cameras = [project.camera_by_id(cid) for cid in camera_ids]
        missing = [cid for cid, cam in zip(camera_ids, cameras) if cam is None]
        if missing:
            raise UserError(f"has no camera {missing[0]!r}", project.json_path)
        engine = _Engine(options)
        summaries = []
        for camera in cameras:
            task.check_cancelled()
            summaries.append(analyze_camera(project, camera, options, task, engine, force))
        return summaries


def format_eta(progress: Progress) -> str:
    eta = progress.eta_s
    if eta is None:
        return ""
    return f"ETA {int(eta // 60)}:{int(eta % 60):02d}"


class AnalysisPanel(QWidget):
    run_requested = Signal(list, object)  # camera ids, AnalysisOptions
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("AnalysisPanel")
        column = QVBoxLayout(self)
        self.cameras = QListWidget()
        self.cameras.setObjectName("analysis_cameras")
        column.addWidget(QLabel("Cameras to analyse"))
        column.addWidget(self.cameras, 1)
        form = QFormLayout()
        self.detector = QLineEdit(os.environ.get("RETAIL_DESKTOP_DETECTOR", "yolov8n.pt"))
        self.detector.setObjectName("analysis_detector")
        self.tracker = QComboBox()
        self.tracker.addItems(["deepsort", "bytetrack", "botsort"])
        self.stride = QComboBox()
        self.stride.addItems(["1", "2", "3", "auto"])
        form.addRow("Detector", self.detector)
        form.addRow("Tracker", self.tracker)
        form.addRow("Stride", self.stride)
        column.addLayout(form)
        self.progress = QProgressBar()
        self.progress.setObjectName("analysis_progress")
        self.status = QLabel("")
        self.status.setObjectName("analysis_status")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        self.run_button = QPushButton("Analyse")
        self.run_button.setObjectName("analysis_run")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("analysis_cancel")
        self.cancel_button.setEnabled(False)
        self.run_button.clicked.connect(self._request)
        self.cancel_button.clicked.connect(self.cancel_requested)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        column.addLayout(buttons)
        column.addWidget(self.progress)
        column.addWidget(self.status)

    def set_cameras(self, cameras: list[tuple[str, str]]) -> None:
        self.cameras.clear()
        for cid, name in cameras:
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, cid)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.cameras.addItem(item)

    def chosen(self) -> list[str]:
        return [
            self.cameras.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.cameras.count())
            if self.cameras.item(i).checkState() == Qt.CheckState.Checked
        ]

    def options(self):
        from retail_desktop.vision.pipeline import AnalysisOptions

        stride = self.stride.currentText()
        return AnalysisOptions(detector=self.detector.text().strip(), tracker=self.tracker.currentText(),
                               stride=stride if stride == "auto" else int(stride))

    def _request(self) -> None:
        ids = self.chosen()
        if ids:
            self.run_requested.emit(ids, self.options())

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if running:
            self.progress.setRange(0, 0)
            self.status.setText("Starting\u2026")

    def show_progress(self, progress: Progress) -> None:
        if progress.total:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(min(progress.done, progress.total))
        parts = [progress.message, f"{progress.done}/{progress.total or '?'}"]
        if progress.rate > 0:
            parts.append(f"{progress.rate:.1f}/s")
        eta = format_eta(progress)
        if eta:
            parts.append(eta)
        self.status.setText(" \u00b7 ".join(p for p in parts if p))
