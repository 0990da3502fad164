"""Zones, floor plan and analytics, plugged into the main window by :func:`install`.

The main window knows nothing of zones: ``install(window)`` adds what a user needs through the
window's plug-in points (menus, ``add_page``, ``seek_to``, ``_track`` for status-bar tasks, the
``project_opened`` / ``review_loaded`` signals) and keeps its own state here:

* **Zones menu**: edit the current camera's zones at the frame the player shows, or the floor plan's
  zones (a page with Save / Cancel; Cancel with unsaved changes asks first, and so does closing the
  window); load a floor-plan image; calibrate the current camera to the plan; import / export
  GeoJSON (the functions behind ``retail-desktop zones import|export``); show or hide the zones layer.
* **Zones layer**: every camera view draws its zones (outline, name, count-line arrow); toggled in the
  Layers dock ("Zones" box) and the Zones menu, redrawn whenever the zones are saved or imported.
* **Analytics dock** (View > Analytics): made for each opened project; figures are computed by the
  dock on a worker thread, again after every zone change and whenever the cameras are (re)loaded
  (which is also what happens when an analysis run finishes). A track in its list sends the player
  to that camera and frame (the dock speaks camera names, the player ids: mapped here).
* **Floor Plan page** (View > Floor Plan): every calibrated camera's foot points, the combined
  heatmap, the plan zones and each camera's reprojection error.

Writes never go through a ``Project`` held open here: each one opens the project afresh on a worker
(:mod:`retail_desktop.ui.zone_edits`), because other parts of the window save ``project.json`` too
(camera offsets). After a write the project is read again (also on a worker) and that copy is what
the dock, the layers and the plan view show. Copies read for a computation still running are closed
once it ends.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QGroupBox, QMenu, QMessageBox, QVBoxLayout,
)

from retail_desktop.analytics.floorplan import PLAN_ID, floor_plan
from retail_desktop.analytics.zones import Zone, load_zones
from retail_desktop.errors import UserError
from retail_desktop.ui import zone_edits
from retail_desktop.ui.workers import TaskRunner

#: Rows for Help > Keyboard Shortcuts.
SHORTCUT_ROWS = (
    ("Ctrl+Z / Ctrl+Shift+Z", "Zone editor: undo / redo"),
    ("Ctrl+S", "Zone editor: save (and go back to the player)"),
    ("Enter / Esc", "Zone editor: close the area being drawn / stop drawing"),
)

DOCK_VISIBLE_KEY = "analytics_dock/visible"  # QSettings: the dock is made per project, after restoreState

NO_ZONES = ("No zones yet: draw them with Zones \u25b8 Edit Zones on Current Camera\u2026, "
            "or import GeoJSON (Zones \u25b8 Import Zones).")


def install(window) -> "AnalyticsIntegration":
    """Add the Zones menu, zones layer, Analytics dock and Floor Plan page to ``window``."""
    integration = AnalyticsIntegration(window)
    rows = getattr(window, "shortcut_rows", None)
    if isinstance(rows, list):
        rows.extend(SHORTCUT_ROWS)
    return integration


def _camera_of(camera: str) -> str:
    """Camera name behind a metrics row's camera: floor-plan rows are ``plan:<camera name>``."""
    return camera.split(":", 1)[1] if camera.startswith(f"{PLAN_ID}:") else camera


