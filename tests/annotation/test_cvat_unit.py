"""CVAT for video 1.1 reading on hand-written files: CVAT's keyframe interpolation, refusals."""

from __future__ import annotations

import pytest

from retail_desktop.annotation.cvat import import_cvat, read_cvat
from retail_desktop.annotation.segments import list_segments
from retail_desktop.errors import UserError
from retail_desktop.project import Project

SPARSE = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task><size>30</size><stop_frame>22</stop_frame><original_size><width>640</width><height>480</height></original_size></task></meta>
  <track id="3" label="person" source="manual">
    <box frame="0" outside="0" occluded="0" keyframe="1" xtl="0" ytl="0" xbr="10" ybr="20" z_order="0">
      <attribute name="behaviour">hesitant</attribute></box>
    <box frame="10" outside="0" occluded="0" keyframe="1" xtl="10" ytl="0" xbr="20" ybr="20" z_order="0">
      <attribute name="behaviour">decisive</attribute></box>
    <box frame="15" outside="1" occluded="0" keyframe="1" xtl="10" ytl="0" xbr="20" ybr="20" z_order="0"/>
    <box frame="20" outside="0" occluded="0" keyframe="1" xtl="50" ytl="0" xbr="60" ybr="20" z_order="0">
      <attribute name="behaviour">unlabelled</attribute></box>
  </track>
</annotations>
"""


def test_keyframes_are_interpolated_like_cvat_and_labels_hold(tmp_path):
    path = tmp_path / "task.xml"
    path.write_text(SPARSE)
    data = read_cvat(path)
    assert data.size == (640, 480) and data.fps is None
    b = data.boxes
    assert b["frame"].tolist() == list(range(0, 15)) + [20, 21, 22]
    assert b.loc[b.frame == 5, "x1"].item() == pytest.approx(5.0)
    assert b.loc[b.frame == 13, "x1"].item() == pytest.approx(10.0)  # held until the 'outside' box
    assert b.loc[b.frame == 22, "x1"].item() == pytest.approx(50.0)  # held to the task's last frame
    assert b.loc[b.frame == 5, "source"].item() == "interpolated" and b.loc[b.frame == 10, "source"].item() == "manual"
    assert b["label"].tolist() == ["hesitant"] * 10 + ["decisive"] * 5 + [""] * 3
    with pytest.raises(UserError, match="frame rate unknown"):
        with Project.create(tmp_path / "p") as p:
            import_cvat(p, path)
    with Project.open(tmp_path / "p") as p:
        r = import_cvat(p, path, fps=10)
        segs = list_segments(p.store, r.run.id)
        assert [(s.start_frame, s.end_frame, s.label, s.taxonomy) for s in segs] == [
            (0, 9, "hesitant", "retail-behaviour"), (10, 14, "decisive", "retail-behaviour")]
        assert p.camera("task").extra["frame_rate"] == 10


@pytest.mark.parametrize("text, message", [
    ('<annotations><version>1.1</version><image id="0" name="a.jpg"/></annotations>', "CVAT for images"),
    ("<dataset/>", "not a CVAT annotation file"),
    ("<annotations><version>1.1</version></annotations>", "no <track> elements"),
    (SPARSE.replace('frame="10"', 'frame="ten"'), "whole-number frame"),
    (SPARSE.replace('frame="10"', 'frame="0"'), "two boxes on frame 0"),
    (SPARSE.replace(">decisive<", ">walking<"), "fit no known taxonomy"),
])
def test_refusals(text, message, tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text(text)
    with Project.create(tmp_path / "p") as p:
        with pytest.raises(UserError, match=message):
            import_cvat(p, path, fps=25)
        assert p.cameras == [] and p.store.runs() == []
