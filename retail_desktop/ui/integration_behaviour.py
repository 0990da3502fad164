"""Annotation mode and the behaviour model, plugged into the main window by :func:`install`.

The main window knows nothing of annotation or behaviour: ``install(window)`` adds what a user needs
through the window's public plug-in points (``add_dock``, ``view_menu``, ``seek_to``, ``_track`` for
status-bar tasks, the ``project_opened`` / ``review_loaded`` signals) and keeps its own state here:

* **Annotation mode** (View > Annotation Mode, Ctrl+2): a dock holding an
  :class:`~retail_desktop.ui.editors.annotation.AnnotationEditor` for the open project, made anew for
  every opened project and closed with it. The editor speaks camera *names*, the player camera
  *ids*; this module maps them. Selecting a track highlights its whole trajectory in the player and
  dims the others; the editor's seeks go to the player and the player's frames come back to it; ID
  fixes (merge / split / delete track) re-read that camera's tracks on a worker and redraw them.
* **Behaviour menu**: the training dialog (non-modal, one at a time) and Classify Tracks (the
  champion, else the bundled default model) in a TaskRunner with the status bar's progress and
  Cancel. The player shows the behaviour labels whenever predictions exist: after classifying, and
  whenever a project's cameras are (re)loaded; labels are per sliding window, looked up for the shown
  frame (:class:`~retail_desktop.ui.player.labels.FrameLabels`).

Keys: the editor's keys act while its dock has the focus. Some of them (Left/Right, Shift+Left/Right:
step within the selected track) are also the window's playback keys; two shortcuts on one key cancel
each other in Qt, so while the focus is in the editor the window's clashing actions are disabled,
and enabled again when it leaves.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QMessageBox, QVBoxLayout, QWidget

from retail_desktop.tasks import Task
from retail_desktop.ui.player.labels import FrameLabels, load_frame_labels
from retail_desktop.ui.workers import TaskRunner

ANNOTATION_KEYS = "Ctrl+2"

#: Rows for Help > Keyboard Shortcuts (the editor's keys are listed in its module docstring too).
SHORTCUT_ROWS = (
    (ANNOTATION_KEYS, "Annotation mode: show the track list and give it the keyboard"),
    ("Up / Down", "Annotation mode: previous / next track (the player highlights it)"),
    ("Left / Right", "Annotation mode: one frame back / forward in the selected track (Shift: 10)"),
    ("I / O", "Annotation mode: mark the span's first / last frame"),
    ("1\u20136", "Annotation mode: label the marked span (the whole track when nothing is marked)"),
    ("N", "Annotation mode: next unlabelled track"),
    ("A / R", "Annotation mode: accept / reject the suggestion here"),
    ("M / S / Delete", "Annotation mode: merge with the next / split / delete the segment here"),
    ("Shift+M / Shift+S / Shift+Delete", "Annotation mode: merge two selected tracks / split / delete the track"),
    ("P", "Annotation mode: suggest labels (movement rules) for the selected camera"),
    ("Shift+P", "Annotation mode: suggest labels from the behaviour model's predictions (after Classify tracks)"),
    ("Ctrl+Z / Ctrl+Shift+Z", "Annotation mode: undo / redo"),
)


# -- work done off the GUI thread (plain functions, Qt-free) -----------------------------------------
def open_project(folder: Path, task: Task | None = None):
    """The project the annotation editor edits (opening may migrate an old one: not on the GUI thread)."""
    from retail_desktop.project import Project

    return Project.open(folder)


def classify_tracks(folder: Path, model: str = "auto", task: Task | None = None):
    """Label every track's windows with ``model`` (auto: the champion, else the bundled default)."""
    from retail_desktop.behavior.inference import classify_project, resolve_model
    from retail_desktop.project import Project

    task = task or Task()
    task.start(total=None, message="Loading the behaviour model")
    with Project.open(folder) as project:
        bundle = resolve_model(project.path, model)  # the project's tracking URI setting, else its mlflow.db
        task.check_cancelled()
        return classify_project(project, bundle, task=task)


def reload_tracks(folder: Path, camera_id: str, width: int, height: int, timestamps, cell_px: int,
                  task: Task | None = None):
    """A camera's latest completed run read again (after an ID fix): (CameraTracks, HeatmapAccumulator)."""
    from retail_desktop.analytics.heatmap import HeatmapAccumulator
    from retail_desktop.project import Project
    from retail_desktop.ui.player.tracks import CameraTracks

    with Project.open(folder) as project:
        run = project.store.latest_run(camera_id, status="completed")
        heatmap = HeatmapAccumulator(width, height, cell_px)
        if run is None:
            return CameraTracks(), heatmap
        points = project.store.track_array(run.id)
        heatmap.add_tracks(points, timestamps=timestamps)
        return CameraTracks(points), heatmap


