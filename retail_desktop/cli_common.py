"""Helpers shared by the command-line verbs (cli.py and the cli_* modules that register more verbs)."""

from __future__ import annotations

from retail_desktop.errors import UserError


def pick_camera(project, name: str | None, required: bool):
    if name is not None:
        cam = project.camera(name)
        if cam is None:
            names = ", ".join(c.name for c in project.cameras) or "none"
            raise UserError(f"no camera named '{name}' (cameras: {names})", project.path)
        return cam
    if not project.cameras:
        raise UserError("the project has no cameras yet; run retail-desktop analyze first", project.path)
    if len(project.cameras) > 1 and required:
        names = ", ".join(c.name for c in project.cameras)
        raise UserError(f"the project has several cameras; choose one with --camera ({names})", project.path)
    return project.cameras[0] if len(project.cameras) == 1 else None


def camera_tracks(project, camera):
    run = project.store.latest_run(camera.id, status="completed")
    if run is None:
        raise UserError(f"camera '{camera.name}' has no completed analysis; run retail-desktop analyze",
                        project.path)
    return project.store.track_array(run.id)
