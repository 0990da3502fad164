"""Small real projects for window tests (shared by tests/ui and tests/e2e)."""

from __future__ import annotations

import json
from pathlib import Path


def make_project(folder: Path, cameras: list[tuple[str, str]]) -> Path:
    """A project with ``(name, video)`` cameras, written by the project package when it is there,
    so that the window is tested against the real format rather than a guess of it."""
    try:
        from retail_desktop.project import Project

        create = Project.create
    except (ImportError, AttributeError):
        create = None
    if create is not None and hasattr(Project, "add_camera"):
        project = create(folder)
        try:
            for name, video in cameras:
                project.add_camera(name, video)
        finally:
            getattr(project, "close", lambda: None)()
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "schema_version": 1,
        "cameras": [
            {"id": f"cam{i}", "name": name, "video": video, "offset_s": 0.0}
            for i, (name, video) in enumerate(cameras, start=1)
        ],
        "settings": {},
    }
    (folder / "project.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return folder
