"""TrackAssembler: back-fill of unconfirmed starts, gap interpolation, tail prediction, never retracting."""

import numpy as np

from retail_desktop.vision.assembler import TrackAssembler
from retail_desktop.vision.detections import Detections
from retail_desktop.vision.trackers import Observation


def _dets(*boxes, score=0.9):
    return Detections(np.array(boxes, np.float32).reshape(-1, 4), np.full(len(boxes), score, np.float32))


def test_unconfirmed_start_is_backfilled_once_confirmed():
    asm = TrackAssembler(max_gap=5)
    asm.add(0, _dets([0, 0, 10, 10]), [Observation(7, 0, False)])
    asm.add(1, _dets([1, 0, 11, 10]), [Observation(7, 0, False)])
    assert asm.drain() == []  # not confirmed yet: nothing is final
    asm.add(2, _dets([2, 0, 12, 10]), [Observation(7, 0, True)])
    out = asm.drain()
    assert [(b.frame, b.track_id, b.source) for b in out] == [(0, 7, "detected"), (1, 7, "detected"), (2, 7, "detected")]
    assert out[1].box == (1.0, 0.0, 11.0, 10.0)


def test_unconfirmed_track_that_dies_is_never_written():
    asm = TrackAssembler(max_gap=2)
    asm.add(0, _dets([0, 0, 10, 10]), [Observation(1, 0, False)])
    for f in range(1, 6):
        asm.add(f, _dets(), [])
    asm.finish(5)
    assert asm.drain() == []


def test_gap_is_interpolated_linearly_and_long_gaps_are_not():
    asm = TrackAssembler(max_gap=4)
    asm.add(0, _dets([0, 0, 10, 10]), [Observation(1, 0, True)])
    asm.add(4, _dets([40, 0, 50, 10]), [Observation(1, 0, True)])
    out = asm.drain()
    assert [b.frame for b in out] == [0, 1, 2, 3, 4]
    assert [b.source for b in out] == ["detected", "interpolated", "interpolated", "interpolated", "detected"]
    assert out[2].box == (20.0, 0.0, 30.0, 10.0)
    asm.add(10, _dets([100, 0, 110, 10]), [Observation(1, 0, True)])  # gap 6 > max_gap 4
    assert [b.frame for b in asm.drain()] == [10]


def test_tail_after_last_detection_is_predicted_with_velocity():
    asm = TrackAssembler(max_gap=5)
    asm.add(0, _dets([0, 0, 10, 10]), [Observation(1, 0, True)])
    asm.add(2, _dets([4, 0, 14, 10]), [Observation(1, 0, True)])
    asm.drain()
    asm.finish(4)
    out = asm.drain()
    assert [(b.frame, b.source) for b in out] == [(3, "predicted"), (4, "predicted")]
    np.testing.assert_allclose(out[1].box, (8, 0, 18, 10))


def test_each_frame_and_track_emitted_once():
    rng = np.random.default_rng(0)
    asm = TrackAssembler(max_gap=3)
    seen = []
    for f in range(0, 60, 2):
        n = 3
        boxes = [[10 * i + f, 0, 10 * i + f + 5, 5] for i in range(n)]
        obs = [Observation(i, i, bool(f > 2)) for i in range(n) if rng.random() > 0.2]
        asm.add(f, _dets(*boxes), obs)
        seen += asm.drain()
    asm.finish(60)
    seen += asm.drain()
    keys = [(b.frame, b.track_id) for b in seen]
    assert len(keys) == len(set(keys))


def test_detections_with_no_boxes_accept_empty_embeddings():
    d = Detections(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 1280)))
    assert len(d) == 0 and d.embeddings.shape == (0, 1280)
