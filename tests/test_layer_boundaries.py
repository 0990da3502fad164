"""The domain layers must import without Qt: only ``retail_desktop.ui`` may use PySide6 or pyqtgraph.

That keeps the analysis, the CLI and their tests runnable on a server without a display. The check
runs in a fresh interpreter with a meta-path finder that makes PySide6, shiboken6 and pyqtgraph look
uninstalled, then imports every module of the Qt-free packages (walked with pkgutil, so new modules
are covered without editing this test). Any failure fails the test, whatever its cause: a module that
cannot be imported on a Qt-less machine is broken there. A package that does not exist yet is not walked.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

QT_FREE_PACKAGES = ("video", "vision", "analytics", "annotation", "behavior", "project")
QT_FREE_MODULES = ("tasks", "errors", "cli")
BLOCKED = ("PySide6", "shiboken6", "pyqtgraph")

SCRIPT = textwrap.dedent(
    """
    import importlib, importlib.abc, importlib.util, json, pkgutil, sys, traceback

    BLOCKED = set(__BLOCKED__)

    class BlockQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked: Qt-free layer)", name=name)
            return None

    sys.meta_path.insert(0, BlockQt())
    failures, imported = {}, []

    def record(name):
        failures[name] = traceback.format_exc()

    def exists(name):
        try:
            return importlib.util.find_spec(name) is not None
        except Exception:
            record(name)
            return False

    names = []
    for module in __MODULES__:
        if exists(f"retail_desktop.{module}"):
            names.append(f"retail_desktop.{module}")
    for package in __PACKAGES__:
        name = f"retail_desktop.{package}"
        if not exists(name):
            continue
        names.append(name)
        try:
            pkg = importlib.import_module(name)
        except Exception:
            record(name)
            continue
        for info in pkgutil.walk_packages(pkg.__path__, prefix=name + ".", onerror=record):
            names.append(info.name)

    for name in names:
        if name in failures:
            continue
        try:
            importlib.import_module(name)
            imported.append(name)
        except BaseException:
            record(name)

    leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    print(json.dumps({"imported": imported, "failures": failures, "leaked": leaked}))
    """
)


def test_qt_free_layers_import_without_qt():
    script = (
        SCRIPT.replace("__BLOCKED__", repr(BLOCKED))
        .replace("__MODULES__", repr(QT_FREE_MODULES))
        .replace("__PACKAGES__", repr(QT_FREE_PACKAGES))
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    failures = report["failures"]
    assert not failures, "modules that need Qt or fail to import:\n\n" + "\n".join(
        f"--- {name}\n{tb}" for name, tb in failures.items()
    )
    assert report["leaked"] == []
    assert "retail_desktop.tasks" in report["imported"] and "retail_desktop.errors" in report["imported"]
    # Every Qt-free package that exists was imported, so the walk really ran.
    for package in QT_FREE_PACKAGES:
        if (ROOT / "retail_desktop" / package / "__init__.py").exists():
            assert f"retail_desktop.{package}" in report["imported"]


def test_the_blocker_really_blocks_qt():
    """Guard against a silently broken finder (the test above would then prove nothing)."""
    script = SCRIPT.replace("__BLOCKED__", repr(BLOCKED)).replace("__MODULES__", "()").replace("__PACKAGES__", "()")
    script += "\ntry:\n    import retail_desktop.ui.workers\nexcept ImportError as e:\n    print('BLOCKED', e.name)\n"
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "BLOCKED PySide6" in proc.stdout
