"""Run long, Qt-free task functions off the GUI thread and turn their reports into Qt signals.

Long work in Retail Desktop is a plain function ``fn(*args, task=Task)`` (see :mod:`retail_desktop.tasks`)
so that the CLI, the tests and the GUI share one implementation. This module is the GUI's half of that
contract: the function runs on a pool thread, and every report crosses back to the GUI thread through a
queued connection, so slots connected to :class:`TaskRunner` always run on the GUI thread and may touch
widgets. The GUI thread itself only paints.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

from retail_desktop.errors import UserError
from retail_desktop.tasks import Cancelled, Task

log = logging.getLogger(__name__)


def _emit(bridge: "_Bridge", name: str, *args: Any) -> None:
    """Emit from the worker thread; if Qt already destroyed the bridge (the app is shutting down
    while the work finishes), there is nobody left to tell, so do not crash the worker thread."""
    try:
        getattr(bridge, name).emit(*args)
    except RuntimeError:
        log.debug("task report dropped: its receiver is gone")


class _Bridge(QObject):
    """Signals emitted on the worker thread.

    Kept separate from :class:`TaskRunner` so that the runner's public signals are only ever emitted
    on the GUI thread, whatever a consumer connects to them (lambdas included).
    """

    progress = Signal(object)
    partial = Signal(object)
    outcome = Signal(str, object)


class _Job(QRunnable):
    def __init__(self, body: Callable[[], None]):
        super().__init__()
        self._body = body

    def run(self) -> None:  # called on a pool thread
        self._body()


class TaskRunner(QObject):
    """Runs ``fn(*args, task=Task, **kwargs)`` once on a thread pool and re-emits its reports.

    Signals (all delivered on the GUI thread, in the order the function produced them):

    - ``progress(Progress)``: the function called ``task.start`` / ``task.progress``.
    - ``partial(object)``: the function called ``task.partial`` (a frame's tracks, an epoch's metrics).
    - ``finished(object)``: the function returned; the payload is its return value.
    - ``failed(str)``: the function raised. A :class:`~retail_desktop.errors.UserError` gives just its
      message, because it is written for the user; anything else gives ``"TypeName: message"`` and keeps
      the traceback in :attr:`traceback` (and the log) for a bug report.
    - ``cancelled()``: the function raised :class:`~retail_desktop.tasks.Cancelled` after :meth:`cancel`.

    Exactly one of ``finished``, ``failed`` or ``cancelled`` is emitted. A function that notices
    ``task.cancelled`` and chooses to return normally is reported as ``finished``: it decides whether
    its result is worth keeping.
    """

    progress = Signal(object)
    partial = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(
        self,
        fn: Callable[..., Any],
        *args: Any,
        parent: QObject | None = None,
        pool: QThreadPool | None = None,
        min_interval_s: float = 0.1,
        **kwargs: Any,
    ):
        super().__init__(parent)
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._pool = pool or QThreadPool.globalInstance()
        self._bridge = _Bridge()
        self._bridge.progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._bridge.partial.connect(self._on_partial, Qt.ConnectionType.QueuedConnection)
        self._bridge.outcome.connect(self._on_outcome, Qt.ConnectionType.QueuedConnection)
        self.task = Task(
            on_progress=lambda progress: _emit(self._bridge, "progress", progress),
            on_partial=lambda result: _emit(self._bridge, "partial", result),
            min_interval_s=min_interval_s,
        )
        self.result: Any = None
        self.error: BaseException | None = None
        self.traceback: str = ""
        self._started = False
        self._done_in_worker = threading.Event()
        self._reported = False

    # -- control (GUI thread) ------------------------------------------------------------------------
    def start(self) -> "TaskRunner":
        """Queue the function on the pool; returns self so ``TaskRunner(...).start()`` reads well."""
        if self._started:
            raise RuntimeError("a TaskRunner runs its function once; create a new one")
        self._started = True
        self._pool.start(_Job(self._run))
        return self

    def cancel(self) -> None:
        """Ask the function to stop at its next ``task.check_cancelled()``; returns immediately."""
        self.task.cancel()

    @property
    def running(self) -> bool:
        """True from :meth:`start` until the final signal has been delivered on the GUI thread."""
        return self._started and not self._reported

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the function has returned on its thread (not until the signals are delivered).

        Meant for shutdown and tests; never call it from a widget callback with a long timeout.
        """
        if not self._started:
            return True
        return self._done_in_worker.wait(timeout_s)

    # -- worker thread -------------------------------------------------------------------------------
    def _run(self) -> None:
        bridge = self._bridge
        try:
            result = self._fn(*self._args, task=self.task, **self._kwargs)
        except Cancelled:
            _emit(bridge, "outcome", "cancelled", None)
        except UserError as err:
            self.error = err
            _emit(bridge, "outcome", "failed", str(err))
        except Exception as err:  # a bug in the task: keep the traceback, tell the user what broke
            self.error = err
            self.traceback = traceback.format_exc()
            log.error("task %s failed:\n%s", getattr(self._fn, "__name__", self._fn), self.traceback)
            _emit(bridge, "outcome", "failed", f"{type(err).__name__}: {err}")
        else:
            _emit(bridge, "outcome", "finished", result)
        finally:
            self._done_in_worker.set()

    # -- GUI thread ----------------------------------------------------------------------------------
    @Slot(object)
    def _on_progress(self, progress: object) -> None:
        self.progress.emit(progress)

    @Slot(object)
    def _on_partial(self, result: object) -> None:
        self.partial.emit(result)

    @Slot(str, object)
    def _on_outcome(self, kind: str, payload: object) -> None:
        self._reported = True
        if kind == "finished":
            self.result = payload
            self.finished.emit(payload)
        elif kind == "failed":
            self.failed.emit(str(payload))
        else:
            self.cancelled.emit()
