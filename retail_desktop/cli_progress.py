"""Progress bar for the command line, fed by :class:`retail_desktop.tasks.Progress` reports."""

from __future__ import annotations

import sys

from retail_desktop.tasks import Progress


class ProgressBar:
    """tqdm on stderr; one bar per stage (a new message starts a new bar)."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and sys.stderr is not None
        self._bar = None
        self._message = None

    def update(self, p: Progress) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if self._bar is None or p.message != self._message:
            self.close()
            self._message = p.message
            self._bar = tqdm(total=p.total, desc=p.message, unit="frame", file=sys.stderr, dynamic_ncols=True,
                             leave=False, initial=p.done)
        self._bar.n = p.done
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            self._message = None
