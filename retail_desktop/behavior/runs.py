"""One training, start to finish: data -> windows -> model -> saved on disk -> recorded in MLflow.

The model is written into the project (``behavior_models/<time>/``) *before* MLflow is asked to
record it, so an unreachable tracking server costs the record, never the trained model: the error
message says where the model is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from retail_desktop.errors import UserError
from retail_desktop.tasks import Task

from .bundle import ModelBundle, save_bundle
from .dataset import WindowSet, build_windows, camera_zones, dataset_summary, project_sequences, read_sequences
from .features import FeatureSettings
from .metrics import Scores
from .registry import (TrackingUnavailable, artifact_location_for, check_reachable, log_run, project_tracking_uri,
                       setting_hint)
from .taxonomies import taxonomy_classes
from .training import TrainConfig, TrainResult, train_model

LOCAL_MODELS = "behavior_models"


@dataclass
class TrainingRequest:
    project: Path
    data: Path | None = None            # None: the project's own segments; a .parquet or another project
    taxonomy: str | None = None
    train: TrainConfig = field(default_factory=TrainConfig)
    features: FeatureSettings = field(default_factory=FeatureSettings)
    tracking_uri: str | None = None
    promote: bool = False


@dataclass
class TrainingOutcome:
    run_id: str | None
    version: str | None
    tracking_uri: str
    local_dir: Path
    scores: Scores | None
    history: list[dict[str, float]]
    classes: list[str]
    cancelled: bool
    promoted: bool
    dataset: dict[str, Any]

    def lines(self) -> list[str]:
        out = [f"run_id={self.run_id}", f"model_version={self.version}", f"tracking_uri={self.tracking_uri}",
               f"saved={self.local_dir}"]
        if self.cancelled:
            out.append("cancelled: kept the best checkpoint so far")
        if self.promoted:
            out.append(f"promoted version {self.version} to champion")
        if self.scores is not None:
            out += ["validation:"] + self.scores.lines()
        return out


def load_sequences(project, data: Path | None, taxonomy: str | None):
    """Sequence table from the project's segments, another project folder or a Parquet file."""
    from retail_desktop.project import Project

    if data is None:
        return project_sequences(project, taxonomy=taxonomy), {c.name: camera_zones(project, c) for c in project.cameras}
    data = Path(data)
    if data.is_dir():
        with Project.open(data) as other:
            return project_sequences(other, taxonomy=taxonomy), {c.name: camera_zones(other, c) for c in other.cameras}
    return read_sequences(data), {}


def resolve_classes(taxonomy: str | None, seq) -> tuple[str, list[str]]:
    """Taxonomy name and classes; without a taxonomy, the one the data's labels belong to."""
    if taxonomy is not None:
        return taxonomy_classes(taxonomy)
    name = None
    if "taxonomy" in seq.columns:
        names = sorted({t for t in seq["taxonomy"].dropna().astype(str) if t})
        if len(names) == 1:
            name = names[0]
        elif len(names) > 1:
            raise UserError(f"the labels come from several taxonomies ({', '.join(names)}); "
                            "choose one with --taxonomy")
    labels = sorted({x for x in seq["label"].astype(str) if x})
    try:
        tax_name, classes = taxonomy_classes(name)
    except UserError:
        return name or "labels", labels
    if set(labels) <= set(classes):
        return tax_name, classes
    return name or "labels", labels


def prepare_windows(request: TrainingRequest) -> tuple[WindowSet, str, list[str], str]:
    from retail_desktop.project import Project

    with Project.open(request.project) as project:
        seq, zones = load_sequences(project, request.data, None)
    tax_name, classes = resolve_classes(request.taxonomy, seq)
    if request.taxonomy is not None and "taxonomy" in seq.columns:
        seq = seq[seq["taxonomy"].astype(str).isin([tax_name, ""]) | seq["label"].eq("")]
    seq = seq.assign(label=seq["label"].where(seq["label"].isin(classes), ""))
    ws = build_windows(seq, request.features, zones=zones)
    source = str(request.data) if request.data is not None else f"project:{Path(request.project).name}"
    if len(ws) == 0:
        raise UserError(f"no labelled windows with {tax_name} classes in {source}; label some track segments "
                        f"(at least {request.features.window_s * request.features.min_label_fraction:g} s each)")
    return ws, tax_name, classes, source


def train_behavior(request: TrainingRequest, task: Task | None = None) -> TrainingOutcome:
    """Train, save into the project, record in MLflow (and register; ``promote`` sets champion)."""
    task = task or Task()
    uri = project_tracking_uri(request.project, request.tracking_uri)
    with setting_hint(request.project, request.tracking_uri):
        check_reachable(uri)  # a bad URI or a server that is down fails now, not after the training
    ws, tax_name, classes, source = prepare_windows(request)
    result: TrainResult = train_model(ws, classes, request.train, task)
    dataset = {**dataset_summary(ws, classes), "source": source, "taxonomy": tax_name}
    metrics = ({"accuracy": result.val_scores.accuracy, "macro_f1": result.val_scores.macro_f1}
               if result.val_scores else {})
    bundle = ModelBundle(result.net, classes, request.features, tax_name,
                         info={"train": request.train.to_dict(), "dataset": dataset, "best_epoch": result.best_epoch,
                               "validation": metrics, "cancelled": result.cancelled})
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    local = save_bundle(bundle, Path(request.project) / LOCAL_MODELS / stamp)
    params = {**{f"train_{k}": v for k, v in request.train.to_dict().items()},
              **{f"features_{k}": v for k, v in request.features.to_dict().items()},
              "taxonomy": tax_name, "classes": classes, "best_epoch": result.best_epoch,
              "train_windows": result.split.get("train_windows"), "val_windows": result.split.get("val_windows")}
    tags = {"cancelled": str(result.cancelled).lower(), "data_source": source, "local_copy": str(local)}
    try:
        logged = log_run(bundle, uri=uri, artifact_location=artifact_location_for(uri, request.project),
                         params=params, dataset=dataset, history=result.history, scores=result.val_scores, tags=tags,
                         example=ws.X[:2].astype(np.float32), promote=request.promote)
    except TrackingUnavailable as exc:
        raise UserError(f"{exc}; the trained model is saved in {local} (nothing is lost: run the command again "
                        f"once the server is up, or use --tracking-uri)") from exc
    except UserError as exc:
        raise UserError(f"{exc}; the trained model is saved in {local} (nothing is lost)") from exc
    return TrainingOutcome(logged.run_id, logged.version, uri, local, result.val_scores, result.history, classes,
                           result.cancelled, logged.promoted, dataset)


def registry_overview(uri: str, task: Task | None = None) -> dict[str, list[dict[str, Any]]]:
    """Registered versions and recent runs of a store (for the dialog's lists; MLflow is slow to load)."""
    from .registry import list_runs, list_versions

    task = task or Task()
    task.start(total=None, message="reading the MLflow store")
    return {"versions": list_versions(uri), "runs": list_runs(uri)}


def promote_version(uri: str, version: str, task: Task | None = None) -> str:
    from .registry import promote

    promote(uri, version)
    return version


def mlflow_ui_command(uri: str, port: int = 5000) -> list[str]:
    """argv that serves the MLflow UI for ``uri`` on localhost only."""
    import sys

    return [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri, "--host", "127.0.0.1",
            "--port", str(int(port))]
