"""Suggestions from a trained model: stored behaviour predictions turned into suggested segments.

Why: once a behaviour model exists its predictions are usually better suggestions than the rules,
and annotators accept or reject them with the same keys. The model's windows (``behavior_predictions``,
written by the behaviour package) overlap; each frame takes the label of the most confident window
that covers it, runs of one label become segments (source ``model``, status ``suggestion``) whose
confidence is the mean confidence of the windows that won their frames. Read straight from the table,
so this module does not depend on the behaviour package (or torch).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .prelabel import BEHAVIOUR_TAXONOMY, PrelabelResult, Proposal, store_suggestions
from .segments import label_runs

if TYPE_CHECKING:
    from retail_desktop.project.store import Store


def latest_model(store: "Store", run_id: int) -> str | None:
    rows = store.query("SELECT model FROM behavior_predictions WHERE run_id = ? ORDER BY created_at DESC LIMIT 1",
                       (int(run_id),))
    return rows[0][0] if rows else None


def suggest_from_predictions(store: "Store", run_id: int, *, model: str | None = None,
                             taxonomy: str = BEHAVIOUR_TAXONOMY, min_confidence: float = 0.0) -> PrelabelResult:
    """Replace the run's model suggestions with the stored predictions of ``model`` (default: the newest)."""
    from retail_desktop.errors import UserError

    run_id = int(run_id)
    model = model or latest_model(store, run_id)
    if model is None:
        raise UserError(f"run {run_id} has no behaviour predictions; run retail-desktop classify first", store.path)
    rows = store.query("SELECT track_id, start_frame, end_frame, label, confidence FROM behavior_predictions "
                       "WHERE run_id = ? AND model = ? AND confidence >= ? ORDER BY track_id, start_frame",
                       (run_id, model, float(min_confidence)))
    if not rows:
        raise UserError(f"run {run_id} has no predictions of model {model!r} with confidence >= {min_confidence}",
                        store.path)
    by_track: dict[int, list[tuple]] = {}
    for r in rows:
        by_track.setdefault(int(r[0]), []).append(r)
    proposals: dict[int, list[Proposal]] = {}
    for tid, windows in by_track.items():
        lo = min(w[1] for w in windows)
        hi = max(w[2] for w in windows)
        frames = np.arange(lo, hi + 1)
        best = np.full(len(frames), -1.0)
        label = np.full(len(frames), "", dtype=object)
        for _, a, b, lab, conf in windows:
            sl = slice(a - lo, b - lo + 1)
            better = conf > best[sl]
            best[sl] = np.where(better, conf, best[sl])
            label[sl] = np.where(better, lab, label[sl])
        covered = best >= 0
        props = []
        for a, b, lab in label_runs(frames[covered].tolist(), label[covered].tolist()):
            props.append(Proposal(a, b, lab, round(float(best[a - lo:b - lo + 1].mean()), 3)))
        proposals[tid] = props
    tracks = [int(t) for (t,) in store.query("SELECT DISTINCT track_id FROM segments WHERE run_id = ? AND "
                                              "source = 'model' AND status = 'suggestion'", (run_id,))]
    return store_suggestions(store, run_id, proposals, source="model", taxonomy=taxonomy,
                             tracks=sorted(set(tracks) | set(proposals)))


def suggest_for_run(project, run_id: int, *, taxonomy: str = BEHAVIOUR_TAXONOMY, model: str | None = None,
                    task=None) -> PrelabelResult:
    """:func:`suggest_from_predictions` as long work (the annotation editor's Shift+P runs it off the GUI
    thread); the predictions are the behaviour model's six classes, so another taxonomy is refused."""
    from retail_desktop.errors import UserError

    if taxonomy != BEHAVIOUR_TAXONOMY:
        raise UserError(f"the behaviour model predicts the {BEHAVIOUR_TAXONOMY!r} classes; switch the taxonomy to "
                        f"{BEHAVIOUR_TAXONOMY!r} to use its predictions as suggestions (now {taxonomy!r})")
    if task is not None:
        task.start(total=None, message="Suggestions from the model's predictions")
    return suggest_from_predictions(project.store, run_id, model=model, taxonomy=taxonomy)


__all__ = ["latest_model", "suggest_for_run", "suggest_from_predictions"]
