"""The contract for long work: progress, partial results and cancel.

Long operations (analysing a video, training a model) are plain functions that take a :class:`Task`.
They call :meth:`Task.progress` as they go, :meth:`Task.partial` with intermediate results, and check
:meth:`Task.check_cancelled` at safe points. The CLI passes a task that draws a progress bar; the GUI
(``ui/workers.py``) passes one that turns the calls into Qt signals from a worker thread. The function
itself never knows which front end runs it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable


class Cancelled(Exception):
    """Raised inside a task function when the user asked to stop; work done so far stays saved."""


@dataclass(frozen=True)
class Progress:
    """One progress report. ``total`` is None when the amount of work is unknown."""

    done: int
    total: int | None
    rate: float  # units per second since the stage started
    message: str = ""

    @property
    def fraction(self) -> float | None:
        return None if not self.total else min(1.0, self.done / self.total)

    @property
    def eta_s(self) -> float | None:
        if self.total is None or self.rate <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.rate)


@dataclass
class Task:
    """Progress / partial-result / cancel channel between a long function and whoever runs it.

    >>> seen = []
    >>> t = Task(on_progress=seen.append)
    >>> t.start(total=10, message="frames")
    >>> t.progress(5)
    >>> seen[-1].done, seen[-1].total
    (5, 10)
    """

    on_progress: Callable[[Progress], None] | None = None
    on_partial: Callable[[Any], None] | None = None
    min_interval_s: float = 0.1
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _t0: float = field(default=0.0, repr=False)
    _start_done: int = field(default=0, repr=False)
    _total: int | None = field(default=None, repr=False)
    _message: str = field(default="", repr=False)
    _last_emit: float = field(default=0.0, repr=False)

    def start(self, total: int | None, message: str = "", done: int = 0) -> None:
        """Begin a stage of ``total`` units (``done`` already finished, e.g. when resuming)."""
        self._t0 = time.perf_counter()
        self._start_done = done
        self._total = total
        self._message = message
        self._last_emit = 0.0
        self._emit(done, force=True)

    def progress(self, done: int, force: bool = False) -> None:
        self._emit(done, force)

    def partial(self, result: Any) -> None:
        if self.on_partial is not None:
            self.on_partial(result)

    def cancel(self) -> None:
        """Ask the work to stop at its next safe point (thread-safe)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def _emit(self, done: int, force: bool) -> None:
        if self.on_progress is None:
            return
        now = time.perf_counter()
        if not force and now - self._last_emit < self.min_interval_s and done != self._total:
            return
        self._last_emit = now
        elapsed = now - self._t0
        rate = (done - self._start_done) / elapsed if elapsed > 0 else 0.0
        self.on_progress(Progress(done, self._total, rate, self._message))
