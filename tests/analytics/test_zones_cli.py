"""Zone storage, GeoJSON and the ``zones`` / ``metrics`` verbs, bad input included: one-line message,
exit 2, project.json unchanged."""

import json

import pandas as pd
import pytest

from retail_desktop.analytics.geojson import import_geojson
from retail_desktop.analytics.zones import Zone, load_zones, save_zones
from retail_desktop.annotation.track_import import store_tracks
from retail_desktop.cli import main
from retail_desktop.errors import UserError
from retail_desktop.project import Project

from zone_tracks import make_tracks, walk


@pytest.fixture
def project(tmp_path):
    """A camera with ground-truth-like tracks (no footage: frame size and rate in the camera entry)."""
    folder = tmp_path / "shop"
    source = tmp_path / "gt.txt"
    source.write_text("hand-made\n")
    with Project.create(folder) as p:
        tracks = make_tracks({1: walk(range(10), [50, 80, 110, 140, 170, 190, 210, 230, 250, 270]),
                              2: walk(range(5), [150, 160, 170, 205, 220])})
        store_tracks(p, "Door", tracks, source=source, fmt="mot", fps=10.0, size=(320, 240))
    return folder


def feature(name, coords, kind="area", camera="Door", gtype=None, **props):
    gtype = gtype or ("Polygon" if kind == "area" else "LineString")
    return {"type": "Feature", "geometry": {"type": gtype, "coordinates": coords},
            "properties": {"name": name, "kind": kind, "camera": camera, **props}}


SHOP = [[[100, 0], [200, 0], [200, 100], [100, 100], [100, 0]]]


def write(path, features):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def run_cli(capsys, *argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse refuses a bad flag value
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_import_export_roundtrip_and_metrics(project, tmp_path, capsys):
    src = write(tmp_path / "z.geojson", [feature("shop", SHOP, purpose="queue"),
                                         feature("door", [[100, 100], [100, 0]], kind="line")])
    code, out, _ = run_cli(capsys, "zones", project, "import", src)
    assert code == 0 and "imported 2 zones" in out
    with Project.open(project) as p:
        zones = load_zones(p)
        assert [(z.name, z.kind, z.purpose, z.camera_id) for z in zones] == [
            ("shop", "area", "queue", "cam1"), ("door", "line", "other", "cam1")]
        assert zones[0].points == [[100, 0], [200, 0], [200, 100], [100, 100]]  # closing point dropped
        assert "zones" in json.loads(p.json_path.read_text())
    out_file = tmp_path / "out.geojson"
    assert run_cli(capsys, "zones", project, "export", out_file, "--camera", "Door")[0] == 0
    data = json.loads(out_file.read_text())
    assert data["features"][0]["geometry"]["coordinates"] == SHOP
    assert data["features"][1]["properties"]["camera"] == "Door"

    csv = tmp_path / "m.csv"
    code, out, _ = run_cli(capsys, "metrics", project, "--out", csv, "--bin", "0.5")
    assert code == 0
    df = pd.read_csv(csv)
    for col in ("camera", "zone", "kind", "bin_start_s", "bin_end_s", "visitors", "entries", "exits",
                "dwell_s_total", "dwell_s_mean", "dwell_s_median", "dwell_s_p90", "occupancy_mean",
                "occupancy_peak", "line_in", "line_out"):
        assert col in df.columns
    shop = df[df.zone == "shop"]
    assert shop["entries"].sum() == 1 and shop["exits"].sum() == 2  # track 2 starts inside
    assert shop["dwell_s_total"].sum() == pytest.approx(0.7)
    assert df[df.zone == "door"]["line_in"].sum() == 1


def test_reimport_replaces_same_name(project, tmp_path, capsys):
    src = write(tmp_path / "z.geojson", [feature("shop", SHOP)])
    run_cli(capsys, "zones", project, "import", src)
    write(src, [feature("shop", [[[0, 0], [50, 0], [50, 50]]])])
    run_cli(capsys, "zones", project, "import", src)
    with Project.open(project) as p:
        (z,) = load_zones(p)
        assert z.points == [[0, 0], [50, 0], [50, 50]]


BAD = [
    ("bow tie", [feature("x", [[[0, 0], [100, 100], [100, 0], [0, 100]]])], "crosses itself"),
    ("outside", [feature("x", [[[0, 0], [400, 0], [400, 100]]])], "outside the camera frame"),
    ("unknown camera", [feature("x", SHOP, camera="Nope")], "no camera named 'Nope'"),
    ("point geometry", [feature("x", [1, 2], gtype="Point")], "Polygon or LineString"),
    ("kind mismatch", [feature("x", SHOP, kind="line", gtype="Polygon")], "does not match"),
    ("three-point line", [feature("x", [[0, 0], [1, 1], [2, 2]], kind="line")], "exactly 2 points"),
    ("bad coords", [feature("x", [[["a", 0], [1, 1], [2, 2]]])], "number pairs"),
    ("holes", [feature("x", SHOP + SHOP)], "one ring"),
    ("no name", [feature("", SHOP)], "no 'name'"),
    ("bad purpose", [feature("x", SHOP, purpose="lounge")], "purpose must be one of"),
    ("duplicate", [feature("x", SHOP), feature("x", SHOP)], "two zones named"),
]


@pytest.mark.parametrize("label, features, message", BAD, ids=[b[0] for b in BAD])
def test_bad_geojson_is_one_line_and_changes_nothing(project, tmp_path, capsys, label, features, message):
    good = write(tmp_path / "good.geojson", [feature("keep", SHOP)])
    run_cli(capsys, "zones", project, "import", good)
    before = (project / "project.json").read_bytes()
    bad = write(tmp_path / "bad.geojson", features)
    code, out, err = run_cli(capsys, "zones", project, "import", bad)
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert (project / "project.json").read_bytes() == before


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON"),
    ('{"type": "Feature"}', "FeatureCollection"),
    ('{"type": "FeatureCollection", "features": {}}', "must be a list"),
    ('[1, 2]', "FeatureCollection"),
])
def test_wrong_shape_files(project, tmp_path, capsys, text, message):
    before = (project / "project.json").read_bytes()
    bad = tmp_path / "bad.geojson"
    bad.write_text(text)
    code, _, err = run_cli(capsys, "zones", project, "import", bad)
    assert code == 2 and message in err and err.count("\n") == 1
    assert (project / "project.json").read_bytes() == before


