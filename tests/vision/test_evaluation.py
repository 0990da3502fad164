"""Tracking scores: exact counts on constructed hypotheses, hand-computed HOTA, TrackEval reference values.

Expected values are derived from the construction (how many boxes were dropped, which ids were swapped) or
computed by hand, never read back from the implementation, so a wrong metric fails here.
"""

from __future__ import annotations

import math
import time

import motmetrics as mm
import numpy as np
import pandas as pd
import pytest
from datafiles import data_file
from scipy.optimize import linear_sum_assignment

from retail_desktop.errors import UserError
from retail_desktop.vision import evaluation
from retail_desktop.vision.evaluation import HOTA_ALPHAS, TrackingScores, box_iou, evaluate_mot, evaluate_mot_files
from retail_desktop.vision.mot_format import read_mot, write_mot

BOX = ["left", "top", "width", "height"]


def boxes(rows) -> pd.DataFrame:
    """Frame from ``(frame, id, left, top, width, height[, conf])`` tuples."""
    rows = [tuple(r) + (1.0,) * (7 - len(r)) for r in rows]
    frame = pd.DataFrame(rows, columns=["frame", "id", *BOX, "conf"])
    return frame.astype({"frame": "int64", "id": "int64"})


def gt_file(seq: str) -> pd.DataFrame:
    return read_mot(data_file(f"labeled/mot15/{seq}/gt/gt.txt"))


# ---- identities -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("seq", ["TUD-Campus", "ETH-Sunnyday", "KITTI-17", "PETS09-S2L1"])
def test_ground_truth_against_itself_is_perfect(seq):
    gt = gt_file(seq)
    s = evaluate_mot(gt, gt)
    valid = gt[gt["conf"] != 0]
    assert (s.mota, s.motp, s.idf1, s.idp, s.idr, s.precision, s.recall) == (1, 1, 1, 1, 1, 1, 1)
    assert (s.hota, s.deta, s.assa) == (pytest.approx(1.0, abs=1e-12),) * 3
    assert (s.id_switches, s.false_positives, s.misses, s.fragmentations, s.mostly_lost) == (0, 0, 0, 0, 0)
    assert s.num_gt == len(valid)
    assert s.num_gt_tracks == s.num_hyp_tracks == s.mostly_tracked == valid["id"].nunique()


def test_to_dict_has_every_field_and_scores_are_frozen():
    gt = boxes([(1, 1, 0, 0, 10, 10)])
    s = evaluate_mot(gt, gt)
    d = s.to_dict()
    assert list(d) == [f for f in TrackingScores.__dataclass_fields__]
    assert len(d) == 19 and d["hota"] == pytest.approx(1.0)
    with pytest.raises(AttributeError):
        s.mota = 0.5  # type: ignore[misc]


# ---- CLEAR / identity on constructed hypotheses ---------------------------------------------------------


