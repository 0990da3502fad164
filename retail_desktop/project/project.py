"""A project folder: ``project.json`` for what people read and edit, ``project.sqlite`` for bulk data.

The split keeps the part a user may want to inspect, diff or fix by hand (cameras, settings) in a
small text file, and the millions of track points in a database that can take a write every second
during an analysis without rewriting everything.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any

from ..errors import ProjectError
from .atomic import atomic_write_bytes, atomic_write_text
from .migrations import SCHEMA_VERSION, migrate_json, newer_schema_error
from .model import Camera
from .store import Store

JSON_NAME = "project.json"
SQLITE_NAME = "project.sqlite"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_KNOWN_KEYS = ("schema_version", "cameras", "settings")


def _check_sqlite_header(path: Path) -> None:
    """Refuse a garbage or newer database at open time, before anything else gets written.

    Reads only the 100-byte header (magic string, and ``user_version`` at offset 60), so opening a
    project stays instant however big its database is. The store checks properly when opened.
    """
    try:
        with open(path, "rb") as fh:
            header = fh.read(100)
    except FileNotFoundError:
        return  # created on first use
    except OSError as exc:
        raise ProjectError(f"cannot be read ({exc.strerror or exc})", path) from exc
    if not header:
        return  # an empty file is a valid empty database
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise ProjectError("is corrupt (not an SQLite database); restore it from a backup or move it away", path)
    version = int.from_bytes(header[60:64], "big")
    if version > SCHEMA_VERSION:
        raise newer_schema_error(path, version)


class Project:
    """An open project. Build it with :meth:`create`, :meth:`open` or :meth:`open_or_create`.

    Changes to ``cameras``/``settings`` reach the disk on :meth:`save` (``add_camera`` saves by
    itself); nothing is saved implicitly on close, so closing never overwrites a file by surprise.
    Top-level keys of ``project.json`` that this version does not know are kept in ``extra`` and
    written back, so that other parts of the app (zones, floor plan) can store theirs.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "shop"
    >>> with Project.create(folder) as p:
    ...     cam = p.add_camera("Entrance", "/videos/entrance.mp4")
    >>> Project.open(folder).camera("Entrance").id
    'cam1'
    """

    def __init__(
        self,
        path: str | Path,
        cameras: list[Camera] | None = None,
        settings: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ):
        self.path = Path(path)
        self.cameras: list[Camera] = list(cameras or [])
        self.settings: dict[str, Any] = dict(settings or {})
        self.extra: dict[str, Any] = dict(extra or {})
        #: Schema version the project had on disk before this open upgraded it (None: no upgrade),
        #: and where the pre-upgrade ``project.json`` was kept, so the GUI can tell the user.
        self.migrated_from: int | None = None
        self.backup_path: Path | None = None
        self._store: Store | None = None
        self._lock = threading.RLock()

    # --------------------------------------------------------------------------- construction

    @property
    def json_path(self) -> Path:
        return self.path / JSON_NAME

    @property
    def sqlite_path(self) -> Path:
        return self.path / SQLITE_NAME

    @staticmethod
    def _folder(path: str | Path) -> Path:
        """The absolute project folder, after checking it can be looked at at all: Path.exists() lets
        errors other than "not there" escape (a name too long, a parent folder the user cannot enter)."""
        folder = Path(os.path.abspath(os.path.expanduser(os.fspath(path))))
        for probe in (folder, folder / JSON_NAME):
            try:
                os.stat(probe)
            except (FileNotFoundError, NotADirectoryError):
                pass
            except OSError as exc:
                raise ProjectError(f"cannot be accessed ({exc.strerror or exc})", folder) from exc
        return folder

    @classmethod
    def create(cls, path: str | Path) -> Project:
        """Make a new, empty project in ``path`` (created if missing; an existing folder that is not
        yet a project is fine). An existing project is never overwritten."""
        folder = cls._folder(path)
        if folder.exists() and not folder.is_dir():
            raise ProjectError("exists and is not a folder", folder)
        if (folder / JSON_NAME).exists():
            raise ProjectError("already holds a Retail Desktop project; open it instead", folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProjectError(f"cannot create the project folder ({exc.strerror or exc})", folder) from exc
        project = cls(folder)
        project.save()
        return project

    @classmethod
    def open(cls, path: str | Path) -> Project:
        """Open an existing project (the folder, or its ``project.json``), upgrading an older one.

        An upgrade keeps the old file as ``project.json.v<N>.bak`` next to it. Nothing is written
        when the project is corrupt, invalid or from a newer release.
        """
        folder = cls._folder(path)
        if folder.name == JSON_NAME and folder.is_file():
            folder = folder.parent
        if not folder.exists():
            raise ProjectError("does not exist", folder)
        if not folder.is_dir():
            raise ProjectError("is not a project folder (a project is a folder holding project.json)", folder)
        json_path = folder / JSON_NAME
        if not json_path.is_file():
            raise ProjectError(f"is not a Retail Desktop project (no {JSON_NAME} in it)", folder)
        try:
            raw = json_path.read_bytes()
        except OSError as exc:
            raise ProjectError(f"cannot be read ({exc.strerror or exc})", json_path) from exc
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ProjectError(
                f"is corrupt (not valid JSON: {exc}); fix it or restore a backup", json_path
            ) from exc
        if not isinstance(data, dict) or "schema_version" not in data:
            raise ProjectError("is not a Retail Desktop project file (no schema_version)", json_path)
        version = data["schema_version"]
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ProjectError(f"is invalid (schema_version {version!r} is not a positive integer)", json_path)
        if version > SCHEMA_VERSION:
            raise newer_schema_error(json_path, version)
        _check_sqlite_header(folder / SQLITE_NAME)

        migrated = migrate_json(data, json_path) if version < SCHEMA_VERSION else data
        project = cls._from_data(folder, migrated, json_path)
        if version < SCHEMA_VERSION:
            # Keep the old file before replacing it: an older release can then still open the
            # backup, and a faulty upgrade step cannot destroy the user's only copy.
            project.backup_path = cls._write_backup(json_path, raw, version)
            project.migrated_from = version
            project.save()
        return project

    @classmethod
    def open_or_create(cls, path: str | Path) -> Project:
        folder = cls._folder(path)
        if folder.name == JSON_NAME and folder.is_file():
            return cls.open(folder)
        if (folder / JSON_NAME).exists():
            return cls.open(folder)
        return cls.create(folder)

    @classmethod
    def _from_data(cls, folder: Path, data: dict[str, Any], json_path: Path) -> Project:
        cameras_data = data.get("cameras", [])
        if not isinstance(cameras_data, list):
            raise ProjectError("is invalid (cameras must be a list)", json_path)
        cameras = []
        for i, entry in enumerate(cameras_data, start=1):
            try:
                cameras.append(Camera.from_dict(entry))
            except KeyError as exc:
                raise ProjectError(f"is invalid (camera {i} has no {exc.args[0]!r})", json_path) from exc
            except (TypeError, ValueError) as exc:
                raise ProjectError(f"is invalid (camera {i}: {exc})", json_path) from exc
        for attr in ("id", "name"):
            values = [getattr(c, attr) for c in cameras]
            dupes = sorted({v for v in values if values.count(v) > 1})
            if dupes:
                raise ProjectError(f"is invalid (camera {attr} {dupes[0]!r} is used twice)", json_path)
        settings = data.get("settings", {})
        if not isinstance(settings, dict):
            raise ProjectError("is invalid (settings must be an object)", json_path)
        extra = {k: v for k, v in data.items() if k not in _KNOWN_KEYS}
        return cls(folder, cameras, settings, extra)

    @staticmethod
    def _write_backup(json_path: Path, raw: bytes, version: int) -> Path:
        # Never overwrite an existing backup with different content: it may be the only copy of
        # an even older state.
        n = 1
        while True:
            name = f"{JSON_NAME}.v{version}.bak" if n == 1 else f"{JSON_NAME}.v{version}.{n}.bak"
            backup = json_path.with_name(name)
            try:
                if not backup.exists():
                    atomic_write_bytes(backup, raw)
                    return backup
                if backup.read_bytes() == raw:
                    return backup
            except OSError as exc:
                raise ProjectError(f"cannot be backed up before upgrading ({exc.strerror or exc})", backup) from exc
            n += 1

    # ---------------------------------------------------------------------------------- saving

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "cameras": [c.to_dict() for c in self.cameras],
            "settings": self.settings,
        }
        for key, value in self.extra.items():
            data.setdefault(key, value)
        return data

    def save(self) -> None:
        """Write ``project.json`` atomically: after a crash it is either the old or the new file.

        Serialising happens before any file is touched, so a value that is not JSON (a bug) fails
        without leaving anything behind.
        """
        with self._lock:
            text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
            atomic_write_text(self.json_path, text)

    # --------------------------------------------------------------------------------- cameras

    def camera(self, name: str) -> Camera | None:
        return next((c for c in self.cameras if c.name == name), None)

    def camera_by_id(self, camera_id: str) -> Camera | None:
        return next((c for c in self.cameras if c.id == camera_id), None)

    def _next_camera_id(self) -> str:
        # One above the highest number, not len()+1: hand-edited files may have gaps, and an id
        # must never collide with an existing camera's (runs in the database are keyed by it).
        numbers = [int(m.group(1)) for c in self.cameras if (m := re.fullmatch(r"cam(\d+)", c.id))]
        return f"cam{max(numbers, default=0) + 1}"

    def add_camera(self, name: str, video: str | Path) -> Camera:
        """Add a camera and save; a camera of that name already there is returned unchanged, so
        re-running an import is harmless. The video path is stored absolute."""
        if not isinstance(name, str) or not name.strip():
            raise ProjectError(f"camera name must not be empty (got {name!r})", self.json_path)
        name = name.strip()
        with self._lock:
            existing = self.camera(name)
            if existing is not None:
                return existing
            video_path = os.path.abspath(os.path.expanduser(os.fspath(video)))
            camera = Camera(id=self._next_camera_id(), name=name, video=video_path)
            self.cameras.append(camera)
            try:
                self.save()
            except BaseException:
                self.cameras.remove(camera)  # memory must not claim what the disk does not hold
                raise
            return camera

    # ----------------------------------------------------------------------------------- store

    @property
    def store(self) -> Store:
        """The project database, opened (and upgraded if needed) on first use."""
        with self._lock:
            if self._store is None:
                self._store = Store(self.sqlite_path)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Project({str(self.path)!r}, cameras={[c.name for c in self.cameras]!r})"
