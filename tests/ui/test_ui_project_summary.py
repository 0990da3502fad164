"""What the window reads from a project folder, through the project package or plain JSON."""

from __future__ import annotations

import json

import pytest

from retail_desktop.errors import ProjectError
from retail_desktop.ui import project_summary
from retail_desktop.ui.project_summary import FALLBACK_NOTE, read_project_summary


def test_reads_cameras_of_a_real_project(project_dir, tmp_path):
    summary = read_project_summary(project_dir)
    assert summary.name == "shop"
    assert [c.label for c in summary.cameras] == ["Checkout", "Entrance"]
    checkout, entrance = summary.cameras
    assert checkout.videos == (str(tmp_path / "checkout.mp4"),) and checkout.missing == ()
    assert entrance.missing == (str(tmp_path / "missing.mp4"),)


def test_falls_back_to_plain_json(tmp_path, monkeypatch):
    monkeypatch.setattr(project_summary, "_project_class", lambda: None)
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "project.json").write_text(
        json.dumps({"name": "Corner shop", "cameras": [{"id": "c1", "name": "Door", "videos": ["a.mp4"], "offset_s": 2}]})
    )
    summary = read_project_summary(folder)
    assert summary.name == "Corner shop" and summary.note == FALLBACK_NOTE
    (camera,) = summary.cameras
    assert (camera.id, camera.label, camera.videos, camera.offset_s) == ("c1", "Door", ("a.mp4",), 2.0)
    assert camera.missing == ("a.mp4",)


@pytest.mark.parametrize("fallback", [False, True])
def test_not_a_project_is_a_user_error(tmp_path, monkeypatch, fallback):
    if fallback:
        monkeypatch.setattr(project_summary, "_project_class", lambda: None)
    with pytest.raises(ProjectError):
        read_project_summary(tmp_path / "nowhere")
    with pytest.raises(ProjectError, match="project.json"):
        read_project_summary(tmp_path)
    (tmp_path / "project.json").write_text("{not json")
    with pytest.raises(ProjectError):
        read_project_summary(tmp_path)
