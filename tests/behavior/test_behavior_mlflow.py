"""Acceptance: training on real CAVIAR labels records everything in MLflow (temporary store),
registers a version, the champion alias resolves, and classify uses it. One training, shared."""

from __future__ import annotations

import json
import sqlite3

import pytest

from datafiles import data_file
from retail_desktop.cli import main

CLIPS = ("Browse2__br2gt.xml", "Fight_RunAway1__fra1gt.xml", "Walk1__wk1gt.xml")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from retail_desktop.annotation.track_import import import_caviar
    from retail_desktop.project import Project

    folder = tmp_path_factory.mktemp("mlflow") / "lobby"
    with Project.open_or_create(folder) as project:
        for clip in CLIPS:
            import_caviar(project, data_file(f"labeled/caviar_lobby/{clip}"), labels="movement")
    return folder


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_logs_everything_registers_and_promotes(trained, capsys):
    code, out, err = _run(capsys, "train", str(trained), "--epochs", "4", "--promote", "--quiet")
    assert code == 0, err
    lines = dict(line.split("=", 1) for line in out.splitlines() if "=" in line and " " not in line.split("=")[0])
    run_id, version = lines["run_id"], lines["model_version"]
    assert version == "1" and "promoted version 1 to champion" in out
    assert lines["tracking_uri"] == f"sqlite:///{trained}/mlflow.db"

    import mlflow
    from mlflow import MlflowClient

    uri = lines["tracking_uri"]
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    run = client.get_run(run_id)
    params, metrics = run.data.params, run.data.metrics
    assert params["taxonomy"] == "caviar-movement"
    assert len(params["dataset_sha256"]) == 64 and int(params["dataset_windows"]) > 100
    assert {"train_epochs", "train_lstm_hidden", "features_window_s", "features_rate_hz"} <= set(params)
    # per-epoch metrics, one point per finished epoch
    history = client.get_metric_history(run_id, "val_loss")
    assert [m.step for m in history] == list(range(1, len(history) + 1)) and 1 <= len(history) <= 4
    for cls in ("walking", "inactive", "active"):
        assert {f"precision_{cls}", f"recall_{cls}", f"f1_{cls}", f"data_count_{cls}"} <= set(metrics)
    assert 0 <= metrics["macro_f1"] <= 1
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    assert {"confusion_matrix.png", "confusion_matrix.json", "dataset.json", "bundle"} <= artifacts
    local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="confusion_matrix.json",
                                                tracking_uri=uri)
    cm = json.load(open(local))
    assert len(cm["confusion"]) == len(cm["classes"]) == 4
    dataset = json.load(open(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="dataset.json",
                                                                  tracking_uri=uri)))
    assert dataset["class_counts"]["walking"] > 0 and dataset["sha256"] == params["dataset_sha256"]
    # artifacts live in the project folder
    assert (trained / "mlruns").is_dir() and any((trained / "mlruns").rglob("confusion_matrix.png"))
    # the registered model: signature and input example, alias resolves
    mv = client.get_model_version_by_alias("retail-behavior", "champion")
    assert str(mv.version) == "1" and mv.run_id == run_id
    from retail_desktop.behavior.registry import using

    with using(uri):
        info = mlflow.models.get_model_info(f"models:/retail-behavior/{mv.version}")
    assert info.signature is not None and info.saved_input_example_info is not None
    assert info.metadata["behavior"]["classes"] == cm["classes"]

    # classify uses the champion
    code, out, err = _run(capsys, "classify", str(trained))
    assert code == 0, err
    assert "retail-behavior/1" in out
    con = sqlite3.connect(trained / "project.sqlite")
    models = con.execute("SELECT DISTINCT model FROM behavior_predictions").fetchall()
    n_tracks = con.execute("SELECT count(DISTINCT run_id || '/' || track_id) FROM track_points").fetchone()[0]
    labelled = con.execute("SELECT count(DISTINCT run_id || '/' || track_id) FROM behavior_predictions").fetchone()[0]
    probs = json.loads(con.execute("SELECT probabilities FROM behavior_predictions LIMIT 1").fetchone()[0])
    con.close()
    assert models == [("retail-behavior/1",)]
    assert labelled == n_tracks  # every track gets labels
    assert set(probs) == set(cm["classes"]) and sum(probs.values()) == pytest.approx(1, abs=1e-3)

    # export the labelled sequences and score the champion on them
    out_file = trained.parent / "seq.parquet"
    code, out, err = _run(capsys, "export", str(trained), "--format", "sequences", "--out", str(out_file))
    assert code == 0, err
    import pandas as pd

    seq = pd.read_parquet(out_file)
    assert {"camera", "track", "frame", "time", "x1", "y1", "x2", "y2", "f_speed", "label"} <= set(seq.columns)
    assert set(seq["label"]) >= {"walking", "active"}
    code, out, err = _run(capsys, "evaluate-behavior", str(trained), "--data", str(out_file))
    assert code == 0, err
    assert "accuracy:" in out and "confusion matrix" in out
    assert out.strip().splitlines()[-1].startswith("macro_f1=")
    assert 0 <= float(out.strip().splitlines()[-1].split("=")[1]) <= 1


