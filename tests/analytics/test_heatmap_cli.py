"""``retail-desktop heatmap`` on a project with a real video and hand-placed track points."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from datafiles import data_file
from retail_desktop.cli import main
from retail_desktop.project import Project, TrackPoint
from retail_desktop.video import probe


@pytest.fixture
def project(tmp_path):
    video = data_file("multicam/home_hallway_cam2.mp4")
    info = probe(video)
    folder = tmp_path / "shop"
    with Project.create(folder) as p:
        cam = p.add_camera("hall", video)
        cam.offset_s = 10.0
        p.save()
        run = p.store.begin_run(cam.id, {"hand": True}, frames_total=info.frame_count)
        # Track 1 stands with its feet in cell (row 2, col 1) of a 100 px grid for frames 0-29;
        # track 2 in cell (row 5, col 10) for frames 30-59.
        points = [TrackPoint(f, float(info.timestamps[f]), 1, 120, 100, 180, 250, 0.9, "detected") for f in range(30)]
        points += [TrackPoint(f, float(info.timestamps[f]), 2, 1000, 400, 1080, 550, 0.9, "detected")
                   for f in range(30, 60)]
        p.store.commit(run.id, info.frame_count - 1, points)
        p.store.finish_run(run.id, "completed")
    return folder, info


def test_presence_png_and_figures(project, tmp_path, capsys):
    folder, info = project
    out = tmp_path / "heat.png"
    assert main(["heatmap", str(folder), "--out", str(out), "--cell", "100"]) == 0
    line = capsys.readouterr().out
    seconds = float(info.timestamps[60] - info.timestamps[0])  # each frame counts until the next one
    assert f"total {seconds:.2f} person-seconds" in line
    image = cv2.imread(str(out))
    assert image.shape == (info.height, info.width, 3)
    assert image[250, 150].sum() > 0 and image[550, 1050].sum() > 0  # the two cells are lit
    assert image[50, 650].sum() == 0  # nothing elsewhere


def test_window_in_project_time_and_visitors(project, tmp_path, capsys):
    folder, info = project
    out = tmp_path / "v.png"
    # Project time 10.0 = the video's start (offset 10 s): frames 0-29 only -> track 1 only.
    end = 10.0 + float(info.timestamps[29])
    assert main(["heatmap", str(folder), "--out", str(out), "--mode", "visitors", "--cell", "100",
                 "--from", "10", "--to", str(end), "--over-frame"]) == 0
    assert "total 1.00 visitors" in capsys.readouterr().out


def test_bad_input_is_one_line(project, tmp_path, capsys):
    folder, _ = project
    assert main(["heatmap", str(folder), "--out", str(tmp_path / "x.jpg")]) == 2
    assert main(["heatmap", str(folder), "--out", str(tmp_path / "x.png"), "--camera", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "must end in .png" in err[0] and "no camera named 'nope'" in err[1]