def test_cli_errors(project, tmp_path, capsys):
    code, _, err = run_cli(capsys, "zones", project, "import", tmp_path / "missing.geojson")
    assert code == 2 and "file not found" in err
    code, _, err = run_cli(capsys, "zones", project, "export", tmp_path / "o.geojson", "--camera", "Nope")
    assert code == 2 and "no camera named 'Nope'" in err
    code, _, err = run_cli(capsys, "metrics", project, "--out", tmp_path / "m.csv")
    assert code == 2 and "has no zones" in err and err.count("\n") == 1
    code, _, err = run_cli(capsys, "metrics", project, "--out", tmp_path / "m.csv", "--bin", "0")
    assert code == 2 and "positive" in err
    code, _, err = run_cli(capsys, "metrics", project, "--out", tmp_path / "m.csv", "--camera", "Nope")
    assert code == 2 and "no camera named 'Nope'" in err


def test_save_zones_refuses_and_keeps_previous(project):
    with Project.open(project) as p:
        save_zones(p, [Zone("a", "area", "cam1", [[0, 0], [10, 0], [10, 10]])])
        before = p.json_path.read_bytes()
        for bad in (Zone("b", "area", "cam1", [[0, 0], [10, 10], [10, 0], [0, 10]]),
                    Zone("b", "area", "cam9", [[0, 0], [10, 0], [10, 10]]),
                    Zone("b", "line", "cam1", [[0, 0], [0, 999]])):
            with pytest.raises(UserError):
                save_zones(p, load_zones(p) + [bad])
            assert p.json_path.read_bytes() == before
            assert [z.name for z in load_zones(p)] == ["a"]


def test_corrupt_zones_entry_is_a_project_error(project):
    data = json.loads((project / "project.json").read_text())
    data["zones"] = [{"name": "x", "kind": "blob", "camera": "cam1", "points": []}]
    (project / "project.json").write_text(json.dumps(data))
    with Project.open(project) as p, pytest.raises(UserError, match="zone 1: .*kind must be one of"):
        load_zones(p)


