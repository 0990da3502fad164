"""``retail-desktop import``: tracks (and labels) from other tools' files into a project."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path


def _size(value: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in value.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 384x288, not {value!r}") from None
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"width and height must be positive, not {value!r}")
    return w, h


def _fps(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        x = float("nan")
    if not x > 0 or x == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of frames per second, not {value!r}")
    return x


def register(sub) -> None:
    p = sub.add_parser("import", help="import tracks (and labels): CAVIAR XML, CVAT for video 1.1 XML, MOTChallenge")
    p.add_argument("project", help="project folder (created if missing)")
    p.add_argument("file", type=Path)
    p.add_argument("--format", choices=["caviar", "cvat", "mot"], required=True)
    p.add_argument("--camera", help="camera to import into (default: named after the file or sequence)")
    p.add_argument("--labels", choices=["movement", "situation", "none"], default="none",
                   help="CAVIAR: turn this label into behaviour segments (default none)")
    p.add_argument("--taxonomy", help="CVAT: taxonomy of the behaviour attribute, by name or .yaml file "
                   "(default: the one the file names, else the one its values fit)")
    p.add_argument("--fps", type=_fps, help="frame rate (MOT: default from seqinfo.ini; CAVIAR: default 25; CVAT: "
                   "from the file if Retail Desktop wrote it; else the camera's video)")
    p.add_argument("--size", type=_size, help="frame size WxH (MOT: default from seqinfo.ini; CAVIAR: default 384x288)")
    p.set_defaults(handler=_cmd_import)


def _cmd_import(args) -> int:
    from retail_desktop.annotation.cvat import import_cvat
    from retail_desktop.annotation.track_import import import_caviar, import_mot
    from retail_desktop.errors import UserError
    from retail_desktop.project import Project

    if not args.file.exists():
        raise UserError("file not found", args.file)
    folder = Path(args.project)
    created = not folder.exists()
    try:
        with Project.open_or_create(folder) as project:
            if args.format == "caviar":
                result = import_caviar(project, args.file, camera=args.camera, labels=args.labels,
                                       fps=args.fps, size=args.size)
            elif args.format == "cvat":
                result = import_cvat(project, args.file, camera=args.camera, fps=args.fps, taxonomy=args.taxonomy)
            else:
                result = import_mot(project, args.file, camera=args.camera, fps=args.fps, size=args.size)
    except BaseException:
        if created:  # a refused import into a new folder leaves no empty project behind
            shutil.rmtree(folder, ignore_errors=True)
        raise
    print(result.line())
    return 0
