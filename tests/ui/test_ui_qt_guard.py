"""The PySide6 reference-count guard: None survives far more void calls than it has references."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_none_survives_a_long_session_of_void_calls():
    """In a child process (an abort must not take pytest down): 200k void calls, as in ~minutes of play."""
    script = textwrap.dedent(
        """
        import sys
        import retail_desktop.ui  # applies the guard
        from retail_desktop.ui.qt_guard import none_leak_per_call
        from PySide6.QtCore import QObject
        start = sys.getrefcount(None)
        o = QObject()
        for _ in range(200_000):
            o.setObjectName("x")
        print("leak", none_leak_per_call(), "start", start)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "leak" in proc.stdout