def test_a_server_that_is_down_fails_before_training(trained, capsys):
    before = set((trained / "behavior_models").glob("*")) if (trained / "behavior_models").exists() else set()
    code, out, err = _run(capsys, "train", str(trained), "--epochs", "1", "--quiet",
                          "--tracking-uri", "http://127.0.0.1:9")
    assert code == 2 and "not reachable" in err and "Traceback" not in err
    after = set((trained / "behavior_models").glob("*")) if (trained / "behavior_models").exists() else set()
    assert after == before  # nothing was trained, so nothing is lost


def test_a_server_that_goes_away_during_training_keeps_the_model(trained, capsys):
    """The server answers the check before training, then stops (as a server that goes down does)."""
    import http.server
    import threading

    from retail_desktop.behavior.bundle import load_bundle

    class OnceThenGone(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"OK")
            threading.Thread(target=lambda: (server.shutdown(), server.server_close())).start()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), OnceThenGone)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    uri = f"http://127.0.0.1:{server.server_address[1]}"
    code, out, err = _run(capsys, "train", str(trained), "--epochs", "1", "--quiet", "--tracking-uri", uri)
    assert code == 2
    assert "saved in" in err and "Traceback" not in err, err
    saved = err.split("saved in ")[1].split(" ")[0]
    bundle = load_bundle(saved)
    assert bundle.taxonomy == "caviar-movement" and bundle.info["best_epoch"] == 1


def test_a_remembered_tracking_uri_is_the_projects_store_from_then_on(tmp_path, capsys):
    from retail_desktop.annotation.track_import import import_caviar
    from retail_desktop.behavior.registry import TRACKING_URI_SETTING, configured_tracking_uri
    from retail_desktop.project import Project

    folder = tmp_path / "shop"
    with Project.create(folder) as project:
        import_caviar(project, data_file("labeled/caviar_lobby/Walk1__wk1gt.xml"), labels="movement")
    team = f"sqlite:///{tmp_path / 'team' / 'mlflow.db'}"
    (tmp_path / "team").mkdir()
    code, out, _ = _run(capsys, "train", str(folder), "--epochs", "1", "--tracking-uri", team, "--remember",
                        "--promote", "--quiet")
    assert code == 0
    assert f"tracking URI setting: {team}" in out and f"tracking_uri={team}" in out
    assert configured_tracking_uri(folder) == team
    assert json.loads((folder / "project.json").read_text())["settings"][TRACKING_URI_SETTING] == team
    # Without the flag, classify finds the champion in the remembered store (not the bundled default).
    code, out, _ = _run(capsys, "classify", str(folder))
    assert code == 0
    assert "retail-behavior/1" in out, out
    assert not (folder / "mlflow.db").exists()
    with sqlite3.connect(tmp_path / "team" / "mlflow.db") as conn:
        assert conn.execute("SELECT count(*) FROM model_versions").fetchone()[0] == 1
    # --remember alone is refused (it would train into the old store, then forget it); the verb resets.
    code, _, err = _run(capsys, "train", str(folder), "--epochs", "1", "--remember", "--quiet")
    assert code == 2 and "tracking-uri" in err and "--reset" in err
    assert configured_tracking_uri(folder) == team
    assert _run(capsys, "tracking-uri", str(folder), "--reset")[0] == 0
    assert configured_tracking_uri(folder) is None
