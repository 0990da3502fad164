"""The start-up warm-up loads the heavy libraries off the GUI thread and never breaks start-up."""

from __future__ import annotations

import sys

from retail_desktop.ui.warmup import HEAVY_MODULES, import_heavy, warm_up
from retail_desktop.tasks import Task


def test_import_heavy_reports_what_it_could_not_import_and_loads_the_rest():
    task = Task()
    missing = import_heavy(("json", "retail_desktop_no_such_library", "csv"), task=task)
    assert missing == ["retail_desktop_no_such_library"]
    assert "json" in sys.modules and "csv" in sys.modules


def test_warm_up_loads_the_analysis_libraries_in_the_background(qtbot):
    from PySide6.QtCore import QObject

    parent = QObject()
    runner = warm_up(parent)
    if runner is not None:
        with qtbot.waitSignal(runner.finished, timeout=180000) as blocker:
            pass
        assert blocker.args[0] == []
    assert all(name in sys.modules for name in HEAVY_MODULES)
    assert warm_up(parent) is None  # nothing left to load
