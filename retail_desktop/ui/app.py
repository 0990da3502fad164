"""Start the GUI: one QApplication, the style sheet, the main window.

Both ``python main.py`` and ``retail-desktop`` (no verb) come here, so the two always start the same app.
Qt is imported only inside this package: the CLI imports this module lazily when it needs a window.

Set ``RETAIL_DESKTOP_SCREENSHOT=/path/shot.png`` to have the running app save a grab of its own
window from the screen once it is idle; the end-to-end test uses it to see what a user would see.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from retail_desktop import __version__
from retail_desktop.ui.main_window import APP_NAME, MainWindow
from retail_desktop.ui.resources import app_icon, style_sheet

SCREENSHOT_ENV = "RETAIL_DESKTOP_SCREENSHOT"


def run_gui(argv: list[str] | None = None, project: str | None = None) -> int:
    """Show the main window (opening ``project`` when given) and run the event loop; returns its code."""
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("retail-desktop")  # matches installer/retail-desktop.desktop (Wayland icon)
    app.setWindowIcon(app_icon())
    app.setStyleSheet(style_sheet())

    window = MainWindow()
    window.show()
    if project:
        window.open_project(project)
    shot = os.environ.get(SCREENSHOT_ENV)
    if shot:
        _schedule_screenshot(window, Path(shot))
    return app.exec()


def _schedule_screenshot(window: MainWindow, path: Path, settle_ms: int = 1000, timeout_ms: int = 30000) -> None:
    """Grab the window from the screen once it has settled and no task is running.

    Polled with a timer (not a sleep) so the event loop keeps painting while we wait. The file is
    written under a temporary name and renamed, so a watcher never reads half a PNG.
    """
    clock = QElapsedTimer()
    clock.start()
    timer = QTimer(window)
    timer.setInterval(200)

    def poll() -> None:
        if clock.elapsed() < settle_ms or (window.is_busy() and clock.elapsed() < timeout_ms):
            return
        timer.stop()
        screen = window.screen() or QApplication.primaryScreen()
        pixmap = screen.grabWindow(window.winId())
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part.png")
        if pixmap.save(str(tmp), "PNG"):
            os.replace(tmp, path)
            print(f"screenshot saved: {path} ({pixmap.width()}x{pixmap.height()})", flush=True)
        else:
            print(f"screenshot failed: {path}", file=sys.stderr, flush=True)

    timer.timeout.connect(poll)
    timer.start()
