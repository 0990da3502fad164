"""Session fixtures for the end-to-end tests: the analysed multicam project of tests/ui/analysed.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "retail_desktop_e2e_analysed", Path(__file__).resolve().parents[1] / "ui" / "analysed.py"
)
analysed = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(analysed)


@pytest.fixture(scope="session")
def multicam_analysed(tmp_path_factory):
    from datafiles import data_file

    return analysed.analysed_multicam(tmp_path_factory.mktemp("analysed"), data_file)
