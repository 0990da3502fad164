"""The rule pre-labeller on synthetic trajectories whose behaviour is known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retail_desktop.annotation.prelabel import (
    BEHAVIOUR_CLASSES, PrelabelSettings, prelabel_run, propose_segments, trajectory_features,
)
from retail_desktop.annotation.segments import Segment, add_segments, list_segments
from retail_desktop.project import Project, TrackPoint

FPS = 25.0
H = 100.0  # box height in pixels: speeds below are in heights per second


def track(xy: np.ndarray, start_frame: int = 0, height: float = H) -> pd.DataFrame:
    """Boxes of ``height`` x 40 centred on ``xy`` (pixels), one per frame."""
    n = len(xy)
    frames = np.arange(start_frame, start_frame + n)
    return pd.DataFrame({
        "frame": frames, "time_s": frames / FPS,
        "x1": xy[:, 0] - 20, "y1": xy[:, 1] - height / 2, "x2": xy[:, 0] + 20, "y2": xy[:, 1] + height / 2,
    })


def walk(speed_hps: float, seconds: float, direction=(1.0, 0.0), start=(0.0, 300.0)) -> np.ndarray:
    t = np.arange(int(seconds * FPS)) / FPS
    d = np.asarray(direction) / np.hypot(*direction)
    return np.asarray(start) + np.outer(t * speed_hps * H, d)


def labels_by_frames(props) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in props:
        out[p.label] = out.get(p.label, 0) + p.end_frame - p.start_frame + 1
    return out


def dominant(props) -> str:
    counts = labels_by_frames(props)
    return max(counts, key=counts.get)


def concat(*parts: np.ndarray) -> np.ndarray:
    out = [parts[0]]
    for p in parts[1:]:
        out.append(p - p[0] + out[-1][-1])  # each part starts where the last ended
    return np.concatenate(out)


def test_straight_walk_is_decisive_and_fast_pass_is_disinterested():
    assert dominant(propose_segments(track(walk(0.6, 8)), FPS)) == "decisive"
    assert dominant(propose_segments(track(walk(1.6, 6)), FPS)) == "disinterested"


def test_long_stop_is_interested():
    still = np.repeat([[200.0, 300.0]], int(8 * FPS), axis=0)
    still += np.random.default_rng(0).normal(0, 0.5, still.shape)  # box jitter
    assert dominant(propose_segments(track(still), FPS)) == "interested"


def test_stop_and_go_is_hesitant():
    parts = []
    for _ in range(6):
        parts += [walk(0.6, 0.6), np.repeat(walk(0.6, 0.04), int(0.9 * FPS), axis=0)]
    props = propose_segments(track(concat(*parts)), FPS)
    assert dominant(props) == "hesitant"


def test_back_and_forth_is_confused():
    parts = []
    for i in range(4):
        parts.append(walk(0.35, 2.0, direction=(1.0, 0.0) if i % 2 == 0 else (-1.0, 0.2)))
    props = propose_segments(track(concat(*parts)), FPS)
    assert dominant(props) == "confused"


def test_rapid_zigzag_is_frustrated():
    parts = []
    for i in range(12):
        parts.append(walk(1.0, 0.5, direction=(1.0, 1.0) if i % 2 == 0 else (1.0, -1.0)))
    props = propose_segments(track(concat(*parts)), FPS)
    assert dominant(props) == "frustrated"


def test_segments_tile_the_track_without_overlaps_and_are_not_too_short():
    xy = concat(walk(0.6, 4), np.repeat(walk(0.1, 0.04), int(6 * FPS), axis=0), walk(1.6, 4))
    props = propose_segments(track(xy, start_frame=100), FPS)
    assert props[0].start_frame == 100 and props[-1].end_frame == 100 + len(xy) - 1
    for a, b in zip(props, props[1:]):
        assert b.start_frame == a.end_frame + 1 and a.label != b.label
    assert all(p.end_frame - p.start_frame + 1 >= FPS for p in props)
    assert all(0 <= p.confidence <= 1 for p in props)
    assert {p.label for p in props} <= set(BEHAVIOUR_CLASSES)
    # The walk-stop-run story is read in that order.
    assert [p.label for p in props][0] == "decisive" and "interested" in [p.label for p in props]
    assert props[-1].label == "disinterested"


def test_short_track_gets_nothing_and_gaps_are_bridged():
    assert propose_segments(track(walk(0.6, 0.5)), FPS) == []
    df = track(walk(0.6, 6))
    df = df[(df.frame < 50) | (df.frame > 60)]  # an 11-frame occlusion
    props = propose_segments(df, FPS)
    assert props and props[0].start_frame == 0 and props[-1].end_frame == int(6 * FPS) - 1


def test_features_are_scale_free():
    a = trajectory_features(track(walk(0.6, 4)), FPS)
    xy = walk(0.6, 4) * 0.5
    b = trajectory_features(track(xy, height=H / 2), FPS)
    assert np.allclose(a["speed"].median(), 0.6, atol=0.02)
    assert np.allclose(a["speed"], b["speed"], atol=1e-6)


def test_settings_validation():
    assert PrelabelSettings.from_dict({"dwell_s": 2}).dwell_s == 2.0
    with pytest.raises(ValueError, match="unknown pre-label setting"):
        PrelabelSettings.from_dict({"dwel_s": 2})
    with pytest.raises(ValueError, match="non-negative"):
        PrelabelSettings.from_dict({"dwell_s": "x"})


def _project_with_tracks(tmp_path):
    project = Project.create(tmp_path / "p")
    cam = project.add_camera("cam", "/nowhere.mp4")
    cam.extra["frame_rate"] = FPS
    project.save()
    store = project.store
    run = store.begin_run(cam.id, {"test": 1}, frames_total=400)
    pts = []
    for tid, xy in ((1, walk(0.6, 8)), (2, np.repeat([[100.0, 200.0]], 200, axis=0)), (3, walk(0.6, 0.4))):
        df = track(xy)
        pts += [TrackPoint(int(r.frame), float(r.time_s), tid, r.x1, r.y1, r.x2, r.y2, 1.0, "detected")
                for r in df.itertuples()]
    store.commit(run.id, 399, pts)
    store.finish_run(run.id, "completed")
    return project, run.id


def test_prelabel_run_stores_suggestions_replaces_its_own_and_respects_accepted(tmp_path):
    project, run_id = _project_with_tracks(tmp_path)
    store = project.store
    human = Segment(None, run_id, 1, 0, 49, "hesitant", "retail-behaviour", source="human", annotator="ann")
    add_segments(store, [human])
    first = prelabel_run(project, run_id)
    assert first.tracks == 2  # track 3 is too short
    segs = list_segments(store, run_id, status="suggestion")
    assert len(segs) == first.segments > 0
    assert all(s.source == "rule" and s.taxonomy == "retail-behaviour" for s in segs)
    assert {s.label for s in segs if s.track_id == 2} == {"interested"}
    # Cut around the accepted human label of track 1.
    assert min(s.start_frame for s in segs if s.track_id == 1) == 50
    second = prelabel_run(project, run_id)
    assert second.replaced == first.segments
    again = list_segments(store, run_id, status="suggestion")
    assert [(s.track_id, s.start_frame, s.end_frame, s.label) for s in again] == \
        [(s.track_id, s.start_frame, s.end_frame, s.label) for s in segs]
    accepted = list_segments(store, run_id, status="accepted")
    assert [(s.start_frame, s.end_frame, s.label, s.source) for s in accepted] == [(0, 49, "hesitant", "human")]
    project.close()


def test_prelabel_run_on_a_store_needs_fps(tmp_path):
    project, run_id = _project_with_tracks(tmp_path)
    with pytest.raises(ValueError, match="fps"):
        prelabel_run(project.store, run_id)
    assert prelabel_run(project.store, run_id, fps=FPS, track_ids=[2]).segments >= 1
    project.close()


def test_model_predictions_become_suggestions(tmp_path):
    import json

    from retail_desktop.annotation.model_suggestions import suggest_from_predictions
    from retail_desktop.errors import UserError

    project, run_id = _project_with_tracks(tmp_path)
    store = project.store
    with pytest.raises(UserError, match="no behaviour predictions"):
        suggest_from_predictions(store, run_id)
    rows = [  # overlapping windows of track 1: the more confident one wins the shared frames
        (run_id, 1, 0, 59, "decisive", 0.9, "m1"), (run_id, 1, 30, 89, "hesitant", 0.6, "m1"),
        (run_id, 1, 60, 119, "hesitant", 0.7, "m1"), (run_id, 2, 0, 59, "interested", 0.8, "old"),
    ]
    with store.transaction("test predictions") as conn:
        conn.executemany("INSERT INTO behavior_predictions VALUES (?,?,?,?,?,?,?,?,?)",
                         [r[:6] + (json.dumps({}), r[6], f"2026-01-0{1 + (r[6] == 'm1')}") for r in rows])
    result = suggest_from_predictions(store, run_id)  # newest model: m1
    segs = list_segments(store, run_id, status="suggestion")
    assert [(s.track_id, s.start_frame, s.end_frame, s.label, s.source) for s in segs] == [
        (1, 0, 59, "decisive", "model"), (1, 60, 119, "hesitant", "model")]
    assert segs[1].confidence == pytest.approx(0.7)
    assert result.segments == 2
    again = suggest_from_predictions(store, run_id, model="old")
    assert again.replaced == 2
    assert [(s.track_id, s.label) for s in list_segments(store, run_id, status="suggestion")] == [(2, "interested")]
    project.close()


def test_prelabel_run_reports_progress_and_cancels_without_writing(tmp_path):
    from retail_desktop.tasks import Cancelled, Task

    project, run_id = _project_with_tracks(tmp_path)
    seen = []
    task = Task(on_progress=lambda p: seen.append(p.done))
    prelabel_run(project, run_id, task=task)
    assert seen[-1] == 3
    before = list_segments(project.store, run_id)
    task = Task()
    task.cancel()
    with pytest.raises(Cancelled):
        prelabel_run(project, run_id, task=task)
    assert list_segments(project.store, run_id) == before
    project.close()
