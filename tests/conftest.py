"""Shared fixtures. Real data is found through tests/datafiles.py (one setting, RETAIL_DESKTOP_DATA)."""

from __future__ import annotations

import os

import pytest

from datafiles import DATA_DIR, ROOT, data_file  # noqa: F401  (re-exported for fixtures)

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def data():
    return data_file


@pytest.fixture
def detector_path():
    return data_file("models/yolov8n_int8_640.onnx")
