"""Acceptance on real annotations: CAVIAR lobby ground truth imported as tracks, figures from the
``metrics`` verb vs a straightforward computation written here from the XML itself (ElementTree, plain
loops, a convexity test instead of ray casting), anchor = box centre, zones in 384x288 pixels.

Every .xml file in the CAVIAR folder is checked, so held-back clips dropped there are covered too.
"""

from __future__ import annotations

import json
import statistics
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from datafiles import DATA_DIR, data_file
from retail_desktop.cli import main

FPS = 25.0
BIN_S = 10.0
# Rectangles with edges at .25 so no annotated centre (whole or half pixels) lies on an edge.
RECTS = {
    "left": (20.25, 100.25, 150.25, 280.25),
    "right": (200.25, 50.25, 370.25, 250.25),
    "middle": (120.25, 80.25, 260.25, 200.25),  # overlaps both
}
TRIANGLE = [(100.5, 50.5), (300.5, 80.5), (180.5, 270.5)]  # clockwise on screen (y down)

CAVIAR_DIR = DATA_DIR / "labeled" / "caviar_lobby"
FILES = sorted(p.name for p in CAVIAR_DIR.glob("*.xml")) or ["Browse1__br1gt.xml"]


def in_rect(x, y, r):
    x0, y0, x1, y1 = r
    return x0 < x < x1 and y0 < y < y1


def in_triangle(x, y):
    """Inside a convex polygon: on the same side of every edge."""
    signs = []
    for (ax, ay), (bx, by) in zip(TRIANGLE, TRIANGLE[1:] + TRIANGLE[:1]):
        signs.append((bx - ax) * (y - ay) - (by - ay) * (x - ax) > 0)
    return all(signs) or not any(signs)


def inside_test_for(name):
    if name == "triangle":
        return in_triangle
    return lambda x, y: in_rect(x, y, RECTS[name])


def expected(xml_path: Path, zone: str) -> dict:
    """Per-zone figures by hand: walk each person's centres in frame order."""
    per_track: dict[int, list[tuple[int, float, float]]] = {}
    for frame in ET.parse(xml_path).getroot().iter("frame"):
        n = int(frame.get("number"))
        for obj in frame.iter("object"):
            box = obj.find("box")
            per_track.setdefault(int(obj.get("id")), []).append((n, float(box.get("xc")), float(box.get("yc"))))
    inside = inside_test_for(zone)
    visitors, entries, exits, dwell = 0, 0, 0, []
    bins: dict[int, dict[str, int]] = {}
    for points in per_track.values():
        points.sort()
        flags = [inside(x, y) for _, x, y in points]
        if any(flags):
            visitors += 1
            dwell.append(sum(flags) / FPS)
        for i in range(len(points)):
            b = bins.setdefault(int(points[i][0] / FPS // BIN_S), {"entries": 0, "exits": 0, "inside": 0})
            b["inside"] += flags[i]
            if i > 0 and flags[i] and not flags[i - 1]:
                entries += 1
                b["entries"] += 1
            if i > 0 and flags[i - 1] and not flags[i]:
                exits += 1
                b["exits"] += 1
    return {"visitors": visitors, "entries": entries, "exits": exits, "dwell_total": sum(dwell),
            "dwell_mean": statistics.mean(dwell) if dwell else None,
            "dwell_median": statistics.median(dwell) if dwell else None, "bins": bins}


@pytest.fixture(scope="module")
def caviar_project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("caviar") / "lobby"
    features = []
    for name in FILES:
        path = data_file(f"labeled/caviar_lobby/{name}")
        assert main(["import", str(folder), str(path), "--format", "caviar"]) == 0
        camera = Path(name).stem
        for zone, (x0, y0, x1, y1) in RECTS.items():
            features.append({"type": "Feature", "properties": {"name": zone, "kind": "area", "camera": camera},
                             "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]]}})
        features.append({"type": "Feature", "properties": {"name": "triangle", "kind": "area", "camera": camera},
                         "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in TRIANGLE]]}})
    geo = folder.parent / "zones.geojson"
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    assert main(["zones", str(folder), "import", str(geo)]) == 0
    whole, binned = folder.parent / "whole.csv", folder.parent / "binned.csv"
    assert main(["metrics", str(folder), "--out", str(whole), "--anchor", "center"]) == 0
    assert main(["metrics", str(folder), "--out", str(binned), "--anchor", "center", "--bin", str(BIN_S)]) == 0
    return pd.read_csv(whole), pd.read_csv(binned)


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("zone", list(RECTS) + ["triangle"])
def test_caviar_zone_figures_match_hand_computation(caviar_project, name, zone):
    whole, binned = caviar_project
    want = expected(data_file(f"labeled/caviar_lobby/{name}"), zone)
    camera = Path(name).stem
    (row,) = whole[(whole.camera == camera) & (whole.zone == zone)].to_dict("records")
    assert row["visitors"] == want["visitors"]
    assert row["entries"] == want["entries"]
    assert row["exits"] == want["exits"]
    assert row["dwell_s_total"] == pytest.approx(want["dwell_total"], rel=1e-5)
    if want["visitors"]:
        assert row["dwell_s_mean"] == pytest.approx(want["dwell_mean"], rel=1e-5)
        assert row["dwell_s_median"] == pytest.approx(want["dwell_median"], rel=1e-5)
    got_bins = binned[(binned.camera == camera) & (binned.zone == zone)].reset_index(drop=True)
    for k, b in want["bins"].items():
        assert got_bins.loc[k, "bin_start_s"] == pytest.approx(k * BIN_S)
        assert got_bins.loc[k, "entries"] == b["entries"]
        assert got_bins.loc[k, "exits"] == b["exits"]
        assert got_bins.loc[k, "dwell_s_total"] == pytest.approx(b["inside"] / FPS, rel=1e-5)
    assert got_bins["entries"].sum() == want["entries"]


def test_the_zones_see_people(caviar_project):
    """Guard against a vacuous pass: the zones must actually catch entries and visitors."""
    whole, _ = caviar_project
    assert whole["visitors"].sum() > 20 and whole["entries"].sum() > 10 and whole["exits"].sum() > 10
