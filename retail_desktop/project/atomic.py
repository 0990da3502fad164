"""Crash-safe file replacement.

A power cut or crash during a plain ``open(path, "w")`` leaves a truncated file, and the user loses
the project. Writing a temporary file beside the target, forcing it to disk, then renaming it over
the target means a reader only ever sees the whole old file or the whole new one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import ProjectError


def _fsync_dir(folder: Path) -> None:
    # The rename lives in the directory entry; without this a crash right after os.replace can
    # bring back the old name on some file systems. Windows cannot open a directory for fsync.
    # Best effort: the data itself is already safe, and some file systems (network shares, FUSE)
    # refuse to fsync a directory, which must not turn a good save into an error.
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash never leaves a partial file.

    The temporary file is in the same folder (a rename is only atomic within one file system) and is
    removed again if anything fails. ``OSError`` (permissions, disk full...) becomes ``ProjectError``.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.json"
    >>> atomic_write_bytes(p, b"{}")
    >>> p.read_bytes()
    b'{}'
    """
    path = Path(path)
    folder = path.parent
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        # mkstemp makes the file private (0600); give it the mode a plain open() would, so a project
        # shared between users stays readable, or keep the mode of the file being replaced.
        try:
            mode = os.stat(path).st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_UMASK
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
        _fsync_dir(folder)
    except OSError as exc:
        raise ProjectError(f"cannot be written ({exc.strerror or exc})", path) from exc
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


def atomic_write_text(path: str | Path, text: str) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))
