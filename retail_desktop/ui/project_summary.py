"""What the placeholder window shows about a project: its name and cameras.

The project package (``retail_desktop.project``) owns the real format. This module prefers its
``Project.open`` and only falls back to reading ``project.json`` with plain :mod:`json` while that
package is still being written, so the window is useful today and switches over by itself later.
It is Qt-free on purpose: it runs in a :class:`~retail_desktop.ui.workers.TaskRunner` off the GUI thread,
because opening a real project may migrate a database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from retail_desktop.errors import ProjectError
from retail_desktop.tasks import Task

PROJECT_FILE = "project.json"

FALLBACK_NOTE = (
    "Read project.json directly: the project store is not available in this build yet, "
    "so only cameras are shown."
)


@dataclass(frozen=True)
class CameraRow:
    id: str
    name: str
    videos: tuple[str, ...] = ()
    offset_s: float = 0.0
    missing: tuple[str, ...] = ()  # videos that do not exist on disk
    ground_truth_only: bool = False  # imported annotations (CAVIAR XML...) and no footage at all

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class ProjectSummary:
    folder: Path
    name: str
    cameras: tuple[CameraRow, ...] = ()
    note: str = ""  # shown as a banner: why the view may be incomplete
    extra: dict[str, Any] = field(default_factory=dict)


def read_project_summary(folder: str | Path, task: Task | None = None) -> ProjectSummary:
    """Summarise the project in ``folder``; raises :class:`ProjectError` when it is not one.

    >>> import tempfile, json, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> cams = [{"id": "cam1", "name": "Door", "video": "door.mp4"}]
    >>> _ = (d / "project.json").write_text(json.dumps({"schema_version": 1, "cameras": cams}))
    >>> [(c.label, c.missing) for c in read_project_summary(d).cameras]
    [('Door', ('door.mp4',))]
    """
    folder = Path(folder).expanduser()
    if task is not None:
        task.start(total=None, message=f"Opening {folder.name}")
    if not folder.is_dir():
        raise ProjectError("not a folder", path=folder)
    project_cls = _project_class()
    if project_cls is not None:
        summary = _from_project_api(project_cls, folder)
        if summary is not None:
            return summary
    return _from_json(folder, note=FALLBACK_NOTE)


def _project_class() -> Any | None:
    try:
        from retail_desktop import project as project_pkg
    except ImportError:
        return None
    cls = getattr(project_pkg, "Project", None)
    return cls if callable(getattr(cls, "open", None)) else None


def _from_project_api(project_cls: Any, folder: Path) -> ProjectSummary | None:
    """Use the real project package; None when its object does not expose cameras (yet)."""
    project = project_cls.open(folder)  # a ProjectError propagates: it is written for the user
    try:
        cameras = getattr(project, "cameras", None)
        if cameras is None:
            return None
        if isinstance(cameras, dict):
            cameras = list(cameras.values())
        name = str(getattr(project, "name", "") or folder.name)
        rows = tuple(_camera_row(_as_mapping(cam), folder, index) for index, cam in enumerate(cameras))
        note = ""
        migrated_from = getattr(project, "migrated_from", None)
        if migrated_from is not None:
            backup = getattr(project, "backup_path", None)
            note = f"This project was upgraded from format version {migrated_from}"
            note += f"; the old file is kept as {backup.name}." if backup else "."
        return ProjectSummary(folder=folder, name=name, cameras=rows, note=note)
    finally:
        close = getattr(project, "close", None)
        if callable(close):
            close()


def _from_json(folder: Path, note: str = "") -> ProjectSummary:
    path = folder / PROJECT_FILE
    if not path.is_file():
        raise ProjectError(f"no {PROJECT_FILE} here, so this is not a Retail Desktop project", path=folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ProjectError(f"cannot read project file ({err})", path=path) from err
    if not isinstance(data, dict):
        raise ProjectError("project file is not a JSON object", path=path)
    cameras = data.get("cameras", [])
    if isinstance(cameras, dict):
        cameras = [dict(value, id=value.get("id", key)) for key, value in cameras.items()]
    if not isinstance(cameras, list):
        raise ProjectError("'cameras' must be a list", path=path)
    rows = tuple(_camera_row(cam if isinstance(cam, dict) else {}, folder, i) for i, cam in enumerate(cameras))
    name = str(data.get("name") or folder.name)
    return ProjectSummary(folder=folder, name=name, cameras=rows, note=note)


def _as_mapping(camera: Any) -> dict[str, Any]:
    if isinstance(camera, dict):
        return camera
    keys = ("id", "name", "video", "videos", "video_files", "files", "path", "offset_s", "offset")
    return {key: getattr(camera, key) for key in keys if hasattr(camera, key)}


def _camera_row(camera: dict[str, Any], folder: Path, index: int) -> CameraRow:
    videos = _videos(camera)
    missing = tuple(v for v in videos if not _resolve(folder, v).exists())
    try:
        offset = float(camera.get("offset_s", camera.get("offset", 0.0)) or 0.0)
    except (TypeError, ValueError):
        offset = 0.0
    cam_id = str(camera.get("id") or f"camera-{index + 1}")
    gt = camera.get("ground_truth")
    gt_only = bool(gt) and all(str(v) == str(gt) for v in videos)
    return CameraRow(
        id=cam_id,
        name=str(camera.get("name") or ""),
        videos=videos,
        offset_s=offset,
        missing=missing,
        ground_truth_only=gt_only,
    )


def _videos(camera: dict[str, Any]) -> tuple[str, ...]:
    for key in ("videos", "video_files", "files", "video", "path"):
        value = camera.get(key)
        if value:
            items: Iterable[Any] = [value] if isinstance(value, (str, Path)) else value
            return tuple(str(_video_path(item)) for item in items)
    return ()


def _video_path(item: Any) -> Any:
    if isinstance(item, dict):
        return item.get("path") or item.get("file") or ""
    return getattr(item, "path", item)


def _resolve(folder: Path, video: str) -> Path:
    path = Path(video).expanduser()
    return path if path.is_absolute() else folder / path
