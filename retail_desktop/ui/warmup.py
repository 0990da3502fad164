"""Load the analysis and training libraries in the background while the user is not watching video.

Why: importing PyTorch, MLflow and their companions takes seconds, and a C extension's initialisation
holds Python's GIL the whole time, so whichever thread imports them, the GUI thread stalls for up to
a few hundred milliseconds at a time (measured: 230 ms for torch alone, 700 ms with MLflow, on two
busy cores). Done on first use, that stall lands in the middle of an analysis or a training run the
user has just started and is watching. Done while video plays, it freezes the playback (measured: 2
frames shown in 2 s of autoplay instead of 50). So :class:`WarmUp` waits until the player has been
idle for :data:`IDLE_START_S`, and between two libraries waits again while the player plays.

Started by :func:`retail_desktop.ui.app.run_gui` only; tests that measure responsiveness load the
libraries themselves first (:func:`import_heavy`).
"""

from __future__ import annotations

import gc
import importlib
import sys
import threading
import time

from PySide6.QtCore import QObject, QTimer

from retail_desktop.ui.workers import TaskRunner

#: Imported in this order: the analysis engine first (most likely to be used first), MLflow last.
HEAVY_MODULES: tuple[str, ...] = (
    "torch",
    "torchvision",  # imported by Ultralytics on its first prediction: 400-800 ms holding the GIL
    "onnxruntime",
    "ultralytics",
    "deep_sort_realtime.deepsort_tracker",
    "sklearn.metrics",  # the training's per-class scores (pulls in SciPy)
    "mlflow",
    "mlflow.pytorch",  # logging the model (pulls in torch's functorch and networkx)
    "matplotlib.figure",  # the confusion-matrix PNG
)

#: Seconds without playback before the imports begin.
IDLE_START_S = 3.0


def import_heavy(modules: tuple[str, ...] = HEAVY_MODULES, hold: threading.Event | None = None,
                 task=None) -> list[str]:
    """Import ``modules``; returns those that could not be imported (their error shows on real use).

    While ``hold`` is set (the player is playing) the next import waits; a cancelled task stops."""
    if task is not None:
        task.start(total=len(modules), message="Loading analysis libraries")
    missing = []
    for i, name in enumerate(modules, start=1):
        while hold is not None and hold.is_set() and not (task is not None and task.cancelled):
            time.sleep(0.1)
        if task is not None and task.cancelled:
            break
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - a broken optional library must not break start-up
                missing.append(name)
        if task is not None:
            task.progress(i)
    else:
        freeze_heap()
    return missing


def freeze_heap() -> None:
    """Move every object alive now out of the garbage collector's reach (``gc.freeze``).

    Why: these libraries leave millions of long-lived objects (modules, functions, SQLAlchemy's
    schema); Python's oldest-generation collection walks all of them while holding the GIL, and
    measured 400-600 ms pauses of the GUI thread when one ran on a worker during MLflow's first
    logging. Frozen objects are never traversed again; they were never going to be freed anyway.
    """
    gc.collect()
    gc.freeze()


class WarmUp(QObject):
    """Imports :data:`HEAVY_MODULES` on a pool thread once ``playback`` (a PlaybackClock) has been
    paused, and ``busy()`` (the window's own tasks: opening a project...) false, for :data:`IDLE_START_S`;
    ``runner`` is the TaskRunner once started."""

    def __init__(self, playback, parent: QObject | None = None, idle_s: float = IDLE_START_S, busy=None):
        super().__init__(parent)
        self.playback = playback
        self.busy = busy or (lambda: False)
        self.runner: TaskRunner | None = None
        self._hold = threading.Event()  # set while playing: read by the worker, so not a Qt call
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(int(idle_s * 1000))
        self._timer.timeout.connect(self._start)
        playback.playing_changed.connect(self._on_playing)
        self._on_playing(playback.playing)

    @property
    def needed(self) -> bool:
        return not all(name in sys.modules for name in HEAVY_MODULES)

    def _on_playing(self, playing: bool) -> None:
        if playing:
            self._hold.set()
            self._timer.stop()
        else:
            self._hold.clear()
            if self.runner is None and self.needed:
                self._timer.start()

    def _start(self) -> None:
        if self.runner is not None or not self.needed or self._hold.is_set():
            return
        if self.busy():
            self._timer.start()  # a project is opening: try again once things are quiet
            return
        self.runner = TaskRunner(import_heavy, HEAVY_MODULES, self._hold, parent=self).start()

    def cancel(self) -> None:
        self._timer.stop()
        if self.runner is not None and self.runner.running:
            self.runner.cancel()


def warm_up(window) -> WarmUp:
    """Arrange the background imports for ``window`` (a MainWindow); cancel them when the app quits."""
    return WarmUp(window.player.playback, parent=window, busy=window.is_busy)
