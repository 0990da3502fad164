"""Tracker adapters on synthetic detections: identities kept, settings exposed, bad settings refused."""

import numpy as np
import pytest

from retail_desktop.errors import UserError
from retail_desktop.vision.detections import Detections
from retail_desktop.vision.trackers import default_settings, make_tracker


def _walk(n_frames=12):
    """Two people walking in opposite directions, never overlapping."""
    for f in range(n_frames):
        a = [20 + 5 * f, 50, 60 + 5 * f, 150]
        b = [400 - 5 * f, 60, 440 - 5 * f, 160]
        emb = np.zeros((2, 8), np.float32)
        emb[0, 0] = emb[1, 1] = 1.0
        yield f, Detections(np.array([a, b], np.float32), np.array([0.9, 0.8], np.float32), emb)


@pytest.mark.parametrize("kind", ["deepsort", "bytetrack", "botsort"])
def test_two_walkers_keep_two_identities(kind):
    tracker = make_tracker(kind, frame_rate=25)
    image = np.zeros((240, 480, 3), np.uint8)
    ids_by_det = {0: set(), 1: set()}
    confirmed_any = False
    for _, dets in _walk():
        for ob in tracker.update(dets, image):
            ids_by_det[ob.det_index].add(ob.track_id)
            confirmed_any |= ob.confirmed
    assert confirmed_any
    assert len(ids_by_det[0]) == 1 and len(ids_by_det[1]) == 1
    assert ids_by_det[0] != ids_by_det[1]


def test_settings_are_exposed_and_validated():
    assert default_settings("deepsort")["max_age"] == 30
    assert "track_buffer" in default_settings("bytetrack")
    assert "gmc_method" in default_settings("botsort")
    t = make_tracker("bytetrack", {"track_buffer": 5})
    assert t.settings["track_buffer"] == 5
    with pytest.raises(UserError, match="unknown bytetrack setting.*nonsense"):
        make_tracker("bytetrack", {"nonsense": 1})
    with pytest.raises(UserError, match="max_agee"):
        make_tracker("deepsort", {"max_agee": 3})
    with pytest.raises(UserError, match="unknown tracker"):
        make_tracker("sort")


def test_deepsort_low_confidence_boxes_are_not_tracked():
    tracker = make_tracker("deepsort", {"min_confidence": 0.5, "n_init": 1})
    dets = Detections(np.array([[0, 0, 10, 20], [50, 0, 60, 20]], np.float32), np.array([0.9, 0.3], np.float32),
                      np.eye(2, 8, dtype=np.float32))
    obs = tracker.update(dets, None)
    assert [o.det_index for o in obs] == [0]


def test_feature_reuse_plan_only_for_unambiguous_boxes():
    tracker = make_tracker("deepsort", {"reuse_features": True, "n_init": 1})
    feats = np.eye(3, 8, dtype=np.float32)
    first = Detections(np.array([[0, 0, 10, 20], [100, 0, 110, 20], [200, 0, 210, 20]], np.float32),
                       np.full(3, 0.9, np.float32), feats)
    tracker.update(first, None)
    # box 0 moved a little (reusable), box 1 now overlaps box 2 (ambiguous), box 2 moved far (no match)
    second = Detections(np.array([[1, 0, 11, 20], [104, 0, 114, 20], [108, 0, 118, 20]], np.float32),
                        np.full(3, 0.9, np.float32))
    plan = tracker.plan_features(second)
    assert list(plan) == [0]
    out = np.zeros((3, 8), np.float32)
    tracker.fill_features(out, plan)
    np.testing.assert_array_equal(out[0], feats[0])
    assert make_tracker("deepsort").plan_features(second) == {}  # off by default
