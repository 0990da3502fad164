"""The warm-up loads the heavy libraries off the GUI thread, only while no video plays, and never
breaks start-up."""

from __future__ import annotations

import sys
import threading

from retail_desktop.tasks import Task
from retail_desktop.ui.warmup import HEAVY_MODULES, WarmUp, import_heavy


def test_import_heavy_reports_what_it_could_not_import_and_loads_the_rest():
    missing = import_heavy(("json", "retail_desktop_no_such_library", "csv"), task=Task())
    assert missing == ["retail_desktop_no_such_library"]
    assert "json" in sys.modules and "csv" in sys.modules


def test_import_heavy_waits_while_held_and_stops_when_cancelled():
    hold, task, out = threading.Event(), Task(), []
    hold.set()
    worker = threading.Thread(target=lambda: out.append(import_heavy(("retail_desktop_never",), hold, task)))
    worker.start()
    worker.join(0.5)
    assert worker.is_alive()  # held: nothing imported yet
    task.cancel()
    worker.join(5)
    assert not worker.is_alive() and out == [[]]  # stopped without trying the import


def test_warm_up_waits_for_the_player_to_pause_then_loads_everything(qtbot):
    from PySide6.QtCore import QObject

    from retail_desktop.ui.player.timeline import PlaybackClock

    parent = QObject()
    clock = PlaybackClock(parent)
    clock.set_range(0.0, 600.0)
    busy = {"value": True}
    clock.play()
    warm = WarmUp(clock, parent=parent, idle_s=0.2, busy=lambda: busy["value"])
    qtbot.wait(600)
    assert warm.runner is None  # playing: not started
    clock.pause()
    qtbot.wait(600)
    assert warm.runner is None or not warm.needed  # the window is busy (a project opening): not yet
    busy["value"] = False
    if warm.needed:
        qtbot.waitUntil(lambda: warm.runner is not None, timeout=5000)
        with qtbot.waitSignal(warm.runner.finished, timeout=180000) as blocker:
            pass
        assert blocker.args[0] == []
    assert all(name in sys.modules for name in HEAVY_MODULES)
