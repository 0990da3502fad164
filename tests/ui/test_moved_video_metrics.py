"""A camera whose video was moved must not take the project's figures down (issue 3: "the rest of the
project keeps working"). Uses the analysed multicam project of tests/ui (two real cameras); no Qt."""

from __future__ import annotations

import csv
import json

from retail_desktop.analytics.zones import Zone, save_zones
from retail_desktop.cli import main
from retail_desktop.project import Project


def _zone_both_cameras(folder):
    with Project.open(folder) as project:
        zones = [Zone(name=f"floor{i}", kind="area", purpose="other", camera_id=cam.id,
                      points=[(0.0, 0.0), (1279.0, 0.0), (1279.0, 719.0), (0.0, 719.0)])
                 for i, cam in enumerate(project.cameras)]
        save_zones(project, zones)
        return [cam.name for cam in project.cameras]


def _move_video(folder, camera_name, tmp_path):
    data = json.loads((folder / "project.json").read_text())
    for cam in data["cameras"]:
        if cam["name"] == camera_name:
            cam["video"] = str(tmp_path / "moved-away" / "gone.mp4")
    (folder / "project.json").write_text(json.dumps(data))


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_metrics_of_a_project_with_a_moved_video(multicam_project, tmp_path, capsys):
    names = _zone_both_cameras(multicam_project)
    before = tmp_path / "before.csv"
    assert main(["metrics", str(multicam_project), "--out", str(before)]) == 0
    expected = {r["camera"]: r for r in _rows(before)}
    assert set(expected) == set(names) and int(expected[names[0]]["visitors"]) >= 1

    _move_video(multicam_project, names[1], tmp_path)
    # Runs made by this version keep the frame rate: every figure is still there, unchanged.
    with Project.open(multicam_project) as project:
        runs = {c.name: project.store.latest_run(c.id, status="completed") for c in project.cameras}
        fps_kept = all(r.summary.get("video_fps") for r in runs.values())
    after = tmp_path / "after.csv"
    assert main(["metrics", str(multicam_project), "--out", str(after)]) == 0
    got = {r["camera"]: r for r in _rows(after)}
    assert got[names[0]] == expected[names[0]]
    if fps_kept:
        assert got[names[1]] == expected[names[1]]

    # A run that does not know its frame rate needs the video: that camera alone is skipped, with a note.
    with Project.open(multicam_project) as project:
        cam = project.camera(names[1])
        run = project.store.latest_run(cam.id, status="completed")
        summary = {k: v for k, v in run.summary.items() if k != "video_fps"}
        project.store.finish_run(run.id, "completed", summary)
    capsys.readouterr()
    third = tmp_path / "third.csv"
    assert main(["metrics", str(multicam_project), "--out", str(third)]) == 0
    out, err = capsys.readouterr()
    got = {r["camera"]: r for r in _rows(third)}
    assert set(got) == {names[0]} and got[names[0]] == expected[names[0]]
    assert f"camera '{names[1]}' skipped" in out + err and "gone.mp4" in out + err
