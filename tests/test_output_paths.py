"""No verb writes over the project's own files; outputs are checked before any work (break-it findings)."""

from __future__ import annotations

import pytest

from datafiles import data_file
from retail_desktop.cli import main
from retail_desktop.project.outputs import check_outputs, is_project_file
from retail_desktop.errors import UserError


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    from retail_desktop.annotation.track_import import import_caviar
    from retail_desktop.project import Project

    folder = tmp_path_factory.mktemp("out") / "shop"
    with Project.create(folder) as project:
        import_caviar(project, data_file("labeled/caviar_lobby/Walk1__wk1gt.xml"), labels="movement")
    return folder


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


@pytest.mark.parametrize("argv", [
    ["export", "{p}", "--format", "csv", "--out", "{p}/project.json"],
    ["export", "{p}", "--format", "mot", "--out", "{p}/project.sqlite"],
    ["export", "{p}", "--format", "sequences", "--out", "{p}/project.sqlite"],
    ["export", "{p}", "--format", "cvat", "--out", "{p}/project.json"],
    ["metrics", "{p}", "--out", "{p}/project.sqlite"],
    ["metrics", "{p}", "--out", "{p}/m.csv", "--transitions", "{p}/project.json"],
    ["metrics", "{p}", "--out", "{p}/m.csv", "--transitions", "{p}/m.csv"],
    ["zones", "{p}", "export", "{p}/project.json"],
    ["heatmap", "{p}", "--out", "{p}/mlflow.db"],
    ["export", "{p}", "--format", "csv", "--out", "{p}/mlruns/x.csv"],
])
def test_an_output_over_the_projects_own_files_is_refused_and_nothing_changes(shop, capsys, argv):
    before = _snapshot(shop)
    code = main([a.format(p=shop) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "project's own files" in err or "given twice" in err
    assert _snapshot(shop) == before and not (shop / "m.csv").exists()


def test_outputs_are_checked_before_anything_is_written(shop, tmp_path, capsys):
    good = tmp_path / "m.csv"
    good.write_text("keep me")
    code = main(["metrics", str(shop), "--out", str(good), "--transitions", str(tmp_path / "nowhere" / "t.csv")])
    assert code == 2 and "does not exist" in capsys.readouterr().err
    assert good.read_text() == "keep me"  # the first output was not overwritten before the second failed


def test_exports_inside_the_project_folder_are_allowed(shop, capsys):
    (shop / "exports").mkdir(exist_ok=True)
    assert main(["export", str(shop), "--format", "csv", "--out", str(shop / "exports" / "tracks.csv")]) == 0
    assert (shop / "exports" / "tracks.csv").stat().st_size > 0
    assert not is_project_file(shop / "exports" / "project.json", shop)
    assert is_project_file(shop / "project.json.v1.bak", shop)
    with pytest.raises(UserError, match="is a folder"):
        check_outputs(shop, shop / "exports")


ZONE = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "door", '
        '"camera": "Walk1__wk1gt"}, "geometry": {"type": "Polygon", "coordinates": '
        '[[[10, 10], [300, 10], [300, 280], [10, 280], [10, 10]]]}}]}')


@pytest.fixture
def zoned(shop, tmp_path):
    import shutil

    folder = tmp_path / "zoned"
    shutil.copytree(shop, folder, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    (tmp_path / "z.geojson").write_text(ZONE)
    assert main(["zones", str(folder), "import", str(tmp_path / "z.geojson")]) == 0
    return folder


def _damaged(folder, edit):
    import json

    data = json.loads((folder / "project.json").read_text())
    edit(data)
    (folder / "project.json").write_text(json.dumps(data))
    return folder


@pytest.mark.parametrize("edit, argv, words", [
    (lambda d: d.__setitem__("zones", 5), ["classify", "{p}"], "zones must be a list"),
    (lambda d: d["cameras"][0].__setitem__("frame_size", "big"), ["zones", "{p}", "import", "{z}"], "frame_size"),
    (lambda d: d["cameras"][0].__setitem__("frame_rate", -3), ["metrics", "{p}", "--out", "{o}"], "frame_rate"),
    (lambda d: d["cameras"][0].__setitem__("frame_rate", "fast"), ["metrics", "{p}", "--out", "{o}"], "frame_rate"),
])
def test_damaged_camera_entries_are_one_line_errors(zoned, tmp_path, capsys, edit, argv, words):
    folder = _damaged(zoned, edit)
    before = (folder / "project.json").read_bytes()
    code = main([a.format(p=folder, z=tmp_path / "z.geojson", o=tmp_path / "m.csv") for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err, err
    assert (folder / "project.json").read_bytes() == before


def test_a_bin_shorter_than_a_frame_is_refused(zoned, tmp_path, capsys):
    code = main(["metrics", str(zoned), "--out", str(tmp_path / "m.csv"), "--bin", "0.0001"])
    err = capsys.readouterr().err
    assert code == 2 and "shorter than one frame" in err, err
    assert main(["metrics", str(zoned), "--out", str(tmp_path / "m.csv"), "--bin", "1"]) == 0
