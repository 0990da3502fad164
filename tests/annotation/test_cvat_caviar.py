"""Acceptance: CAVIAR ground truth -> project -> CVAT XML -> new project, on the shared lobby clips.

Expected values are computed here from the XML files with plain ElementTree (not with the app's
readers), so a bug in a reader cannot hide itself.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from datafiles import DATA_DIR, data_file
from retail_desktop.annotation.segments import list_segments
from retail_desktop.cli import main
from retail_desktop.project import Project

CAVIAR = "labeled/caviar_lobby"
FILES = sorted(p.name for p in (DATA_DIR / CAVIAR).glob("*.xml")) or ["Walk1__wk1gt.xml"]


def cvml_truth(path: Path, field: str = "movement"):
    """Independent reading of a CVML file: {track: {frame: (xc, yc, w, h, label)}}."""
    out: dict[int, dict[int, tuple]] = {}
    for fr in ET.parse(path).getroot().iter("frame"):
        f = int(fr.get("number"))
        for obj in fr.findall("objectlist/object"):
            b = obj.find("box")
            lab = (obj.findtext(f"hypothesislist/hypothesis/{field}") or "").strip()
            out.setdefault(int(obj.get("id")), {})[f] = tuple(float(b.get(k)) for k in ("xc", "yc", "w", "h")) + (lab,)
    return out


def runs_and_frames(truth) -> tuple[Counter, Counter]:
    """Segments = maximal runs of consecutive frames with one label on one track; frames per label."""
    runs, frames = Counter(), Counter()
    for per_frame in truth.values():
        prev_f, prev_l = None, None
        for f in sorted(per_frame):
            lab = per_frame[f][-1]
            if lab and (lab != prev_l or prev_f is None or f != prev_f + 1):
                runs[lab] += 1
            if lab:
                frames[lab] += 1
            prev_f, prev_l = f, lab
    return runs, frames


def cvat_truth(path: Path):
    """Independent reading of a CVAT for video 1.1 file we wrote (every frame a keyframe):
    {track: {frame: (xtl, ytl, xbr, ybr, label)}}, outside boxes skipped."""
    root = ET.parse(path).getroot()
    assert root.tag == "annotations" and root.findtext("version") == "1.1"
    values = root.findtext("meta/task/labels/label/attributes/attribute/values").split("\n")
    out: dict[int, dict[int, tuple]] = {}
    for tr in root.findall("track"):
        assert tr.get("label") == "person"
        for b in tr.findall("box"):
            if b.get("outside") == "1":
                continue
            (attr,) = [a for a in b.findall("attribute") if a.get("name") == "behaviour"]
            assert attr.text in values
            out.setdefault(int(tr.get("id")), {})[int(b.get("frame"))] = tuple(
                float(b.get(k)) for k in ("xtl", "ytl", "xbr", "ybr")) + ("" if attr.text == "unlabelled" else attr.text,)
    return out


def labelled_frames(project: Project, camera: str) -> dict[tuple[int, int], str]:
    cam = project.camera(camera)
    run = project.store.latest_run(cam.id)
    out = {}
    for s in list_segments(project.store, run.id, status="accepted"):
        for f in range(s.start_frame, s.end_frame + 1):
            assert (s.track_id, f) not in out, "overlapping segments"
            out[(s.track_id, f)] = s.label
    return out


def boxes(project: Project, camera: str):
    run = project.store.latest_run(project.camera(camera).id)
    return project.store.query("SELECT frame, track_id, x1, y1, x2, y2, source FROM track_points WHERE run_id = ? "
                               "ORDER BY frame, track_id", (run.id,))


@pytest.mark.parametrize("name", FILES)
def test_caviar_to_cvat_to_project_round_trip(name, tmp_path, capsys):
    src = data_file(f"{CAVIAR}/{name}")
    a, b, xml = tmp_path / "a", tmp_path / "b", tmp_path / "out.xml"
    assert main(["import", str(a), str(src), "--format", "caviar", "--labels", "movement", "--camera", "lobby"]) == 0
    assert main(["export", str(a), "--format", "cvat", "--out", str(xml)]) == 0
    assert main(["import", str(b), str(xml), "--format", "cvat"]) == 0
    capsys.readouterr()

    # The CVAT file, read independently, holds exactly the CAVIAR boxes and labels.
    truth = cvml_truth(src)
    cvat = cvat_truth(xml)
    assert set(cvat) == set(truth)
    for tid, per_frame in truth.items():
        assert set(cvat[tid]) == set(per_frame)
        for f, (xc, yc, w, h, lab) in per_frame.items():
            assert cvat[tid][f][:4] == pytest.approx((xc - h / 2, yc - w / 2, xc + h / 2, yc + w / 2), abs=0.005), \
                (tid, f)
            assert cvat[tid][f][4] == lab

    with Project.open(a) as pa, Project.open(b) as pb:
        assert pb.camera("lobby") is not None  # the camera name travels in the file
        assert pb.camera("lobby").extra["frame_rate"] == 25.0
        assert boxes(pa, "lobby") == boxes(pb, "lobby")
        la, lb = labelled_frames(pa, "lobby"), labelled_frames(pb, "lobby")
        assert la == lb
        assert Counter(la.values()) == runs_and_frames(truth)[1]
        assert [s.taxonomy for s in list_segments(pb.store, pb.store.latest_run(pb.camera("lobby").id).id)][:1] \
            in ([], ["caviar-movement"])


def test_all_lobby_clips_segment_counts_match_the_xml(tmp_path, capsys):
    project = tmp_path / "p"
    want_runs, want_frames = Counter(), Counter()
    for name in FILES:
        src = data_file(f"{CAVIAR}/{name}")
        assert main(["import", str(project), str(src), "--format", "caviar", "--labels", "movement"]) == 0
        r, f = runs_and_frames(cvml_truth(src))
        want_runs += r
        want_frames += f
    capsys.readouterr()
    got_runs, got_frames = Counter(), Counter()
    with Project.open(project) as p:
        assert len(p.cameras) == len(FILES)
        for run in p.store.runs():
            for s in list_segments(p.store, run.id):
                assert s.taxonomy == "caviar-movement" and s.source == "import"
                got_runs[s.label] += 1
                got_frames[s.label] += s.n_frames
    assert got_runs == want_runs
    assert got_frames == want_frames
    assert set(want_runs) == {"walking", "active", "inactive", "running"}


def _snapshot(folder: Path):
    con = sqlite3.connect(folder / "project.sqlite")
    try:
        dump = "\n".join(con.iterdump())
    finally:
        con.close()
    return (folder / "project.json").read_bytes(), dump


@pytest.mark.parametrize("fmt", ["caviar", "cvat"])
@pytest.mark.parametrize("damage", ["truncated", "malformed", "bad-number"])
def test_bad_xml_is_one_line_with_the_line_number_and_changes_nothing(fmt, damage, tmp_path, capsys):
    src = data_file(f"{CAVIAR}/Walk1__wk1gt.xml")
    project = tmp_path / "p"
    assert main(["import", str(project), str(src), "--format", "caviar", "--labels", "movement"]) == 0
    good = src
    if fmt == "cvat":
        good = tmp_path / "good.xml"
        assert main(["export", str(project), "--format", "cvat", "--out", str(good)]) == 0
    capsys.readouterr()
    text = good.read_text(encoding="utf-8")
    bad = tmp_path / "bad.xml"
    if damage == "truncated":
        bad.write_text(text[: len(text) * 2 // 3], encoding="utf-8")
    elif damage == "malformed":
        lines = text.splitlines()
        target = next(i for i, ln in enumerate(lines) if i > len(lines) // 2 and ("<box" in ln))
        lines[target] = lines[target].replace("<box", "<box <", 1)
        bad.write_text("\n".join(lines), encoding="utf-8")
    else:
        key = ' xc="' if fmt == "caviar" else ' xtl="'
        i = text.index(key, len(text) // 2) + len(key)
        bad.write_text(text[:i] + "abc" + text[i:], encoding="utf-8")
    before = _snapshot(project)
    rc = main(["import", str(project), str(bad), "--format", fmt, "--camera", "other", "--labels", "movement"])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert str(bad) in err
    if damage != "bad-number":
        assert "line " in err and "not valid XML" in err
        line = int(err.split("line ")[1].split(",")[0])
        assert 1 < line <= len(text.splitlines()) + 1
    else:
        assert "numeric" in err
    assert _snapshot(project) == before
