"""Behaviour labels on every track: sliding windows through a model, stored in ``behavior_predictions``.

Each row is one window of one track with the winning label, its probability, all class
probabilities (JSON) and the model that made it (``retail-behavior/<version>`` or ``file:<folder>``),
so promoting a new champion and classifying again adds its rows beside the old model's; rows of the
same model are replaced.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from retail_desktop.errors import UserError
from retail_desktop.tasks import Task

from .bundle import ModelBundle, load_bundle
from .dataset import build_windows, camera_zones, project_sequences
from .training import predict_proba

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "behavior-default"


@dataclass
class ClassifyResult:
    model: str
    runs: int
    tracks: int
    windows: int
    label_counts: dict[str, int]

    def line(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.label_counts.items(), key=lambda kv: -kv[1]))
        return (f"classified {self.tracks} tracks in {self.runs} runs ({self.windows} windows) with {self.model}"
                + (f": {counts}" if counts else ""))


def resolve_model(project_path: Path, ref: str | None, tracking_uri: str | None = None) -> ModelBundle:
    """``champion`` / a version number (MLflow registry), a bundle folder, or ``default`` (the model
    shipped in ``models/``). With no ref: the champion if the project has one, else the default.
    The store is ``tracking_uri``, else the project's tracking URI setting, else its own mlflow.db.
    Only a registry that answers "no champion" falls back to the default: an unreachable server, a
    corrupt store or refused weights are errors, so nobody is shown the default's labels believing
    they are the champion's."""
    from .registry import setting_hint

    with setting_hint(project_path, tracking_uri):
        return _resolve(project_path, ref, tracking_uri)


def _resolve(project_path: Path, ref: str | None, tracking_uri: str | None) -> ModelBundle:
    from .registry import ModelNotFound, default_tracking_uri, load_registered, project_tracking_uri

    uri = project_tracking_uri(project_path, tracking_uri)
    if ref in (None, "auto"):
        db = Path(project_path) / "mlflow.db"
        if uri != default_tracking_uri(project_path) or db.exists():
            try:
                return load_registered(uri, "champion")
            except ModelNotFound:
                pass
        return load_bundle(DEFAULT_MODEL_DIR) if (DEFAULT_MODEL_DIR / "config.json").exists() else load_registered(uri)
    if ref == "default":
        return load_bundle(DEFAULT_MODEL_DIR)
    if Path(ref).exists():
        return load_bundle(ref)
    return load_registered(uri, ref)


def predict_windows(bundle: ModelBundle, seq: pd.DataFrame, zones=None):
    ws = build_windows(seq.assign(label=""), bundle.settings, labelled_only=False, zones=zones)
    probs = predict_proba(bundle.net, ws.X) if len(ws) else np.zeros((0, len(bundle.classes)))
    return ws, probs


def classify_project(project, bundle: ModelBundle, task: Task | None = None) -> ClassifyResult:
    """Classify every track of every camera's latest completed run; one transaction per run."""
    from retail_desktop.annotation.segments import now_iso

    task = task or Task()
    seq = project_sequences(project)
    zones = {c.name: camera_zones(project, c) for c in project.cameras}
    task.start(total=None, message="classifying tracks")
    ws, probs = predict_windows(bundle, seq, zones)
    model = bundle.source or "unknown"
    stamp = now_iso()
    counts: dict[str, int] = {}
    for run_id, idx in ws.meta.groupby("run_id").indices.items():
        task.check_cancelled()
        rows = []
        for i in idx:
            m = ws.meta.iloc[i]
            k = int(np.argmax(probs[i]))
            label = bundle.classes[k]
            counts[label] = counts.get(label, 0) + 1
            rows.append((int(run_id), int(m.track), int(m.start_frame), int(m.end_frame), label, float(probs[i, k]),
                         json.dumps({c: round(float(p), 4) for c, p in zip(bundle.classes, probs[i])}), model, stamp))
        with project.store.transaction("save behaviour predictions") as conn:
            conn.execute("DELETE FROM behavior_predictions WHERE run_id = ? AND model = ?", (int(run_id), model))
            conn.executemany("INSERT OR REPLACE INTO behavior_predictions (run_id, track_id, start_frame, end_frame, "
                             "label, confidence, probabilities, model, created_at) VALUES (?,?,?,?,?,?,?,?,?)", rows)
    n_tracks = int(ws.meta.groupby(["run_id", "track"]).ngroups) if len(ws) else 0
    return ClassifyResult(model, int(ws.meta["run_id"].nunique()) if len(ws) else 0, n_tracks, len(ws), counts)


def predictions(project, run_id: int, model: str | None = None) -> pd.DataFrame:
    """Stored predictions of a run (one model, or all), for overlays and metrics by behaviour."""
    sql = ("SELECT run_id, track_id, start_frame, end_frame, label, confidence, probabilities, model, created_at "
           "FROM behavior_predictions WHERE run_id = ?")
    params: list = [int(run_id)]
    if model is not None:
        sql += " AND model = ?"
        params.append(model)
    rows = project.store.query(sql + " ORDER BY track_id, start_frame", params)
    return pd.DataFrame(rows, columns=["run_id", "track_id", "start_frame", "end_frame", "label", "confidence",
                                       "probabilities", "model", "created_at"])


def track_labels(project, run_id: int, model: str | None = None) -> dict[int, str]:
    """One label per track (the class with the highest mean probability over its windows)."""
    df = predictions(project, run_id, model)
    out: dict[int, str] = {}
    for tid, g in df.groupby("track_id"):
        probs = pd.DataFrame([json.loads(p) for p in g["probabilities"]]).mean()
        out[int(tid)] = str(probs.idxmax())
    return out


def evaluate_bundle(bundle: ModelBundle, seq: pd.DataFrame, zones=None):
    """Scores of a model on labelled windows (labels outside its classes are left out)."""
    from .metrics import score

    seq = seq.assign(label=seq["label"].where(seq["label"].isin(bundle.classes), ""))
    ws = build_windows(seq, bundle.settings, zones=zones)
    if len(ws) == 0:
        raise UserError(f"no labelled windows with the model's classes ({', '.join(bundle.classes)}) in the data")
    probs = predict_proba(bundle.net, ws.X)
    pred = np.asarray(bundle.classes, dtype=object)[probs.argmax(1)]
    return score(ws.labels, pred.astype(str), bundle.classes), len(ws)
