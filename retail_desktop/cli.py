"""The ``retail-desktop`` command line: the same core functions the GUI calls, for scripts and batch.

User mistakes (a missing or unreadable file, an unwritable folder, a bad flag) end with exit status 2 and
one line on stderr naming the file and the problem; a traceback means a bug.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from retail_desktop import __version__
from retail_desktop.cli_common import camera_tracks, pick_camera
from retail_desktop.errors import UserError

EXIT_USER_ERROR = 2
EXIT_CANCELLED = 130


#: Modules that add verbs: each has ``register(subparsers)``, which adds its parsers and sets
#: ``handler=function(args) -> exit status`` on them. Keeps this file from growing with every feature.
#: They must import heavy things (torch, pandas, Qt) inside their handlers, not at module level.
VERB_MODULES: tuple[str, ...] = (
    "retail_desktop.cli_import",
    "retail_desktop.cli_annotation",
    "retail_desktop.cli_analytics",
    "retail_desktop.cli_open",
    "retail_desktop.cli_heatmap",
    "retail_desktop.cli_behavior",
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line (plus a hint), like every other user error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _stride(value: str) -> int | str:
    if value == "auto":
        return "auto"
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive whole number or 'auto', not {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number or 'auto', not {value!r}")
    return n


def _iou(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        x = float("nan")
    if not 0 < x <= 1:
        raise argparse.ArgumentTypeError(f"must be a number above 0 and at most 1, not {value!r}")
    return x


def _setting(value: str) -> tuple[str, object]:
    if "=" not in value:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {value!r}")
    key, raw = value.split("=", 1)
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        try:
            parsed = float(raw)  # .5, 1e-2 and the like, which JSON does not accept
        except ValueError:
            parsed = raw
    return key.strip(), parsed


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="retail-desktop", description="Review retail CCTV footage. With no command, opens the app.")
    p.add_argument("--version", action="version", version=f"retail-desktop {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    a = sub.add_parser("analyze", help="detect and track people in videos into a project")
    a.add_argument("project", help="project folder (created if missing)")
    a.add_argument("videos", nargs="+", metavar="VIDEO", help="video files; each becomes a camera named after its file")
    a.add_argument("--detector", default=os.environ.get("RETAIL_DESKTOP_DETECTOR", "yolov8n.pt"),
                   help="weights file (.pt, .onnx, ...) or Ultralytics name (default: yolov8n.pt, "
                        "or $RETAIL_DESKTOP_DETECTOR)")
    a.add_argument("--tracker", choices=["deepsort", "bytetrack", "botsort"], default="deepsort")
    a.add_argument("--tracker-setting", type=_setting, action="append", default=[], metavar="KEY=VALUE",
                   help="override a tracker setting, e.g. max_age=50 or track_buffer=60 (repeatable)")
    a.add_argument("--stride", type=_stride, default=1, help="detect every Nth frame, or 'auto' (default 1)")
    a.add_argument("--device", default="auto", help="auto (cuda > mps > cpu), cpu, cuda, cuda:N, mps")
    a.add_argument("--conf", type=float, default=0.1, help="detector confidence threshold (default 0.1)")
    a.add_argument("--commit-every", type=int, default=50, metavar="N",
                   help="frames per saved batch; an interrupted run resumes from the last batch (default 50)")
    a.add_argument("--force", action="store_true", help="analyse again even if an identical run is complete")
    a.add_argument("--quiet", action="store_true", help="no progress bar")

    e = sub.add_parser("export", help="export tracks (MOTChallenge txt, CSV, CVAT for video 1.1 XML with labels, "
                                      "or labelled sequences as Parquet)")
    e.add_argument("project")
    e.add_argument("--format", choices=["mot", "csv", "cvat", "sequences"], required=True)
    e.add_argument("--out", required=True, type=Path)
    e.add_argument("--camera", help="camera name (required for mot and cvat when the project has several)")
    e.add_argument("--taxonomy", help="cvat: which labels become the behaviour attribute (default: the run's)")

    v = sub.add_parser("evaluate-tracking", help="score a camera's tracks against MOTChallenge ground truth")
    v.add_argument("project")
    v.add_argument("--gt", required=True, type=Path, help="ground truth gt.txt (MOTChallenge format)")
    v.add_argument("--camera")
    v.add_argument("--iou", type=_iou, default=0.5, help="IoU a box needs to match (0 < IOU <= 1, default 0.5)")
    v.add_argument("--json", action="store_true", help="print the scores as JSON")

    i = sub.add_parser("info", help="video metadata: codec, size, rotation, real frame count and fps")
    i.add_argument("video")
    i.add_argument("--json", action="store_true")

    g = sub.add_parser("gui", help="open the app (the default when no command is given)")
    g.add_argument("project", nargs="?")

    for module in VERB_MODULES:
        importlib.import_module(module).register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in (None, "gui"):
        from retail_desktop.ui.app import run_gui

        return run_gui(project=getattr(args, "project", None))
    handler = getattr(args, "handler", None) or _COMMANDS[args.command]
    try:
        _check_outputs(args)
        return handler(args)
    except UserError as exc:
        print(f"retail-desktop {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"retail-desktop {args.command}: interrupted", file=sys.stderr)
        return EXIT_CANCELLED


def _check_outputs(args) -> None:
    """Every verb's output files, checked before any work: never one of the project's own files."""
    from retail_desktop.project.outputs import check_outputs

    project = getattr(args, "project", None)
    if project is None:
        return
    outs = [getattr(args, name, None) for name in ("out", "transitions", "screenshot")]
    if args.command == "zones" and getattr(args, "action", None) == "export":
        outs.append(args.file)
    check_outputs(project, *outs)


def _cmd_info(args) -> int:
    from retail_desktop.video import probe

    info = probe(args.video)
    data = info.to_dict()
    if args.json:
        print(json.dumps(data, indent=2, default=str))
        return 0
    for key, value in data.items():
        if isinstance(value, float):
            value = f"{value:.6g}"
        print(f"{key:>14}: {value}")
    return 0


def _cmd_analyze(args) -> int:
    from retail_desktop.cli_progress import ProgressBar
    from retail_desktop.tasks import Cancelled, Task
    from retail_desktop.vision.pipeline import AnalysisOptions, analyze_videos

    options = AnalysisOptions(
        detector=args.detector,
        tracker=args.tracker,
        tracker_settings=dict(args.tracker_setting),
        stride=args.stride,
        device=args.device,
        confidence=args.conf,
        commit_every=max(1, args.commit_every),
    )
    bar = ProgressBar(enabled=not args.quiet)
    task = Task(on_progress=bar.update)
    try:
        analyze_videos(args.project, args.videos, options, task, force=args.force,
                       on_camera_done=lambda s: (bar.close(), print(s.line(), flush=True)))
    except (KeyboardInterrupt, Cancelled):
        bar.close()
        print("retail-desktop analyze: cancelled; what was analysed is saved, run the same command to resume",
              file=sys.stderr)
        return EXIT_CANCELLED
    finally:
        bar.close()
    return 0


def _cmd_export(args) -> int:
    from retail_desktop.project import Project
    from retail_desktop.vision.export import tracks_to_csv, tracks_to_mot

    if args.format == "sequences":
        from retail_desktop.behavior.export import export_sequences

        with Project.open(args.project) as project:
            camera = pick_camera(project, args.camera, required=False) if args.camera else None
            n, n_labelled = export_sequences(project, args.out, camera=camera)
        print(f"wrote {n} track points ({n_labelled} labelled) to {args.out}")
        return 0
    if args.format == "cvat":
        from retail_desktop.annotation.cvat import export_cvat

        with Project.open(args.project) as project:
            camera = pick_camera(project, args.camera, required=True)
            n, labelled = export_cvat(project, camera, args.out, taxonomy=args.taxonomy)
        print(f"wrote {n} boxes ({labelled} with a behaviour label) to {args.out}")
        return 0
    with Project.open(args.project) as project:
        camera = pick_camera(project, args.camera, required=args.format == "mot")
        cameras = [camera] if camera is not None else project.cameras
        frames = {c.name: camera_tracks(project, c) for c in cameras}
    if args.format == "mot":
        (name, df), = frames.items()
        n = tracks_to_mot(df, args.out)
    else:
        n = tracks_to_csv(frames, args.out)
    print(f"wrote {n} boxes to {args.out}")
    return 0


def _cmd_evaluate(args) -> int:
    from retail_desktop.project import Project
    from retail_desktop.vision.evaluation import evaluate_mot
    from retail_desktop.vision.export import tracks_as_mot_frame
    from retail_desktop.vision.mot_format import read_mot

    gt = read_mot(args.gt)
    if len(gt) == 0:
        raise UserError("holds no ground-truth boxes; nothing to score against", args.gt)
    with Project.open(args.project) as project:
        camera = pick_camera(project, args.camera, required=True)
        hyp = tracks_as_mot_frame(camera_tracks(project, camera))
    scores = evaluate_mot(gt, hyp, iou_threshold=args.iou)
    data = scores.to_dict()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"{camera.name} vs {args.gt}")
    for key in ("mota", "idf1", "hota", "id_switches", "precision", "recall", "motp", "deta", "assa",
                "false_positives", "misses", "mostly_tracked", "mostly_lost", "num_gt_tracks", "num_hyp_tracks"):
        value = data[key]
        print(f"{key:>16}: {value:.4f}" if isinstance(value, float) else f"{key:>16}: {value}")
    return 0


_COMMANDS = {
    "info": _cmd_info,
    "analyze": _cmd_analyze,
    "export": _cmd_export,
    "evaluate-tracking": _cmd_evaluate,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
