"""project.json: create/open round trip, cameras, atomic saves, corrupt and unreachable folders."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from retail_desktop.errors import ProjectError
from retail_desktop.project import SCHEMA_VERSION, Camera, Project
from retail_desktop.project import atomic as atomic_mod

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert "\n" not in message
    return message


def test_create_open_round_trip(tmp_path):
    folder = tmp_path / "shop"
    with Project.create(folder) as p:
        assert p.path == folder
        assert (folder / "project.json").is_file()
        cam = p.add_camera("Entrance", tmp_path / "videos" / "entrance.mp4")
        cam.offset_s = 2.5
        cam.homography = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        p.settings["stride"] = 3
        p.extra["zones"] = [{"id": "z1"}]  # another layer's data must survive our saves
        p.save()

    data = json.loads((folder / "project.json").read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["cameras"][0]["video"] == str(tmp_path / "videos" / "entrance.mp4")

    with Project.open(folder) as q:
        assert q.settings == {"stride": 3}
        assert q.extra == {"zones": [{"id": "z1"}]}
        assert q.migrated_from is None
        assert q.cameras == [
            Camera("cam1", "Entrance", str(tmp_path / "videos" / "entrance.mp4"), 2.5,
                   [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        ]
    # Opening via the json file itself works too.
    assert Project.open(folder / "project.json").path == folder


def test_open_or_create(tmp_path):
    folder = tmp_path / "a" / "b"
    p = Project.open_or_create(folder)
    p.add_camera("C", "x.mp4")
    q = Project.open_or_create(folder)
    assert [c.name for c in q.cameras] == ["C"]


def test_create_refuses_existing_project(tmp_path):
    Project.create(tmp_path / "p").add_camera("A", "a.mp4")
    before = (tmp_path / "p" / "project.json").read_bytes()
    with pytest.raises(ProjectError, match="already holds a Retail Desktop project") as err:
        Project.create(tmp_path / "p")
    one_line(err)
    assert (tmp_path / "p" / "project.json").read_bytes() == before


def test_create_in_existing_empty_folder(tmp_path):
    Project.create(tmp_path)
    assert (tmp_path / "project.json").exists()


def test_add_camera_reuses_by_name_and_stores_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = Project.create(tmp_path / "p")
    a = p.add_camera("Entrance", "videos/a.mp4")
    assert a.id == "cam1" and a.video == str(tmp_path / "videos" / "a.mp4")
    assert Path(a.video).is_absolute()
    again = p.add_camera("Entrance", "/elsewhere/other.mp4")
    assert again is a and again.video == str(tmp_path / "videos" / "a.mp4")
    b = p.add_camera("Till", "b.mp4")
    assert b.id == "cam2"
    assert p.camera("Till") is b and p.camera("nope") is None
    assert [c.id for c in Project.open(tmp_path / "p").cameras] == ["cam1", "cam2"]
    with pytest.raises(ProjectError, match="camera name"):
        p.add_camera("  ", "c.mp4")


def test_camera_ids_skip_gaps(tmp_path):
    p = Project.create(tmp_path)
    p.cameras.append(Camera("cam7", "Hand edited", "/v.mp4"))
    assert p.add_camera("New", "/w.mp4").id == "cam8"


def test_crash_during_save_keeps_old_file(tmp_path, monkeypatch):
    p = Project.create(tmp_path / "p")
    p.add_camera("A", "a.mp4")
    good = (tmp_path / "p" / "project.json").read_bytes()

    def crash(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(atomic_mod.os, "replace", crash)
    with pytest.raises(ProjectError, match="project.json: cannot be written") as err:
        p.add_camera("B", "b.mp4")
    one_line(err)
    monkeypatch.undo()

    assert (tmp_path / "p" / "project.json").read_bytes() == good
    assert [c.name for c in p.cameras] == ["A"]  # memory rolled back with the failed save
    assert [c.name for c in Project.open(tmp_path / "p").cameras] == ["A"]
    assert not list((tmp_path / "p").glob("*.tmp"))  # temp file cleaned up


def test_crash_during_write_keeps_old_file(tmp_path, monkeypatch):
    """A crash while the temp file is half written (here: fsync blows up) never touches the target."""
    p = Project.create(tmp_path)
    p.settings["x"] = 1
    p.save()
    good = (tmp_path / "project.json").read_bytes()
    monkeypatch.setattr(atomic_mod.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    p.settings["x"] = 2
    with pytest.raises(ProjectError, match="No space left"):
        p.save()
    monkeypatch.undo()
    assert (tmp_path / "project.json").read_bytes() == good
    assert Project.open(tmp_path).settings == {"x": 1}


def test_unserialisable_settings_leave_file_alone(tmp_path):
    p = Project.create(tmp_path)
    good = (tmp_path / "project.json").read_bytes()
    p.settings["bad"] = object()
    with pytest.raises(TypeError):  # a bug in the caller, not a user error
        p.save()
    assert (tmp_path / "project.json").read_bytes() == good


@pytest.mark.parametrize(
    "content",
    [b"{\"schema_version\": 2, \"cameras\": [", b"\x00\xff\xfe garbage \x80", b""],
    ids=["truncated", "binary", "empty"],
)
def test_corrupt_json_is_refused_and_untouched(tmp_path, content):
    Project.create(tmp_path)
    (tmp_path / "project.json").write_bytes(content)
    mtime = (tmp_path / "project.json").stat().st_mtime_ns
    with pytest.raises(ProjectError, match="project.json: is corrupt") as err:
        Project.open(tmp_path)
    one_line(err)
    assert (tmp_path / "project.json").read_bytes() == content
    assert (tmp_path / "project.json").stat().st_mtime_ns == mtime
    with pytest.raises(ProjectError):
        Project.open_or_create(tmp_path)  # must not "create" over a corrupt project either
    assert (tmp_path / "project.json").read_bytes() == content


@pytest.mark.parametrize(
    "data, message",
    [
        ([1, 2], "not a Retail Desktop project file"),
        ({"cameras": []}, "not a Retail Desktop project file"),
        ({"schema_version": "2"}, "schema_version"),
        ({"schema_version": 2, "cameras": {}}, "cameras must be a list"),
        ({"schema_version": 2, "cameras": [{"id": "cam1", "name": "A"}]}, "camera 1 has no 'video'"),
        ({"schema_version": 2, "cameras": [{"id": "cam1", "name": "A", "video": "v", "offset_s": "x"}]}, "offset_s"),
        ({"schema_version": 2, "cameras": [{"id": "cam1", "name": "A", "video": "v", "homography": [[1]]}]}, "homography"),
        ({"schema_version": 2, "cameras": [{"id": "c", "name": "A", "video": "v"}, {"id": "c", "name": "B", "video": "v"}]}, "used twice"),
        ({"schema_version": 2, "settings": []}, "settings must be an object"),
    ],
)
def test_invalid_project_json(tmp_path, data, message):
    raw = json.dumps(data).encode()
    (tmp_path / "project.json").write_bytes(raw)
    with pytest.raises(ProjectError, match=message) as err:
        Project.open(tmp_path)
    one_line(err)
    assert (tmp_path / "project.json").read_bytes() == raw


def test_open_missing_or_not_a_project(tmp_path):
    with pytest.raises(ProjectError, match="does not exist"):
        Project.open(tmp_path / "nope")
    with pytest.raises(ProjectError, match="not a Retail Desktop project"):
        Project.open(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ProjectError, match="not a project folder"):
        Project.open(tmp_path / "file.txt")
    with pytest.raises(ProjectError, match="not a folder"):
        Project.create(tmp_path / "file.txt")


def test_newer_schema_is_refused(tmp_path):
    raw = json.dumps({"schema_version": SCHEMA_VERSION + 1, "cameras": []}).encode()
    (tmp_path / "project.json").write_bytes(raw)
    with pytest.raises(ProjectError, match=rf"written by a newer Retail Desktop \(schema {SCHEMA_VERSION + 1}\)") as err:
        Project.open(tmp_path)
    one_line(err)
    assert (tmp_path / "project.json").read_bytes() == raw


def test_newer_sqlite_is_refused_at_open(tmp_path):
    Project.create(tmp_path)
    conn = sqlite3.connect(tmp_path / "project.sqlite")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ProjectError, match="project.sqlite: was written by a newer Retail Desktop"):
        Project.open(tmp_path)


def test_corrupt_sqlite_is_refused_and_untouched(tmp_path):
    p = Project.create(tmp_path)
    p.store  # a real database first, then destroy it
    p.close()
    garbage = os.urandom(8192)
    (tmp_path / "project.sqlite").write_bytes(garbage)
    for leftover in ("project.sqlite-wal", "project.sqlite-shm"):
        (tmp_path / leftover).unlink(missing_ok=True)
    with pytest.raises(ProjectError, match="project.sqlite: is corrupt") as err:
        Project.open(tmp_path)
    one_line(err)
    assert (tmp_path / "project.sqlite").read_bytes() == garbage


def test_unwritable_parent_under_a_file(tmp_path):
    """Works as root too: nothing can be created below a regular file."""
    (tmp_path / "plain").write_text("not a folder")
    with pytest.raises(ProjectError, match="cannot create the project folder") as err:
        Project.create(tmp_path / "plain" / "shop")
    one_line(err)
    assert (tmp_path / "plain").read_text() == "not a folder"


@pytest.mark.skipif(IS_ROOT, reason="running as root: chmod 0o500 does not stop root from writing")
def test_unwritable_parent_chmod(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ProjectError, match="cannot create the project folder"):
            Project.create(locked / "shop")
    finally:
        locked.chmod(0o700)


@pytest.mark.skipif(IS_ROOT, reason="running as root: chmod 0o500 does not stop root from writing")
def test_readonly_project_folder_save_fails_cleanly(tmp_path):
    p = Project.create(tmp_path / "p")
    good = (tmp_path / "p" / "project.json").read_bytes()
    (tmp_path / "p").chmod(0o500)
    try:
        with pytest.raises(ProjectError, match="cannot be written"):
            p.add_camera("A", "a.mp4")
        assert (tmp_path / "p" / "project.json").read_bytes() == good
    finally:
        (tmp_path / "p").chmod(0o700)
