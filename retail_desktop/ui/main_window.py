"""The main window: it assembles pages, docks, actions and the status bar, and nothing more.

Kept small on purpose (no god object): panels and pages own their widgets, the project package owns
the data, and any work that could take time runs through :class:`~retail_desktop.ui.workers.TaskRunner`.
Window geometry and dock layout live in ``QSettings`` only (never in a project file), because they
belong to this machine's screen, not to the project.
"""

from __future__ import annotations

import html

import numpy as np

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
    QScrollArea,
    QStackedWidget,
    QToolButton,
    QWidget,
)

from retail_desktop import __version__
from retail_desktop.tasks import Progress
from retail_desktop.ui.pages import ProjectPage, WelcomePage
from retail_desktop.ui.panels.analysis import AnalysisPanel, analyze_cameras
from retail_desktop.ui.panels.cameras import CamerasPanel
from retail_desktop.ui.panels.layers import LayersPanel
from retail_desktop.ui.player.camera_view import CameraView
from retail_desktop.ui.player.data import ReviewData, load_review_data
from retail_desktop.ui.player.player import PlayerWidget
from retail_desktop.ui.player.timeline import format_time
from retail_desktop.ui import project_edits
from retail_desktop.ui.project_summary import ProjectSummary, read_project_summary
from retail_desktop.ui.resources import app_icon
from retail_desktop.ui.workers import TaskRunner

APP_NAME = "Retail Desktop"
DEFAULT_SIZE = (1280, 800)

_GEOMETRY_KEY = "main_window/geometry"
_STATE_KEY = "main_window/state"
_LAST_DIR_KEY = "paths/last_project_dir"
_RECENT_KEY = "paths/recent_projects"
MAX_RECENT = 8

