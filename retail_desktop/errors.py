"""Errors a user can cause and fix (bad path, unreadable video, unwritable folder...).

Every layer raises a subclass of :class:`UserError` for problems that come from the user's input, so that
the CLI can print one line and exit with status 2, and the GUI can show a dialog, without either of them
knowing which layer failed. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """A problem with the user's input; ``str(err)`` is a complete one-line message naming the file."""

    def __init__(self, message: str, path: str | Path | None = None):
        self.path = Path(path) if path is not None else None
        super().__init__(f"{path}: {message}" if path is not None else message)


class VideoError(UserError):
    """A video file is missing, unreadable, empty or has no video stream."""


class ProjectError(UserError):
    """A project folder cannot be created, read or written, or its files are corrupt."""


class DetectorError(UserError):
    """Detector weights are missing, cannot be downloaded or cannot be loaded."""
