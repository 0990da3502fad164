import numpy as np
import pandas as pd
import pytest

from retail_desktop.analytics.floorplan import (
    apply_homography, calibrate_camera, fit_homography, floor_plan, set_plan_image, to_plan,
)
from retail_desktop.errors import UserError
from retail_desktop.project import Project

TRUE_H = np.array([[0.8, -0.3, 40.0], [0.05, 0.4, 10.0], [0.0002, -0.0015, 1.0]])
CAM = np.array([[50, 300], [600, 320], [500, 120], [120, 100], [320, 200], [250, 330]], dtype=float)


def plan_of(pts, h=TRUE_H):
    x, y = apply_homography(h, pts[:, 0], pts[:, 1])
    return np.c_[x, y]


def test_recovers_a_known_homography():
    cal = fit_homography(CAM[:4], plan_of(CAM[:4]))
    assert np.allclose(cal.homography, TRUE_H, atol=1e-6)
    assert cal.rms < 1e-6
    # and it maps points that were not used for fitting
    assert np.allclose(plan_of(CAM[4:], cal.homography), plan_of(CAM[4:]), atol=1e-4)


def test_noise_shows_in_the_reprojection_error():
    rng = np.random.default_rng(0)
    noisy = plan_of(CAM) + rng.normal(0, 2.0, size=(len(CAM), 2))
    cal = fit_homography(CAM, noisy)
    assert 0.3 < cal.rms < 4.0
    assert len(cal.errors) == len(CAM)


@pytest.mark.parametrize("src, dst, message", [
    (CAM[:3], plan_of(CAM[:3]), "at least 4"),
    ([[0, 0], [1, 1], [2, 2], [3, 3]], plan_of(CAM[:4]), "one line"),
    (CAM[:4], [[0, 0], [1, 0], [2, 0], [3, 0]], "one line"),
    (CAM[:4], plan_of(CAM[:5]), "matching"),
])
def test_bad_pairs(src, dst, message):
    with pytest.raises(UserError, match=message):
        fit_homography(src, dst)


def test_calibrate_stores_and_bad_input_keeps_project(tmp_path):
    plan_png = tmp_path / "plan.png"
    plan_png.write_bytes(b"\x89PNG")
    with Project.create(tmp_path / "p") as p:
        p.add_camera("Door", tmp_path / "door.mp4")
        with pytest.raises(UserError, match="floor plan image first"):
            calibrate_camera(p, "Door", np.c_[CAM, plan_of(CAM)])
        set_plan_image(p, plan_png, (800, 600))
        cal = calibrate_camera(p, "Door", np.c_[CAM, plan_of(CAM)])
        before = p.json_path.read_bytes()
        with pytest.raises(UserError, match="no camera named"):
            calibrate_camera(p, "Nope", np.c_[CAM, plan_of(CAM)])
        with pytest.raises(UserError, match="at least 4"):
            calibrate_camera(p, "Door", np.c_[CAM, plan_of(CAM)][:3])
        assert p.json_path.read_bytes() == before
    with Project.open(tmp_path / "p") as p:
        assert np.allclose(p.camera("Door").homography, cal.homography)
        assert len(floor_plan(p)["pairs"]["cam1"]) == len(CAM)


def test_to_plan_maps_the_feet():
    df = pd.DataFrame({"frame": [0], "track_id": [1], "x1": [40.0], "y1": [100.0], "x2": [60.0], "y2": [300.0]})
    out = to_plan(df, TRUE_H)
    px, py = apply_homography(TRUE_H, np.array([50.0]), np.array([300.0]))
    assert out.loc[0, "x1"] == out.loc[0, "x2"] == pytest.approx(px[0])
    assert out.loc[0, "y1"] == out.loc[0, "y2"] == pytest.approx(py[0])


def test_plan_zone_metrics_equal_the_mapped_camera_zone(tmp_path):
    """An affine camera->plan mapping maps a camera zone exactly onto a plan polygon, so the plan zone
    must give the same figures as the camera zone."""
    from retail_desktop.analytics.geojson import import_geojson
    from retail_desktop.analytics.metrics import MetricOptions, project_metrics
    from retail_desktop.analytics.zones import Zone, load_zones, save_zones
    from retail_desktop.annotation.track_import import store_tracks

    src = tmp_path / "gt.txt"
    src.write_text("x")
    plan_png = tmp_path / "plan.png"
    plan_png.write_bytes(b"\x89PNG")
    rows = []
    for tid, xs in {1: [50, 80, 110, 140, 170, 190, 210], 2: [150, 160, 205, 220], 3: [120, 130, 140]}.items():
        rows += [(f, tid, x - 5, 30, x + 5, 50) for f, x in enumerate(xs)]
    with Project.create(tmp_path / "p") as p:
        store_tracks(p, "Door", pd.DataFrame(rows, columns=["frame", "track_id", "x1", "y1", "x2", "y2"]),
                     source=src, fmt="mot", fps=10.0, size=(320, 240))
        set_plan_image(p, plan_png, (1000, 1000))
        affine = np.array([[2.0, 0.5, 100.0], [-0.2, 1.5, 300.0], [0, 0, 1]])
        corners = np.array([[0, 0], [320, 0], [320, 240], [0, 240], [100, 100]], dtype=float)
        calibrate_camera(p, "Door", np.c_[corners, plan_of(corners, affine)])
        cam_zone = np.array([[100, 0], [200, 0], [200, 100], [100, 100]], dtype=float)
        save_zones(p, [Zone("shop", "area", "cam1", cam_zone.tolist()),
                       Zone("shop", "area", "plan", plan_of(cam_zone, affine).tolist())])
        results, _ = project_metrics(p, MetricOptions())
        by_camera = {cm.camera: cm.rows[0] for cm in results}
        cam_row, plan_row = by_camera["Door"], by_camera["plan:Door"]
        for key in ("visitors", "entries", "exits", "dwell_s_total", "occupancy_peak"):
            assert getattr(plan_row, key) == pytest.approx(getattr(cam_row, key))
        assert cam_row.visitors == 3 and cam_row.entries == 1  # 2 and 3 start inside
        # plan zones round-trip through GeoJSON with camera "plan" and are checked against the plan size
        bad = tmp_path / "bad.geojson"
        bad.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
                       '{"name": "far", "kind": "area", "camera": "plan"}, "geometry": {"type": "Polygon", '
                       '"coordinates": [[[0, 0], [2000, 0], [2000, 10]]]}}]}')
        with pytest.raises(UserError, match="outside the plan image"):
            import_geojson(p, bad)
        assert len(load_zones(p)) == 2
