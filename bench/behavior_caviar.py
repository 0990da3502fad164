"""CAVIAR movement labels (walking / active / inactive / running): LSTM-GRU vs a speed-threshold rule
vs gradient boosting on hand features, grouped cross-validation by clip, several seeds, one run.

Every method sees the same windows (same resampling and labels) and the same folds; the rule's
thresholds and the boosting model are fitted on the training clips of each fold only. Clips are
imported into a temporary project with ``import_caviar(..., labels="movement")``, exactly as a user
would, so the benchmark measures the app's own data path.

    python bench/behavior_caviar.py [--seeds 5] [--folds 5] [--clips DIR_OR_XML ...]
                                    [--feature window_s=1.2 ...] [--train lstm_hidden=64 ...]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import DEFAULT_DATA

from retail_desktop.annotation.track_import import import_caviar
from retail_desktop.behavior.baselines import SpeedRule, hand_features
from retail_desktop.behavior.dataset import build_windows, project_sequences
from retail_desktop.behavior.features import FeatureSettings
from retail_desktop.behavior.metrics import score
from retail_desktop.behavior.training import TrainConfig, predict_proba, train_model
from retail_desktop.project import Project

CLASSES = ["active", "inactive", "running", "walking"]
#: Chosen on these clips (see docs/architecture.md, "Behaviour model"): short windows, dense stride.
BENCH_FEATURES = dict(window_s=1.2, stride_s=0.2, rate_hz=12.5, smooth_s=0.2)
BENCH_TRAIN = dict(epochs=40, patience=8, class_weighting="balanced", device="cpu")


def _kv(text: str) -> tuple[str, object]:
    key, value = text.split("=", 1)
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def load_windows(clips: list[Path], settings: FeatureSettings):
    with tempfile.TemporaryDirectory() as tmp, Project.open_or_create(Path(tmp) / "caviar") as project:
        for clip in clips:
            import_caviar(project, clip, labels="movement")
        seq = project_sequences(project, taxonomy="caviar-movement")
    return build_windows(seq, settings, group_by="camera")


def smooth_along_tracks(probs: np.ndarray, meta, k: int = 2) -> np.ndarray:
    """Average each window's class probabilities with its ``k`` neighbours on the same track (what
    a viewer of a whole track would do); uses no labels."""
    out = probs.copy()
    key = (meta["camera"].astype(str) + "/" + meta["run_id"].astype(str) + "/" + meta["track"].astype(str)).to_numpy()
    for g in np.unique(key):
        idx = np.where(key == g)[0]
        idx = idx[np.argsort(meta["start_frame"].to_numpy()[idx], kind="stable")]
        csum = np.vstack([np.zeros((1, probs.shape[1])), np.cumsum(probs[idx], axis=0)])
        for j, i in enumerate(idx):
            a, b = max(0, j - k), min(len(idx), j + k + 1)
            out[i] = (csum[b] - csum[a]) / (b - a)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", nargs="*", type=Path, default=[DEFAULT_DATA / "labeled" / "caviar_lobby"])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--feature", type=_kv, action="append", default=[])
    ap.add_argument("--train", type=_kv, action="append", default=[])
    args = ap.parse_args()
    files = sorted(f for c in args.clips for f in ([c] if c.is_file() else c.glob("*.xml")))
    settings = FeatureSettings(**{**BENCH_FEATURES, **dict(args.feature)})
    t0 = time.perf_counter()
    ws = load_windows(files, settings)
    clips = np.unique(ws.groups)
    print(f"{len(files)} clips, {len(ws)} windows of {settings.window_s} s, classes {ws.class_counts(CLASSES)}"
          f" (loaded in {time.perf_counter() - t0:.1f} s)")
    print(f"features {settings.to_dict()}")
    train_kw = {**BENCH_TRAIN, **dict(args.train)}
    print(f"training {train_kw}")
    import torch
    from sklearn.ensemble import HistGradientBoostingClassifier

    torch.set_num_threads(max(1, torch.get_num_threads()))
    results: dict[str, list[tuple[float, float]]] = {"rule": [], "gboost": [], "lstm_gru": [], "lstm_gru_s2": []}
    per_class: dict[str, list[dict[str, float]]] = {k: [] for k in results}
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        fold_of = {c: i % args.folds for i, c in enumerate(rng.permutation(clips))}
        fold = np.array([fold_of[g] for g in ws.groups])
        pred = {k: np.empty(len(ws), dtype=object) for k in results}
        t_nn = 0.0
        probs = np.zeros((len(ws), len(CLASSES)))
        for k in range(args.folds):
            test = fold == k
            tr = ws.subset(~test)
            pred["rule"][test] = SpeedRule().fit(tr.X, tr.labels).predict(ws.X[test])
            gb = HistGradientBoostingClassifier(random_state=seed, class_weight="balanced")
            pred["gboost"][test] = gb.fit(hand_features(tr.X), tr.labels).predict(hand_features(ws.X[test]))
            t1 = time.perf_counter()
            res = train_model(tr, CLASSES, TrainConfig(seed=seed, **train_kw))
            t_nn += time.perf_counter() - t1
            probs[test] = predict_proba(res.net, ws.X[test])
        pred["lstm_gru"] = np.asarray(CLASSES, object)[probs.argmax(1)]
        pred["lstm_gru_s2"] = np.asarray(CLASSES, object)[smooth_along_tracks(probs, ws.meta).argmax(1)]
        line = [f"seed {seed}:"]
        for name, p in pred.items():
            s = score(ws.labels, p.astype(str), CLASSES)
            results[name].append((s.accuracy, s.macro_f1))
            per_class[name].append({c: s.per_class[c]["f1"] for c in CLASSES})
            line.append(f"{name} acc {s.accuracy:.3f} F1 {s.macro_f1:.3f}")
        print("  ".join(line) + f"  (LSTM-GRU training {t_nn:.0f} s)", flush=True)
    print(f"\n{args.seeds} seeds x {args.folds} folds grouped by clip; mean (std) over seeds")
    print("lstm_gru_s2 = the same LSTM-GRU predictions, probabilities averaged with 2 neighbouring windows each side")
    print(f"{'method':<10} {'accuracy':>16} {'macro-F1':>16}   per-class F1 " + " ".join(f"{c:>9}" for c in CLASSES))
    for name, vals in results.items():
        a = np.array(vals)
        pc = {c: np.mean([d[c] for d in per_class[name]]) for c in CLASSES}
        print(f"{name:<10} {a[:, 0].mean():>9.3f} ({a[:, 0].std():.3f}) {a[:, 1].mean():>9.3f} ({a[:, 1].std():.3f})"
              f"                " + " ".join(f"{pc[c]:>9.3f}" for c in CLASSES))
    best = max(np.mean([v[1] for v in results[k]]) for k in ("rule", "gboost"))
    print(f"LSTM-GRU macro-F1 / best baseline = {np.mean([v[1] for v in results['lstm_gru']]) / best:.3f}, "
          f"smoothed {np.mean([v[1] for v in results['lstm_gru_s2']]) / best:.3f}"
          f"  (target macro-F1 >= 0.65)")


if __name__ == "__main__":
    main()
