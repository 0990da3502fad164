"""MLflow: where every training run is recorded and which model version is the champion.

The default store is the project's own (``sqlite:///<project>/mlflow.db``, artifacts under
``<project>/mlruns``) so a project folder carries its experiment history with it; any tracking URI
(a team server) can be given instead. MLflow is imported only inside these functions: it takes
seconds to import and most commands never need it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from retail_desktop.errors import UserError

from .bundle import ModelBundle, load_bundle, save_bundle
from .metrics import Scores, confusion_png

EXPERIMENT = "retail-behavior"
MODEL_NAME = "retail-behavior"
CHAMPION = "champion"
BUNDLE_ARTIFACT = "bundle"


def default_tracking_uri(project_path: str | Path) -> str:
    return "sqlite:///" + str(Path(project_path).absolute() / "mlflow.db")


#: Key in ``project.json``'s ``settings``: the MLflow tracking URI this project uses when none is given.
TRACKING_URI_SETTING = "mlflow_tracking_uri"


def configured_tracking_uri(project_path: str | Path) -> str | None:
    """The project's own tracking URI setting, or None. Read straight from ``project.json`` (no lock,
    no store): a missing or unreadable file means "not configured" here, and opening the project
    reports it properly wherever that matters."""
    try:
        data = json.loads((Path(project_path) / "project.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    settings = data.get("settings") if isinstance(data, dict) else None
    value = settings.get(TRACKING_URI_SETTING) if isinstance(settings, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def project_tracking_uri(project_path: str | Path, explicit: str | None = None) -> str:
    """Which MLflow store to use: ``explicit`` (``--tracking-uri``, the dialog's field), else the
    project's setting, else the project's own SQLite store."""
    if explicit and explicit.strip():
        return explicit.strip()
    return configured_tracking_uri(project_path) or default_tracking_uri(project_path)


@contextlib.contextmanager
def setting_hint(project_path: str | Path, explicit: str | None) -> Iterator[None]:
    """A UserError about the store, when the store came from the project's setting, says so and how
    to change it (otherwise the user sees a URI they never typed)."""
    try:
        yield
    except UserError as exc:
        configured = None if explicit else configured_tracking_uri(project_path)
        if configured is None:
            raise
        raise type(exc)(f"{exc} (this project's tracking URI setting; change it with retail-desktop tracking-uri "
                        f"{project_path} URI, or --reset)") from exc


def save_tracking_uri(project, uri: str | None) -> str | None:
    """Make ``uri`` the project's tracking URI (None, empty or the default: back to the default);
    saved atomically with the project. Returns what is now configured."""
    value = (uri or "").strip()
    if value:
        check_tracking_uri(value)
    if not value or value == default_tracking_uri(project.path):
        project.settings.pop(TRACKING_URI_SETTING, None)
        value = None
    else:
        project.settings[TRACKING_URI_SETTING] = value
    project.save()
    return value


def artifact_root(project_path: str | Path) -> str:
    return (Path(project_path).absolute() / "mlruns").as_uri()


#: Schemes MLflow can track to (SQLAlchemy databases need their driver installed).
REMOTE_SCHEMES = ("http", "https", "databricks")
DATABASE_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///...`` URI (None for any other URI)."""
    return Path(uri[len("sqlite:///"):]) if uri.startswith("sqlite:///") else None


def artifact_location_for(uri: str, project_path: str | Path) -> str | None:
    """Where a new experiment keeps its artifacts: the project's mlruns for its own store, beside the
    database for another SQLite store (not the current folder, MLflow's default, where nobody sharing
    the store would find them), and the server's choice for a server."""
    if uri == default_tracking_uri(project_path):
        return artifact_root(project_path)
    db = sqlite_path(uri)
    return (db.absolute().parent / "mlruns").as_uri() if db is not None else None


def check_tracking_uri(uri: str) -> None:
    """A one-line UserError for a URI MLflow cannot track to, before anything is tried with it."""
    from urllib.parse import urlsplit

    text = (uri or "").strip()
    scheme = urlsplit(text).scheme.lower() if "://" in text else ""
    base = scheme.split("+", 1)[0]
    if not scheme:
        hint = (f"; for an SQLite store write sqlite:///{Path(text).absolute()}"
                if text.endswith((".db", ".sqlite")) or "/" in text else "")
        raise UserError(f"tracking URI {text!r} has no scheme: use sqlite:///PATH, http(s)://HOST:PORT or a "
                        f"database URL{hint}")
    if base == "file":
        raise UserError(f"tracking URI {text!r}: MLflow's file store is no longer supported; use "
                        f"sqlite:///PATH/mlflow.db or a tracking server")
    if base not in REMOTE_SCHEMES + DATABASE_SCHEMES:
        raise UserError(f"tracking URI {text!r}: unsupported scheme {scheme!r} (use sqlite:///PATH, "
                        f"http(s)://HOST:PORT, postgresql://..., mysql://...)")
    if base == "sqlite":
        raw = text[len("sqlite:///"):] if text.startswith("sqlite:///") else ""
        db = Path(raw)
        if not raw.strip() or raw.endswith("/") or db.is_dir():
            raise UserError(f"tracking URI {text!r} names no database file (write sqlite:///PATH/mlflow.db)")
        if not db.parent.is_dir():
            raise UserError(f"tracking URI {text!r}: folder {db.parent} does not exist")


class TrackingUnavailable(UserError):
    """The tracking server could not be reached or refused the request."""


def check_reachable(uri: str, timeout_s: float = 5.0, must_exist: bool = False) -> None:
    """Fail fast (one line) when an HTTP tracking server does not answer, instead of MLflow's minutes
    of retries. A local SQLite store that is not a database (a damaged or foreign file) is one line too,
    and so is a missing one where ``must_exist`` (reading a model: a typo must not create an empty store)."""
    check_tracking_uri(uri)
    db = sqlite_path(uri)
    if db is not None:
        if must_exist and not db.is_file():
            raise UserError(f"no MLflow store at {db} (nothing was trained into it; check the tracking URI)")
        if db.is_file() and db.stat().st_size > 0:
            with open(db, "rb") as fh:
                if fh.read(16) != b"SQLite format 3\x00":
                    raise UserError(f"MLflow store {db} is not an SQLite database (damaged?); move it aside "
                                    "or choose another tracking URI")
        return
    if not uri.startswith(("http://", "https://")):
        return
    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout_s) as resp:
            resp.read(64)
    except urllib.error.HTTPError:
        return  # it answered (an older server without /health is still a server)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TrackingUnavailable(f"MLflow tracking server {uri} is not reachable ({reason})") from exc


