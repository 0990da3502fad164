"""``retail-desktop heatmap``: a camera's heatmap as a PNG, from its latest completed analysis.

The same accumulator the player's heatmap layer uses (``analytics/heatmap.py``): presence (person-seconds
per cell) or visitors (distinct tracks per cell), foot point = bottom-centre of each box, over a window
of project time, optionally with decay, drawn over black or over the camera's frame at the window's end.
"""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    h = sub.add_parser("heatmap", help="a camera's heatmap (presence or visitors per cell) as a PNG")
    h.add_argument("project")
    h.add_argument("--out", type=Path, required=True, metavar="OUT.png")
    h.add_argument("--camera", help="camera name (required when the project has several)")
    h.add_argument("--mode", choices=["presence", "visitors"], default="presence",
                   help="presence = person-seconds per cell (default); visitors = distinct tracks per cell")
    h.add_argument("--from", dest="t0", type=float, metavar="SECONDS", help="window start, project time (default: all)")
    h.add_argument("--to", dest="t1", type=float, metavar="SECONDS", help="window end, project time (default: all)")
    h.add_argument("--cell", type=int, default=16, metavar="PX", help="cell size in pixels (default 16)")
    h.add_argument("--colormap", default="inferno", help="inferno (default), viridis, jet or hot")
    h.add_argument("--half-life", type=float, metavar="SECONDS", help="decay towards the window's end")
    h.add_argument("--over-frame", action="store_true", help="draw over the camera's frame at the window's end")
    h.set_defaults(handler=_cmd_heatmap)


def _cmd_heatmap(args) -> int:
    from retail_desktop.analytics.heatmap import camera_accumulator, colorize, compose, save_png
    from retail_desktop.cli_common import pick_camera
    from retail_desktop.errors import UserError
    from retail_desktop.project import Project

    if args.out.suffix.lower() != ".png":
        raise UserError("must end in .png", args.out)
    if args.cell < 1:
        raise UserError(f"--cell must be a positive number of pixels, not {args.cell}")
    if args.half_life is not None and not args.half_life > 0:
        raise UserError(f"--half-life must be positive, not {args.half_life}")
    with Project.open(args.project) as project:
        camera = pick_camera(project, args.camera, required=True)
        acc = camera_accumulator(project, camera, args.cell)
    offset = camera.offset_s
    t0 = None if args.t0 is None else args.t0 - offset
    t1 = None if args.t1 is None else args.t1 - offset
    grid = acc.grid(args.mode, t0, t1, args.half_life)
    background = None
    if args.over_frame:
        from retail_desktop.video import VideoReader

        with VideoReader(camera.video) as reader:
            frame = reader.read_at(t1 if t1 is not None else reader.info.timestamps[-1])
        background = frame.image[..., ::-1]
    image = compose(colorize(grid, args.colormap, opacity=0.75), acc.width, acc.height, background, acc.cell_px)
    save_png(image, args.out)
    unit = "person-seconds" if args.mode == "presence" else "visitors"
    print(f"{camera.name}: {args.mode} heatmap {grid.shape[1]}x{grid.shape[0]} cells of {args.cell} px, "
          f"total {grid.sum():.2f} {unit}, busiest cell {grid.max():.2f}; wrote {args.out}")
    return 0
