"""Where an export may be written: never over the project's own files.

Why: ``--out`` takes any path, and ``export ... --out shop/project.json`` (or a file dialog pointed at
the wrong file) used to replace the project file with a CSV and exit 0; every command after that said
the project was corrupt. Exports into the project folder (``shop/exports/...``) stay allowed.
"""

from __future__ import annotations

import os
from pathlib import Path

from retail_desktop.errors import UserError

#: Files at the top of a project folder that belong to the project (the database's journals included).
OWN_FILES = ("project.json", "project.sqlite", "project.sqlite-wal", "project.sqlite-shm", "project.sqlite-journal",
             "mlflow.db", "mlflow.db-wal", "mlflow.db-shm", "mlflow.db-journal")
#: Folders of a project whose contents the app manages (models, MLflow artifacts, the floor-plan copy).
OWN_FOLDERS = ("behavior_models", "mlruns", "floor_plan")


def _resolved(path: str | Path) -> Path:
    return Path(os.path.realpath(os.path.expanduser(os.fspath(path))))


def is_project_file(path: str | Path, project: str | Path) -> bool:
    """Whether writing ``path`` would overwrite something the project ``project`` owns."""
    target, folder = _resolved(path), _resolved(project)
    if target.parent == folder and (target.name in OWN_FILES or target.name.startswith("project.json.")):
        return True
    return any(target == folder / d or folder / d in target.parents for d in OWN_FOLDERS)


def check_outputs(project: str | Path, *paths: str | Path | None) -> None:
    """Refuse, before any work, outputs that would overwrite the project's own files, two outputs that
    are the same file, an output that is a folder, or one whose folder does not exist."""
    seen: dict[Path, str] = {}
    for path in paths:
        if path is None:
            continue
        target = _resolved(path)
        if is_project_file(path, project):
            raise UserError("is one of the project's own files; choose another output file", path)
        if target in seen:
            raise UserError(f"is given twice as an output (also {seen[target]}); give each output its own file", path)
        seen[target] = str(path)
        try:
            if target.is_dir():
                raise UserError("is a folder; give a file name", path)
            if target.parent.exists() and not target.parent.is_dir():
                raise UserError(f"cannot be written: {target.parent} is a file, not a folder", path)
            if not target.parent.is_dir():
                raise UserError(f"cannot be written: folder {target.parent} does not exist", path)
        except OSError as exc:  # a name too long, a folder the user may not enter...
            raise UserError(f"cannot be written ({exc.strerror or exc})", path) from None


__all__ = ["OWN_FILES", "OWN_FOLDERS", "check_outputs", "is_project_file"]