#: (keys, what they do): the Help > Keyboard Shortcuts list and the actions are built from one table.
SHORTCUTS = (
    ("Space", "Play / pause"),
    ("Right / Left", "One frame forward / back (current camera)"),
    ("Shift+Right / Shift+Left", "One second forward / back"),
    ("Home / End", "Start / end of the footage"),
    ("] / [", "Faster / slower"),
    ("H", "Heatmap layer on / off"),
    ("0", "Reset zoom of the current camera"),
    ("Ctrl+O", "Open project"),
    ("Ctrl+N", "New project"),
    ("Ctrl+Q", "Quit"),
    ("F1", "This list"),
)


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
    """Assembles the welcome page, the player, the docks (Cameras, Layers, Analysis) and the menus.

    Other parts plug in with :meth:`add_dock` and :meth:`add_page`, and drive the player through
    :meth:`current_camera_view`, :meth:`project_time` and :meth:`seek_to`.
    """

    project_opened = Signal(object)  # ProjectSummary, on the GUI thread
    review_loaded = Signal(object)  # ReviewData: the player shows the project's cameras

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.settings = settings if settings is not None else QSettings()
        self.summary: ProjectSummary | None = None
        self.last_message_box: QMessageBox | None = None
        self._runners: set[TaskRunner] = set()
        self._task_messages: set[str] = set()

        self.welcome = WelcomePage(app_icon())
        self.project_page = ProjectPage()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(self.project_page)
        self.player = PlayerWidget()
        self.pages.addWidget(self.player)
        self.setCentralWidget(self.pages)
        self.review: ReviewData | None = None
        self._analysis: TaskRunner | None = None

        self.cameras = CamerasPanel()
        self.cameras_dock = QDockWidget("Cameras", self)
        self.cameras_dock.setObjectName("cameras_dock")
        self.cameras_dock.setWidget(self.cameras)
        self.cameras_dock.setMinimumWidth(170)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.cameras_dock)

        self._build_status_bar()
        self._build_actions()
        self._build_menus()
        self.layers = LayersPanel()
        self.layers_dock = self.add_dock(self.layers, "Layers", Qt.DockWidgetArea.RightDockWidgetArea, "layers_dock")
        self.analysis = AnalysisPanel()
        self.analysis_dock = self.add_dock(self.analysis, "Analysis", Qt.DockWidgetArea.RightDockWidgetArea,
                                           "analysis_dock")
        self.tabifyDockWidget(self.layers_dock, self.analysis_dock)
        self.layers_dock.raise_()
        self.shortcut_rows = list(SHORTCUTS)  # features installed below add their keys
        from retail_desktop.ui import integration_behaviour
        integration_behaviour.install(self)
        from retail_desktop.ui import integration_analytics
        self.analytics_integration = integration_analytics.install(self)
        self.welcome.open_requested.connect(self.choose_project)
        self.cameras.camera_selected.connect(self._on_camera_selected)
        self.layers.layers_changed.connect(self.player.set_layers)
        self.layers.heatmap_changed.connect(self.player.set_heatmap)
        self.layers.offset_changed.connect(self.set_camera_offset)
        self.layers.export_requested.connect(self.export_heatmap)
        self.analysis.run_requested.connect(self.run_analysis)
        self.analysis.cancel_requested.connect(self.cancel_analysis)
        self.player.position_changed.connect(self._update_status)
        self.player.frame_shown.connect(lambda *_: self._update_status(self.player.position))
        self.player.camera_activated.connect(self._on_player_camera)
        self.player.video_failed.connect(
            lambda name, message: self._message(QMessageBox.Icon.Warning, "Cannot play video",
                                                f"Camera {name}: {message}"))
        self._restore_geometry()

    # -- plug-in points ----------------------------------------------------------------------------
    def add_dock(self, widget: QWidget, title: str, area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
                 name: str | None = None) -> QDockWidget:
        """Add a dock (zone editor, analytics charts...) with a View menu entry; returns the dock."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name or f"{title.lower().replace(' ', '_')}_dock")
        scroll = QScrollArea()  # a tall panel must not force a minimum size on the window
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(widget)
        dock.setWidget(scroll)
        self.addDockWidget(area, dock)
        self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def add_page(self, widget: QWidget, title: str, shortcut: str | None = None) -> QAction:
        """Add a central page (annotation mode, training...); the returned View action shows it."""
        self.pages.addWidget(widget)
        action = QAction(title, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda: self.pages.setCurrentWidget(widget))
        self.view_menu.addAction(action)
        return action

    def show_player(self) -> None:
        self.pages.setCurrentWidget(self.player)

    def current_camera_view(self) -> CameraView | None:
        return self.player.current_view()

    def project_time(self) -> float:
        """The playhead on the project clock, in seconds."""
        return self.player.position

    def seek_to(self, camera_id: str, frame: int) -> bool:
        """Show ``camera_id``'s frame ``frame`` (all other cameras at that instant) in the player;
        False when that camera has no footage to show."""
        self.show_player()
        return self.player.seek_to(camera_id, frame)

    # -- construction ------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.open_action = QAction("&Open Project\u2026", self)
        self.open_action.setObjectName("action_open_project")
        self.open_action.setShortcut(QKeySequence("Ctrl+O"))
        self.open_action.setStatusTip("Open a project folder (one that holds project.json)")
        self.open_action.triggered.connect(self.choose_project)

        self.new_action = QAction("&New Project\u2026", self)
        self.new_action.setObjectName("action_new_project")
        self.new_action.setShortcut(QKeySequence("Ctrl+N"))
        self.new_action.triggered.connect(self.choose_new_project)
        self.add_camera_action = QAction("&Add Camera\u2026", self)
        self.add_camera_action.setObjectName("action_add_camera")
        self.add_camera_action.triggered.connect(self.choose_videos)
        self.remove_camera_action = QAction("&Remove Camera", self)
        self.remove_camera_action.setObjectName("action_remove_camera")
        self.remove_camera_action.triggered.connect(self.remove_current_camera)
        for a in (self.add_camera_action, self.remove_camera_action):
            a.setEnabled(False)

        self.shortcuts_action = QAction("&Keyboard Shortcuts", self)
        self.shortcuts_action.setObjectName("action_shortcuts")
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        self.shortcuts_action.setShortcut(QKeySequence("F1"))
        p = self.player
        self.playback_actions = [
            self._action("Play / Pause", "Space", p.playback.toggle),
            self._action("Next Frame", "Right", lambda: p.step_frames(1)),
            self._action("Previous Frame", "Left", lambda: p.step_frames(-1)),
            self._action("Forward 1 s", "Shift+Right", lambda: p.step_seconds(1.0)),
            self._action("Back 1 s", "Shift+Left", lambda: p.step_seconds(-1.0)),
            self._action("Go to Start", "Home", lambda: p.seek(p.clock.start_s)),
            self._action("Go to End", "End", lambda: p.seek(p.clock.clamp(p.clock.end_s))),
            self._action("Faster", "]", lambda: self._change_speed(1)),
            self._action("Slower", "[", lambda: self._change_speed(-1)),
            self._action("Toggle Heatmap", "H", self.layers_toggle_heatmap),
            self._action("Reset Zoom", "0", lambda: p.current_view() and p.current_view().reset_zoom()),
        ]

        self.quit_action = QAction("&Quit", self)
        self.quit_action.setObjectName("action_quit")
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)

        self.about_action = QAction("&About Retail Desktop", self)
        self.about_action.setObjectName("action_about")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)

    def _action(self, text: str, keys: str, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.setObjectName("menu_file")
        file_menu.addAction(self.new_action)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("menu_recent")
        self._fill_recent()
        file_menu.addSeparator()
        file_menu.addAction(self.add_camera_action)
        file_menu.addAction(self.remove_camera_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.view_menu = bar.addMenu("&View")
        self.view_menu.setObjectName("menu_view")
        self.view_menu.addAction(self.cameras_dock.toggleViewAction())
        playback = bar.addMenu("&Playback")
        playback.setObjectName("menu_playback")
        for action in self.playback_actions:
            playback.addAction(action)
        help_menu = bar.addMenu("&Help")
        help_menu.setObjectName("menu_help")
        help_menu.addAction(self.shortcuts_action)
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
        self.position_label = QLabel("")
        self.position_label.setObjectName("position_label")
        status.addPermanentWidget(self.position_label)
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

    def choose_new_project(self) -> None:
        start = str(self.settings.value(_LAST_DIR_KEY, str(Path.home())))
        folder, _ = QFileDialog.getSaveFileName(self, "New Project (a folder)", start)
        if folder:
            self.new_project(folder)

    def new_project(self, folder: str | Path) -> TaskRunner:
        runner = TaskRunner(project_edits.create_project, Path(folder), parent=self)
        runner.finished.connect(self.open_project)
        runner.failed.connect(lambda m: self._message(QMessageBox.Icon.Warning, "Cannot create project", m))
        self._track(runner, "Creating project\u2026")
        return runner.start()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for folder in self.recent_projects():
            action = self.recent_menu.addAction(folder)
            action.triggered.connect(lambda _=False, f=folder: self.open_project(f))
        self.recent_menu.setEnabled(bool(self.recent_projects()))

    def recent_projects(self) -> list[str]:
        value = self.settings.value(_RECENT_KEY, [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, folder: Path) -> None:
        recent = [str(folder)] + [f for f in self.recent_projects() if f != str(folder)]
        self.settings.setValue(_RECENT_KEY, recent[:MAX_RECENT])
        self._fill_recent()

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
        self._remember(summary.folder)
        self.add_camera_action.setEnabled(True)
        self.remove_camera_action.setEnabled(bool(summary.cameras))
        self.analysis.set_cameras([(c.id, c.label) for c in summary.cameras])
        self.project_opened.emit(summary)
        if not summary.note:  # the fallback reader means there is no project package to play from
            self.load_review(summary.folder)

    def load_review(self, folder: Path) -> TaskRunner:
        """Probe the videos and read the tracks on a worker, then show them in the player."""
        runner = TaskRunner(load_review_data, folder, parent=self)
        runner.finished.connect(self._on_review_loaded)
        runner.failed.connect(lambda m: self._message(QMessageBox.Icon.Warning, "Cannot load the cameras", m))
        self._track(runner, "Loading cameras\u2026")
        return runner.start()

    def _on_review_loaded(self, data: ReviewData) -> None:
        position = self.player.position if self.review is not None and self.review.folder == data.folder else None
        self.review = data
        self.player.set_data(data)
        self.player.set_layers(self.layers.overlay_layers(), self.layers.trail_s.value())
        self.player.set_heatmap(self.layers.heatmap_settings())
        if position is not None:
            self.player.seek(position)
        if data.cameras:
            self.show_player()
        if data.errors:
            playable = [c for c in data.cameras if c.info is not None]
            rest = ("The other cameras work as usual; " if playable else "")
            self._message(QMessageBox.Icon.Warning, "Some cameras cannot be shown" if playable else
                          "No camera can be shown",
                          "<br>".join(html.escape(e) for e in data.errors) + f"<br><br>{rest}"
                          f"{'f' if playable else 'F'}ix the path in project.json or remove the camera.")
        self.review_loaded.emit(data)

    # -- cameras -----------------------------------------------------------------------------------
    def choose_videos(self) -> None:
        if self.summary is None:
            return
        files, _ = QFileDialog.getOpenFileNames(self, "Add Camera (video files)", str(self.summary.folder),
                                                "Videos (*.mp4 *.avi *.mkv *.mov *.ts *.m4v);;All files (*)")
        if files:
            self.add_cameras(files)

    def add_cameras(self, videos: list[str]) -> TaskRunner:
        assert self.summary is not None
        runner = TaskRunner(project_edits.add_cameras, self.summary.folder, list(videos), parent=self)
        runner.finished.connect(lambda _names: self.open_project(self.summary.folder))
        runner.failed.connect(lambda m: self._message(QMessageBox.Icon.Warning, "Cannot add camera", m))
        self._track(runner, "Adding camera\u2026")
        return runner.start()

    def remove_current_camera(self) -> TaskRunner | None:
        if self.summary is None or self.player.current_camera is None:
            return None
        runner = TaskRunner(project_edits.remove_camera, self.summary.folder, self.player.current_camera, parent=self)
        runner.finished.connect(lambda _name: self.open_project(self.summary.folder))
        runner.failed.connect(lambda m: self._message(QMessageBox.Icon.Warning, "Cannot remove camera", m))
        self._track(runner, "Removing camera\u2026")
        return runner.start()

    def set_camera_offset(self, camera_id: str, offset_s: float) -> TaskRunner | None:
        """Move a camera on the project clock now, and save the offset to project.json on a worker."""
        if self.summary is None:
            return None
        self.player.set_offset(camera_id, offset_s)
        runner = TaskRunner(project_edits.set_camera_offset, self.summary.folder, camera_id, offset_s, parent=self)
        runner.failed.connect(lambda m: self._message(QMessageBox.Icon.Warning, "Cannot save the offset", m))
        self._track(runner, "Saving offset\u2026")
        return runner.start()

    def _on_player_camera(self, camera_id: str) -> None:
        cam = self.player.cameras.get(camera_id)
        self.layers.show_camera(camera_id, cam.offset_s if cam else 0.0)
        self._update_status(self.player.position)

    def _update_status(self, position: float) -> None:
        view = self.player.current_view()
        if view is None:
            self.position_label.setText("")
            return
        cam = self.player.cameras[view.camera_id]
        fps = f"{cam.info.fps:.2f} fps" if cam.info else "no video"
        frame = "\u2014" if view.shown_frame is None or view.shown_frame < 0 else str(view.shown_frame)
        self.position_label.setText(f"{view.name} \u00b7 frame {frame} \u00b7 {format_time(position)} \u00b7 {fps}")

    def _change_speed(self, direction: int) -> None:
        combo = self.player.timeline.speed
        combo.setCurrentIndex(min(max(combo.currentIndex() + direction, 0), combo.count() - 1))

    def layers_toggle_heatmap(self) -> None:
        self.layers.heat_visible.toggle()

    def export_heatmap(self) -> None:
        view = self.player.current_view()
        if view is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export heatmap", f"{view.name}_heatmap.png", "PNG (*.png)")
        if path:
            self.save_heatmap_png(view.camera_id, path)

    def save_heatmap_png(self, camera_id: str, path: str | Path) -> TaskRunner:
        """Write the camera's current heatmap (over its current frame) as PNG, on a worker."""
        from retail_desktop.analytics.heatmap import colorize, compose, save_png

        grid = self.player.heatmap_grid(camera_id)
        cam = self.player.cameras[camera_id]
        view = self.player.views[camera_id]
        frame, index = view.image.image, view.shown_frame
        settings = self.player.heatmap_settings

        folder = self.summary.folder if self.summary is not None else None

        def write(task=None):
            if folder is not None:
                from retail_desktop.project.outputs import check_outputs

                check_outputs(folder, path)
            w, h = cam.info.width, cam.info.height
            base = frame if frame is not None and frame.shape[:2] == (h, w) else None
            if base is None and index is not None and frame is not None:
                # The view shows a shrunk picture: the PNG gets the frame's own pixels, decoded here.
                from retail_desktop.video import VideoReader

                with VideoReader(cam.info.path, cam.info) as reader:
                    base = np.ascontiguousarray(reader.read(index).image[..., ::-1])
            return save_png(compose(colorize(grid, settings.colormap, opacity=0.75), w, h, base, cam.heatmap.cell_px), path)

        runner = TaskRunner(write, parent=self)
        runner.failed.connect(lambda m: self._message(QMessageBox.Icon.Warning, "Cannot export heatmap", m))
        runner.finished.connect(lambda p: self.statusBar().showMessage(f"Saved {p}", 5000))
        self._track(runner, "Exporting heatmap\u2026")
        return runner.start()

    # -- analysis ----------------------------------------------------------------------------------
    def run_analysis(self, camera_ids: list[str], options) -> TaskRunner | None:
        """Analyse cameras in the background; boxes appear live, the stored run is loaded at the end."""
        if self.summary is None or self._analysis is not None:
            return None
        runner = TaskRunner(analyze_cameras, self.summary.folder, list(camera_ids), options, parent=self)
        names = {c.name: c.id for c in self.player.cameras.values()}
        runner.progress.connect(self.analysis.show_progress)
        runner.partial.connect(lambda ft: names.get(ft.camera) and self.player.add_live_tracks(
            names[ft.camera], ft.frame, ft.track_ids, ft.boxes))

        def done(*_: object) -> None:
            self._analysis = None
            self.analysis.set_running(False)

        runner.finished.connect(done)
        runner.failed.connect(done)
        runner.cancelled.connect(done)
        runner.finished.connect(lambda s: (self.analysis.status.setText(
            "Done: " + "; ".join(x.line() for x in s)), self.load_review(self.summary.folder)))
        runner.failed.connect(lambda m: (self.analysis.status.setText(m),
                                         self._message(QMessageBox.Icon.Warning, "Analysis failed", m)))
        runner.cancelled.connect(lambda: self.analysis.status.setText(
            "Cancelled; what was analysed is saved and resumes next time"))
        self._analysis = runner
        self.analysis.set_running(True)
        self._track(runner, "Analysing\u2026")
        return runner.start()

    def cancel_analysis(self) -> None:
        if self._analysis is not None:
            self._analysis.cancel()

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
        # Every message any running task put up: when the last task ends, whichever of them is still
        # showing goes (a task that ended while another ran left its message behind otherwise).
        self._task_messages.add(message)
        runner.progress.connect(lambda p: self._task_messages.add(p.message))

        def done(*_: object) -> None:
            self._runners.discard(runner)
            if not self._runners:
                self.task_progress.hide()
                self.cancel_button.hide()
                if self.statusBar().currentMessage() in self._task_messages:
                    self.statusBar().showMessage("Ready")
                self._task_messages.clear()
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
    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td style='white-space:nowrap; padding-right:14px'><b>{html.escape(k)}</b></td>"
                       f"<td>{html.escape(v)}</td></tr>" for k, v in self.shortcut_rows)
        # Wide enough that each description fits a line or two (the default box made a tall column).
        self._message(QMessageBox.Icon.Information, "Keyboard Shortcuts", f"<table>{rows}</table>",
                      min_width=640)

    def show_about(self) -> None:
        self._message(QMessageBox.Icon.NoIcon, f"About {APP_NAME}", about_text(), icon_pixmap=True)

    def _message(self, icon: QMessageBox.Icon, title: str, text: str, icon_pixmap: bool = False,
                 min_width: int | None = None) -> None:
        """Window-modal but non-blocking, so no nested event loop runs inside a slot (or a test)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.RichText)
        if min_width:
            box.setStyleSheet(f"QLabel#qt_msgbox_label {{ min-width: {int(min_width)}px; }}")
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
        self.player.clear()
        super().closeEvent(event)
