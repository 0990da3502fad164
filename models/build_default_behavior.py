"""Build the bundled six-class behaviour model (models/behavior-default/) and its model card.

What it learns from, stated plainly: **rule pre-labels** (retail_desktop.annotation.prelabel, the
movement rules that suggest segments to annotators) on **real trajectories** from the shared data:
CAVIAR lobby ground-truth tracks (17 clips), MOT15 ground-truth tracks of the two static-camera
sequences (TUD-Campus, PETS09-S2L1), ETH/UCY ground-plane trajectories (biwi_eth, biwi_hotel,
crowds_zara01, students001; metres turned into boxes of a 1.75 m person) and, when given
``--footage PROJECT``, tracks of the shared retail footage analysed by this app. No human ever
labelled these trajectories with the six classes, so the model can at best reproduce the rules; its
reason to exist is that a new user sees behaviour labels before labelling anything.

    python models/build_default_behavior.py [--footage /tmp/footage-project] [--epochs 30]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retail_desktop.annotation.prelabel import BEHAVIOUR_CLASSES, BEHAVIOUR_TAXONOMY, prelabel_run  # noqa: E402
from retail_desktop.annotation.track_import import file_sha256, import_caviar, import_mot, store_tracks  # noqa: E402
from retail_desktop.behavior.bundle import ModelBundle, save_bundle  # noqa: E402
from retail_desktop.behavior.dataset import build_windows, dataset_summary, project_sequences  # noqa: E402
from retail_desktop.behavior.features import FeatureSettings  # noqa: E402
from retail_desktop.behavior.training import TrainConfig, train_model  # noqa: E402
from retail_desktop.project import Project  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "models" / "behavior-default"
#: The rules look at 3 s of movement, so the model does too.
SETTINGS = FeatureSettings(window_s=3.0, stride_s=1.0, rate_hz=10.0)
BODY_M, BODY_PX = 1.75, 100.0


def import_eth_ucy(project: Project, path: Path) -> None:
    """ETH/UCY ``frame ped x y`` (metres, frame step 10 at 25 fps = 2.5 Hz) as boxes of a 1.75 m
    person standing on each point (100 px tall), frames renumbered to 0, 1, 2... at 2.5 fps."""
    df = pd.read_csv(path, sep=r"\s+", header=None, names=["frame", "ped", "x", "y"])
    scale = BODY_PX / BODY_M
    fx, fy = df["x"] * scale, df["y"] * scale + 1000.0
    tracks = pd.DataFrame({"frame": (df["frame"] // 10).astype(np.int64), "track_id": df["ped"].astype(np.int64),
                           "x1": fx - 20, "y1": fy - BODY_PX, "x2": fx + 20, "y2": fy})
    store_tracks(project, f"eth_ucy-{path.stem}", tracks, source=path, fmt="eth_ucy", fps=2.5, size=None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--footage", type=Path, help="an analysed project of the shared retail videos")
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    sources: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, Project.open_or_create(Path(tmp) / "default") as project:
        for xml in sorted((DATA / "labeled" / "caviar_lobby").glob("*.xml")):
            import_caviar(project, xml, labels="none")
        sources.append("CAVIAR lobby ground truth, 17 clips (boxes only; their movement labels are NOT used)")
        for seq in ("TUD-Campus", "PETS09-S2L1"):
            import_mot(project, DATA / "labeled" / "mot15" / seq / "gt" / "gt.txt")
        sources.append("MOT15 ground truth: TUD-Campus, PETS09-S2L1 (static cameras)")
        for f in sorted((DATA / "labeled" / "eth_ucy").glob("*.txt")):
            import_eth_ucy(project, f)
        sources.append("ETH/UCY: biwi_eth, biwi_hotel, crowds_zara01, students001 (ground-plane metres at 2.5 Hz, "
                       "as boxes of a 1.75 m person)")
        if args.footage is not None:
            with Project.open(args.footage) as footage:
                for cam in footage.cameras:
                    run = footage.store.latest_run(cam.id, status="completed")
                    if run is None:
                        continue
                    df = footage.store.track_array(run.id)
                    src = Path(cam.video)
                    from retail_desktop.annotation.track_import import camera_fps

                    store_tracks(project, f"footage-{cam.name}", df[["frame", "track_id", "x1", "y1", "x2", "y2"]],
                                 source=src, fmt="analysis", fps=camera_fps(footage, cam), size=None)
                    sources.append(f"shared retail footage {src.name}: tracks from this app's analysis "
                                   f"(yolov8n int8 + DeepSORT), {df['track_id'].nunique()} tracks")
        per_run = {}
        for run in project.store.runs():
            res = prelabel_run(project, run.id, taxonomy=BEHAVIOUR_TAXONOMY)
            per_run[project.camera_by_id(run.camera_id).name] = res.counts
        seq = project_sequences(project, taxonomy=BEHAVIOUR_TAXONOMY, accepted_only=False)
    ws = build_windows(seq, SETTINGS)
    classes = list(BEHAVIOUR_CLASSES)
    print(f"{len(ws)} windows from {len(set(ws.groups))} tracks; {ws.class_counts(classes)}")
    cfg = TrainConfig(epochs=args.epochs, patience=8, lstm_hidden=48, gru_hidden=32, dense=32, seed=0, device="cpu",
                      class_weighting="sqrt")
    res = train_model(ws, classes, cfg)
    s = res.val_scores
    print("\n".join(s.lines()))
    dataset = {**dataset_summary(ws, classes), "sources": sources, "segments_per_source": per_run}
    bundle = ModelBundle(res.net, classes, SETTINGS, BEHAVIOUR_TAXONOMY,
                         info={"train": cfg.to_dict(), "dataset": dataset, "best_epoch": res.best_epoch,
                               "validation": {"accuracy": s.accuracy, "macro_f1": s.macro_f1,
                                              "per_class": s.per_class, "confusion": s.confusion},
                               "labels": "rule pre-labels (retail_desktop.annotation.prelabel), not human labels"})
    save_bundle(bundle, OUT)
    size = sum(p.stat().st_size for p in OUT.iterdir())
    (OUT / "validation.json").write_text(json.dumps(s.to_dict(), indent=2))
    card = OUT / "MODEL_CARD.md"
    lines = [
        "# Default behaviour model (six classes) — model card", "",
        "**Trained on rule pre-labels, not on human labels.** Every training label was produced by the movement",
        "rules in `retail_desktop/annotation/prelabel.py` (the same rules that suggest segments to annotators),",
        "applied to real trajectories. Nobody checked these labels. The model therefore imitates those rules;",
        "it says nothing about what shoppers felt, and its scores below measure agreement with the rules on",
        "tracks it did not train on, not accuracy against people's judgement.", "",
        "## Trajectories (all real, from ../shared/data; see its PROVENANCE.md)",
        *[f"- {x}" for x in sources], "",
        f"## Data: {len(ws)} windows of {SETTINGS.window_s:g} s from {len(set(ws.groups.tolist()))} tracks",
        "Rule label counts per window: " + ", ".join(f"{k} {v}" for k, v in ws.class_counts(classes).items()), "",
        "## Model",
        f"LSTM({cfg.lstm_hidden}) -> GRU({cfg.gru_hidden}) -> dense({cfg.dense}) -> softmax over {', '.join(classes)}.",
        f"Features: {', '.join(SETTINGS.feature_names)} (per step, lengths in body heights), resampled to "
        f"{SETTINGS.rate_hz:g} Hz, windows of {SETTINGS.window_s:g} s every {SETTINGS.stride_s:g} s.",
        f"Training: {json.dumps(cfg.to_dict())}; best epoch {res.best_epoch}; seed 0; CPU.",
        f"Files: state_dict.pt + config.json, {size / 1024:.0f} KiB; load with torch.load(weights_only=True)",
        "(`retail_desktop.behavior.bundle.load_bundle`).", "",
        "## Agreement with the rules on held-out tracks (validation split grouped by track)",
        "```", *s.lines(), "```", "",
        "## Limits",
        "- The classes come from speed, stops, turning and path shape only: no gaze, hands or products.",
        "- ETH/UCY are top-down ground-plane tracks turned into synthetic boxes; CAVIAR and MOT15 are",
        "  lobby/street scenes, not shops. Expect the rules' behaviour, not a shop-specific one.",
        "- Retrain from your own accepted labels (Train behaviour model, or `retail-desktop train`) as soon",
        "  as you have some; promote that model to champion and `classify` uses it instead.",
        "", "Rebuild: `python models/build_default_behavior.py [--footage PROJECT]`.",
    ]
    card.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT} ({size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