class AnalyticsIntegration(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.folder: Path | None = None
        self.project = None  # read-only copy: what the dock, layers and plan view show
        self.zones: list[Zone] = []
        self.dock = None
        self._dock_action: QAction | None = None
        self.layer_items: dict[str, tuple[object, object]] = {}  # camera id -> (view, ZoneLayerItem)
        self.editor_page = None
        self._dock_was_visible = False
        self._after_page_closed = None  # e.g. close the window, once the editor page saved or discarded
        self._generation = 0
        self._retired: list[tuple[object, list]] = []  # (project, runners that may still use it)
        self._refresh_pending = False
        self._build_menu()
        self._build_layer_toggle()
        from retail_desktop.ui.panels.floor_plan_page import FloorPlanPage

        self.plan_page = FloorPlanPage(self)
        self.plan_page_action = window.add_page(self.plan_page, "Floor Plan")
        self.plan_page_action.setObjectName("action_floor_plan_page")
        window.project_opened.connect(self._on_project_opened)
        window.review_loaded.connect(self._on_review_loaded)
        window.pages.currentChanged.connect(self._on_page_changed)
        window.player.camera_activated.connect(lambda _cid: self._update_actions())
        window.installEventFilter(self)
        # the side docks run down to the status bar; the bottom (Analytics) dock sits under the player only
        window.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self._update_actions()

    # -- construction ------------------------------------------------------------------------------
    def _build_menu(self) -> None:
        w = self.window
        self.menu = QMenu("&Zones", w.menuBar())
        self.menu.setObjectName("menu_zones")
        help_menu = w.menuBar().findChild(QMenu, "menu_help")
        if help_menu is not None:
            w.menuBar().insertMenu(help_menu.menuAction(), self.menu)
        else:
            w.menuBar().addMenu(self.menu)

        def action(text: str, name: str, slot, tip: str = "") -> QAction:
            a = QAction(text, w)
            a.setObjectName(name)
            a.setStatusTip(tip)
            a.triggered.connect(lambda _checked=False: slot())
            self.menu.addAction(a)
            return a

        self.edit_camera_action = action(
            "Edit Zones on Current Camera\u2026", "action_edit_camera_zones", self.edit_camera_zones,
            "Draw and edit the zones and count lines of the camera the player shows, over its current frame")
        self.edit_plan_action = action("Edit Floor-Plan Zones\u2026", "action_edit_plan_zones", self.edit_plan_zones,
                                       "Draw zones on the floor plan (measured on every calibrated camera)")
        self.menu.addSeparator()
        self.load_plan_action = action("Load Floor Plan\u2026", "action_load_floor_plan", self.choose_floor_plan,
                                       "Pick the store's plan image (it is copied into the project)")
        self.calibrate_action = action("Calibrate Camera to Plan\u2026", "action_calibrate_camera",
                                       self.calibrate_current_camera,
                                       "Click 4 or more floor points on the camera and on the plan")
        self.menu.addSeparator()
        self.import_action = action("Import Zones (GeoJSON)\u2026", "action_import_zones", self.choose_import,
                                    "Add zones from a GeoJSON file (same camera and name replaces)")
        self.export_action = action("Export Zones (GeoJSON)\u2026", "action_export_zones", self.choose_export,
                                    "Write every zone of the project to a GeoJSON file")
        self.menu.addSeparator()
        self.show_zones_action = QAction("Show Zones on Cameras", w)
        self.show_zones_action.setObjectName("action_show_zones")
        self.show_zones_action.setCheckable(True)
        self.show_zones_action.setChecked(True)
        self.menu.addAction(self.show_zones_action)
        self.project_actions = [self.edit_plan_action, self.load_plan_action, self.import_action, self.export_action]
        self.camera_actions = [self.edit_camera_action, self.calibrate_action]

    def _build_layer_toggle(self) -> None:
        """A "Zones" box in the Layers dock, under the Tracks box (the panel itself is left as it is)."""
        box = QGroupBox("Zones")
        row = QVBoxLayout(box)
        self.zones_check = QCheckBox("Show zones and count lines")
        self.zones_check.setObjectName("layer_zones")
        self.zones_check.setChecked(True)
        row.addWidget(self.zones_check)
        layout = self.window.layers.layout()
        layout.insertWidget(min(1, layout.count()), box)
        self.zones_check.toggled.connect(self.show_zones_action.setChecked)
        self.show_zones_action.toggled.connect(self.zones_check.setChecked)
        self.zones_check.toggled.connect(lambda _on: self.draw_zone_layers())

    def _update_actions(self) -> None:
        has_project = self.project is not None
        for a in self.project_actions:
            a.setEnabled(has_project)
        view = self.window.current_camera_view()
        has_camera = has_project and view is not None and self.project.camera_by_id(view.camera_id) is not None
        for a in self.camera_actions:
            a.setEnabled(has_camera)

    # -- project lifecycle -------------------------------------------------------------------------
    def _on_project_opened(self, summary) -> None:
        if summary.folder != self.folder:
            self._switch_to(summary.folder)
        if summary.note:  # the window does not load the cameras then, so read the zones now
            self.reload()

    def _on_review_loaded(self, data) -> None:
        if data.folder != self.folder:
            self._switch_to(data.folder)
        self.draw_zone_layers()  # the views are new: draw what is known at once, then read again
        self.reload()

    def _switch_to(self, folder: Path) -> None:
        """Another project: drop the old one's dock and copies (an editor page with unsaved changes
        stays open; it saves into the project it was opened for)."""
        self.folder = Path(folder)
        self._generation += 1
        if self.dock is not None:
            runner = getattr(self.dock, "_runner", None)
            if _running(runner):
                runner.setParent(self)  # outlive the dock until it reports, then the copy is closed
            else:
                runner = None
            self.window.removeDockWidget(self.dock)
            if self._dock_action is not None:
                self.window.view_menu.removeAction(self._dock_action)
            self.dock.deleteLater()
            self.dock, self._dock_action = None, None
        else:
            runner = None
        self._retire(self.project, [runner, self.plan_page.runner()])
        self.project = None
        self.zones = []
        self.plan_page.clear()
        self._update_actions()

    def reload(self) -> TaskRunner | None:
        """Read the project again on a worker; then redraw the layers and recompute the figures."""
        if self.folder is None:
            return None
        self._generation += 1
        generation, folder = self._generation, self.folder
        runner = TaskRunner(zone_edits.open_project, folder, parent=self)
        runner.finished.connect(lambda project: self._install(generation, folder, project))
        runner.failed.connect(lambda m: self.window.statusBar().showMessage(f"Zones not read: {m}", 10000))
        self.window._track(runner, "Reading zones\u2026")
        return runner.start()

    def _install(self, generation: int, folder: Path, project) -> None:
        if generation != self._generation or folder != self.folder:
            project.close()  # a newer read is on its way
            return
        old = self.project
        self.project = project
        self._retire(old, [getattr(self.dock, "_runner", None), self.plan_page.runner()])
        try:
            self.zones = load_zones(project)
            problem = ""
        except UserError as exc:
            self.zones, problem = [], str(exc)
        self.draw_zone_layers()
        self._ensure_dock()
        self.dock.project = project
        current = self.dock.camera_box.currentText()
        self.dock.reload_cameras()
        index = self.dock.camera_box.findText(current)
        self.dock.camera_box.setCurrentIndex(max(0, index))
        self.plan_page.set_project(project)
        if problem:
            self.dock.status.setText(problem)
            self.window._message(QMessageBox.Icon.Warning, "Zones cannot be read", html.escape(problem))
        else:
            self.refresh_analytics()
        self._update_actions()

    def _retire(self, project, runners) -> None:
        if project is not None:
            self._retired.append((project, [r for r in runners if r is not None]))
        self._close_retired()

    def _close_retired(self) -> None:
        keep = []
        for project, runners in self._retired:
            if any(_running(r) for r in runners):
                keep.append((project, runners))
            else:
                project.close()
        self._retired = keep

    def close(self) -> None:
        """Window closing: remember whether the dock was shown; let computations reach their end
        briefly, then close every copy."""
        if self.dock is not None:
            shown = self.dock.isVisible() or (self.editor_page is not None and self._dock_was_visible)
            self.window.settings.setValue(DOCK_VISIBLE_KEY, shown)
        for _project, runners in self._retired:
            for r in runners:
                if _running(r):
                    r.wait(2.0)
        for r in (getattr(self.dock, "_runner", None), self.plan_page.runner()):
            if _running(r):
                r.wait(2.0)
        for project, _runners in self._retired:
            project.close()
        self._retired = []
        if self.project is not None:
            self.project.close()

    # -- analytics dock ----------------------------------------------------------------------------
    def _ensure_dock(self) -> None:
        if self.dock is not None:
            return
        from retail_desktop.ui.panels.analytics import AnalyticsDock

        dock = AnalyticsDock(self.project, self.window)
        dock.setObjectName("analyticsDock")
        self.window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        # Made after the window restored its layout: restoreDockWidget puts it where it was last time (if
        # it was there then); whether it is shown is remembered here, since Qt leaves a late dock hidden.
        self.window.restoreDockWidget(dock)
        if _flag(self.window.settings.value(DOCK_VISIBLE_KEY, True)):
            dock.show()
            self.window.resizeDocks([dock], [280], Qt.Orientation.Vertical)
        self._dock_action = dock.toggleViewAction()
        self._dock_action.setText("Analytics")
        self._dock_action.setObjectName("action_analytics_dock")
        self.window.view_menu.addAction(self._dock_action)
        dock.track_activated.connect(self.go_to_track)
        dock.results_ready.connect(self._on_results)
        self.dock = dock

    def refresh_analytics(self) -> None:
        """Recompute the dock's figures (after the one running, if any: never two at once, so an
        older result cannot arrive last)."""
        if self.dock is None or self.project is None:
            return
        if not self.zones:
            self.dock.set_results([], [])
            self.dock.status.setText(NO_ZONES)
            return
        if _running(getattr(self.dock, "_runner", None)):
            self._refresh_pending = True
            return
        runner = self.dock.refresh()
        self.window._track(runner, "Computing zone figures\u2026")

    def _on_results(self) -> None:
        self._close_retired()
        if self._refresh_pending:
            self._refresh_pending = False
            self.refresh_analytics()

    def go_to_track(self, camera_name: str, track_id: int, frame: int) -> None:
        """The dock's track list -> the player: that camera, that frame."""
        name = _camera_of(camera_name)
        camera_id = next((c.id for c in self.window.player.cameras.values() if c.name == name), None)
        if camera_id is None:
            self.window.statusBar().showMessage(f"Camera {name} is not loaded in the player", 5000)
            return
        self.window.seek_to(camera_id, frame)
        self.window.statusBar().showMessage(f"{name}: track {track_id} at frame {frame}", 5000)

    # -- zones layer -------------------------------------------------------------------------------
    def draw_zone_layers(self) -> None:
        """Give every camera view its zones (views are new after each load: add the item then)."""
        from retail_desktop.ui.player.zones_layer import ZoneLayerItem

        visible = self.zones_check.isChecked()
        items = {}
        for camera_id, view in self.window.player.views.items():
            old = self.layer_items.get(camera_id)
            if old is not None and old[0] is view:
                item = old[1]
            else:
                item = ZoneLayerItem(*view.frame_size)
                view.box.addItem(item)
            item.setZones([z for z in self.zones if z.camera_id == camera_id])
            item.setVisible(visible)
            items[camera_id] = (view, item)
        self.layer_items = items

    def zone_layer(self, camera_id: str):
        """The zones layer item of a camera view (tests, tools), or None."""
        entry = self.layer_items.get(camera_id)
        return entry[1] if entry and self.window.player.views.get(camera_id) is entry[0] else None

    # -- zone editor page --------------------------------------------------------------------------
    def edit_camera_zones(self, camera_id: str | None = None, frame: int | None = None):
        """Open the zone editor for ``camera_id`` (default: the player's current camera) over frame
        ``frame`` (default: the one on screen)."""
        if self.editor_page is not None:
            self.window.pages.setCurrentWidget(self.editor_page)
            return self.editor_page
        if self.project is None:
            return None
        view = self.window.current_camera_view()
        camera_id = camera_id or (view.camera_id if view is not None else None)
        camera = self.project.camera_by_id(camera_id) if camera_id else None
        if camera is None:
            self._warn("No camera", "Open a project with cameras and pick one in the player first.")
            return None
        if frame is None:
            shown_view = self.window.player.views.get(camera.id)
            shown = shown_view.shown_frame if shown_view is not None else None
            frame = shown if shown is not None and shown >= 0 else 0
        from retail_desktop.ui.editors.zone_editor import ZoneEditor

        try:
            editor = ZoneEditor.for_camera(self.project, camera.name, frame)
        except UserError as exc:
            self._warn("Cannot edit zones", str(exc))
            return None
        return self._open_page(editor, f"Zones of camera {camera.name} (frame {frame})")

    def edit_plan_zones(self):
        if self.editor_page is not None:
            self.window.pages.setCurrentWidget(self.editor_page)
            return self.editor_page
        if self.project is None:
            return None
        if floor_plan(self.project) is None:
            self._warn("No floor plan", "Load the store's plan image first: Zones \u25b8 Load Floor Plan\u2026")
            return None
        from retail_desktop.ui.editors.zone_editor import ZoneEditor

        try:
            editor = ZoneEditor.for_plan(self.project)
        except UserError as exc:
            self._warn("Cannot edit zones", str(exc))
            return None
        return self._open_page(editor, "Zones on the floor plan")

    def _open_page(self, editor, title: str):
        from retail_desktop.ui.editors.zone_page import ZoneEditorPage

        # The editor's keys act while it has the focus, so they never clash with other docks' keys.
        for shortcut in editor.findChildren(QShortcut):
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        page = ZoneEditorPage(editor, title, self.folder)
        page.save_requested.connect(lambda: self._save_page(page))
        page.closed.connect(lambda: self._close_page(page))
        page.kept.connect(lambda: setattr(self, "_after_page_closed", None))
        self.window.pages.addWidget(page)
        self.window.pages.setCurrentWidget(page)
        editor.view.setFocus()
        self.editor_page = page
        # the editor takes the Analytics dock's room while it is open (given back when it closes)
        self._dock_was_visible = self.dock is not None and self.dock.isVisible()
        if self._dock_was_visible:
            self.dock.hide()
        return page

    def _save_page(self, page) -> TaskRunner:
        zones = page.editor.model.zones
        runner = TaskRunner(zone_edits.save_camera_zones, page.folder, page.camera_id, zones,
                            page.editor.model.frame_size, parent=self)

        def done(n: int) -> None:
            self.window.statusBar().showMessage(f"Saved {n} zone{'s' if n != 1 else ''}", 5000)
            if page.folder == self.folder:
                self.reload()
            page.saved(zones)

        def failed(message: str) -> None:
            self._after_page_closed = None
            page.save_failed(message)
            self._warn("Cannot save the zones", message + "\n\nNothing was saved; the changes are still in the editor.")

        runner.finished.connect(done)
        runner.failed.connect(failed)
        self.window._track(runner, "Saving zones\u2026")
        return runner.start()

    def _close_page(self, page) -> None:
        self.window.pages.removeWidget(page)
        page.deleteLater()
        if self.editor_page is page:
            self.editor_page = None
            if self._dock_was_visible and self.dock is not None:
                self.dock.show()
        if self.window.player.views:
            self.window.show_player()
        else:
            self.window.pages.setCurrentWidget(self.window.project_page)
        then, self._after_page_closed = self._after_page_closed, None
        if then is not None:
            then()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        """Closing the window with unsaved zone edits asks first, like the page's Cancel does."""
        if obj is self.window and event.type() == QEvent.Type.Close:
            page = self.editor_page
            if page is not None and page.dirty:
                event.ignore()
                self.window.pages.setCurrentWidget(page)
                self._after_page_closed = self.window.close
                page.cancel()
                return True
            # The window closes: stop filtering (a Python filter called while PySide destroys widgets
            # at interpreter exit crashes the process) and close the project copies.
            self.window.removeEventFilter(self)
            self.close()
        return super().eventFilter(obj, event)

    # -- GeoJSON -----------------------------------------------------------------------------------
    def choose_import(self) -> None:
        if self.folder is None:
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Import Zones", str(self.folder),
                                              "GeoJSON (*.geojson *.json);;All files (*)")
        if path:
            self.import_zones(path)

    def import_zones(self, path: str | Path) -> TaskRunner | None:
        """Add the zones of a GeoJSON file (all or nothing), then redraw and recompute."""
        if self.folder is None:
            return None
        runner = TaskRunner(zone_edits.import_zones, self.folder, str(path), parent=self)
        runner.finished.connect(lambda n: (self.window.statusBar().showMessage(
            f"Imported {n} zone{'s' if n != 1 else ''} from {Path(path).name}", 5000), self.reload()))
        runner.failed.connect(lambda m: self._warn(
            "Cannot import zones", m + "\n\nThe project's zones are unchanged."))
        self.window._track(runner, "Importing zones\u2026")
        return runner.start()

    def choose_export(self) -> None:
        if self.folder is None:
            return
        path, _ = QFileDialog.getSaveFileName(self.window, "Export Zones", str(self.folder / "zones.geojson"),
                                              "GeoJSON (*.geojson)")
        if path:
            self.export_zones(path)

    def export_zones(self, path: str | Path) -> TaskRunner | None:
        if self.folder is None:
            return None
        runner = TaskRunner(zone_edits.export_zones, self.folder, str(path), parent=self)
        runner.finished.connect(lambda n: self.window.statusBar().showMessage(
            f"Wrote {n} zone{'s' if n != 1 else ''} to {path}", 5000))
        runner.failed.connect(lambda m: self._warn("Cannot export zones", m))
        self.window._track(runner, "Exporting zones\u2026")
        return runner.start()

    # -- floor plan --------------------------------------------------------------------------------
    def choose_floor_plan(self) -> None:
        if self.folder is None:
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Load Floor Plan", str(self.folder),
                                              "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff);;All files (*)")
        if path:
            self.load_floor_plan(path)

    def load_floor_plan(self, path: str | Path) -> TaskRunner | None:
        """Copy the image into the project, make it the plan, show the Floor Plan page."""
        if self.folder is None:
            return None
        runner = TaskRunner(zone_edits.load_floor_plan, self.folder, str(path), parent=self)

        def done(size) -> None:
            self.window.statusBar().showMessage(f"Floor plan {Path(path).name}: {size[0]} x {size[1]} px", 5000)
            self.window.pages.setCurrentWidget(self.plan_page)
            self.reload()

        runner.finished.connect(done)
        runner.failed.connect(lambda m: self._warn("Cannot load the floor plan", m))
        self.window._track(runner, "Loading floor plan\u2026")
        return runner.start()

    def calibrate_current_camera(self) -> TaskRunner | None:
        """Open the calibration dialog for the player's camera, on a freshly read project (the dialog
        saves the homography through it)."""
        view = self.window.current_camera_view()
        if self.project is None or view is None:
            return None
        if floor_plan(self.project) is None:
            self._warn("No floor plan", "Load the store's plan image first: Zones \u25b8 Load Floor Plan\u2026")
            return None
        camera_id = view.camera_id
        frame = view.shown_frame if view.shown_frame is not None and view.shown_frame >= 0 else 0
        runner = TaskRunner(zone_edits.open_project, self.folder, parent=self)
        runner.finished.connect(lambda project: self._open_calibration(project, camera_id, frame))
        runner.failed.connect(lambda m: self._warn("Cannot calibrate", m))
        self.window._track(runner, "Opening calibration\u2026")
        return runner.start()

    def _open_calibration(self, project, camera_id: str, frame: int) -> None:
        from retail_desktop.ui.panels.floor_plan import CalibrationWidget

        camera = project.camera_by_id(camera_id)
        if camera is None:
            project.close()
            return
        dialog = QDialog(self.window)
        dialog.setObjectName("calibration_dialog")
        dialog.setWindowTitle(f"Calibrate {camera.name} to the floor plan")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        widget = CalibrationWidget(project, camera.name)
        if not camera.extra.get("ground_truth") and Path(camera.video).is_file():
            widget.load_camera_frame(frame)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(widget, 1)
        layout.addWidget(buttons)
        dialog.resize(1100, 650)
        changed = {"saved": False}
        widget.calibrated.connect(lambda _rms: changed.update(saved=True))

        def finished(_result: int) -> None:
            project.close()
            if changed["saved"] and self.folder == project.path:
                self.reload()

        dialog.finished.connect(finished)
        self.calibration_dialog = dialog
        dialog.open()

    def _on_page_changed(self, _index: int) -> None:
        if self.window.pages.currentWidget() is self.plan_page:
            self.plan_page.shown()

    # -- messages ----------------------------------------------------------------------------------
    def _warn(self, title: str, text: str) -> None:
        self.window._message(QMessageBox.Icon.Warning, title, html.escape(text).replace("\n", "<br>"))


def _flag(value) -> bool:
    """A QSettings boolean (INI files give back the strings "true" / "false")."""
    return value.lower() == "true" if isinstance(value, str) else bool(value)


def _running(runner) -> bool:
    try:
        return runner is not None and runner.running
    except RuntimeError:  # its C++ half is gone: it ended
        return False
