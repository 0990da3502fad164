"""The main window: it assembles pages, docks, actions and the status bar, and nothing more.

Kept small on purpose (no god object): panels and pages own their widgets, the project package owns
the data, and any work that could take time runs through :class:`~retail_desktop.ui.workers.TaskRunner`.
Window geometry and dock layout live in ``QSettings`` only (never in a project file), because they
belong to this machine's screen, not to the project.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QToolButton,
    QWidget,
)

from retail_desktop import __version__
from retail_desktop.tasks import Progress
from retail_desktop.ui.pages import ProjectPage, WelcomePage
from retail_desktop.ui.panels.cameras import CamerasPanel
from retail_desktop.ui.project_summary import ProjectSummary, read_project_summary
from retail_desktop.ui.resources import app_icon
from retail_desktop.ui.workers import TaskRunner

APP_NAME = "Retail Desktop"
DEFAULT_SIZE = (1280, 800)

_GEOMETRY_KEY = "main_window/geometry"
_STATE_KEY = "main_window/state"
_LAST_DIR_KEY = "paths/last_project_dir"


def about_text() -> str:
    """The About box body; a function so tests can check the licence notice without a dialog."""
    return (
        f"<h3>{APP_NAME} {__version__}</h3>"
        "<p>Review retail CCTV footage: person detection, tracking, behaviour and store analytics.</p>"
        "<p>Copyright \u00a9 the Retail Desktop contributors.<br>"
        "This program is free software: you can redistribute it and/or modify it under the terms of "
        "the <b>GNU Affero General Public License, version 3</b> (AGPL-3.0), as published by the Free "
        "Software Foundation. It comes with ABSOLUTELY NO WARRANTY; see the LICENSE file for details. "
        "If you run a modified version for users over a network, you must offer them its source.</p>"
        "<p>Person detection uses <a href='https://github.com/ultralytics/ultralytics'>Ultralytics "
        "YOLO</a>, \u00a9 Ultralytics Inc., licensed under AGPL-3.0. Tracking uses deep-sort-realtime; "
        "the interface uses Qt for Python (PySide6, LGPL-3.0) and pyqtgraph.</p>"
    )


class MainWindow(QMainWindow):
    """Placeholder main window: welcome page, project overview, Cameras dock, File and Help menus."""

    project_opened = Signal(object)  # ProjectSummary, on the GUI thread

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.settings = settings if settings is not None else QSettings()
        self.summary: ProjectSummary | None = None
        self.last_message_box: QMessageBox | None = None
        self._runners: set[TaskRunner] = set()

        self.welcome = WelcomePage(app_icon())
        self.project_page = ProjectPage()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(self.project_page)
        self.setCentralWidget(self.pages)

        self.cameras = CamerasPanel()
        self.cameras_dock = QDockWidget("Cameras", self)
        self.cameras_dock.setObjectName("cameras_dock")
        self.cameras_dock.setWidget(self.cameras)
        self.cameras_dock.setMinimumWidth(220)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.cameras_dock)

        self._build_status_bar()
        self._build_actions()
        self._build_menus()
        self.welcome.open_requested.connect(self.choose_project)
        self.cameras.camera_selected.connect(self._on_camera_selected)
        self._restore_geometry()

    # -- construction ------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.open_action = QAction("&Open Project\u2026", self)
        self.open_action.setObjectName("action_open_project")
        self.open_action.setShortcut(QKeySequence("Ctrl+O"))
        self.open_action.setStatusTip("Open a project folder (one that holds project.json)")
        self.open_action.triggered.connect(self.choose_project)

        self.quit_action = QAction("&Quit", self)
        self.quit_action.setObjectName("action_quit")
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)

        self.about_action = QAction("&About Retail Desktop", self)
        self.about_action.setObjectName("action_about")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.setObjectName("menu_file")
        file_menu.addAction(self.open_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = bar.addMenu("&View")
        view_menu.setObjectName("menu_view")
        view_menu.addAction(self.cameras_dock.toggleViewAction())
        help_menu = bar.addMenu("&Help")
        help_menu.setObjectName("menu_help")
        help_menu.addAction(self.about_action)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.task_progress = QProgressBar()
        self.task_progress.setObjectName("task_progress")
        self.task_progress.setFixedWidth(180)
        self.task_progress.setTextVisible(False)
        self.task_progress.hide()
        self.cancel_button = QToolButton()
        self.cancel_button.setObjectName("cancel_task_button")
        self.cancel_button.setText("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel_tasks)
        self.project_label = QLabel("No project")
        self.project_label.setObjectName("project_label")
        status.addPermanentWidget(self.task_progress)
        status.addPermanentWidget(self.cancel_button)
        status.addPermanentWidget(self.project_label)
        status.showMessage("Ready")

    # -- projects ----------------------------------------------------------------------------------
    def choose_project(self) -> None:
        start = str(self.settings.value(_LAST_DIR_KEY, str(Path.home())))
        folder = QFileDialog.getExistingDirectory(self, "Open Project", start)
        if folder:
            self.open_project(folder)

    def open_project(self, folder: str | Path) -> TaskRunner:
        """Read the project on a worker thread; the window updates when it reports back."""
        folder = Path(folder)
        runner = TaskRunner(read_project_summary, folder, parent=self)
        runner.finished.connect(self._on_project_loaded)
        runner.failed.connect(self._on_project_failed)
        self._track(runner, f"Opening {folder.name}\u2026")
        return runner.start()

    def _on_project_loaded(self, summary: ProjectSummary) -> None:
        self.summary = summary
        self.settings.setValue(_LAST_DIR_KEY, str(summary.folder.parent))
        self.setWindowTitle(f"{summary.name} \u2014 {APP_NAME}")
        self.project_page.show_project(summary)
        self.cameras.show_project(summary)
        self.pages.setCurrentWidget(self.project_page)
        n = len(summary.cameras)
        self.project_label.setText(f"{summary.name} \u00b7 {n} camera{'s' if n != 1 else ''}")
        self.statusBar().showMessage(f"Opened {summary.folder}", 5000)
        self.project_opened.emit(summary)

    def _on_project_failed(self, message: str) -> None:
        self.statusBar().showMessage(f"Could not open project: {message}", 10000)
        self._message(QMessageBox.Icon.Warning, "Cannot open project", message)

    def _on_camera_selected(self, camera_id: str) -> None:
        self.statusBar().showMessage(f"Camera {camera_id}", 3000)

    # -- long work ---------------------------------------------------------------------------------
    def is_busy(self) -> bool:
        return bool(self._runners)

    def cancel_tasks(self) -> None:
        for runner in list(self._runners):
            runner.cancel()

    def _track(self, runner: TaskRunner, message: str) -> None:
        """Show a task in the status bar until it ends; the window owns no other task state."""
        self._runners.add(runner)
        self.statusBar().showMessage(message)
        self.task_progress.setRange(0, 0)  # busy until the first report says how much work there is
        self.task_progress.show()
        self.cancel_button.show()
        runner.progress.connect(self._on_task_progress)

        def done(*_: object) -> None:
            self._runners.discard(runner)
            if not self._runners:
                self.task_progress.hide()
                self.cancel_button.hide()
                if self.statusBar().currentMessage() == message:
                    self.statusBar().showMessage("Ready")
            runner.deleteLater()

        runner.finished.connect(done)
        runner.failed.connect(done)
        runner.cancelled.connect(done)
        runner.cancelled.connect(lambda: self.statusBar().showMessage("Cancelled", 5000))

    def _on_task_progress(self, progress: Progress) -> None:
        if progress.total:
            self.task_progress.setRange(0, progress.total)
            self.task_progress.setValue(min(progress.done, progress.total))
        else:
            self.task_progress.setRange(0, 0)
        if progress.message:
            self.statusBar().showMessage(progress.message)

    # -- help --------------------------------------------------------------------------------------
    def show_about(self) -> None:
        self._message(QMessageBox.Icon.NoIcon, f"About {APP_NAME}", about_text(), icon_pixmap=True)

    def _message(self, icon: QMessageBox.Icon, title: str, text: str, icon_pixmap: bool = False) -> None:
        """Window-modal but non-blocking, so no nested event loop runs inside a slot (or a test)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.RichText)
        if icon_pixmap:
            box.setIconPixmap(app_icon().pixmap(64, 64))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_message_box = box
        box.open()

    # -- geometry ----------------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = self.settings.value(_GEOMETRY_KEY)
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):
            self.resize(*DEFAULT_SIZE)
        state = self.settings.value(_STATE_KEY)
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def save_geometry(self) -> None:
        self.settings.setValue(_GEOMETRY_KEY, self.saveGeometry())
        self.settings.setValue(_STATE_KEY, self.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        self.save_geometry()
        self.cancel_tasks()
        for runner in list(self._runners):
            runner.wait(2.0)  # cancelled work stops at its next safe point; do not hang on exit
        super().closeEvent(event)
