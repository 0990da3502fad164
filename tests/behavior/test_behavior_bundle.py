import os
import pickle

import numpy as np
import pytest
import torch

from retail_desktop.behavior.bundle import ModelBundle, load_bundle, load_state_dict, save_bundle
from retail_desktop.behavior.features import FeatureSettings
from retail_desktop.behavior.model import BehaviorNet, ModelConfig
from retail_desktop.behavior.training import predict_proba
from retail_desktop.errors import UserError


def _bundle():
    torch.manual_seed(0)
    net = BehaviorNet(ModelConfig(n_features=10, n_classes=3, lstm_hidden=8, gru_hidden=4, dense=4))
    return ModelBundle(net, ["a", "b", "c"], FeatureSettings(), "test", {"note": "x"})


def test_round_trip_gives_the_same_predictions(tmp_path):
    b = _bundle()
    save_bundle(b, tmp_path / "m")
    loaded = load_bundle(tmp_path / "m")
    X = np.random.default_rng(0).normal(size=(5, 20, 10)).astype(np.float32)
    np.testing.assert_allclose(predict_proba(b.net, X), predict_proba(loaded.net, X), rtol=1e-6)
    assert loaded.classes == ["a", "b", "c"] and loaded.settings == FeatureSettings()


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_that_would_run_code_is_refused_and_nothing_runs(tmp_path):
    folder = tmp_path / "evil"
    save_bundle(_bundle(), folder)
    marker = tmp_path / "pwned"
    with open(folder / "state_dict.pt", "wb") as fh:
        pickle.dump({"lstm.weight": _RunsCode(marker)}, fh)
    with pytest.raises(UserError, match="refused"):
        load_bundle(folder)
    assert not marker.exists()
    # the same through torch.save's zip format
    torch.save({"x": _RunsCode(marker)}, folder / "state_dict.pt")
    with pytest.raises(UserError, match="refused"):
        load_state_dict(folder / "state_dict.pt")
    assert not marker.exists()


def test_garbage_and_mismatched_weights_are_one_line_errors(tmp_path):
    folder = tmp_path / "m"
    save_bundle(_bundle(), folder)
    (folder / "state_dict.pt").write_bytes(b"not a model")
    with pytest.raises(UserError, match="not a readable weights file"):
        load_bundle(folder)
    torch.save({"x": torch.zeros(2)}, folder / "state_dict.pt")
    with pytest.raises(UserError, match="do not match"):
        load_bundle(folder)
    with pytest.raises(UserError, match="config.json not found"):
        load_bundle(tmp_path)
