"""Zone and floor-plan edits the window makes, as Qt-free task functions (run in a TaskRunner).

Like :mod:`retail_desktop.ui.project_edits`, each one opens the project from disk, changes it, saves
atomically and closes it. The window never writes through a ``Project`` it has held open for a while:
another part of the window (the camera offset box, Add Camera) may have saved ``project.json`` since,
and writing a stale copy back would silently undo that. The import and export are the same core
functions as ``retail-desktop zones import|export``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from retail_desktop.analytics.floorplan import set_plan_image
from retail_desktop.analytics.geojson import export_geojson, import_geojson
from retail_desktop.analytics.zones import Zone, replace_camera_zones
from retail_desktop.errors import UserError
from retail_desktop.project import Project
from retail_desktop.tasks import Task

#: Where a loaded floor-plan image is copied, inside the project folder (the project stays whole
#: when the original file is moved or the folder is copied to another machine).
PLAN_FOLDER = "floor_plan"


def open_project(folder: str | Path, task: Task | None = None) -> Project:
    """The project, opened for reading (metrics, editors' starting state). The caller closes it."""
    return Project.open(folder)


def save_camera_zones(folder: str | Path, camera_id: str, zones: list[Zone],
                      frame_size: tuple[int, int] | None, task: Task | None = None) -> int:
    """Make ``zones`` the zones of ``camera_id`` (or of the plan), keeping every other camera's;
    checked first, so a refused save changes nothing on disk."""
    with Project.open(folder) as project:
        replace_camera_zones(project, camera_id, list(zones), frame_size)
        return len(zones)


def import_zones(folder: str | Path, path: str | Path, task: Task | None = None) -> int:
    """``zones import``: add the file's zones (same camera + name replaces); all or nothing."""
    with Project.open(folder) as project:
        return len(import_geojson(project, path))


def export_zones(folder: str | Path, path: str | Path, task: Task | None = None) -> int:
    """``zones export``: every zone of the project as one GeoJSON FeatureCollection."""
    from retail_desktop.project.outputs import check_outputs

    check_outputs(folder, path)
    with Project.open(folder) as project:
        return export_geojson(project, path)


def image_size(path: str | Path) -> tuple[int, int]:
    """(width, height) of an image file; a one-line UserError when it is not a readable image."""
    import cv2

    path = Path(path)
    if not path.is_file():
        raise UserError("file not found", path)
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None or image.ndim < 2 or image.shape[0] == 0:
        raise UserError("cannot be read as an image (PNG, JPEG, BMP, TIFF...)", path)
    return int(image.shape[1]), int(image.shape[0])


def load_floor_plan(folder: str | Path, image: str | Path, task: Task | None = None) -> tuple[int, int]:
    """Copy ``image`` into the project's ``floor_plan/`` folder and make it the plan (its size in
    pixels bounds plan zones). Calibrations already made are kept (they are in plan pixels: valid for a
    new image of the same plan at the same scale)."""
    image = Path(image).expanduser().absolute()
    size = image_size(image)
    with Project.open(folder) as project:
        target_dir = project.path / PLAN_FOLDER
        target = target_dir / image.name
        if image.resolve() != target.resolve():
            try:
                target_dir.mkdir(exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=target_dir, prefix=".plan-", suffix=image.suffix)
                os.close(fd)
                try:
                    shutil.copyfile(image, tmp)
                    os.replace(tmp, target)
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
            except OSError as exc:
                raise UserError(f"cannot be copied into the project ({exc.strerror or exc})", image) from None
        set_plan_image(project, target, size)
        return size
