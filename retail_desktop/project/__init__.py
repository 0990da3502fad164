"""Project folder: ``project.json`` (cameras, settings; versioned, atomic saves, migrations) and
``project.sqlite`` (analysis runs, track points, raw detections; WAL). Qt-free.

>>> import tempfile, pathlib
>>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "shop") as p:
...     cam = p.add_camera("Entrance", "/videos/entrance.mp4")
...     run = p.store.begin_run(cam.id, {"detector": "yolov8n"}, frames_total=100)
...     p.store.commit(run.id, 0, [TrackPoint(0, 0.0, 1, 10, 20, 50, 120, 0.9, "detected")])
...     p.store.run(run.id).last_committed_frame
0
"""

from .atomic import atomic_write_bytes, atomic_write_text
from .migrations import SCHEMA_VERSION
from .model import FINAL_STATUSES, RUN_STATUSES, SOURCES, AnalysisRun, Camera, DetectionFrame, TrackPoint
from .project import JSON_NAME, SQLITE_NAME, Project
from .store import TRACK_COLUMNS, Store, config_key

__all__ = [
    "SCHEMA_VERSION",
    "SOURCES",
    "RUN_STATUSES",
    "FINAL_STATUSES",
    "TRACK_COLUMNS",
    "JSON_NAME",
    "SQLITE_NAME",
    "Project",
    "Store",
    "Camera",
    "TrackPoint",
    "DetectionFrame",
    "AnalysisRun",
    "config_key",
    "atomic_write_bytes",
    "atomic_write_text",
]
