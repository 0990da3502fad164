"""Where the real test data is: one setting, ``RETAIL_DESKTOP_DATA`` (default ``../shared/data`` from the
project root). When ``CI`` is set, a missing file fails the test instead of skipping it, so CI can never
go green without the real data.

A module of its own (not ``conftest``): test modules import ``data_file`` from here, and a name like
``conftest`` is ambiguous once sub-folders have their own conftest.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("RETAIL_DESKTOP_DATA", ROOT.parent / "shared" / "data")).resolve()


def data_file(relative: str) -> Path:
    """Path of a file under the shared data folder; skip (or fail under CI) when it is missing."""
    path = DATA_DIR / relative
    if not path.exists():
        message = f"missing test data {path} (set RETAIL_DESKTOP_DATA)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
