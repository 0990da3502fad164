import numpy as np
import pytest

from retail_desktop.behavior.dataset import build_windows
from retail_desktop.behavior.features import FeatureSettings
from retail_desktop.behavior.training import TrainConfig, grouped_split, predict_proba, train_model
from retail_desktop.errors import UserError
from retail_desktop.tasks import Task

from synth import sequence_table

CLASSES = ["standing", "walking"]
SMALL = dict(lstm_hidden=16, gru_hidden=8, dense=8, batch_size=32, device="cpu")


@pytest.fixture(scope="module")
def windows():
    return build_windows(sequence_table(10), FeatureSettings(window_s=2.0, stride_s=0.5))


def test_grouped_split_never_shares_a_track():
    groups = np.repeat([f"t{i}" for i in range(10)], 7)
    labels = np.where(np.arange(70) % 2, "a", "b")
    for seed in range(5):
        val = grouped_split(groups, labels, 0.3, seed)
        assert set(groups[val]).isdisjoint(set(groups[~val]))
        assert 0 < val.sum() < 70
    with pytest.raises(UserError, match="two tracks"):
        grouped_split(np.array(["x"] * 5), np.array(["a"] * 5), 0.2, 0)


def test_learns_walking_from_standing_and_is_seeded(windows):
    cfg = TrainConfig(epochs=12, patience=20, seed=3, **SMALL)
    a = train_model(windows, CLASSES, cfg)
    b = train_model(windows, CLASSES, cfg)
    assert [h["train_loss"] for h in a.history] == pytest.approx([h["train_loss"] for h in b.history])
    assert a.val_scores.accuracy >= 0.9
    pred = np.array(CLASSES)[predict_proba(a.net, windows.X).argmax(1)]
    assert np.mean(pred == windows.labels) >= 0.9
    # Validation took whole tracks: its window count is exactly the windows of its groups, the rest trained.
    in_val = np.isin(windows.groups, a.split["val_groups"])
    assert 0 < in_val.sum() < len(windows)
    assert (a.split["val_windows"], a.split["train_windows"]) == (in_val.sum(), (~in_val).sum())


def test_cancel_keeps_the_best_checkpoint(windows):
    task = Task()
    seen = []

    def on_epoch(row):
        seen.append(row)
        if len(seen) == 2:
            task.cancel()

    task.on_partial = on_epoch
    result = train_model(windows, CLASSES, TrainConfig(epochs=50, patience=50, **SMALL), task)
    assert result.cancelled
    assert len(result.history) == 2
    assert result.best_epoch in (1, 2)
    best = max(result.history, key=lambda h: (h["val_macro_f1"], -h["val_loss"]))
    assert result.val_scores.macro_f1 == pytest.approx(best["val_macro_f1"])


def test_unknown_labels_are_refused(windows):
    with pytest.raises(UserError, match="not classes"):
        train_model(windows, ["walking"], TrainConfig(epochs=1, **SMALL))
