"""The two real multicam cameras, analysed once per test session (shared by tests/ui and tests/e2e).

Analysis runs the real offline detector (yolo11n int8, 320 px: the fastest of the shared models) and
DeepSORT: about a minute on two cores, so it is done once and each test works on a copy. Setting
``RETAIL_DESKTOP_TEST_CACHE`` to a folder keeps the analysed project between sessions (developer runs).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CAMERAS = ("multicam/home_room_cam1.mp4", "multicam/home_hallway_cam2.mp4")
DETECTOR = "models/yolo11n_int8_320.onnx"


def analysed_multicam(base: Path, data_file) -> Path:
    """Folder of a project holding both multicam cameras with completed runs (made if missing)."""
    from retail_desktop.project import Project
    from retail_desktop.vision.pipeline import AnalysisOptions, analyze_videos

    folder = Path(os.environ.get("RETAIL_DESKTOP_TEST_CACHE") or base) / "multicam-analysed"
    videos = [data_file(v) for v in CAMERAS]
    detector = data_file(DETECTOR)
    if (folder / "project.json").exists():
        with Project.open(folder) as project:
            if len(project.cameras) == 2 and all(project.store.latest_run(c.id) for c in project.cameras):
                return folder
        shutil.rmtree(folder)
    analyze_videos(folder, videos, AnalysisOptions(detector=str(detector), device="cpu"))
    return folder


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    return target
