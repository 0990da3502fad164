"""The GUI layer: the only package that imports PySide6 or pyqtgraph.

Importing it applies :func:`~retail_desktop.ui.qt_guard.protect_none_refcount` (a PySide6 6.12 +
CPython 3.11 reference-count bug that otherwise aborts the app after a few seconds of playback).
"""

from retail_desktop.ui.qt_guard import protect_none_refcount

protect_none_refcount()
