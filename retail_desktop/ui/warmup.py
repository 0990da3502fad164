"""Load the analysis and training libraries in the background as soon as the window is up.

Why: importing PyTorch, MLflow and their companions takes seconds, and a C extension's initialisation
holds Python's GIL the whole time, so whichever thread imports them, the GUI thread stalls for up to
a few hundred milliseconds at a time (measured: 230 ms for torch alone, 700 ms with MLflow, on two
busy cores). Done on first use, that stall lands in the middle of an analysis or a training run the
user has just started and is watching. Done right after start-up, it lands while the user is still
finding the project to open, and the first analysis starts with everything loaded.

:func:`warm_up` is called by :func:`retail_desktop.ui.app.run_gui` only; tests that measure
responsiveness call it themselves and wait for it.
"""

from __future__ import annotations

import importlib
import sys

from PySide6.QtCore import QObject

from retail_desktop.ui.workers import TaskRunner

#: Imported in this order: the analysis engine first (most likely to be used first), MLflow last.
HEAVY_MODULES: tuple[str, ...] = (
    "torch",
    "onnxruntime",
    "ultralytics",
    "deep_sort_realtime.deepsort_tracker",
    "mlflow",
)


def import_heavy(modules: tuple[str, ...] = HEAVY_MODULES, task=None) -> list[str]:
    """Import ``modules``; returns those that could not be imported (their error shows on real use)."""
    if task is not None:
        task.start(total=len(modules), message="Loading analysis libraries")
    missing = []
    for i, name in enumerate(modules, start=1):
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - a broken optional library must not break start-up
                missing.append(name)
        if task is not None:
            task.progress(i)
    return missing


def warm_up(parent: QObject) -> TaskRunner | None:
    """Start the background imports (None when everything is loaded already)."""
    if all(name in sys.modules for name in HEAVY_MODULES):
        return None
    return TaskRunner(import_heavy, HEAVY_MODULES, parent=parent).start()
