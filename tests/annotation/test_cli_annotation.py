from __future__ import annotations

from collections import Counter

from datafiles import data_file
from retail_desktop.annotation.segments import list_segments
from retail_desktop.cli import main
from retail_desktop.project import Project


def test_prelabel_verb_on_real_ground_truth_tracks(tmp_path, capsys):
    src = data_file("labeled/caviar_lobby/Browse_WhileWaiting1__bww1gt.xml")
    project = tmp_path / "p"
    assert main(["import", str(project), str(src), "--format", "caviar", "--labels", "movement"]) == 0
    assert main(["prelabel", str(project)]) == 0
    out = capsys.readouterr().out
    assert "suggested segments on" in out
    with Project.open(project) as p:
        run = p.store.runs()[0]
        sugg = list_segments(p.store, run.id, status="suggestion")
        imported = list_segments(p.store, run.id, taxonomy="caviar-movement")
        # Suggestions cover every track frame once, never overlap, and leave the imported labels alone.
        frames = Counter((s.track_id, f) for s in sugg for f in range(s.start_frame, s.end_frame + 1))
        assert max(frames.values()) == 1
        assert {s.taxonomy for s in sugg} == {"retail-behaviour"} and {s.source for s in sugg} == {"rule"}
        assert all(s.status == "accepted" and s.source == "import" for s in imported)
        first = [(s.track_id, s.start_frame, s.end_frame, s.label) for s in sugg]
    assert main(["prelabel", str(project), "--setting", "dwell_s=4"]) == 0
    assert "replaced" in capsys.readouterr().out
    with Project.open(project) as p:
        again = [(s.track_id, s.start_frame, s.end_frame, s.label)
                 for s in list_segments(p.store, p.store.runs()[0].id, status="suggestion")]
    assert again == first


def test_prelabel_verb_errors(tmp_path, capsys):
    project = tmp_path / "p"
    Project.create(project).close()
    assert main(["prelabel", str(project)]) == 2
    assert "no cameras" in capsys.readouterr().err
    assert main(["prelabel", str(project), "--setting", "dwel_s=3"]) == 2
    err = capsys.readouterr().err
    assert "unknown pre-label setting" in err and len(err.strip().splitlines()) == 1
    for argv, words in ((["--setting", "dwell_s"], "expected KEY=NUMBER"),
                        (["--model", "retail-behavior/1"], "needs --source model"),
                        (["--source", "model", "--setting", "dwell_s=3"], "does not apply")):
        assert main(["prelabel", str(project), *argv]) == 2
        assert words in capsys.readouterr().err


def test_export_cvat_needs_a_taxonomy_when_labels_are_mixed(tmp_path, capsys):
    src = data_file("labeled/caviar_lobby/Walk1__wk1gt.xml")
    project = tmp_path / "p"
    assert main(["import", str(project), str(src), "--format", "caviar", "--labels", "movement"]) == 0
    assert main(["prelabel", str(project)]) == 0
    with Project.open(project) as p:
        from retail_desktop.annotation.editing import AnnotationModel

        run = p.store.runs()[0]
        m = AnnotationModel(p.store, run.id, "retail-behaviour", "ann")
        s = list_segments(p.store, run.id, status="suggestion")[0]
        m.accept(s.id)
    capsys.readouterr()
    out = tmp_path / "x.xml"
    assert main(["export", str(project), "--format", "cvat", "--out", str(out)]) == 2
    assert "several taxonomies" in capsys.readouterr().err and not out.exists()
    assert main(["export", str(project), "--format", "cvat", "--out", str(out), "--taxonomy", "retail-behaviour"]) == 0
    assert "with a behaviour label" in capsys.readouterr().out
    text = out.read_text()
    assert f">{s.label}</attribute>" in text and ">walking</attribute>" not in text


def test_prelabel_from_model_without_predictions_is_a_clear_error(tmp_path, capsys):
    src = data_file("labeled/caviar_lobby/Walk1__wk1gt.xml")
    project = tmp_path / "p"
    assert main(["import", str(project), str(src), "--format", "caviar"]) == 0
    capsys.readouterr()
    assert main(["prelabel", str(project), "--source", "model"]) == 2
    err = capsys.readouterr().err
    assert "no behaviour predictions" in err and len(err.strip().splitlines()) == 1


def test_export_cvat_problems(tmp_path, capsys):
    project = tmp_path / "p"
    with Project.create(project) as p:
        p.add_camera("door", str(tmp_path / "door.mp4"))
        p.add_camera("till", str(tmp_path / "till.mp4"))
    out = tmp_path / "x.xml"
    assert main(["export", str(project), "--format", "cvat", "--out", str(out)]) == 2
    assert "several cameras" in capsys.readouterr().err
    assert main(["export", str(project), "--format", "cvat", "--out", str(out), "--camera", "door"]) == 2
    assert "no completed analysis" in capsys.readouterr().err
    assert main(["export", str(project), "--format", "cvat", "--out", str(tmp_path), "--camera", "door"]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert not out.exists()
