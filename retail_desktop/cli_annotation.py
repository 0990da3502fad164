"""``retail-desktop prelabel``: behaviour suggestions on a project's tracks, from the movement rules or
from a trained model's stored predictions."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("prelabel", help="suggest behaviour segments on tracks (movement rules or a model's predictions)")
    p.add_argument("project", help="project folder")
    p.add_argument("--camera", help="camera name (default: every camera)")
    p.add_argument("--source", choices=["rules", "model"], default="rules",
                   help="rules: from the trajectory (default); model: from stored predictions (retail-desktop classify)")
    p.add_argument("--model", help="with --source model: which model's predictions (default: the newest)")
    p.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                   help="override a rule threshold, e.g. dwell_s=3 (repeatable; see annotation/prelabel.py)")
    p.set_defaults(handler=_cmd_prelabel)


def _cmd_prelabel(args) -> int:
    from retail_desktop.annotation.prelabel import PrelabelSettings, prelabel_run
    from retail_desktop.cli_common import pick_camera
    from retail_desktop.errors import UserError
    from retail_desktop.project import Project

    if args.model is not None and args.source != "model":
        raise UserError("--model chooses whose predictions become suggestions; it needs --source model")
    if args.setting and args.source == "model":
        raise UserError("--setting changes the movement rules; it does not apply to --source model")
    overrides = {}
    for item in args.setting:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--setting {item!r}: expected KEY=NUMBER, e.g. dwell_s=3")
        try:
            overrides[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            raise UserError(f"--setting {item!r}: expected KEY=NUMBER") from None
    try:
        settings = PrelabelSettings.from_dict(overrides)
    except ValueError as exc:
        raise UserError(f"--setting: {exc}") from None
    with Project.open(args.project) as project:
        camera = pick_camera(project, args.camera, required=False)
        cameras = [camera] if camera is not None else project.cameras
        done = 0
        for cam in cameras:
            run = project.store.latest_run(cam.id, status="completed")
            if run is None:
                print(f"{cam.name}: no completed analysis; skipped")
                continue
            if args.source == "model":
                from retail_desktop.annotation.model_suggestions import suggest_from_predictions

                result = suggest_from_predictions(project.store, run.id, model=args.model)
            else:
                result = prelabel_run(project, run.id, settings=settings)
            print(f"{cam.name}: {result.line()}")
            done += 1
        if not done:
            raise UserError("no camera has a completed analysis; run retail-desktop analyze first", project.path)
    return 0
