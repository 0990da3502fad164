"""``retail-desktop train | classify | evaluate-behavior``: the behaviour model from the command line.

Same core functions as the training dialog (:mod:`retail_desktop.behavior`). Ctrl+C during ``train``
stops after the current batch and still saves and records the best checkpoint so far.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {value!r}")
    return n


def register(sub) -> None:
    t = sub.add_parser("train", help="train the LSTM-GRU behaviour model on labelled segments; record it in MLflow")
    t.add_argument("project", help="project folder (its mlflow.db is the default tracking store)")
    t.add_argument("--taxonomy", help="taxonomy name or YAML file (default: the labels' own, else retail-behaviour)")
    t.add_argument("--data", type=Path, help="labelled sequences (.parquet from export --format sequences) "
                                             "or another project folder (default: this project's segments)")
    t.add_argument("--epochs", type=_positive_int, default=40)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="auto", help="auto (cuda if present), cpu, cuda, cuda:N")
    t.add_argument("--tracking-uri", help="MLflow tracking URI (default: the project's setting, else "
                                          "sqlite:///PROJECT/mlflow.db)")
    t.add_argument("--remember", action="store_true",
                   help="once the run is recorded, keep --tracking-uri as the project's setting: later train, "
                        "classify, evaluate-behavior and the app use it (see also: retail-desktop tracking-uri)")
    t.add_argument("--promote", action="store_true", help="make the new version the champion")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(handler=_cmd_train)

    u = sub.add_parser("tracking-uri", help="show or set the MLflow tracking URI the project uses (train, classify, "
                                            "evaluate-behavior and the app)")
    u.add_argument("project")
    u.add_argument("uri", nargs="?", help="sqlite:///PATH/mlflow.db, http(s)://HOST:PORT or a database URL "
                                          "(checked before it is kept)")
    u.add_argument("--reset", action="store_true", help="back to the project's own sqlite:///PROJECT/mlflow.db")
    u.set_defaults(handler=_cmd_tracking_uri)

    c = sub.add_parser("classify", help="label every track with the behaviour model (stored with the model version)")
    c.add_argument("project")
    c.add_argument("--model", default="auto",
                   help="champion, a version number, default (the bundled model) or a model folder "
                        "(default: the champion if there is one, else the bundled model)")
    c.add_argument("--tracking-uri", help="MLflow tracking URI (default: the project's setting, else its mlflow.db)")
    c.set_defaults(handler=_cmd_classify)

    e = sub.add_parser("evaluate-behavior", help="score a behaviour model on labelled data")
    e.add_argument("project", help="project whose model registry holds the model")
    e.add_argument("--data", required=True, type=Path, help="labelled project folder or sequences .parquet")
    e.add_argument("--model", default="champion", help="champion (default), a version number, default or a folder")
    e.add_argument("--taxonomy", help="only segments of this taxonomy (default: all)")
    e.add_argument("--tracking-uri", help="MLflow tracking URI (default: the project's setting, else its mlflow.db)")
    e.set_defaults(handler=_cmd_evaluate_behavior)


def _open(path):
    from retail_desktop.project import Project

    return Project.open(path)


def _cmd_train(args) -> int:
    from retail_desktop.behavior.runs import TrainingRequest, train_behavior
    from retail_desktop.behavior.training import TrainConfig
    from retail_desktop.cli_progress import ProgressBar
    from retail_desktop.errors import UserError
    from retail_desktop.tasks import Task

    from retail_desktop.behavior.registry import check_tracking_uri
    from retail_desktop.behavior.training import pick_device

    _open(args.project).close()  # a bad project folder fails here, before anything slow
    pick_device(args.device)  # and a bad device
    if args.remember and not args.tracking_uri:
        raise UserError("--remember keeps the --tracking-uri given with it; to go back to the project's own store: "
                        f"retail-desktop tracking-uri {args.project} --reset")
    if args.tracking_uri:
        check_tracking_uri(args.tracking_uri)
    if args.data is not None and not args.data.exists():
        raise UserError("data not found", args.data)
    bar = ProgressBar(enabled=not args.quiet)
    task = Task(on_progress=bar.update)
    request = TrainingRequest(Path(args.project), args.data, args.taxonomy,
                              TrainConfig(epochs=args.epochs, seed=args.seed, device=args.device),
                              tracking_uri=args.tracking_uri, promote=args.promote)
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda *_: task.cancel())
    try:
        outcome = train_behavior(request, task)
    finally:
        signal.signal(signal.SIGINT, previous)
        bar.close()
    for line in outcome.lines():
        print(line)
    if args.remember:  # only once the run is recorded there: a URI that failed is never remembered
        _remember(args.project, args.tracking_uri)
    return 0


def _remember(folder, uri: str | None) -> None:
    from retail_desktop.behavior.registry import default_tracking_uri, save_tracking_uri

    with _open(folder) as project:
        kept = save_tracking_uri(project, uri)
        shown = kept or f"{default_tracking_uri(project.path)} (the project's own store)"
        print(f"tracking URI setting: {shown}")


def _cmd_tracking_uri(args) -> int:
    from retail_desktop.behavior.registry import check_reachable, configured_tracking_uri, project_tracking_uri

    if args.reset:
        _remember(args.project, None)
    elif args.uri:
        check_reachable(args.uri)  # the syntax, the folder, the server: checked before it is kept
        _remember(args.project, args.uri)
    else:
        _open(args.project).close()
        source = "this project's setting" if configured_tracking_uri(args.project) else "the project's own store"
        print(f"tracking URI: {project_tracking_uri(args.project)} ({source})")
    return 0


def _cmd_classify(args) -> int:
    from retail_desktop.behavior.inference import classify_project, resolve_model

    with _open(args.project) as project:
        bundle = resolve_model(project.path, args.model, args.tracking_uri)
        result = classify_project(project, bundle)
    print(result.line())
    return 0


def _cmd_evaluate_behavior(args) -> int:
    from retail_desktop.behavior.inference import evaluate_bundle, resolve_model
    from retail_desktop.behavior.runs import load_sequences
    from retail_desktop.errors import UserError

    if not args.data.exists():
        raise UserError("data not found", args.data)
    with _open(args.project) as project:
        bundle = resolve_model(project.path, args.model, args.tracking_uri)
        seq, zones = load_sequences(project, args.data, args.taxonomy)
    scores, n = evaluate_bundle(bundle, seq, zones)
    print(f"model {bundle.source} on {args.data}: {n} windows")
    for line in scores.lines():
        print(line)
    sys.stdout.flush()
    return 0
