"""classify_project: every track (short ones too) gets windows, re-running a model replaces its rows,
other models' rows stay."""

from __future__ import annotations

import pandas as pd
import torch

from retail_desktop.behavior.bundle import ModelBundle, load_bundle, save_bundle
from retail_desktop.behavior.features import FeatureSettings
from retail_desktop.behavior.inference import classify_project, predictions, track_labels
from retail_desktop.behavior.model import BehaviorNet, ModelConfig

from synth import sequence_table


def _project(tmp_path):
    from retail_desktop.annotation.track_import import store_tracks
    from retail_desktop.project import Project

    seq = sequence_table(4, fps=10.0)
    short = seq[seq.track == 0].head(5).assign(track=99)  # 0.5 s: shorter than one window
    seq = pd.concat([seq, short])
    src = tmp_path / "t.txt"
    src.write_text("x")
    tracks = pd.DataFrame({"frame": seq.frame, "track_id": seq.track, "x1": seq.x1, "y1": seq.y1, "x2": seq.x2,
                           "y2": seq.y2})
    project = Project.open_or_create(tmp_path / "p")
    store_tracks(project, "cam", tracks, source=src, fmt="mot", fps=10.0, size=None)
    return project


def test_every_track_is_labelled_and_rerun_replaces(tmp_path):
    torch.manual_seed(0)
    project = _project(tmp_path)
    save_bundle(ModelBundle(BehaviorNet(ModelConfig(10, 2, 8, 4, 4)), ["walking", "standing"], FeatureSettings(),
                            "t"), tmp_path / "m")
    bundle = load_bundle(tmp_path / "m")
    first = classify_project(project, bundle)
    assert first.tracks == 5 and first.model.startswith("file:")
    run_id = project.store.runs()[0].id
    df = predictions(project, run_id)
    assert set(df.track_id) == {0, 1, 2, 3, 99}
    assert len(df[df.track_id == 99]) == 1
    assert (df.end_frame >= df.start_frame).all()
    again = classify_project(project, bundle)
    assert len(predictions(project, run_id)) == len(df) == again.windows
    bundle.source = "retail-behavior/7"
    classify_project(project, bundle)
    assert len(predictions(project, run_id)) == 2 * len(df)
    labels = track_labels(project, run_id, "retail-behavior/7")
    assert set(labels) == {0, 1, 2, 3, 99} and set(labels.values()) <= {"walking", "standing"}
    project.close()


def test_default_model_loads_and_is_small():
    from retail_desktop.behavior.inference import DEFAULT_MODEL_DIR

    bundle = load_bundle(DEFAULT_MODEL_DIR)
    assert bundle.classes == ["hesitant", "decisive", "confused", "interested", "disinterested", "frustrated"]
    assert sum(p.stat().st_size for p in DEFAULT_MODEL_DIR.iterdir()) < 5 * 2**20
    card = (DEFAULT_MODEL_DIR / "MODEL_CARD.md").read_text()
    assert "rule pre-labels" in card and "ETH/UCY" in card
