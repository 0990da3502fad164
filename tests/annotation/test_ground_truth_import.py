"""CAVIAR CVML reading and ground-truth import (the base the metrics and annotation tests stand on)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from retail_desktop.annotation.caviar import read_caviar
from retail_desktop.annotation.segments import label_runs, list_segments
from retail_desktop.annotation.track_import import import_caviar, import_mot
from retail_desktop.cli import main
from retail_desktop.errors import UserError
from retail_desktop.project import Project
from tests.datafiles import data_file

WALK1 = "labeled/caviar_lobby/Walk1__wk1gt.xml"


def _plain_boxes(path):
    """Independent reading: every <object> of every <frame>, attributes as written."""
    out = {}
    for frame in ET.parse(path).getroot().iter("frame"):
        for obj in frame.iter("object"):
            box = obj.find("box")
            out[(int(frame.get("number")), int(obj.get("id")))] = (
                float(box.get("xc")), float(box.get("yc")), float(box.get("w")), float(box.get("h")),
                obj.find("hypothesislist/hypothesis/movement").text.strip(),
            )
    return out


def test_caviar_reader_keeps_every_box_with_w_as_vertical_extent():
    path = data_file(WALK1)
    df = read_caviar(path)
    plain = _plain_boxes(path)
    assert len(df) == len(plain) > 1000
    for row in df.itertuples():
        xc, yc, w, h, movement = plain[(row.frame, row.track_id)]
        assert (row.x1 + row.x2) / 2 == pytest.approx(xc) and (row.y1 + row.y2) / 2 == pytest.approx(yc)
        assert row.y2 - row.y1 == pytest.approx(w) and row.x2 - row.x1 == pytest.approx(h)
        assert row.movement == movement
    # The reading the module documents: boxes are mostly taller than wide with w as the height.
    heights, widths = df.y2 - df.y1, df.x2 - df.x1
    assert (heights > widths).mean() > 0.9


@pytest.mark.parametrize("text, where", [
    ('<dataset name="x"><frame number="0"><objectlist><object id="1"><box xc="1"', "line 1"),
    ('<dataset name="x">\n<frame number="0">\n</dataset>', "line 3"),
])
def test_broken_xml_names_the_line(tmp_path, text, where):
    bad = tmp_path / "bad.xml"
    bad.write_text(text)
    with pytest.raises(UserError, match=where):
        read_caviar(bad)


def test_not_cvml_is_refused(tmp_path):
    other = tmp_path / "other.xml"
    other.write_text("<annotations><track id='1'/></annotations>")
    with pytest.raises(UserError, match="not a CAVIAR CVML file"):
        read_caviar(other)


def test_label_runs_split_on_label_change_and_gaps():
    assert label_runs([5, 6, 7, 9, 10], ["a", "a", "b", "b", "b"]) == [(5, 6, "a"), (7, 7, "b"), (9, 10, "b")]
    assert label_runs([1, 2, 3], ["a", "", "a"]) == [(1, 1, "a"), (3, 3, "a")]
    assert label_runs([], []) == []


def test_caviar_import_stores_tracks_and_label_runs_once(tmp_path):
    path = data_file(WALK1)
    plain = _plain_boxes(path)
    with Project.create(tmp_path / "p") as project:
        result = import_caviar(project, path, labels="movement")
        again = import_caviar(project, path, labels="movement")
        assert again.already_imported and again.run.id == result.run.id
        store = project.store
        df = store.track_array(result.run.id)
        assert len(df) == len(plain) and store.count_points(result.run.id) == len(plain)
        assert np.allclose(df.time_s, df.frame / 25.0)
        segs = list_segments(store, result.run.id)
        # Labelled frames per class equal the XML's count of boxes with that movement label.
        per_class: dict[str, int] = {}
        for s in segs:
            per_class[s.label] = per_class.get(s.label, 0) + s.n_frames
        expected: dict[str, int] = {}
        for *_, movement in plain.values():
            expected[movement] = expected.get(movement, 0) + 1
        assert per_class == expected
        assert project.camera("Walk1__wk1gt").extra["frame_size"] == [384, 288]


def test_mot_import_reads_seqinfo_and_shifts_frames(tmp_path):
    gt = data_file("labeled/mot15/TUD-Campus/gt/gt.txt")
    with Project.create(tmp_path / "p") as project:
        result = import_mot(project, gt)
        df = project.store.track_array(result.run.id)
    lines = [l.split(",") for l in gt.read_text().splitlines() if l.strip()]
    assert len(df) == len(lines)
    assert df.frame.min() == min(int(l[0]) for l in lines) - 1
    assert result.camera == "TUD-Campus" and result.tracks == len({l[1] for l in lines})


def test_import_verb_errors_are_one_line(tmp_path, capsys):
    assert main(["import", str(tmp_path / "p"), str(tmp_path / "missing.xml"), "--format", "caviar"]) == 2
    err = capsys.readouterr().err
    assert "missing.xml" in err and "not found" in err and "Traceback" not in err
    bad = tmp_path / "half.xml"
    bad.write_text('<dataset name="x"><frame number="0"><objectlist>')
    assert main(["import", str(tmp_path / "p"), str(bad), "--format", "caviar"]) == 2
    assert "line 1" in capsys.readouterr().err
    # A refused import into a folder that did not exist leaves nothing behind.
    assert not (tmp_path / "p").exists()


def test_caviar_import_takes_fps_and_size_from_the_command_line(tmp_path, capsys):
    path = data_file(WALK1)
    assert main(["import", str(tmp_path / "p"), str(path), "--format", "caviar", "--fps", "12.5",
                 "--size", "768x576"]) == 0
    with Project.open(tmp_path / "p") as project:
        cam = project.camera("Walk1__wk1gt")
        assert cam.extra["frame_rate"] == 12.5 and cam.extra["frame_size"] == [768, 576]
        df = project.store.track_array(project.store.latest_run(cam.id).id)
        assert np.allclose(df.time_s, df.frame / 12.5)


def test_importing_the_same_clip_again_never_hides_its_labels(tmp_path):
    """Break-it finding: a re-import without --labels used to make a new, unlabelled run current."""
    path = data_file(WALK1)
    with Project.create(tmp_path / "p") as project:
        first = import_caviar(project, path, labels="movement")
        n = first.segments
        assert n > 0
        plain = import_caviar(project, path)  # --labels none
        assert plain.already_imported and plain.run.id == first.run.id and "nothing changed" in plain.line()
        situation = import_caviar(project, path, labels="situation")  # another taxonomy: added to the same run
        assert situation.already_imported and situation.run.id == first.run.id and situation.segments > 0
        assert "added" in situation.line() and "caviar-situation" in situation.line()
        again = import_caviar(project, path, labels="situation")
        assert again.segments == 0 and "nothing changed" in again.line()
        current = project.store.latest_run(project.camera(first.camera).id)
        assert current.id == first.run.id
        taxa = {s.taxonomy for s in list_segments(project.store, current.id)}
        assert taxa == {"caviar-movement", "caviar-situation"}
        assert len(list_segments(project.store, current.id, taxonomy="caviar-movement")) == n
        # Another clip into the same camera: allowed (the user chose --camera), and it says what it hides.
        other = import_caviar(project, data_file("labeled/caviar_lobby/Browse1__br1gt.xml"), camera=first.camera)
        assert other.run.id != first.run.id and other.superseded == (first.run.id, len(list_segments(
            project.store, first.run.id)))
        assert "no longer this camera's current run" in other.line()


def test_a_frame_size_the_boxes_do_not_fit_is_refused(tmp_path):
    with Project.create(tmp_path / "p") as project:
        with pytest.raises(UserError, match="check --size"):
            import_caviar(project, data_file(WALK1), size=(10, 10))
        assert not project.cameras  # nothing added