@contextlib.contextmanager
def using(uri: str) -> Iterator[Any]:
    """Point MLflow's global tracking and registry URIs at ``uri`` for a block, then restore them."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "15")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow

    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    # Restore what was *set*, not what get_*_uri() resolves to: MLflow 3 resolves "unset" to
    # sqlite:///mlflow.db in the current folder, and setting that back (and exporting it in
    # MLFLOW_TRACKING_URI for child processes) left stray mlflow.db files wherever the app ran.
    saved = (tracking_utils._tracking_uri, registry_utils._registry_uri,
             os.environ.get("MLFLOW_TRACKING_URI"), os.environ.get("MLFLOW_REGISTRY_URI"))
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield mlflow
    except Exception as exc:
        # The store's database failing (locked, damaged, wrong schema) is the user's to fix, not a bug.
        import sqlalchemy.exc

        from mlflow.exceptions import MlflowException

        if isinstance(exc, sqlalchemy.exc.DBAPIError):
            raise UserError(f"MLflow store {uri} cannot be used: {str(exc.orig).splitlines()[0]}") from exc
        if isinstance(exc, ImportError):  # postgresql:// without psycopg, mysql:// without its driver...
            raise UserError(f"MLflow store {uri} needs a database driver that is not installed "
                            f"({exc.name or exc})") from exc
        if isinstance(exc, MlflowException) and not isinstance(exc, UserError):
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            raise UserError(f"MLflow store {uri}: {first}") from exc
        raise
    finally:
        tracking_utils._tracking_uri, registry_utils._registry_uri = saved[0], saved[1]
        for name, value in (("MLFLOW_TRACKING_URI", saved[2]), ("MLFLOW_REGISTRY_URI", saved[3])):
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _experiment_id(mlflow, artifact_location: str | None) -> str:
    exp = mlflow.get_experiment_by_name(EXPERIMENT)
    if exp is not None:
        return exp.experiment_id
    return mlflow.create_experiment(EXPERIMENT, artifact_location=artifact_location)


@dataclass
class LoggedRun:
    run_id: str
    version: str | None
    tracking_uri: str
    promoted: bool = False


def log_run(
    bundle: ModelBundle,
    *,
    uri: str,
    artifact_location: str | None,
    params: dict[str, Any],
    dataset: dict[str, Any],
    history: list[dict[str, float]],
    scores: Scores | None,
    tags: dict[str, str],
    example: np.ndarray,
    register: bool = True,
    promote: bool = False,
) -> LoggedRun:
    """Record one finished training: params, dataset fingerprint, per-epoch metrics, final per-class
    scores, confusion matrix (PNG + JSON), the model via ``mlflow.pytorch`` (signature and input
    example) and the weights bundle; register it and optionally make it champion."""
    check_reachable(uri)
    with using(uri) as mlflow:
        import mlflow.pytorch
        from mlflow.models import infer_signature

        from .model import SoftmaxModel

        try:
            exp_id = _experiment_id(mlflow, artifact_location)
            with mlflow.start_run(experiment_id=exp_id, tags=tags) as run:
                mlflow.log_params({k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in params.items()})
                mlflow.log_params({"dataset_sha256": dataset["sha256"], "dataset_windows": dataset["windows"]})
                mlflow.log_dict(dataset, "dataset.json")
                for cls, n in dataset.get("class_counts", {}).items():
                    mlflow.log_metric(f"data_count_{cls}", n)
                for row in history:
                    step = int(row["epoch"])
                    mlflow.log_metrics({k: float(v) for k, v in row.items()
                                        if k != "epoch" and v == v}, step=step)
                if scores is not None:
                    final = {"accuracy": scores.accuracy, "macro_f1": scores.macro_f1}
                    for c, m in scores.per_class.items():
                        for k in ("precision", "recall", "f1"):
                            final[f"{k}_{c}"] = m[k]
                    mlflow.log_metrics(final)
                    mlflow.log_dict(scores.to_dict(), "confusion_matrix.json")
                    with tempfile.TemporaryDirectory() as tmp:
                        png = Path(tmp) / "confusion_matrix.png"
                        confusion_png(scores, png)
                        mlflow.log_artifact(str(png))
                with tempfile.TemporaryDirectory() as tmp:
                    save_bundle(bundle, tmp)
                    mlflow.log_artifacts(tmp, BUNDLE_ARTIFACT)
                model = SoftmaxModel(bundle.net.cpu().eval())
                import torch

                import warnings

                with torch.no_grad():
                    out = model(torch.from_numpy(example)).numpy()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # torch's RNN weight note while MLflow validates the example
                    info = mlflow.pytorch.log_model(
                        model, name="model", signature=infer_signature(example, out), input_example=example,
                        pip_requirements=["torch"], metadata={"behavior": bundle.config()},
                    )
                version = None
                if register:
                    mv = mlflow.register_model(info.model_uri, MODEL_NAME, tags={"run_id": run.info.run_id})
                    version = str(mv.version)
                    mlflow.MlflowClient().set_model_version_tag(MODEL_NAME, version, "bundle",
                                                               f"runs:/{run.info.run_id}/{BUNDLE_ARTIFACT}")
                if promote and version is not None:
                    mlflow.MlflowClient().set_registered_model_alias(MODEL_NAME, CHAMPION, version)
                return LoggedRun(run.info.run_id, version, uri, promoted=bool(promote and version))
        except UserError:
            raise
        except Exception as exc:
            raise TrackingUnavailable(f"MLflow could not record the run at {uri} ({type(exc).__name__}: "
                                      f"{str(exc).splitlines()[0][:200] if str(exc) else ''})") from exc


def promote(uri: str, version: str) -> None:
    check_reachable(uri)
    with using(uri) as mlflow:
        client = mlflow.MlflowClient()
        try:
            client.get_model_version(MODEL_NAME, str(version))
        except Exception as exc:
            raise UserError(f"model {MODEL_NAME} has no version {version} in {uri}") from exc
        client.set_registered_model_alias(MODEL_NAME, CHAMPION, str(version))


def list_versions(uri: str) -> list[dict[str, Any]]:
    """Registered versions, newest first: version, run id, aliases, metrics of their run."""
    check_reachable(uri)
    db = sqlite_path(uri)
    if db is not None and not db.is_file():
        return []  # nothing trained yet; listing must not create the store
    with using(uri) as mlflow:
        client = mlflow.MlflowClient()
        try:
            versions = client.search_model_versions(f"name='{MODEL_NAME}'")
        except Exception:
            return []
        # search_model_versions leaves aliases empty on some stores; the registered model has them all
        try:
            by_version: dict[str, list[str]] = {}
            for alias, v in (client.get_registered_model(MODEL_NAME).aliases or {}).items():
                by_version.setdefault(str(v), []).append(alias)
        except Exception:
            by_version = {}
        out = []
        for mv in sorted(versions, key=lambda v: int(v.version), reverse=True):
            metrics: dict[str, float] = {}
            try:
                metrics = dict(client.get_run(mv.run_id).data.metrics)
            except Exception:
                pass
            out.append({"version": str(mv.version), "run_id": mv.run_id, "aliases": sorted(set(mv.aliases or []) | set(by_version.get(str(mv.version), []))),
                        "created": mv.creation_timestamp, "accuracy": metrics.get("accuracy"),
                        "macro_f1": metrics.get("macro_f1")})
        return out


def list_runs(uri: str, max_results: int = 50) -> list[dict[str, Any]]:
    check_reachable(uri)
    db = sqlite_path(uri)
    if db is not None and not db.is_file():
        return []
    with using(uri) as mlflow:
        exp = mlflow.get_experiment_by_name(EXPERIMENT)
        if exp is None:
            return []
        runs = mlflow.MlflowClient().search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"],
                                                  max_results=max_results)
        return [{"run_id": r.info.run_id, "status": r.info.status, "start": r.info.start_time,
                 "macro_f1": r.data.metrics.get("macro_f1"), "accuracy": r.data.metrics.get("accuracy"),
                 "cancelled": r.data.tags.get("cancelled", "false")} for r in runs]


class ModelNotFound(UserError):
    """The registry answered, and has no such version or alias (nothing is wrong with the store)."""


def load_registered(uri: str, ref: str = CHAMPION) -> ModelBundle:
    """A registered version (``champion`` or a number): its weights bundle, loaded tensors-only."""
    check_reachable(uri, must_exist=True)
    with using(uri) as mlflow:
        client = mlflow.MlflowClient()
        try:
            mv = (client.get_model_version_by_alias(MODEL_NAME, ref) if not str(ref).isdigit()
                  else client.get_model_version(MODEL_NAME, str(ref)))
        except Exception as exc:
            what = f"alias '{ref}'" if not str(ref).isdigit() else f"version {ref}"
            if getattr(exc, "error_code", None) not in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                raise UserError(f"cannot read the {MODEL_NAME} {what} from {uri}: {exc}") from exc
            raise ModelNotFound(f"no {MODEL_NAME} model {what} in {uri}; train one with retail-desktop train "
                            f"(--promote sets the champion)") from exc
        with tempfile.TemporaryDirectory() as tmp:
            local = mlflow.artifacts.download_artifacts(run_id=mv.run_id, artifact_path=BUNDLE_ARTIFACT, dst_path=tmp)
            bundle = load_bundle(local)
    bundle.source = f"{MODEL_NAME}/{mv.version}"
    bundle.info = {**bundle.info, "registry_version": str(mv.version), "run_id": mv.run_id}
    return bundle