# -- the wiring --------------------------------------------------------------------------------------
class BehaviourIntegration(QObject):
    """Owns the annotation dock, the Behaviour menu and the state behind them for one window."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.player = window.player
        self.project = None  # retail_desktop.project.Project of the editor, opened on a worker
        self.editor = None
        self.training = None  # TrainingDialog
        self.labels: dict[str, FrameLabels] = {}
        self._classifying: TaskRunner | None = None
        self._opening: Path | None = None
        self._disabled: list[QAction] = []

        self.host = QWidget()
        self.host.setObjectName("annotation_host")
        self._host_layout = QVBoxLayout(self.host)
        self._host_layout.setContentsMargins(0, 0, 0, 0)
        self.placeholder = QLabel("Open a project with analysed cameras to annotate its tracks.")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._host_layout.addWidget(self.placeholder)
        self.dock = window.add_dock(self.host, "Annotation", Qt.DockWidgetArea.RightDockWidgetArea,
                                    "annotation_dock")
        window.tabifyDockWidget(window.layers_dock, self.dock)
        self.dock.hide()
        self.dock.visibilityChanged.connect(self._on_dock_visible)

        self.annotation_action = QAction("&Annotation Mode", window)
        self.annotation_action.setObjectName("action_annotation_mode")
        self.annotation_action.setShortcut(QKeySequence(ANNOTATION_KEYS))
        self.annotation_action.setStatusTip("Label tracks and fix their IDs; the player follows the selected track")
        self.annotation_action.triggered.connect(self.show_annotation)
        window.view_menu.addAction(self.annotation_action)

        self.train_action = QAction("&Train Behaviour Model\u2026", window)
        self.train_action.setObjectName("action_train_behaviour")
        self.train_action.triggered.connect(self.open_training)
        self.classify_action = QAction("&Classify Tracks", window)
        self.classify_action.setObjectName("action_classify_tracks")
        self.classify_action.setStatusTip("Label every track with the champion model (else the bundled default)")
        self.classify_action.triggered.connect(lambda: self.classify())
        for action in (self.train_action, self.classify_action):
            action.setEnabled(False)
        self.menu = QMenu("&Behaviour", window.menuBar())
        self.menu.setObjectName("menu_behaviour")
        self.menu.addAction(self.train_action)
        self.menu.addAction(self.classify_action)
        help_menu = window.menuBar().findChild(QMenu, "menu_help")
        window.menuBar().insertMenu(help_menu.menuAction() if help_menu else None, self.menu)
        window.shortcut_rows.extend(SHORTCUT_ROWS)

        window.project_opened.connect(self._on_project_opened)
        window.review_loaded.connect(self._on_review_loaded)
        self.player.frame_shown.connect(self._on_frame_shown)
        QApplication.instance().focusChanged.connect(self._on_focus_changed)
        window.installEventFilter(self)

    # -- helpers -----------------------------------------------------------------------------------
    @property
    def folder(self) -> Path | None:
        s = self.window.summary
        return None if s is None or s.note else s.folder

    def camera_id(self, name: str) -> str | None:
        return next((cid for cid, c in self.player.cameras.items() if c.name == name), None)

    def _status(self, text: str, ms: int = 5000) -> None:
        self.window.statusBar().showMessage(text, ms)

    # -- project lifetime --------------------------------------------------------------------------
    def _on_project_opened(self, summary) -> None:
        self.close_project(keep_training_of=summary.folder)
        ok = not summary.note  # the fallback reader: no project package to edit or classify
        self.train_action.setEnabled(ok)
        self.classify_action.setEnabled(ok)
        if not ok:
            return
        self._opening = summary.folder
        runner = TaskRunner(open_project, summary.folder, parent=self.window)
        runner.finished.connect(self._on_project_ready)
        runner.failed.connect(lambda m: self._status(f"Annotation mode unavailable: {m}", 10000))
        self.window._track(runner, "Opening annotations\u2026")
        runner.start()

    def _on_project_ready(self, project) -> None:
        if self._opening is None or Path(project.path) != Path(self._opening):
            project.close()  # another project was opened meanwhile
            return
        from retail_desktop.errors import UserError
        from retail_desktop.ui.editors.annotation import AnnotationEditor

        self._opening = None
        self.project = project
        try:
            editor = AnnotationEditor(project, self.window.settings)
        except UserError as exc:
            self._status(f"Annotation mode unavailable: {exc}", 10000)
            return
        self.editor = editor
        editor.track_selected.connect(self._on_track_selected)
        editor.seek_requested.connect(self._on_seek_requested)
        editor.edited.connect(lambda text: self._status(f"{text} \u2014 saved"))
        editor.error.connect(lambda text: self._status(text, 10000))
        editor.task_started.connect(lambda runner: self.window._track(runner, "Suggesting labels\u2026"))
        editor.tracks_changed.connect(self._on_tracks_changed)
        self.placeholder.hide()
        self._host_layout.addWidget(editor)
        if self.dock.isVisible():
            self._push_frames()

    def close_project(self, keep_training_of: Path | None = None) -> None:
        """Drop the editor and close its project (before a project opens, and when the window closes).

        The training dialog stays when the same project is opened again (after adding a camera, say),
        so a training in progress goes on; another project's dialog is closed."""
        self._opening = None
        self.labels = {}
        if self.training is not None and (keep_training_of is None
                                          or Path(keep_training_of) != self.training.project_path):
            self.training.close()  # cancels a running training, which keeps its best checkpoint
            self.training.deleteLater()
            self.training = None
        editor, self.editor = self.editor, None
        if editor is not None:
            runner = editor._runner
            if runner is not None and runner.running:
                runner.cancel()
                runner.wait(5.0)  # it writes through this project's store, closed just below
            self._host_layout.removeWidget(editor)
            editor.hide()
            editor.deleteLater()
            self._enable_window_keys()
        self.placeholder.show()
        if self.project is not None:
            self.project.close()
            self.project = None
        for cid in list(self.player.highlight):
            self.player.set_highlight(cid, None)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        if obj is self.window and event.type() == QEvent.Type.Close:
            if self._classifying is not None:
                self._classifying.cancel()
            self.close_project()
        return False

    # -- annotation mode ---------------------------------------------------------------------------
    def show_annotation(self) -> None:
        """Show the dock in front and give the track list the keyboard; pressed again while the track
        list has the keyboard, leave: the dock closes and the player's keys work again."""
        if (self.editor is not None and self.dock.isVisible() and not self.dock.visibleRegion().isEmpty()
                and self.editor.isAncestorOf(QApplication.focusWidget())):
            self.dock.hide()
            self.player.setFocus()
            self._status("Left annotation mode", 3000)
            return
        self.dock.show()
        self.dock.raise_()
        self.window.resizeDocks([self.dock], [max(self.dock.width(), 430)], Qt.Orientation.Horizontal)
        if self.player.views:
            self.window.show_player()
        if self.editor is None:
            self._status("Open a project with analysed cameras to annotate", 5000)
            return
        self.editor.table.setFocus()
        if self.editor.selected() is None and self.editor.table.rowCount():
            self.editor.table.selectRow(0)

    def _on_dock_visible(self, visible: bool) -> None:
        if visible:
            self._push_frames()

    def _push_frames(self) -> None:
        """The editor acts at each camera's shown frame; tell it what is on screen now."""
        if self.editor is None:
            return
        for cid, view in self.player.views.items():
            if view.shown_frame is not None and view.shown_frame >= 0:
                self.editor.set_current_frame(self.player.cameras[cid].name, view.shown_frame)

    def _on_frame_shown(self, camera_id: str, frame: int) -> None:
        if self.editor is not None and self.dock.isVisible() and frame >= 0:
            cam = self.player.cameras.get(camera_id)
            if cam is not None:
                self.editor.set_current_frame(cam.name, frame)

    def _on_track_selected(self, camera_name: str, track_id: int) -> None:
        cid = self.camera_id(camera_name)
        for other in list(self.player.highlight):
            if other != cid:
                self.player.set_highlight(other, None)
        if cid is not None:
            self.player.set_highlight(cid, track_id)

    def _on_seek_requested(self, camera_name: str, frame: int) -> None:
        cid = self.camera_id(camera_name)
        if cid is None or not self.window.seek_to(cid, frame):
            self._status(f"Camera {camera_name}: no footage to show (ground truth only, or its video cannot be "
                         f"read); labelling works as usual")
            return

    def _on_tracks_changed(self, camera_name: str) -> TaskRunner | None:
        """An ID fix rewrote a camera's track points: read them again on a worker, then redraw."""
        cid = self.camera_id(camera_name)
        cam = self.player.cameras.get(cid) if cid else None
        if cam is None or cam.info is None or self.folder is None:
            return None
        from retail_desktop.ui.player.data import HEATMAP_CELL_PX

        runner = TaskRunner(reload_tracks, self.folder, cid, cam.info.width, cam.info.height, cam.info.timestamps,
                            cam.heatmap.cell_px if cam.heatmap is not None else HEATMAP_CELL_PX, parent=self.window)
        runner.finished.connect(lambda result: self._on_tracks_reloaded(cid, result))
        runner.failed.connect(lambda m: self._status(f"Cannot redraw {camera_name}'s tracks: {m}", 10000))
        self.window._track(runner, f"Redrawing {camera_name}\u2019s tracks\u2026")
        runner.start()
        self.load_labels()  # the fix dropped the predictions of the tracks it touched
        return runner

    def _on_tracks_reloaded(self, camera_id: str, result) -> None:
        tracks, heatmap = result
        self.player.replace_tracks(camera_id, tracks, heatmap)

    def _on_focus_changed(self, _old, new) -> None:
        editor = self.editor
        if editor is not None and new is not None and (new is editor or editor.isAncestorOf(new)):
            self._disable_window_keys()
        else:
            self._enable_window_keys()

    def _disable_window_keys(self) -> None:
        if self._disabled or self.editor is None:
            return
        keys = {sc.key().toString() for sc in self.editor.findChildren(QShortcut)}
        self._disabled = [a for a in self.window.playback_actions
                          if a.isEnabled() and a.shortcut().toString() in keys]
        for action in self._disabled:
            action.setEnabled(False)

    def _enable_window_keys(self) -> None:
        for action in self._disabled:
            action.setEnabled(True)
        self._disabled = []

    # -- behaviour model ---------------------------------------------------------------------------
    def open_training(self):
        """The training dialog of the open project (non-modal; one at a time, brought to the front)."""
        if self.folder is None:
            return None
        from retail_desktop.ui.panels.training import TrainingDialog

        if self.training is None:
            self.training = TrainingDialog(self.folder, parent=self.window)
            self.training.setWindowTitle(f"Train behaviour model \u2014 {self.folder.name}")
            self.training.training_finished.connect(self._on_trained)
        self.training.show()
        self.training.raise_()
        self.training.activateWindow()
        return self.training

    def _on_trained(self, outcome) -> None:
        if outcome.promoted:
            self._status(f"Version {outcome.version} is the champion: Behaviour > Classify Tracks labels "
                         "the tracks with it", 10000)

    def classify(self, model: str = "auto") -> TaskRunner | None:
        """Classify every track (a TaskRunner, cancelled by the status bar); labels are shown after."""
        if self.folder is None:
            return None
        if self._classifying is not None:
            return self._classifying
        runner = TaskRunner(classify_tracks, self.folder, model, parent=self.window)

        def done(*_: object) -> None:
            self._classifying = None
            self.classify_action.setEnabled(self.folder is not None)

        runner.finished.connect(done)
        runner.failed.connect(done)
        runner.cancelled.connect(done)
        runner.finished.connect(lambda result: self.load_labels(then=result.line().capitalize()))
        runner.failed.connect(lambda m: self.window._message(QMessageBox.Icon.Warning, "Cannot classify tracks", m))
        self._classifying = runner
        self.classify_action.setEnabled(False)
        self.window._track(runner, "Classifying tracks\u2026")
        return runner.start()

    def _on_review_loaded(self, data) -> None:
        self.load_labels(data)
        if self.editor is not None and self.project is not None and Path(self.project.path) == Path(data.folder):
            self.editor.reload()  # an analysis may have made new runs
            sel = self.editor.selected()
            if sel is not None:
                self._on_track_selected(sel.camera, sel.track_id)

    def load_labels(self, data=None, then: str | None = None) -> TaskRunner | None:
        """Read the stored window labels of the shown runs on a worker and hand them to the player
        (and then say ``then`` in the status bar)."""
        data = data if data is not None else self.window.review
        if data is None:
            if then:
                self._status(then, 10000)
            return None
        runs = {c.id: c.run_id for c in data.cameras if c.run_id is not None}
        runner = TaskRunner(load_frame_labels, data.folder, runs, parent=self.window)
        runner.finished.connect(lambda labels: self._show_labels(data.folder, labels))
        if then:
            runner.finished.connect(lambda _labels: self._status(then, 10000))
        runner.failed.connect(lambda m: self._status(f"Cannot read behaviour labels: {m}", 10000))
        self.window._track(runner, "Reading behaviour labels\u2026")
        return runner.start()

    def _show_labels(self, folder: Path, labels: dict[str, FrameLabels]) -> None:
        if self.player.data is None or Path(self.player.data.folder) != Path(folder):
            return  # another project is shown by now
        self.labels = labels
        for cid in self.player.cameras:
            self.player.set_behaviour_labels(cid, labels.get(cid))


def install(window) -> BehaviourIntegration:
    """Add annotation mode and the Behaviour menu to ``window`` (a MainWindow); returns the wiring."""
    window.behaviour = BehaviourIntegration(window)
    return window.behaviour
