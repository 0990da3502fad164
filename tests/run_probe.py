"""Watch an analysis running in another process, for the kill / Ctrl+C tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def last_committed(db: Path) -> int:
    """Highest ``last_committed_frame`` in a project database another process is writing; -1 if none yet.

    Read-only and with a short timeout, so polling never blocks or disturbs the writer."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            row = con.execute("SELECT max(last_committed_frame) FROM analysis_runs").fetchone()
        finally:
            con.close()
        return -1 if row is None or row[0] is None else int(row[0])
    except sqlite3.Error:
        return -1
