"""``retail-desktop open PROJECT [--screenshot OUT.png --at SECONDS --heatmap]``: the review app.

Without ``--screenshot`` it opens the window on the project. With it, the window renders the project
at that project time (overlays on; the heatmap layer too with ``--heatmap``), writes the PNG and exits,
on Qt's offscreen platform when there is no display. The project is checked before any window exists,
so a bad path is one line and exit status 2, like every other verb.
"""

from __future__ import annotations

import os
from pathlib import Path


def register(sub) -> None:
    o = sub.add_parser("open", help="open a project in the app, or render it to a PNG and exit")
    o.add_argument("project")
    o.add_argument("--screenshot", type=Path, metavar="OUT.png",
                   help="render the main window with the project, write this PNG and exit")
    o.add_argument("--at", type=float, default=None, metavar="SECONDS",
                   help="project time to show (default: the start)")
    o.add_argument("--heatmap", action="store_true", help="turn the heatmap layer on")
    o.set_defaults(handler=_cmd_open)


def _cmd_open(args) -> int:
    from retail_desktop.errors import UserError
    from retail_desktop.project import Project

    Project.open(args.project).close()
    if args.screenshot is not None and args.screenshot.suffix.lower() != ".png":
        raise UserError("must end in .png", args.screenshot)
    if args.screenshot is not None and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # rendering a PNG needs no screen
    from retail_desktop.ui.app import run_gui

    return run_gui(project=args.project, screenshot=args.screenshot, at_s=args.at, heatmap=args.heatmap)
