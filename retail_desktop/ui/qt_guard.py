"""Guard against a PySide6 binary bug that crashes long sessions: ``protect_none_refcount()``.

PySide6/shiboken6 6.12.0 on CPython 3.11 (found on this project's build machines) drops one reference
to ``None`` every time a C++ method returning ``void`` is called from Python (``setPen``,
``setObjectName``, ``setInterval``...). CPython 3.12+ makes ``None`` immortal, so the wheel's authors
never see it; on 3.11 ``None`` starts with a few thousand references and the process aborts with
"Fatal Python error: none_dealloc" after a few seconds of playback (each painted frame makes dozens
of such calls); some bool-returning paths lose references to ``True`` the same way. The guard measures
the leak once (100 calls of a void method) and, only if there is one, adds 2**40 references to
``None``, ``True`` and ``False`` so they can never reach zero: they are never freed anyway, so nothing
else changes. Remove this module once the pinned PySide6 is fixed.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

_PADDING = 1 << 40
_applied = False


def none_leak_per_call(calls: int = 100) -> float:
    """References to None lost per void-returning PySide6 call (0.0 on a healthy build)."""
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(calls):
        probe.setObjectName("probe")
    return (before - sys.getrefcount(None)) / calls


def protect_none_refcount() -> bool:
    """Apply the guard when this PySide6 build leaks; True when it was (or had been) applied."""
    global _applied
    if _applied:
        return True
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False  # None is immortal there: the leak cannot free it
    leak = none_leak_per_call()
    if leak < 0.5:
        return False
    for singleton in (None, True, False):  # True leaks too (through pyqtgraph's ImageItem.setImage)
        ctypes.c_ssize_t.from_address(id(singleton)).value += _PADDING  # ob_refcnt is the first field
    _applied = True
    log.warning("PySide6 %s drops a reference to None per void call; guard applied", _pyside_version())
    return True


def _pyside_version() -> str:
    import PySide6

    return getattr(PySide6, "__version__", "?")
