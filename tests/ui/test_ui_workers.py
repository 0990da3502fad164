"""TaskRunner: a plain task function on a pool thread, its reports as Qt signals on the GUI thread."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QThread, QTimer
from PySide6.QtWidgets import QApplication

from retail_desktop.errors import VideoError
from retail_desktop.tasks import Progress, Task
from retail_desktop.ui.workers import TaskRunner


def count_to(n: int, *, task: Task, step_s: float = 0.0, suffix: str = "") -> str:
    task.start(total=n, message="counting")
    for i in range(n):
        task.check_cancelled()
        if step_s:
            time.sleep(step_s)
        task.partial(i)
        task.progress(i + 1, force=True)
    return f"counted {n}{suffix}"


def endless(*, task: Task) -> None:
    task.start(total=None, message="forever")
    i = 0
    while True:
        task.check_cancelled()
        task.partial(i)
        i += 1
        time.sleep(0.01)


def test_finished_after_progress_and_partials_on_gui_thread(qtbot):
    runner = TaskRunner(count_to, 5, suffix="!")
    partials, progress, threads = [], [], []
    gui_thread = QApplication.instance().thread()
    runner.partial.connect(partials.append)
    runner.progress.connect(progress.append)
    runner.progress.connect(lambda _p: threads.append(QThread.currentThread() == gui_thread))
    with qtbot.waitSignal(runner.finished, timeout=5000) as blocker:
        runner.start()
    assert blocker.args == ["counted 5!"]
    assert runner.result == "counted 5!"
    assert partials == [0, 1, 2, 3, 4]
    assert all(isinstance(p, Progress) for p in progress)
    assert (progress[0].done, progress[-1].done, progress[-1].total) == (0, 5, 5)
    assert progress[-1].message == "counting"
    assert threads and all(threads), "slots must run on the GUI thread"
    assert not runner.running


def test_cancel_stops_the_function(qtbot):
    runner = TaskRunner(endless)
    finished, failed = [], []
    runner.finished.connect(finished.append)
    runner.failed.connect(failed.append)
    with qtbot.waitSignal(runner.partial, timeout=5000):
        runner.start()
    assert runner.running
    with qtbot.waitSignal(runner.cancelled, timeout=5000):
        runner.cancel()
    assert runner.wait(1.0)
    qtbot.wait(50)
    assert finished == [] and failed == []
    assert not runner.running


def test_exception_becomes_failed_with_message_and_traceback(qtbot):
    def broken(*, task: Task) -> None:
        raise ValueError("boom at frame 12")

    runner = TaskRunner(broken)
    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.start()
    assert blocker.args == ["ValueError: boom at frame 12"]
    assert isinstance(runner.error, ValueError)
    assert "boom at frame 12" in runner.traceback and "Traceback" in runner.traceback


def test_user_error_gives_just_its_message(qtbot):
    def unreadable(*, task: Task) -> None:
        raise VideoError("has no video stream", path="clip.mp4")

    runner = TaskRunner(unreadable)
    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.start()
    assert blocker.args == ["clip.mp4: has no video stream"]
    assert runner.traceback == ""


def test_gui_thread_stays_free_while_work_runs(qtbot):
    release = threading.Event()

    def blocking(*, task: Task) -> str:
        release.wait(10)
        return "released"

    runner = TaskRunner(blocking)
    ticks = []
    runner.start()
    QTimer.singleShot(20, lambda: ticks.append(runner.running))
    qtbot.waitUntil(lambda: ticks == [True], timeout=2000)  # the event loop ran while work blocked
    with qtbot.waitSignal(runner.finished, timeout=5000):
        release.set()


def test_runs_once(qtbot):
    runner = TaskRunner(count_to, 1)
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start()
    with pytest.raises(RuntimeError):
        runner.start()