def two_tracks_to_swap(gt: pd.DataFrame) -> tuple[int, int, int]:
    """Two ids present on both sides of a middle frame whose boxes never overlap (so a swap cannot be
    absorbed by IoU), and that frame."""
    frames = np.sort(gt["frame"].unique())
    mid = int(frames[len(frames) // 2])
    ids_at = lambda f: set(gt.loc[gt["frame"] == f, "id"])  # noqa: E731
    both = sorted(ids_at(mid - 1) & ids_at(mid))
    for i, a in enumerate(both):
        for b in both[i + 1 :]:
            ta, tb = gt[gt["id"] == a].set_index("frame"), gt[gt["id"] == b].set_index("frame")
            common = ta.index.intersection(tb.index)
            iou = [box_iou(ta.loc[f, BOX].to_numpy(float), tb.loc[f, BOX].to_numpy(float))[0, 0] for f in common]
            if max(iou) == 0 and ta.index.min() < mid and tb.index.min() < mid:
                return a, b, mid
    raise AssertionError("no pair of disjoint tracks to swap")


def test_swapping_two_ids_halfway_counts_exactly_two_switches():
    gt = gt_file("TUD-Campus")
    a, b, mid = two_tracks_to_swap(gt)
    hyp = gt.copy()
    late = hyp["frame"] >= mid
    hyp.loc[late & (gt["id"] == a), "id"] = b
    hyp.loc[late & (gt["id"] == b), "id"] = a

    s = evaluate_mot(gt, hyp)
    n = len(gt)
    assert s.id_switches == 2
    assert s.mota == pytest.approx(1 - 2 / n)
    assert (s.false_positives, s.misses, s.recall, s.precision) == (0, 0, 1.0, 1.0)
    # Best one-to-one id mapping keeps, for each of the two tracks, the longer side of the swap
    # (or both early halves / both late halves, whichever is larger in total).
    early = {t: int(((gt["id"] == t) & (gt["frame"] < mid)).sum()) for t in (a, b)}
    late_n = {t: int(((gt["id"] == t) & (gt["frame"] >= mid)).sum()) for t in (a, b)}
    lost = min(late_n[a] + late_n[b], early[a] + early[b])
    assert s.idf1 == pytest.approx((n - lost) / n)
    assert s.hota < 1.0 and s.deta == pytest.approx(1.0) and s.assa < 1.0


def test_dropping_boxes_lowers_recall_by_exactly_the_dropped_fraction():
    gt = gt_file("TUD-Campus")
    dropped = gt.index % 5 == 0
    s = evaluate_mot(gt, gt[~dropped])
    assert s.misses == int(dropped.sum())
    assert s.recall == pytest.approx(1 - dropped.sum() / len(gt))
    assert (s.false_positives, s.precision, s.id_switches) == (0, 1.0, 0)
    assert s.mota == pytest.approx(s.recall)
    assert s.deta == pytest.approx(1 - dropped.sum() / len(gt))


def test_boxes_shifted_below_the_iou_threshold_become_misses_and_false_positives():
    gt = gt_file("TUD-Campus")
    target = gt["id"] == gt["id"].value_counts().idxmax()
    hyp = gt.copy()
    hyp.loc[target, "left"] += 0.6 * hyp.loc[target, "width"]  # IoU = 0.4 / 1.6 = 0.25 with its own gt
    n = int(target.sum())

    s = evaluate_mot(gt, hyp)
    assert (s.misses, s.false_positives) == (n, n)
    assert s.recall == pytest.approx(1 - n / len(gt))
    assert s.mota == pytest.approx(1 - 2 * n / len(gt))

    loose = evaluate_mot(gt, hyp, iou_threshold=0.2)
    assert (loose.misses, loose.false_positives) == (0, 0)
    assert loose.motp < 1.0


def test_empty_hypothesis_misses_everything():
    gt = gt_file("TUD-Campus")
    s = evaluate_mot(gt, gt.iloc[0:0])
    assert s.misses == len(gt) and s.false_positives == 0
    assert s.recall == 0.0 and s.mota == 0.0
    assert s.num_hyp_tracks == 0 and s.mostly_lost == gt["id"].nunique()
    assert (s.hota, s.deta, s.assa) == (0.0, 0.0, 0.0)


def test_hypotheses_on_frames_without_ground_truth_are_false_positives():
    gt = boxes([(1, 1, 0, 0, 10, 10)])
    hyp = boxes([(1, 1, 0, 0, 10, 10), (2, 1, 0, 0, 10, 10), (3, 2, 50, 50, 10, 10)])
    s = evaluate_mot(gt, hyp)
    assert (s.false_positives, s.misses, s.num_hyp_tracks) == (2, 0, 2)
    assert s.mota == pytest.approx(1 - 2 / 1)


# ---- ignored ground truth (conf == 0) -------------------------------------------------------------------


def test_ignored_ground_truth_is_never_a_miss_and_covering_hypothesis_is_dropped_by_default():
    gt = boxes([(1, 1, 0, 0, 10, 10), (1, 2, 100, 0, 10, 10, 0), (2, 2, 100, 0, 10, 10, 0)])
    hyp = boxes([(1, 1, 0, 0, 10, 10), (1, 7, 101, 0, 10, 10)])  # frame 2: ignored person not found
    s = evaluate_mot(gt, hyp)
    assert (s.num_gt, s.misses, s.false_positives, s.num_gt_tracks, s.num_hyp_tracks) == (1, 0, 0, 1, 1)
    assert s.mota == 1.0 and s.hota == pytest.approx(1.0)

    strict = evaluate_mot(gt, hyp, hyps_on_ignored_gt="false_positive")
    assert (strict.num_gt, strict.misses, strict.false_positives, strict.num_hyp_tracks) == (1, 0, 1, 2)
    assert strict.mota == 0.0


def test_hypothesis_near_but_below_threshold_of_ignored_box_stays_a_false_positive():
    gt = boxes([(1, 1, 0, 0, 10, 10), (1, 2, 100, 0, 10, 10, 0)])
    hyp = boxes([(1, 1, 0, 0, 10, 10), (1, 7, 106, 0, 10, 10)])  # IoU 4/16 with the ignored box
    assert evaluate_mot(gt, hyp).false_positives == 1


def test_real_ignore_rows_mot15_mode_counts_them_as_false_positives():
    gt = gt_file("ETH-Sunnyday")
    ignored = int((gt["conf"] == 0).sum())
    assert ignored == 43  # what the MOT15 file here contains; the assertions below depend on it
    s = evaluate_mot(gt, gt, hyps_on_ignored_gt="false_positive")
    assert (s.false_positives, s.misses, s.num_gt) == (ignored, 0, len(gt) - ignored)
    assert s.precision == pytest.approx((len(gt) - ignored) / len(gt))
    # TrackEval 1.3.0, BENCHMARK='MOT15', gt.txt scored against itself.
    assert s.hota == pytest.approx(0.984789, abs=1e-6)


def test_invalid_inputs_are_programming_errors():
    gt = boxes([(1, 1, 0, 0, 10, 10)])
    with pytest.raises(ValueError, match="lacks columns"):
        evaluate_mot(gt.drop(columns="width"), gt)
    with pytest.raises(ValueError, match="negative track ids"):
        evaluate_mot(gt, boxes([(1, -1, 0, 0, 10, 10)]))
    with pytest.raises(ValueError, match="twice in frame 1"):
        evaluate_mot(gt, boxes([(1, 3, 0, 0, 10, 10), (1, 3, 5, 5, 10, 10)]))
    with pytest.raises(ValueError, match="iou_threshold"):
        evaluate_mot(gt, gt, iou_threshold=0)
    with pytest.raises(ValueError, match="hyps_on_ignored_gt"):
        evaluate_mot(gt, gt, hyps_on_ignored_gt="drop")  # type: ignore[arg-type]


def test_detections_file_as_tracker_result_is_a_user_error():
    gt_path = data_file("labeled/mot15/TUD-Campus/gt/gt.txt")
    det_path = data_file("labeled/mot15/TUD-Campus/det/det.txt")
    with pytest.raises(UserError) as err:
        evaluate_mot_files(gt_path, det_path)
    assert str(det_path) in str(err.value) and "id -1" in str(err.value)
    assert evaluate_mot_files(gt_path, gt_path).idf1 == 1.0


# ---- HOTA, hand-computed --------------------------------------------------------------------------------


def test_hota_alphas_are_trackeval_thresholds():
    assert HOTA_ALPHAS.size == 19
    np.testing.assert_array_equal(HOTA_ALPHAS, np.arange(0.05, 0.99, 0.05))


def test_hota_one_track_split_between_two_ids():
    # Perfect boxes, but frames 1-2 and 3-4 carry different ids: every TP has TPA=2, FNA=2, FPA=0.
    gt = boxes([(f, 1, 0, 0, 10, 10) for f in range(1, 5)])
    hyp = boxes([(f, 1 if f <= 2 else 2, 0, 0, 10, 10) for f in range(1, 5)])
    s = evaluate_mot(gt, hyp)
    assert s.deta == pytest.approx(1.0)
    assert s.assa == pytest.approx(0.5)
    assert s.hota == pytest.approx(math.sqrt(0.5))


def test_hota_partial_overlap_passes_only_low_alphas():
    # IoU 0.62: a TP for alpha 0.05..0.60 (12 of 19), an FN plus an FP above.
    s = evaluate_mot(boxes([(1, 1, 0, 0, 10, 10)]), boxes([(1, 1, 0, 0, 10, 6.2)]))
    assert s.deta == pytest.approx(12 / 19)
    assert s.assa == pytest.approx(12 / 19)
    assert s.hota == pytest.approx(12 / 19)


def test_hota_matching_prefers_the_established_track_over_a_better_overlapping_stranger():
    # gt 1 and hyp 1 coincide in frames 1-3. In frame 4 hyp 1 has IoU 0.62 and a one-frame hyp 2 has IoU
    # 0.72. Matching on IoU alone would pick hyp 2; the association term must pick hyp 1.
    gt = boxes([(f, 1, 0, 0, 10, 10) for f in range(1, 5)])
    hyp = boxes([(f, 1, 0, 0, 10, 10) for f in range(1, 4)] + [(4, 1, 0, 0, 10, 6.2), (4, 2, 0, 2.8, 10, 7.2)])
    frame4 = box_iou(gt[BOX].to_numpy()[3], hyp[BOX].to_numpy()[3:])
    np.testing.assert_allclose(frame4, [[0.62, 0.72]])
    s = evaluate_mot(gt, hyp)
    # alpha <= 0.60 (12): TP 4, FN 0, FP 1 -> DetA 0.8; pair (1,1) 4/(4+4-4) -> AssA 1.
    # alpha >= 0.65 (7): TP 3, FN 1, FP 2 -> DetA 0.5; pair (1,1) 3/(4+4-3) -> AssA 0.6.
    assert s.deta == pytest.approx((12 * 0.8 + 7 * 0.5) / 19)
    assert s.assa == pytest.approx((12 * 1.0 + 7 * 0.6) / 19)
    assert s.hota == pytest.approx((12 * math.sqrt(0.8) + 7 * math.sqrt(0.3)) / 19)


def test_hota_is_zero_without_ground_truth():
    s = evaluate_mot(boxes([]), boxes([(1, 1, 0, 0, 10, 10)]))
    assert (s.hota, s.deta, s.assa, s.false_positives, s.num_gt) == (0.0, 0.0, 0.0, 1, 0)
    assert math.isnan(s.mota) and math.isnan(s.recall)


# ---- against TrackEval on real sequences ----------------------------------------------------------------


def greedy_tracker(det: pd.DataFrame, min_iou=0.3, max_age=3, min_conf=None) -> pd.DataFrame:
    """A deliberately weak tracker (per-frame Hungarian on IoU with recent tracks) so that the reference
    hypotheses have real switches, fragments and false positives. Must stay exactly as it was when the
    TrackEval values below were computed."""
    det = det if min_conf is None else det[det.conf >= min_conf]
    det = det.copy().reset_index(drop=True)
    ids = np.zeros(len(det), dtype=np.int64)
    all_boxes = det[BOX].to_numpy()
    tracks: dict[int, tuple[int, np.ndarray]] = {}
    next_id = 1
    for frame, idx in det.groupby("frame").groups.items():
        idx = np.asarray(idx)
        frame_boxes = all_boxes[idx]
        live = [(t, b) for t, (last, b) in tracks.items() if frame - last <= max_age]
        assigned = {}
        if live:
            iou = box_iou(np.array([b for _, b in live]), frame_boxes)
            rows, cols = linear_sum_assignment(-iou)
            for i, j in zip(rows, cols):
                if iou[i, j] >= min_iou:
                    assigned[j] = live[i][0]
        for j in range(len(idx)):
            tid = assigned.get(j)
            if tid is None:
                tid, next_id = next_id, next_id + 1
            ids[idx[j]] = tid
            tracks[tid] = (frame, frame_boxes[j])
    det["id"] = ids
    return det


# HOTA, DetA, AssA, IDF1, MOTA from TrackEval 1.3.0 (PyPI; MotChallenge2DBox, BENCHMARK='MOT15', metrics
# HOTA/CLEAR/Identity) on the same hypothesis files.
TRACKEVAL = {
    ("TUD-Campus", "det.txt", None): (
        0.2881175163262255, 0.41352428780999484, 0.20577849615562363,
        0.3641703377386197, 0.2757660167130919,
    ),
    ("TUD-Campus", "det_sort_frcnn.txt", 0.5): (
        0.45095958651068796, 0.49724641275034204, 0.41195382104677314,
        0.5558823529411765, 0.5487465181058496,
    ),
    ("ETH-Sunnyday", "det.txt", None): (
        0.3021205724691134, 0.34855566703677154, 0.26312341237354153,
        0.3502180476350218, 0.3379978471474704,
    ),
    ("ETH-Sunnyday", "det_sort_frcnn.txt", 0.5): (
        0.5234535431510675, 0.4833912545350533, 0.5695739648830416,
        0.6916212196331185, 0.4897739504843918,
    ),
}


@pytest.mark.parametrize("seq, det_name, min_conf", list(TRACKEVAL))
def test_matches_trackeval_on_greedy_tracker_output(tmp_path, seq, det_name, min_conf):
    det = read_mot(data_file(f"labeled/mot15/{seq}/det/{det_name}"))
    hyp = read_mot(write_mot(greedy_tracker(det, min_conf=min_conf), tmp_path / f"{seq}.txt"))
    s = evaluate_mot(gt_file(seq), hyp, hyps_on_ignored_gt="false_positive")
    hota, deta, assa, idf1, mota = TRACKEVAL[(seq, det_name, min_conf)]
    assert s.hota == pytest.approx(hota, abs=1e-9)
    assert s.deta == pytest.approx(deta, abs=1e-9)
    assert s.assa == pytest.approx(assa, abs=1e-9)
    assert s.idf1 == pytest.approx(idf1, abs=1e-9)
    # CLEAR comes from py-motmetrics, which re-pairs a gt with its last hypothesis even after a gap where
    # TrackEval only continues pairs from the previous frame; the two differ by a few switches.
    assert s.mota == pytest.approx(mota, abs=0.01)


def jittered(gt: pd.DataFrame, pixels: float) -> pd.DataFrame:
    """Deterministic hypothesis from gt: boxes pushed by up to ``pixels`` in a fixed pattern, ids offset."""
    hyp = gt.copy()
    k = np.arange(len(hyp))
    hyp["left"] += pixels * np.sin(k * 1.7)
    hyp["top"] += pixels * np.cos(k * 2.3)
    hyp["width"] *= 1 + 0.01 * pixels * np.sin(k * 0.9)
    hyp["id"] += 100
    return hyp


def test_noisy_real_hypothesis_degrades_gracefully_and_monotonically():
    gt = gt_file("TUD-Campus")
    scores = [evaluate_mot(gt, jittered(gt, p)) for p in (0, 4, 12, 30)]
    assert scores[0].hota == pytest.approx(1.0)
    hotas = [s.hota for s in scores]
    assert hotas == sorted(hotas, reverse=True) and hotas[-1] < 0.5
    motps = [s.motp for s in scores]
    assert motps == sorted(motps, reverse=True)
    for s in scores:
        matches = s.num_gt - s.misses
        assert s.recall == pytest.approx(matches / s.num_gt)
        assert s.precision == pytest.approx(matches / (matches + s.false_positives))
        assert s.mota == pytest.approx(1 - (s.misses + s.false_positives + s.id_switches) / s.num_gt)
        assert s.num_hyp_tracks == s.num_gt_tracks == 8


def test_eth_sunnyday_scores_in_under_five_seconds():
    gt = gt_file("ETH-Sunnyday")
    hyp = jittered(gt, 6)
    start = time.perf_counter()
    s = evaluate_mot(gt, hyp)
    elapsed = time.perf_counter() - start
    assert 0 < s.hota < 1
    assert elapsed < 5.0, f"{elapsed:.2f} s"


# ---- NumPy 2 and py-motmetrics --------------------------------------------------------------------------


def test_importing_evaluation_does_not_patch_numpy():
    # motmetrics.distances.iou_matrix needs np.asfarray, gone in NumPy 2; we avoid it rather than patch numpy.
    assert evaluation.np is np
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        assert not hasattr(np, "asfarray")


def test_our_distances_equal_motmetrics_iou_matrix(monkeypatch):
    rng = np.random.default_rng(3)
    a = np.column_stack([rng.uniform(0, 100, (40, 2)), rng.uniform(1, 60, (40, 2))])
    b = np.column_stack([a[:30, :2] + rng.normal(0, 8, (30, 2)), a[:30, 2:] * rng.uniform(0.7, 1.3, (30, 2))])
    # Lend the removed function to this test only, so the reference implementation can run under NumPy 2.
    monkeypatch.setattr(np, "asfarray", lambda x: np.asarray(x, dtype=np.float64), raising=False)
    reference = mm.distances.iou_matrix(a, b, max_iou=0.5)
    ours = evaluation._motmetrics_distances(box_iou(a, b), 0.5)
    assert np.isnan(reference).sum() > 0 and np.isfinite(reference).sum() > 10
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-12, equal_nan=True)
