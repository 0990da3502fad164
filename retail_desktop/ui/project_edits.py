"""Edits the window makes to a project, as Qt-free task functions (run in a TaskRunner).

Each opens the project, changes it, saves atomically (``Project.save``) and closes it, so the window
never holds a project open for writing and a failed edit leaves the saved file as it was.
"""

from __future__ import annotations

from pathlib import Path

from retail_desktop.errors import ProjectError
from retail_desktop.project import Project
from retail_desktop.tasks import Task
from retail_desktop.video import probe


def create_project(folder: str | Path, task: Task | None = None) -> Path:
    with Project.create(folder) as project:
        return project.path


def add_cameras(folder: str | Path, videos: list[str], task: Task | None = None) -> list[str]:
    """Add one camera per video (named after the file); every video is probed first, so an
    unreadable file is reported (``VideoError``) before anything is saved."""
    for video in videos:
        probe(video)
    with Project.open(folder) as project:
        names = []
        for video in videos:
            base = Path(video).stem
            name, n = base, 2
            while project.camera(name) is not None and Path(project.camera(name).video) != Path(video).resolve():
                name, n = f"{base} ({n})", n + 1
            names.append(project.add_camera(name, Path(video).resolve()).name)
        return names


def remove_camera(folder: str | Path, camera_id: str, task: Task | None = None) -> str:
    """Remove a camera from project.json; its analysis runs stay in the database (nothing is lost)."""
    with Project.open(folder) as project:
        camera = project.camera_by_id(camera_id)
        if camera is None:
            raise ProjectError(f"has no camera {camera_id!r}", project.json_path)
        project.cameras = [c for c in project.cameras if c.id != camera_id]
        project.save()
        return camera.name


def set_camera_offset(folder: str | Path, camera_id: str, offset_s: float, task: Task | None = None) -> float:
    with Project.open(folder) as project:
        camera = project.camera_by_id(camera_id)
        if camera is None:
            raise ProjectError(f"has no camera {camera_id!r}", project.json_path)
        camera.offset_s = float(offset_s)
        project.save()
        return camera.offset_s


def set_tracking_uri(folder: str | Path, uri: str | None, task: Task | None = None) -> str | None:
    """The project's MLflow tracking URI setting (None: its own mlflow.db); see behavior.registry."""
    from retail_desktop.behavior.registry import save_tracking_uri

    with Project.open(folder) as project:
        return save_tracking_uri(project, uri)
