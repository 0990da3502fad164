"""Count line on real footage vs a hand count (how it was made: hand_counts.md beside this file).

Analyses mall_entrance_revolving_doors.mp4 once with the offline detector (about a minute on two
cores), places the entrance line through the ``zones`` verb and reads ``line_in``/``line_out`` from
the ``metrics`` CSV. The tolerance is stated in hand_counts.md: each direction within 2 of the hand
count; the test fails beyond it.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from datafiles import data_file
from retail_desktop.cli import main

HAND_IN, HAND_OUT = 8, 2
TOLERANCE = 2
LINE = [[115, 300], [580, 300]]


@pytest.mark.slow
def test_entrance_line_matches_hand_count(tmp_path):
    video = data_file("videos/mall_entrance_revolving_doors.mp4")
    weights = data_file("models/yolov8n_int8_640.onnx")
    project = tmp_path / "mall"
    assert main(["analyze", str(project), str(video), "--detector", str(weights), "--stride", "auto", "--quiet"]) == 0
    geo = tmp_path / "line.geojson"
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "LineString", "coordinates": LINE},
        "properties": {"name": "entrance", "kind": "line", "purpose": "entrance",
                       "camera": "mall_entrance_revolving_doors"}}]}))
    assert main(["zones", str(project), "import", str(geo)]) == 0
    out = tmp_path / "m.csv"
    assert main(["metrics", str(project), "--out", str(out)]) == 0
    (row,) = pd.read_csv(out).to_dict("records")
    print(f"line in {row['line_in']} (hand {HAND_IN}), out {row['line_out']} (hand {HAND_OUT})")
    assert abs(row["line_in"] - HAND_IN) <= TOLERANCE
    assert abs(row["line_out"] - HAND_OUT) <= TOLERANCE
