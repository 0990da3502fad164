"""The desktop interface: the only package that imports PySide6 or pyqtgraph.

Keep it thin: widgets read domain objects and call core functions; long work runs through
:mod:`retail_desktop.ui.workers`. Start it with :func:`retail_desktop.ui.app.run_gui`.
"""
