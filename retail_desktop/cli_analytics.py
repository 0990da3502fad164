"""``retail-desktop zones`` and ``retail-desktop metrics``: zones in and out as GeoJSON, figures as CSV."""

from __future__ import annotations

import argparse
import math
from pathlib import Path


def _seconds(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        x = float("nan")
    if not math.isfinite(x) or x < 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, not {value!r}")
    return x


def _positive(value: str) -> float:
    x = _seconds(value)
    if x <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {value!r}")
    return x


def _share(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        x = float("nan")
    if not 0 <= x <= 1:
        raise argparse.ArgumentTypeError(f"must be a share between 0 and 1, not {value!r}")
    return x


def register(sub) -> None:
    z = sub.add_parser("zones", help="import or export a project's zones and count lines as GeoJSON")
    z.add_argument("project")
    z.add_argument("action", choices=["import", "export"])
    z.add_argument("file", type=Path, metavar="FILE.geojson")
    z.add_argument("--camera", help="only this camera's zones (import: camera for features without one)")
    z.set_defaults(handler=_cmd_zones)

    m = sub.add_parser("metrics", help="per-zone figures (visitors, entries, dwell, occupancy, line counts) as CSV")
    m.add_argument("project")
    m.add_argument("--out", required=True, type=Path, help="CSV file: one row per camera, zone and bin")
    m.add_argument("--from", dest="start", type=_seconds, metavar="S", help="start of the range, seconds of video")
    m.add_argument("--to", dest="end", type=_seconds, metavar="S", help="end of the range (exclusive)")
    m.add_argument("--bin", type=_positive, metavar="SECONDS", help="split the range into bins of this length")
    m.add_argument("--anchor", choices=["bottom-center", "center"], default="bottom-center",
                   help="point of the box tested against zones (default bottom-center: the feet)")
    m.add_argument("--camera", action="append", help="only this camera (repeatable; default all with zones)")
    m.add_argument("--exclude-staff", type=_share, metavar="SHARE",
                   help="leave out tracks with more than SHARE (0-1) of their points in staff-only zones")
    m.add_argument("--line-band", type=float, default=4.0, metavar="PX",
                   help="dead band around count lines, pixels (default 4)")
    m.add_argument("--by-behavior", action="store_true",
                   help="also one row per behaviour label (each track's majority label from retail-desktop classify)")
    m.add_argument("--transitions", type=Path, metavar="FILE.csv", help="also write zone-to-zone transitions")
    m.set_defaults(handler=_cmd_metrics)


def _cmd_zones(args) -> int:
    from retail_desktop.analytics.geojson import export_geojson, import_geojson
    from retail_desktop.project import Project

    with Project.open(args.project) as project:
        if args.action == "import":
            zones = import_geojson(project, args.file, args.camera)
            print(f"imported {len(zones)} zones from {args.file}")
        else:
            n = export_geojson(project, args.file, args.camera)
            print(f"wrote {n} zones to {args.file}")
    return 0


def _write_csv(df, path: Path) -> None:
    from retail_desktop.errors import UserError
    from retail_desktop.project.atomic import atomic_write_text

    try:
        atomic_write_text(path, df.to_csv(index=False, float_format="%.6g"))
    except OSError as exc:
        raise UserError(f"cannot be written ({exc.strerror or exc})", path) from None


def _cmd_metrics(args) -> int:
    import sys

    from retail_desktop.analytics.metrics import MetricOptions, metrics_table, project_metrics, transitions_table
    from retail_desktop.project import Project

    options = MetricOptions(start_s=args.start, end_s=args.end, bin_s=args.bin, anchor=args.anchor,
                            staff_share=args.exclude_staff, line_band_px=args.line_band,
                            by_behavior=args.by_behavior)
    with Project.open(args.project) as project:
        results, notes = project_metrics(project, options, args.camera)
    for note in notes:
        print(f"retail-desktop metrics: {note}", file=sys.stderr)
    table = metrics_table(results)
    _write_csv(table, args.out)
    print(f"wrote {len(table)} rows to {args.out}")
    if args.transitions:
        tt = transitions_table(results)
        _write_csv(tt, args.transitions)
        print(f"wrote {len(tt)} transitions to {args.transitions}")
    return 0