def test_import_keeps_other_keys(project, tmp_path):
    with Project.open(project) as p:
        p.extra["floor_plan"] = {"image": "plan.png"}
        p.save()
        import_geojson(p, write(tmp_path / "z.geojson", [feature("shop", SHOP)]))
    assert json.loads((project / "project.json").read_text())["floor_plan"] == {"image": "plan.png"}


def _predict(p, run_id, track, windows, model="retail-behavior/1", when="2026-01-01T00:00:00"):
    with p.store.transaction("test predictions") as conn:
        conn.executemany(
            "INSERT INTO behavior_predictions (run_id, track_id, start_frame, end_frame, label, confidence, "
            "probabilities, model, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
            [(run_id, track, start, start + 2, label, conf, "{}", model, when) for start, label, conf in windows])


def test_metrics_broken_down_by_behaviour(project, tmp_path, capsys):
    """Track 1 is mostly 'hesitant' (2 windows of 3), track 2 has no windows: rows 'all', 'hesitant',
    'unclassified'; each row counts only its tracks. Hand figures: in the shop zone (x 100-200, fps 10)
    track 1 has feet at x 110, 140, 170, 190 (4 points, 0.4 s), track 2 at 150, 160, 170 (0.3 s)."""
    src = write(tmp_path / "z.geojson", [feature("shop", SHOP)])
    assert run_cli(capsys, "zones", project, "import", src)[0] == 0
    with Project.open(project) as p:
        run = p.store.latest_run(p.camera("Door").id, status="completed")
        _predict(p, run.id, 1, [(0, "hesitant", 0.6), (3, "decisive", 0.9), (6, "hesitant", 0.5)])
        # An older model's windows say otherwise: only the model that classified last counts.
        _predict(p, run.id, 2, [(0, "frustrated", 0.9)], model="file:old", when="2025-01-01T00:00:00")
    csv = tmp_path / "b.csv"
    code, out, err = run_cli(capsys, "metrics", project, "--out", csv, "--by-behavior")
    assert code == 0, err
    df = pd.read_csv(csv)
    assert list(df.columns[:3]) == ["camera", "zone", "behavior"]
    rows = {r.behavior: r for r in df.itertuples()}
    assert set(rows) == {"all", "hesitant", "unclassified"}
    assert (rows["all"].visitors, rows["hesitant"].visitors, rows["unclassified"].visitors) == (2, 1, 1)
    assert rows["hesitant"].dwell_s_total == pytest.approx(0.4)
    assert rows["unclassified"].dwell_s_total == pytest.approx(0.3)
    assert rows["all"].dwell_s_total == pytest.approx(0.7)
    # Without the flag the table is as before: no behaviour column, one row per zone.
    plain = tmp_path / "p.csv"
    assert run_cli(capsys, "metrics", project, "--out", plain)[0] == 0
    df = pd.read_csv(plain)
    assert "behavior" not in df.columns and len(df) == 1 and df.visitors[0] == 2


def test_metrics_by_behaviour_without_classification_says_so(project, tmp_path, capsys):
    src = write(tmp_path / "z.geojson", [feature("shop", SHOP)])
    assert run_cli(capsys, "zones", project, "import", src)[0] == 0
    code, out, err = run_cli(capsys, "metrics", project, "--out", tmp_path / "b.csv", "--by-behavior")
    assert code == 0 and "no behaviour labels" in err
    df = pd.read_csv(tmp_path / "b.csv")
    assert list(df.behavior) == ["all"]


def test_a_file_without_zones_for_the_camera_is_an_error_not_zero_zones(tmp_path, capsys):
    from retail_desktop.cli import main

    with Project.create(tmp_path / "p") as p:
        p.add_camera("Door", "/videos/door.mp4")
        p.add_camera("till", "/videos/till.mp4")
        p.cameras[0].extra["frame_size"] = [640, 480]
        p.cameras[1].extra["frame_size"] = [640, 480]
        p.save()
    path = write(tmp_path / "z.geojson", [feature("shop", SHOP)])
    before = (tmp_path / "p" / "project.json").read_bytes()
    assert main(["zones", str(tmp_path / "p"), "import", str(path), "--camera", "till"]) == 2
    assert "no zones for camera 'till'" in capsys.readouterr().err
    assert (tmp_path / "p" / "project.json").read_bytes() == before
