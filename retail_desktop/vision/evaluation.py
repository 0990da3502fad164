"""Score a tracker against ground truth: CLEAR-MOT (MOTA, MOTP), identity (IDF1) and HOTA.

Why two engines. CLEAR and identity metrics come from py-motmetrics, a widely used, tested implementation;
re-deriving its switch/fragmentation bookkeeping here would only add a second source of truth. py-motmetrics has no HOTA, so HOTA is implemented here (see :func:`_hota`).
Both engines see the same per-frame IoU matrices, computed once by :func:`box_iou`, so a box can never
be a match for one metric and not for the other because of a rounding difference.

NumPy 2. motmetrics 1.4.0, the newest release on PyPI, calls ``np.asfarray`` (removed in NumPy 2) in exactly
one place, ``motmetrics.distances.iou_matrix``. We never call that function: distances are handed to
``MOTAccumulator.update`` ready-made (1 - IoU, NaN below the threshold, which is what ``iou_matrix``
returns). So no shim and no patch of the ``numpy`` module is needed; ``tests/vision/test_evaluation.py``
checks that our distances equal ``iou_matrix``'s (by lending it ``asfarray`` for that test only) and that
importing this module leaves ``numpy`` untouched.

Ground-truth rows with ``conf == 0`` are "ignore" boxes (MOTChallenge convention; of the MOT15 files here,
ETH-Sunnyday has 43, KITTI-17 99, PETS09-S2L1 174, TUD-Campus none). They never count as misses. What
happens to a hypothesis that covers one is a choice, see ``hyps_on_ignored_gt`` in :func:`evaluate_mot`.

Agreement with TrackEval (the official MOTChallenge evaluator), checked on the four MOT15 training
sequences with 16 hypotheses (gt itself, noisy/id-swapped/thinned gt, a greedy IoU tracker on both public
detection sets), ``hyps_on_ignored_gt="false_positive"``: HOTA, DetA, AssA, IDF1, IDP, IDR identical (max
difference 1e-16). CLEAR numbers are py-motmetrics' and differ slightly by design: motmetrics re-pairs a
gt with its last hypothesis even after frames apart, TrackEval only continues pairs from the previous
frame, so switches differ by up to 5 and MOTA by up to 0.006 there; motmetrics counts mostly-tracked at
>= 80 % (TrackEval > 80 %) and does not count a gap in the ground truth itself as a fragmentation.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from typing import Literal

import motmetrics as mm
import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from retail_desktop.errors import UserError
from retail_desktop.vision.mot_format import read_mot

__all__ = ["HOTA_ALPHAS", "TrackingScores", "box_iou", "evaluate_mot", "evaluate_mot_files"]

_EPS = float(np.finfo(np.float64).eps)

#: Localisation thresholds HOTA is averaged over: 0.05, 0.10, ..., 0.95. Computed as ``0.05 + 0.05 * k``,
#: bit-for-bit the values ``np.arange(0.05, 0.99, 0.05)`` in TrackEval has, so that boxes whose IoU lands
#: exactly on a threshold (common with integer boxes) are decided the same way.
HOTA_ALPHAS = 0.05 + 0.05 * np.arange(19)

_REQUIRED = ("frame", "id", "left", "top", "width", "height")

_MM_METRICS = [
    "mota",
    "motp",
    "idf1",
    "idp",
    "idr",
    "num_switches",
    "precision",
    "recall",
    "num_false_positives",
    "num_misses",
    "num_objects",
    "num_unique_objects",
    "mostly_tracked",
    "mostly_lost",
    "num_fragmentations",
]


@dataclass(frozen=True)
class TrackingScores:
    """One tracker on one sequence. Ratios are in [0, 1] (MOTA can be negative); NaN where undefined.

    ``motp`` is the mean IoU of matched pairs (higher is better, as MOTChallenge reports it), not
    py-motmetrics' mean distance ``1 - IoU``. ``num_gt`` counts ground-truth boxes after ignore rows are
    removed, i.e. the denominator of MOTA and recall. ``hota``, ``deta`` and ``assa`` are averaged over
    :data:`HOTA_ALPHAS`; they are 0 rather than NaN when there is nothing to match, as in TrackEval.
    """

    mota: float
    motp: float
    idf1: float
    idp: float
    idr: float
    id_switches: int
    precision: float
    recall: float
    false_positives: int
    misses: int
    num_gt: int
    num_hyp_tracks: int
    num_gt_tracks: int
    mostly_tracked: int
    mostly_lost: int
    fragmentations: int
    hota: float
    deta: float
    assa: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix between ``(N, 4)`` and ``(M, 4)`` boxes given as ``left, top, width, height``.

    Continuous coordinates (right = left + width, no "+1" pixel convention), like TrackEval and
    py-motmetrics, so scores are comparable with theirs. Degenerate (zero-area) boxes overlap nothing.
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    a_right, a_bottom = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    b_right, b_bottom = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    inter_w = np.minimum(a_right[:, None], b_right[None, :]) - np.maximum(a[:, 0, None], b[None, :, 0])
    inter_h = np.minimum(a_bottom[:, None], b_bottom[None, :]) - np.maximum(a[:, 1, None], b[None, :, 1])
    inter = np.clip(inter_w, 0, None) * np.clip(inter_h, 0, None)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None, :] - inter
    iou = np.zeros_like(inter)
    np.divide(inter, union, out=iou, where=union > _EPS)
    return iou


def evaluate_mot(
    gt: pd.DataFrame,
    hyp: pd.DataFrame,
    iou_threshold: float = 0.5,
    *,
    hyps_on_ignored_gt: Literal["ignore", "false_positive"] = "ignore",
) -> TrackingScores:
    """Score hypothesis tracks ``hyp`` against ground truth ``gt`` (frames as returned by ``read_mot``).

    ``iou_threshold`` decides a CLEAR/identity match (IoU >= threshold); HOTA has its own thresholds.

    ``gt`` rows with ``conf == 0`` are dropped before scoring, so they are never misses.
    ``hyps_on_ignored_gt`` says what a hypothesis box that covers one of them (one-to-one Hungarian
    matching on IoU against all gt boxes of the frame, IoU >= ``iou_threshold``) becomes:

    * ``"ignore"`` (default): it is removed too, so finding a barely visible person is not punished; this
      is how the MOTChallenge devkit treats distractor boxes from MOT16 on.
    * ``"false_positive"``: it stays and, having nothing left to match, counts as a false positive. This is
      what the official evaluation does for **MOT15** (TrackEval, ``BENCHMARK='MOT15'``: zero-marked gt
      removed, no tracker preprocessing); use it to compare with published MOT15 numbers (HOTA and IDF1
      then equal TrackEval's; CLEAR is within a few switches, see the module docstring).

    Wrong columns, negative ids (untracked detections) or a track id twice in a frame raise ``ValueError``:
    these frames come from code; :func:`evaluate_mot_files` turns the same problems in files into
    :class:`UserError`.
    """
    if hyps_on_ignored_gt not in ("ignore", "false_positive"):
        raise ValueError(f"hyps_on_ignored_gt must be 'ignore' or 'false_positive', not {hyps_on_ignored_gt!r}")
    if not 0.0 < iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in (0, 1], not {iou_threshold}")
    _check_frame(gt, "gt")
    _check_frame(hyp, "hyp")

    frames = _per_frame(gt, hyp, iou_threshold, drop_hyps_on_ignored=hyps_on_ignored_gt == "ignore")
    clear = _clear_and_identity(frames, iou_threshold)
    hota, deta, assa = _hota(frames)

    gt_tracks = np.unique(np.concatenate([f.gt_ids for f in frames])) if frames else np.empty(0)
    hyp_tracks = np.unique(np.concatenate([f.hyp_ids for f in frames])) if frames else np.empty(0)
    return TrackingScores(
        mota=clear["mota"],
        motp=clear["motp"],
        idf1=clear["idf1"],
        idp=clear["idp"],
        idr=clear["idr"],
        id_switches=clear["num_switches"],
        precision=clear["precision"],
        recall=clear["recall"],
        false_positives=clear["num_false_positives"],
        misses=clear["num_misses"],
        num_gt=clear["num_objects"],
        num_hyp_tracks=int(hyp_tracks.size),
        num_gt_tracks=int(gt_tracks.size),
        mostly_tracked=clear["mostly_tracked"],
        mostly_lost=clear["mostly_lost"],
        fragmentations=clear["num_fragmentations"],
        hota=hota,
        deta=deta,
        assa=assa,
    )


def evaluate_mot_files(
    gt_path: str | os.PathLike[str],
    hyp_path: str | os.PathLike[str],
    iou_threshold: float = 0.5,
    *,
    hyps_on_ignored_gt: Literal["ignore", "false_positive"] = "ignore",
) -> TrackingScores:
    """:func:`evaluate_mot` on two MOT files; a file that cannot be scored raises :class:`UserError`.

    The common mistake this catches is picking a detections file (``det.txt``, every id -1) as the
    tracker result: it parses fine but has no tracks to score.
    """
    gt = read_mot(gt_path)
    hyp = read_mot(hyp_path)
    for frame, path, role in ((gt, gt_path, "ground truth"), (hyp, hyp_path, "tracker result")):
        if len(frame) and (frame["id"] < 0).any():
            raise UserError(
                f"{role} has boxes without a track id (id -1, like public detections); cannot score it as tracks",
                path,
            )
    return evaluate_mot(gt, hyp, iou_threshold, hyps_on_ignored_gt=hyps_on_ignored_gt)


# --------------------------------------------------------------------------------------------------------


@dataclass
class _Frame:
    """One frame after ignore handling: original ids and the IoU matrix gt x hyp."""

    number: int
    gt_ids: np.ndarray
    hyp_ids: np.ndarray
    iou: np.ndarray


def _check_frame(frame: pd.DataFrame, name: str) -> None:
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing}; has {list(frame.columns)}")
    if len(frame) == 0:
        return
    ids = frame["id"].to_numpy()
    if (ids < 0).any():
        raise ValueError(f"{name} has negative track ids (untracked detections cannot be scored as tracks)")
    if frame.duplicated(subset=["frame", "id"]).any():
        row = frame[frame.duplicated(subset=["frame", "id"])].iloc[0]
        raise ValueError(f"{name} has track id {int(row['id'])} twice in frame {int(row['frame'])}")
    boxes = frame[list(_REQUIRED[2:])].to_numpy(dtype=np.float64)
    if not np.isfinite(boxes).all():
        raise ValueError(f"{name} has inf or nan box coordinates")


def _per_frame(gt: pd.DataFrame, hyp: pd.DataFrame, threshold: float, drop_hyps_on_ignored: bool) -> list[_Frame]:
    """Split both tables by frame (keeping row order, which decides Hungarian ties as in TrackEval)."""
    gt_frame = gt["frame"].to_numpy(dtype=np.int64)
    gt_id = gt["id"].to_numpy(dtype=np.int64)
    gt_box = gt[list(_REQUIRED[2:])].to_numpy(dtype=np.float64)
    gt_keep = gt["conf"].to_numpy(dtype=np.float64) != 0 if "conf" in gt.columns else np.ones(len(gt), bool)
    hyp_frame = hyp["frame"].to_numpy(dtype=np.int64)
    hyp_id = hyp["id"].to_numpy(dtype=np.int64)
    hyp_box = hyp[list(_REQUIRED[2:])].to_numpy(dtype=np.float64)

    gt_slices = _slices_by_frame(gt_frame)
    hyp_slices = _slices_by_frame(hyp_frame)
    empty = np.empty(0, dtype=np.int64)
    frames = []
    for number in sorted(set(gt_slices) | set(hyp_slices)):
        g = gt_slices.get(number, empty)
        h = hyp_slices.get(number, empty)
        keep = gt_keep[g]
        if drop_hyps_on_ignored and h.size and not keep.all():
            iou_all = box_iou(gt_box[g], hyp_box[h])
            score = np.where(iou_all >= threshold - _EPS, iou_all, 0.0)
            rows, cols = linear_sum_assignment(-score)
            matched = score[rows, cols] > _EPS
            on_ignored = cols[matched & ~keep[rows]]
            h = np.delete(h, on_ignored)
        g = g[keep]
        frames.append(_Frame(number, gt_id[g], hyp_id[h], box_iou(gt_box[g], hyp_box[h])))
    return frames


def _slices_by_frame(frame_numbers: np.ndarray) -> dict[int, np.ndarray]:
    """Row indices per frame number, in original row order."""
    if frame_numbers.size == 0:
        return {}
    order = np.argsort(frame_numbers, kind="stable")
    numbers, starts = np.unique(frame_numbers[order], return_index=True)
    return {int(n): idx for n, idx in zip(numbers, np.split(order, starts[1:]))}


def _clear_and_identity(frames: list[_Frame], threshold: float) -> dict[str, float | int]:
    accumulator = mm.MOTAccumulator(auto_id=False)
    for f in frames:
        accumulator.update(f.gt_ids, f.hyp_ids, _motmetrics_distances(f.iou, threshold), frameid=f.number)
    summary = mm.metrics.create().compute(accumulator, metrics=_MM_METRICS, name="seq")
    row = summary.loc["seq"]
    out: dict[str, float | int] = {}
    for name in _MM_METRICS:
        value = float(row[name])
        if name.startswith("num_") or name in ("mostly_tracked", "mostly_lost"):
            out[name] = int(value) if math.isfinite(value) else 0
        else:
            out[name] = value if math.isfinite(value) else math.nan
    out["motp"] = 1.0 - out["motp"] if math.isfinite(out["motp"]) else math.nan
    return out


def _motmetrics_distances(iou: np.ndarray, threshold: float) -> np.ndarray:
    """What ``motmetrics.distances.iou_matrix(..., max_iou=1 - threshold)`` returns (1 - IoU, NaN = may not
    pair), without its ``np.asfarray`` call that NumPy 2 removed."""
    return np.where(iou >= threshold - _EPS, 1.0 - iou, np.nan)


def _hota(frames: list[_Frame]) -> tuple[float, float, float]:
    """HOTA, DetA, AssA averaged over :data:`HOTA_ALPHAS` (Luiten et al., IJCV 2020).

    Per alpha: DetA = |TP| / (|TP| + |FN| + |FP|); AssA = mean over TPs c of
    |TPA(c)| / (|TPA(c)| + |FNA(c)| + |FPA(c)|); HOTA_alpha = sqrt(DetA * AssA); the result is the mean of
    each over the 19 alphas. Matching follows the paper and TrackEval: one Hungarian assignment per frame
    that maximises IoU x global alignment score of the two track ids (a soft count of how often they
    overlap, over how often either exists), so a match that continues an established pairing beats a
    slightly better-overlapping stranger; a pair then counts at alpha only if its IoU >= alpha.
    Undefined ratios are 0 (TrackEval's ``max(1, denominator)``).

    Validated by: ground truth scored against itself gives 1.0; hand-computed toy cases in
    ``tests/vision/test_evaluation.py`` (one track split between two ids -> AssA 0.5; a partial-overlap box
    that passes 12 of 19 alphas; a case where the association term changes the per-frame match); and
    agreement within 1e-16 with TrackEval 1.3.0 (PyPI; ``MotChallenge2DBox``, ``BENCHMARK='MOT15'``) on all
    four MOT15 training sequences for 16 hypotheses (gt itself, noisy/id-swapped/thinned gt, a greedy IoU
    tracker on both public detection sets); four greedy-tracker results are pinned in the tests.

    Memory stays proportional to the number of overlapping (gt id, hyp id) pairs, not gt ids x hyp ids,
    because long retail videos can produce thousands of short hypothesis tracks.
    """
    num_alpha = HOTA_ALPHAS.size
    num_gt_dets = sum(f.gt_ids.size for f in frames)
    num_hyp_dets = sum(f.hyp_ids.size for f in frames)
    if num_gt_dets == 0 or num_hyp_dets == 0:
        return 0.0, 0.0, 0.0

    # Dense 0..n-1 labels so (gt, hyp) pairs can be encoded as one int64 key.
    gt_labels, gt_inverse = np.unique(np.concatenate([f.gt_ids for f in frames]), return_inverse=True)
    hyp_labels, hyp_inverse = np.unique(np.concatenate([f.hyp_ids for f in frames]), return_inverse=True)
    num_hyp_ids = hyp_labels.size
    gt_count = np.bincount(gt_inverse, minlength=gt_labels.size).astype(np.float64)
    hyp_count = np.bincount(hyp_inverse, minlength=num_hyp_ids).astype(np.float64)
    gt_split = np.cumsum([f.gt_ids.size for f in frames])[:-1]
    hyp_split = np.cumsum([f.hyp_ids.size for f in frames])[:-1]
    gt_dense = np.split(gt_inverse, gt_split)
    hyp_dense = np.split(hyp_inverse, hyp_split)

    # Pass 1: soft co-occurrence of every (gt id, hyp id), each frame's IoU normalised like a Jaccard
    # index over that frame's row and column sums so that one box cannot vote for several partners.
    keys, votes = [], []
    for f, g, h in zip(frames, gt_dense, hyp_dense):
        if g.size == 0 or h.size == 0:
            continue
        sim = f.iou
        denom = sim.sum(axis=0)[None, :] + sim.sum(axis=1)[:, None] - sim
        share = np.zeros_like(sim)
        np.divide(sim, denom, out=share, where=denom > _EPS)
        nz = np.nonzero(share)
        keys.append(g[nz[0]] * num_hyp_ids + h[nz[1]])
        votes.append(share[nz])
    if keys:
        pair_keys, pair_inverse = np.unique(np.concatenate(keys), return_inverse=True)
        potential = np.bincount(pair_inverse, weights=np.concatenate(votes))
    else:
        pair_keys, potential = np.empty(0, np.int64), np.empty(0)
    pair_gt, pair_hyp = np.divmod(pair_keys, num_hyp_ids)
    alignment = potential / (gt_count[pair_gt] + hyp_count[pair_hyp] - potential)

    # Pass 2: per-frame matching; remember each matched pair's key and IoU, thresholded per alpha later.
    matched_keys, matched_iou = [], []
    for f, g, h in zip(frames, gt_dense, hyp_dense):
        if g.size == 0 or h.size == 0:
            continue
        frame_keys = g[:, None] * num_hyp_ids + h[None, :]
        pos = np.clip(np.searchsorted(pair_keys, frame_keys), 0, max(pair_keys.size - 1, 0))
        found = pair_keys[pos] == frame_keys if pair_keys.size else np.zeros(frame_keys.shape, bool)
        frame_alignment = np.where(found, alignment[pos] if pair_keys.size else 0.0, 0.0)
        rows, cols = linear_sum_assignment(-(frame_alignment * f.iou))
        iou = f.iou[rows, cols]
        useful = iou >= HOTA_ALPHAS[0] - _EPS
        matched_keys.append(frame_keys[rows[useful], cols[useful]])
        matched_iou.append(iou[useful])
    all_keys = np.concatenate(matched_keys) if matched_keys else np.empty(0, np.int64)
    all_iou = np.concatenate(matched_iou) if matched_iou else np.empty(0)

    det_a = np.zeros(num_alpha)
    ass_a = np.zeros(num_alpha)
    for a, alpha in enumerate(HOTA_ALPHAS):
        keys_a = all_keys[all_iou >= alpha - _EPS]
        false_neg = num_gt_dets - keys_a.size
        false_pos = num_hyp_dets - keys_a.size
        det_a[a] = keys_a.size / max(1.0, keys_a.size + false_neg + false_pos)
        if keys_a.size:
            pairs, counts = np.unique(keys_a, return_counts=True)
            g_of, h_of = np.divmod(pairs, num_hyp_ids)
            counts = counts.astype(np.float64)
            per_pair = counts / np.maximum(1.0, gt_count[g_of] + hyp_count[h_of] - counts)
            ass_a[a] = float(np.sum(counts * per_pair)) / max(1.0, keys_a.size)
    hota = np.sqrt(det_a * ass_a)
    return float(hota.mean()), float(det_a.mean()), float(ass_a.mean())
