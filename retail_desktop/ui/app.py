"""Start the GUI: one QApplication, the style sheet, the main window.

Both ``python main.py`` and ``retail-desktop`` (no verb) come here, so the two always start the same app.
Qt is imported only inside this package: the CLI imports this module lazily when it needs a window.

Set ``RETAIL_DESKTOP_SCREENSHOT=/path/shot.png`` to have the running app save a grab of its own
window from the screen once it is idle; the end-to-end test uses it to see what a user would see.
``RETAIL_DESKTOP_AUTOPLAY_S=2`` plays the opened project for that long first (and prints how many
frames each camera showed), so the grab shows a player that has really been playing.
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
AUTOPLAY_ENV = "RETAIL_DESKTOP_AUTOPLAY_S"  # play this many seconds once the cameras are loaded (e2e test)


def run_gui(argv: list[str] | None = None, project: str | None = None, screenshot: str | Path | None = None,
            at_s: float | None = None, heatmap: bool = False) -> int:
    """Show the main window (opening ``project`` when given) and run the event loop; returns its code.

    With ``screenshot``, the window renders ``project`` at project time ``at_s`` (overlays on, the
    heatmap layer too with ``heatmap``), writes the PNG and exits: 0 when written, 2 when the project
    cannot be opened. Window settings then come from a temporary file, so the picture does not depend
    on (or change) the user's saved layout.
    """
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("retail-desktop")  # matches installer/retail-desktop.desktop (Wayland icon)
    app.setWindowIcon(app_icon())
    app.setStyleSheet(style_sheet())

    if screenshot is not None:
        import tempfile

        from PySide6.QtCore import QSettings

        settings_dir = tempfile.mkdtemp(prefix="retail-desktop-shot-")
        window = MainWindow(settings=QSettings(str(Path(settings_dir) / "ui.ini"), QSettings.Format.IniFormat))
    else:
        window = MainWindow()
    window.show()
    runner = window.open_project(project) if project else None
    if screenshot is not None:
        if runner is None:
            print("retail-desktop open: error: --screenshot needs a project", file=sys.stderr)
            return 2
        _render_then_exit(app, window, runner, Path(screenshot), at_s, heatmap)
    else:
        from retail_desktop.ui.warmup import warm_up

        window.warmup = warm_up(window)  # torch, MLflow...: loaded while idle, not during the first analysis
        app.aboutToQuit.connect(window.warmup.cancel)
    autoplay = _autoplay(window, float(os.environ[AUTOPLAY_ENV])) if os.environ.get(AUTOPLAY_ENV) else None
    shot = os.environ.get(SCREENSHOT_ENV)
    if shot:
        _schedule_screenshot(window, Path(shot), ready=(lambda: autoplay["done"]) if autoplay else None)
    return app.exec()


def _autoplay(window: MainWindow, seconds: float) -> dict:
    """Play for ``seconds`` once the cameras are loaded, then pause and report the frames shown."""
    state = {"done": False}

    def start(_data: object) -> None:
        player = window.player
        before = {v.name: v.frames_shown for v in player.views.values()}
        t0 = player.position
        player.playback.play()

        def stop() -> None:
            player.playback.pause()
            shown = {v.name: v.frames_shown - before[v.name] for v in player.views.values()}
            print(f"autoplay: {player.position - t0:.3f} s of project time, frames shown {shown}", flush=True)
            state["done"] = True

        QTimer.singleShot(int(seconds * 1000), stop)

    window.review_loaded.connect(start)
    return state


def _schedule_screenshot(window: MainWindow, path: Path, settle_ms: int = 1000, timeout_ms: int = 30000,
                         ready=None) -> None:
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
        if ready is not None and not ready() and clock.elapsed() < timeout_ms + 60000:
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


def _render_then_exit(app: QApplication, window: MainWindow, runner, path: Path, at_s: float | None,
                      heatmap: bool, timeout_ms: int = 120000) -> None:
    """Once the cameras are loaded: seek, wait until every camera shows the frame it should, grab
    the window (rendered by Qt itself, so it works on the offscreen platform too), save, quit."""
    clock = QElapsedTimer()
    clock.start()
    timer = QTimer(window)
    timer.setInterval(50)
    state = {"seeked": False}

    def fail(message: str) -> None:
        timer.stop()
        print(f"retail-desktop open: error: {message}", file=sys.stderr, flush=True)
        app.exit(2)

    def loaded(_data: object) -> None:
        if heatmap:
            window.layers.heat_visible.setChecked(True)
        player = window.player
        player.seek(player.clock.start_s if at_s is None else player.clock.clamp(at_s))
        state["seeked"] = True

    def poll() -> None:
        if clock.elapsed() > timeout_ms:
            fail(f"the project did not finish loading within {timeout_ms // 1000} s")
            return
        if not state["seeked"] or window.is_busy():
            return
        views = [v for cid, v in window.player.views.items() if cid in window.player.servers]
        if any(v.wanted_frame is not None and v.shown_frame != v.wanted_frame for v in views):
            return
        timer.stop()
        pixmap = window.grab()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part.png")
        if not pixmap.save(str(tmp), "PNG"):
            fail(f"{path}: cannot be written")
            return
        os.replace(tmp, path)
        print(f"screenshot saved: {path} ({pixmap.width()}x{pixmap.height()}) at {window.player.position:.3f} s",
              flush=True)
        window.close()
        app.exit(0)

    runner.failed.connect(fail)
    window.review_loaded.connect(loaded)
    timer.timeout.connect(poll)
    timer.start()
