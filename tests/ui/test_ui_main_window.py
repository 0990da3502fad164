"""The placeholder main window: structure, actions, project opening off the GUI thread, settings."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMenu, QMessageBox

from retail_desktop import __version__
from retail_desktop.ui import main_window as mw
from retail_desktop.ui.main_window import MainWindow, about_text

ROOT = Path(__file__).resolve().parents[2]


def test_window_builds(window):
    assert window.windowTitle() == "Retail Desktop"
    dock = window.findChild(QDockWidget, "cameras_dock")
    assert dock is not None and dock.windowTitle() == "Cameras" and dock.isVisible()
    assert window.pages.currentWidget() is window.welcome
    assert window.welcome.open_button.text() == "Open Project\u2026"
    assert window.statusBar().currentMessage() == "Ready"
    assert not window.windowIcon().isNull()
    assert window.cameras.camera_names() == []


def test_actions_and_shortcuts(window):
    assert window.open_action.shortcut() == QKeySequence("Ctrl+O")
    assert window.quit_action.shortcut() == QKeySequence("Ctrl+Q")
    menus = {m.objectName(): m for m in window.menuBar().findChildren(QMenu)}
    assert window.open_action in menus["menu_file"].actions()
    assert window.quit_action in menus["menu_file"].actions()
    assert window.about_action in menus["menu_help"].actions()
    texts = [a.text() for a in window.menuBar().actions()]  # installed features add menus before Help
    assert texts[:3] == ["&File", "&View", "&Playback"] and texts[-1] == "&Help"
    assert "&Behaviour" in texts and "&Zones" in texts


def test_open_project_from_dialog_lists_cameras(window, qtbot, project_dir, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(project_dir))
    with qtbot.waitSignal(window.project_opened, timeout=10000) as blocker:
        window.open_action.trigger()
    summary = blocker.args[0]
    assert summary.folder == project_dir
    assert window.cameras.camera_names() == ["Checkout", "Entrance"]
    assert window.pages.currentWidget() is window.project_page
    table = window.project_page.table
    assert table.rowCount() == 2
    assert [table.item(r, 4).text() for r in range(2)] == ["ready", "missing video"]
    assert window.windowTitle() == "shop \u2014 Retail Desktop"
    assert "2 cameras" in window.project_label.text()
    qtbot.waitUntil(lambda: not window.is_busy() and window.task_progress.isHidden())


def test_welcome_button_opens_the_dialog(window, qtbot, monkeypatch):
    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: asked.append(a) or "")
    window.welcome.open_button.click()
    assert len(asked) == 1 and not window.is_busy()


def test_bad_folder_shows_the_error_without_blocking(window, qtbot, tmp_path):
    runner = window.open_project(tmp_path)  # exists, but holds no project.json
    with qtbot.waitSignal(runner.failed, timeout=10000) as blocker:
        pass
    assert "project.json" in blocker.args[0]
    box = window.last_message_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "project.json" in box.text()
    assert "Could not open project" in window.statusBar().currentMessage()
    assert window.pages.currentWidget() is window.welcome
    box.close()


def test_fallback_reader_shows_a_note(window, qtbot, tmp_path, monkeypatch):
    from retail_desktop.ui import project_summary

    monkeypatch.setattr(project_summary, "_project_class", lambda: None)
    (tmp_path / "project.json").write_text('{"cameras": [{"id": "c1", "video": "x.mp4"}]}')
    with qtbot.waitSignal(window.project_opened, timeout=10000):
        window.open_project(tmp_path)
    assert window.project_page.banner.isVisibleTo(window) and "project.json" in window.project_page.banner.text()


def test_about_names_version_licence_and_ultralytics(window, qtbot):
    text = about_text()
    for needle in (__version__, "GNU Affero General Public License", "AGPL-3.0", "Ultralytics"):
        assert needle in text
    window.about_action.trigger()
    box = window.last_message_box
    assert box is not None and box.isVisible() and "Ultralytics" in box.text()
    box.close()


def test_geometry_lives_in_qsettings(qtbot, settings):
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.show()
    first.resize(760, 560)
    qtbot.waitUntil(lambda: first.size().width() == 760)
    first.quit_action.trigger()  # Quit closes the window, which saves its geometry
    assert not first.isVisible()
    assert settings.contains("main_window/geometry") and settings.contains("main_window/state")
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (760, 560)


def test_default_size_without_settings(qtbot, settings):
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    assert (win.width(), win.height()) == mw.DEFAULT_SIZE


def test_run_gui_styles_the_app_and_returns_the_exit_code(tmp_path, project_dir):
    """In a child process: run_gui runs (and ends) the application's one event loop, which
    pytest-qt's shared QApplication must not go through."""
    script = textwrap.dedent(
        f"""
        import sys
        from PySide6.QtCore import QSettings, QTimer
        from PySide6.QtWidgets import QApplication
        from retail_desktop.ui.app import run_gui
        from retail_desktop.ui.main_window import MainWindow

        QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, {str(tmp_path)!r})
        app = QApplication(sys.argv[:1])

        def close_soon():
            wins = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
            if not wins or wins[0].is_busy():
                QTimer.singleShot(50, close_soon)
                return
            print("TITLE", wins[0].windowTitle())
            print("SHEET", "#HeroTitle" in app.styleSheet())
            print("NAMES", app.applicationName(), "/", app.organizationName())
            print("CAMERAS", wins[0].cameras.camera_names())
            wins[0].close()
            app.exit(3)

        QTimer.singleShot(100, close_soon)
        sys.exit(run_gui([], project={str(project_dir)!r}))
        """
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    out = proc.stdout
    assert "TITLE shop \u2014 Retail Desktop" in out
    assert "SHEET True" in out
    assert "NAMES Retail Desktop / Retail Desktop" in out
    assert "CAMERAS ['Checkout', 'Entrance']" in out


def test_a_task_that_ends_while_another_runs_leaves_no_stale_status_message(window, qtbot):
    import threading

    from retail_desktop.ui.workers import TaskRunner

    release_b = threading.Event()

    def quick(task=None):
        task.start(total=None, message="Reading labels")
        return 1

    def slow(task=None):
        release_b.wait(10)
        return 2

    b = TaskRunner(slow, parent=window)
    window._track(b, "Loading project\u2026")
    b.start()
    a = TaskRunner(quick, parent=window)
    window._track(a, "Reading labels\u2026")
    with qtbot.waitSignal(a.finished, timeout=10000):
        a.start()
    assert window.statusBar().currentMessage() == "Reading labels"  # b still runs: a's words may stay a while
    with qtbot.waitSignal(b.finished, timeout=10000):
        release_b.set()
    assert window.statusBar().currentMessage() == "Ready"
