"""Behaviour verbs on bad input: one line on stderr, exit 2, nothing run (no MLflow needed)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from retail_desktop.cli import main


@pytest.fixture
def empty_project(tmp_path):
    from retail_desktop.project import Project

    Project.create(tmp_path / "shop").close()
    return tmp_path / "shop"


def _err(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, err


def test_train_without_labels_is_a_clear_error(empty_project, capsys):
    code, err = _err(capsys, "train", str(empty_project), "--quiet")
    assert code == 2 and "no labelled windows" in err and "Traceback" not in err
    assert not (empty_project / "mlflow.db").exists()


def test_train_with_missing_data_or_project(empty_project, tmp_path, capsys):
    code, err = _err(capsys, "train", str(empty_project), "--data", str(tmp_path / "nope.parquet"))
    assert code == 2 and "data not found" in err
    code, err = _err(capsys, "train", str(tmp_path / "no-project"))
    assert code == 2 and "does not exist" in err
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    code, err = _err(capsys, "train", str(empty_project), "--data", str(bad), "--quiet")
    assert code == 2 and "not a readable Parquet" in err
    with pytest.raises(SystemExit) as exc:
        main(["train", str(empty_project), "--epochs", "0"])
    assert exc.value.code == 2 and "positive whole number" in capsys.readouterr().err


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_classify_refuses_a_model_that_would_run_code(empty_project, tmp_path, capsys):
    from retail_desktop.behavior.bundle import ModelBundle, save_bundle
    from retail_desktop.behavior.features import FeatureSettings
    from retail_desktop.behavior.model import BehaviorNet, ModelConfig

    folder = tmp_path / "model"
    save_bundle(ModelBundle(BehaviorNet(ModelConfig(10, 2)), ["a", "b"], FeatureSettings(), "t"), folder)
    marker = tmp_path / "ran"
    torch.save({"lstm.weight_ih_l0": _Evil(marker)}, folder / "state_dict.pt")
    code, err = _err(capsys, "classify", str(empty_project), "--model", str(folder))
    assert code == 2 and "refused" in err and "Traceback" not in err
    assert not marker.exists()
    with open(folder / "state_dict.pt", "wb") as fh:
        pickle.dump(_Evil(marker), fh)
    code, err = _err(capsys, "classify", str(empty_project), "--model", str(folder))
    assert code == 2 and "refused" in err
    assert not marker.exists()


def test_evaluate_behavior_needs_existing_data(empty_project, tmp_path, capsys):
    code, err = _err(capsys, "evaluate-behavior", str(empty_project), "--data", str(tmp_path / "missing"))
    assert code == 2 and "data not found" in err


def test_a_damaged_mlflow_store_is_an_error_not_the_default_model(empty_project, capsys):
    """``classify`` with no --model uses the champion; a store that can't be read must say so rather
    than quietly label every track with the bundled default model."""
    (empty_project / "mlflow.db").write_bytes(b"this is not an sqlite database" * 100)
    code, err = _err(capsys, "classify", str(empty_project))
    assert code == 2 and "not an SQLite database" in err and "Traceback" not in err
    from retail_desktop.project import Project

    with Project.open(empty_project) as project:
        assert project.store._connection().execute("SELECT COUNT(*) FROM behavior_predictions").fetchone()[0] == 0


def test_a_store_without_a_champion_falls_back_to_the_default_model(empty_project):
    import sqlite3

    from retail_desktop.behavior.inference import resolve_model

    sqlite3.connect(empty_project / "mlflow.db").close()  # an empty store: MLflow creates its tables
    bundle = resolve_model(empty_project, None)
    assert bundle.source.startswith("file:") and "behavior-default" in bundle.source


def test_tracking_uri_setting_precedence_and_a_damaged_project_file(tmp_path):
    from retail_desktop.behavior.registry import (configured_tracking_uri, default_tracking_uri,
                                                  project_tracking_uri, save_tracking_uri)
    from retail_desktop.project import Project

    folder = tmp_path / "p"
    with Project.create(folder) as project:
        assert project_tracking_uri(folder) == default_tracking_uri(folder)
        assert save_tracking_uri(project, "  http://mlflow.example:5000 ") == "http://mlflow.example:5000"
    assert project_tracking_uri(folder) == "http://mlflow.example:5000"
    assert project_tracking_uri(folder, "sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"  # the flag wins
    with Project.open(folder) as project:
        assert save_tracking_uri(project, default_tracking_uri(folder)) is None  # the default is not a setting
        assert "mlflow_tracking_uri" not in project.settings
    (folder / "project.json").write_text("{ not json")
    assert configured_tracking_uri(folder) is None and project_tracking_uri(folder) == default_tracking_uri(folder)


@pytest.mark.parametrize("uri, words", [
    ("garbage!!", "has no scheme"),
    ("/tmp/team/mlflow.db", "sqlite:////tmp/team/mlflow.db"),
    ("ftp://x", "unsupported scheme"),
    ("file:///tmp/mlruns", "file store"),
    ("sqlite:///", "names no database file"),
    ("sqlite:////nonexist/dir/x.db", "does not exist"),
])
def test_a_tracking_uri_mlflow_cannot_use_is_one_line_everywhere_and_never_remembered(tmp_path, capsys, uri, words):
    from retail_desktop.behavior.registry import configured_tracking_uri
    from retail_desktop.cli import main
    from retail_desktop.project import Project

    folder = tmp_path / "p"
    with Project.create(folder):
        pass
    before = (folder / "project.json").read_bytes()
    for argv in (["classify", str(folder), "--tracking-uri", uri],
                 ["train", str(folder), "--tracking-uri", uri, "--remember", "--quiet"],
                 ["tracking-uri", str(folder), uri]):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2, (argv, err)
        assert words in err and "Traceback" not in err, err
    assert configured_tracking_uri(folder) is None and (folder / "project.json").read_bytes() == before
    assert not Path("/nonexist").exists()


def test_tracking_uri_verb_shows_sets_and_resets_and_names_the_setting_in_errors(tmp_path, capsys):
    from retail_desktop.cli import main
    from retail_desktop.project import Project

    folder = tmp_path / "p"
    with Project.create(folder):
        pass
    assert main(["tracking-uri", str(folder)]) == 0
    assert "the project's own store" in capsys.readouterr().out
    missing = f"sqlite:///{tmp_path / 'team.db'}"
    assert main(["tracking-uri", str(folder), missing]) == 0  # a new store is fine to name (train creates it)
    assert missing in capsys.readouterr().out
    # classify with the setting pointing at a store that holds nothing: an error naming the setting,
    # never the bundled default's labels in silence, and no empty store created.
    assert main(["classify", str(folder), "--model", "champion"]) == 2
    err = capsys.readouterr().err
    assert "no MLflow store" in err and "tracking URI setting" in err and "--reset" in err
    assert not (tmp_path / "team.db").exists()
    assert main(["tracking-uri", str(folder), "--reset"]) == 0
    assert "the project's own store" in capsys.readouterr().out
    assert main(["train", str(folder), "--device", "tpu", "--quiet"]) == 2
    assert "unknown device" in capsys.readouterr().err or "not supported" in capsys.readouterr().err
