"""Per-zone figures from tracks: visitors, entries/exits, dwell, occupancy, line counts, queue waits,
zone-to-zone transitions. One implementation, called by the ``metrics`` CLI verb and the analytics dock.

The exact definitions are in ``docs/metrics.md``; in short, for one camera with frame rate ``fps``:

* A track's **anchor** on a frame is the bottom centre of its box (``((x1+x2)/2, y2)``, the feet) or
  its centre (``((x1+x2)/2, (y1+y2)/2)``). A **point** is one stored row (one track on one frame); its
  time is ``frame / fps`` on the camera's video clock. "Inside" uses :func:`geometry.points_in_polygon`.
* Points are taken in frame order per track; **consecutive points** are neighbours in that order,
  whatever the gap between their frames. Entries, exits, crossings and transitions need the point
  before, which may lie before the selected range; the event belongs to the bin of the later point.
* Figures are per bin ``[b0, b1)`` of the range ``[from, to)`` (one bin when not binned).

Why points and not frame intervals: dwell then equals the occupancy integral exactly
(``occupancy_mean * frames_in_bin / fps == dwell_s_total``), which the tests check, and every figure
can be traced to the rows behind it.
"""

from __future__ import annotations

import math
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from retail_desktop.errors import UserError

from .floorplan import PLAN_ID
from .geometry import points_in_polygon, segments_intersect, signed_distance
from .zones import Zone

ANCHORS: tuple[str, ...] = ("bottom-center", "center")

#: CSV columns of :func:`metrics_table`, in order.
COLUMNS: tuple[str, ...] = (
    "camera", "zone", "kind", "purpose", "bin_start_s", "bin_end_s", "frames",
    "visitors", "entries", "exits", "dwell_s_total", "dwell_s_mean", "dwell_s_median", "dwell_s_p90",
    "occupancy_mean", "occupancy_peak", "line_in", "line_out",
    "queue_visitors", "queue_wait_s_mean", "queue_wait_s_median", "queue_wait_s_p90",
)


@dataclass
class MetricOptions:
    """What to compute. ``start_s``/``end_s`` default to the whole video; ``bin_s`` None: one bin.

    ``staff_share``: when set, tracks with more than this share (0..1) of their points inside
    staff-only zones are left out of every figure of their camera (over the track's whole life, not
    only the range). ``line_band_px``: half-width of the dead band around a count line; a point
    closer to the line than this does not change the side a track is on (jitter is not counted).
    """

    start_s: float | None = None
    end_s: float | None = None
    bin_s: float | None = None
    anchor: str = "bottom-center"
    staff_share: float | None = None
    line_band_px: float = 4.0
    #: also one row per behaviour: the figures of the tracks whose behaviour (majority of the model's
    #: window labels over the whole track) is that label; see :func:`track_behaviours`
    by_behavior: bool = False

    def check(self) -> None:
        if self.anchor not in ANCHORS:
            raise UserError(f"anchor must be one of {', '.join(ANCHORS)}, not {self.anchor!r}")
        for name in ("start_s", "end_s", "bin_s"):
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                raise UserError(f"{name} must be a finite number, not {v!r}")
        if self.start_s is not None and self.start_s < 0:
            raise UserError(f"--from must not be negative, got {self.start_s:g}")
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise UserError(f"--to ({self.end_s:g}) must be after --from ({self.start_s:g})")
        if self.bin_s is not None and self.bin_s <= 0:
            raise UserError(f"--bin must be a positive number of seconds, got {self.bin_s:g}")
        if self.staff_share is not None and not 0 <= self.staff_share <= 1:
            raise UserError(f"staff share must be between 0 and 1, got {self.staff_share:g}")
        if not self.line_band_px >= 0:
            raise UserError(f"line band must be >= 0 pixels, got {self.line_band_px:g}")


@dataclass
class ZoneRow:
    """Figures of one zone in one bin, with the track ids behind each figure (``tracks``:
    visitors, entries, exits, line_in, line_out, queue) and per-visitor values (``dwell_by_track``,
    ``wait_by_track``, seconds)."""

    camera: str
    zone: str
    kind: str
    purpose: str
    bin_start_s: float
    bin_end_s: float
    frames: int
    visitors: int | None = None
    entries: int | None = None
    exits: int | None = None
    dwell_s_total: float | None = None
    dwell_s_mean: float | None = None
    dwell_s_median: float | None = None
    dwell_s_p90: float | None = None
    occupancy_mean: float | None = None
    occupancy_peak: int | None = None
    line_in: int | None = None
    line_out: int | None = None
    queue_visitors: int | None = None
    queue_wait_s_mean: float | None = None
    queue_wait_s_median: float | None = None
    queue_wait_s_p90: float | None = None
    tracks: dict[str, list[int]] = field(default_factory=dict, repr=False)
    #: per figure, track id -> frame of its first event there (first point inside for visitors),
    #: so the GUI can jump to the moment behind a figure
    event_frames: dict[str, dict[int, int]] = field(default_factory=dict, repr=False)
    dwell_by_track: dict[int, float] = field(default_factory=dict, repr=False)
    wait_by_track: dict[int, float] = field(default_factory=dict, repr=False)
    occupancy: np.ndarray | None = field(default=None, repr=False)  # people inside, per frame of the bin
    #: None: every track; "all" / a label / "unclassified" when the figures are broken down by behaviour
    behavior: str | None = None

    def as_record(self) -> dict[str, Any]:
        record = {c: getattr(self, c) for c in COLUMNS}
        if self.behavior is not None:
            record["behavior"] = self.behavior
        return record


@dataclass
class Transition:
    camera: str
    from_zone: str
    to_zone: str
    bin_start_s: float
    bin_end_s: float
    count: int
    tracks: list[int]


@dataclass
class CameraMetrics:
    camera: str
    fps: float
    rows: list[ZoneRow]
    transitions: list[Transition]
    excluded_tracks: list[int]
    first_frame: int  # first frame of the range (frame index of occupancy[0] of the first bin)


def _stats(values: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    """Mean, median and 90th percentile (numpy's default linear interpolation); None when empty."""
    if not len(values):
        return None, None, None
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.mean()), float(np.median(arr)), float(np.percentile(arr, 90))


def _first_frames(tid: np.ndarray, frame: np.ndarray, rows: np.ndarray) -> dict[int, int]:
    """Track id -> earliest frame among ``rows`` (a boolean mask or row indices) of that track."""
    t, f = tid[rows], frame[rows]
    out: dict[int, int] = {}
    for track, fr in zip(t.tolist(), f.tolist()):
        if track not in out or fr < out[track]:
            out[track] = fr
    return out


def anchors(tracks: pd.DataFrame, anchor: str) -> tuple[np.ndarray, np.ndarray]:
    x = (tracks["x1"].to_numpy(np.float64) + tracks["x2"].to_numpy(np.float64)) / 2
    if anchor == "center":
        y = (tracks["y1"].to_numpy(np.float64) + tracks["y2"].to_numpy(np.float64)) / 2
    elif anchor == "bottom-center":
        y = tracks["y2"].to_numpy(np.float64)
    else:
        raise UserError(f"anchor must be one of {', '.join(ANCHORS)}, not {anchor!r}")
    return x, y


#: More bins than this per camera is a typo, not a question (each bin is a row per zone).
MAX_BINS = 100_000


def _bins(start_s: float, end_s: float, bin_s: float | None) -> list[tuple[float, float]]:
    if bin_s is None:
        return [(start_s, end_s)]
    n = max(1, int(math.ceil((end_s - start_s) / bin_s - 1e-9)))
    return [(start_s + k * bin_s, min(end_s, start_s + (k + 1) * bin_s)) for k in range(n)]


def _frames_between(b0: float, b1: float, fps: float, n_frames: int) -> np.ndarray:
    """Frame indices f (0 <= f < n_frames) with b0 <= f / fps < b1."""
    lo = max(0, int(math.floor(b0 * fps)) - 1)
    hi = min(n_frames, int(math.ceil(b1 * fps)) + 1)
    f = np.arange(lo, hi, dtype=np.int64)
    t = f / fps
    return f[(t >= b0) & (t < b1)]


def _line_events(
    tid: np.ndarray, x: np.ndarray, y: np.ndarray, zone: Zone, band: float
) -> tuple[np.ndarray, np.ndarray]:
    """Row indices where a track crosses the line "in" (negative -> positive side) and "out".

    Each track has a *settled side*: the side of its last point farther than ``band`` from the line.
    A crossing is counted on the point that settles on the other side, and only if the straight step
    from the last settled point to it passes through the line segment itself (walking round its end
    is not a crossing). Points within the band change nothing, so jitter on the line counts once.
    """
    a, b = zone.points
    d = signed_distance(x, y, a, b)
    ins: list[int] = []
    outs: list[int] = []
    side = 0
    last = -1
    for i in range(len(d)):
        if i == 0 or tid[i] != tid[i - 1]:
            side, last = 0, -1
        if abs(d[i]) <= band:
            continue
        s = 1 if d[i] > 0 else -1
        if side != 0 and s != side and segments_intersect((x[last], y[last]), (x[i], y[i]), a, b):
            (ins if s > 0 else outs).append(i)
        side, last = s, i
    return np.asarray(ins, dtype=np.int64), np.asarray(outs, dtype=np.int64)


def camera_metrics(
    camera: str, tracks: pd.DataFrame, zones: list[Zone], fps: float, n_frames: int,
    options: MetricOptions | None = None,
) -> CameraMetrics:
    """Figures for one camera's ``tracks`` (columns frame, track_id, x1, y1, x2, y2) and ``zones``."""
    options = options or MetricOptions()
    options.check()
    if not (fps > 0 and math.isfinite(fps)):
        raise UserError(f"camera '{camera}': frame rate must be positive, got {fps}")
    df = tracks.sort_values(["track_id", "frame"], kind="stable").reset_index(drop=True)
    n_frames = max(int(n_frames), int(df["frame"].max()) + 1 if len(df) else 0)
    x, y = anchors(df, options.anchor)
    tid = df["track_id"].to_numpy(np.int64)
    frame = df["frame"].to_numpy(np.int64)
    t = frame / fps
    same_prev = np.zeros(len(df), dtype=bool)
    same_prev[1:] = tid[1:] == tid[:-1]

    areas = [z for z in zones if z.kind == "area"]
    inside = {z.name: points_in_polygon(x, y, z.points) for z in areas}

    excluded: list[int] = []
    staff = [z for z in areas if z.purpose == "staff-only"]
    if options.staff_share is not None and staff and len(df):
        in_staff = np.zeros(len(df), dtype=bool)
        for z in staff:
            in_staff |= inside[z.name]
        per_track = pd.DataFrame({"t": tid, "s": in_staff}).groupby("t")["s"].mean()
        excluded = sorted(int(k) for k in per_track.index[per_track > options.staff_share])
    keep = ~np.isin(tid, excluded)

    start_s = 0.0 if options.start_s is None else float(options.start_s)
    end_s = n_frames / fps if options.end_s is None else float(options.end_s)
    if end_s <= start_s:
        raise UserError(f"camera '{camera}': the range {start_s:g}-{end_s:g} s is empty "
                        f"(the video lasts {n_frames / fps:g} s)")
    if options.bin_s is not None and options.bin_s < 1.0 / fps:
        raise UserError(f"camera '{camera}': --bin {options.bin_s:g} s is shorter than one frame "
                        f"({1.0 / fps:.4g} s at {fps:g} fps)")
    if options.bin_s is not None and (end_s - start_s) / options.bin_s > MAX_BINS:
        raise UserError(f"camera '{camera}': --bin {options.bin_s:g} s makes more than {MAX_BINS} bins over "
                        f"{end_s - start_s:g} s; choose a longer bin or a shorter --from/--to range")
    bins = _bins(start_s, end_s, options.bin_s)

    def in_bin(b0: float, b1: float) -> np.ndarray:
        return keep & (t >= b0) & (t < b1)

    rows: list[ZoneRow] = []
    for zone in zones:
        if zone.kind == "line":
            ins, outs = _line_events(tid, x, y, zone, options.line_band_px)
            for b0, b1 in bins:
                m = in_bin(b0, b1)
                i_rows, o_rows = ins[m[ins]], outs[m[outs]]
                rows.append(ZoneRow(
                    camera, zone.name, "line", zone.purpose, b0, b1, len(_frames_between(b0, b1, fps, n_frames)),
                    line_in=len(i_rows), line_out=len(o_rows),
                    tracks={"line_in": sorted(set(tid[i_rows].tolist())), "line_out": sorted(set(tid[o_rows].tolist()))},
                    event_frames={"line_in": _first_frames(tid, frame, i_rows),
                                  "line_out": _first_frames(tid, frame, o_rows)},
                ))
            continue
        ins_mask = inside[zone.name]
        prev_in = np.zeros(len(df), dtype=bool)
        prev_in[1:] = ins_mask[:-1]
        entry = same_prev & ~prev_in & ins_mask
        exit_ = same_prev & prev_in & ~ins_mask
        waits = _queue_waits(tid, frame, entry, exit_, fps) if zone.purpose == "queue" else None
        for b0, b1 in bins:
            m = in_bin(b0, b1)
            frames_here = _frames_between(b0, b1, fps, n_frames)
            inside_here = m & ins_mask
            per_track = pd.Series(tid[inside_here]).value_counts()
            dwell = {int(k): float(v) / fps for k, v in per_track.items()}
            mean, median, p90 = _stats(list(dwell.values()))
            occ = np.zeros(len(frames_here), dtype=np.int64)
            if len(frames_here):
                counts = np.bincount(frame[inside_here] - frames_here[0], minlength=len(frames_here))
                occ = counts[: len(frames_here)]
            row = ZoneRow(
                camera, zone.name, "area", zone.purpose, b0, b1, len(frames_here),
                visitors=len(dwell), entries=int((m & entry).sum()), exits=int((m & exit_).sum()),
                dwell_s_total=float(inside_here.sum()) / fps, dwell_s_mean=mean, dwell_s_median=median,
                dwell_s_p90=p90,
                occupancy_mean=float(occ.sum()) / len(frames_here) if len(frames_here) else None,
                occupancy_peak=int(occ.max()) if len(occ) else None,
                tracks={"visitors": sorted(dwell), "entries": sorted(set(tid[m & entry].tolist())),
                        "exits": sorted(set(tid[m & exit_].tolist()))},
                dwell_by_track=dwell, occupancy=occ,
                event_frames={"visitors": _first_frames(tid, frame, inside_here),
                              "entries": _first_frames(tid, frame, m & entry),
                              "exits": _first_frames(tid, frame, m & exit_)},
            )
            if waits is not None:
                by_track: dict[int, float] = {}
                first_exit: dict[int, int] = {}
                for track, exit_frame, wait in waits:
                    if track not in excluded and b0 <= exit_frame / fps < b1:
                        by_track[track] = by_track.get(track, 0.0) + wait
                        first_exit.setdefault(track, exit_frame)
                row.queue_visitors = len(by_track)
                row.queue_wait_s_mean, row.queue_wait_s_median, row.queue_wait_s_p90 = _stats(list(by_track.values()))
                row.wait_by_track = by_track
                row.tracks["queue"] = sorted(by_track)
                row.event_frames["queue"] = first_exit
            rows.append(row)
    transitions = _transitions(camera, tid, frame, keep, areas, inside, bins, fps)
    first = _frames_between(bins[0][0], bins[-1][1], fps, n_frames)
    return CameraMetrics(camera, fps, rows, transitions, excluded, int(first[0]) if len(first) else 0)


def _queue_waits(tid, frame, entry, exit_, fps) -> list[tuple[int, int, float]]:
    """Complete queue visits as (track, exit frame, wait s): from an entry (first point inside after a
    point outside) to the next exit of the same track. A track first seen inside, or still inside at
    its last point, has no complete visit for that stay."""
    out: list[tuple[int, int, float]] = []
    open_entry: dict[int, int] = {}
    for i in np.flatnonzero(entry | exit_):
        track = int(tid[i])
        if entry[i]:
            open_entry[track] = int(frame[i])
        elif track in open_entry:
            start = open_entry.pop(track)
            out.append((track, int(frame[i]), (int(frame[i]) - start) / fps))
    return out


def _transitions(camera, tid, frame, keep, areas, inside, bins, fps) -> list[Transition]:
    """Zone-to-zone moves: a track's *visits* (maximal runs of consecutive points inside one area) in
    order of their first point; each pair of consecutive visits to different zones is a move
    from -> to, dated by the first point of the second visit."""
    visits: list[tuple[int, int, int, str]] = []  # track, start frame, zone order, zone
    for order, zone in enumerate(areas):
        m = inside[zone.name]
        starts = m.copy()
        starts[1:] &= ~(m[:-1] & (tid[1:] == tid[:-1]))
        for i in np.flatnonzero(starts & keep):
            visits.append((int(tid[i]), int(frame[i]), order, zone.name))
    visits.sort()
    counts: dict[tuple[int, str, str], list[int]] = {}
    for (ta, _, _, za), (tb, fb, _, zb) in zip(visits, visits[1:]):
        if ta != tb or za == zb:
            continue
        for k, (b0, b1) in enumerate(bins):
            if b0 <= fb / fps < b1:
                counts.setdefault((k, za, zb), []).append(tb)
    return [Transition(camera, za, zb, bins[k][0], bins[k][1], len(ts), sorted(set(ts)))
            for (k, za, zb), ts in sorted(counts.items())]


# --------------------------------------------------------------------------------- project level

def project_metrics(project, options: MetricOptions | None = None, camera_names: Sequence[str] | None = None
                    ) -> tuple[list[CameraMetrics], list[str]]:
    """Figures for every camera that has zones (or the named ones), from its latest completed run.
    Returns the results and notes about cameras that were skipped (no zones, no completed run,
    footage needed but unreadable)."""
    from .zones import load_zones

    options = options or MetricOptions()
    options.check()
    zones = load_zones(project)
    if camera_names:
        cameras = []
        for name in camera_names:
            cam = project.camera(name)
            if cam is None:
                known = ", ".join(c.name for c in project.cameras) or "none"
                raise UserError(f"no camera named '{name}' (cameras: {known})", project.path)
            cameras.append(cam)
    else:
        cameras = list(project.cameras)
    results, notes = [], []
    has_plan_zones = any(z.camera_id == PLAN_ID for z in zones)
    zoneless = []
    for cam in cameras:
        cam_zones = [z for z in zones if z.camera_id == cam.id]
        if not cam_zones:
            if not (has_plan_zones and cam.homography is not None):
                zoneless.append(cam.name)
            continue
        run = project.store.latest_run(cam.id, status="completed")
        if run is None:
            notes.append(f"camera '{cam.name}' has no completed analysis; skipped")
            continue
        fps = _fps_or_note(project, cam, run, notes)
        if fps is None:
            continue
        tracks = project.store.track_array(run.id)
        n_frames = run.frames_total or (int(tracks["frame"].max()) + 1 if len(tracks) else 0)
        results += _with_behaviours(project, run, cam.name, tracks, cam_zones, fps, n_frames, options, notes)
    if zoneless:  # one note for all of them, not a line per camera
        names = ", ".join(f"'{n}'" for n in zoneless)
        notes.insert(0, f"camera {names} has no zones; skipped" if len(zoneless) == 1 else
                     f"cameras {names} have no zones; skipped")
    results += _plan_metrics(project, zones, cameras, options, notes)
    if not results:
        raise UserError("nothing to measure: " + "; ".join(notes or ["the project has no cameras"]), project.path)
    return results, notes


UNCLASSIFIED = "unclassified"


def track_behaviours(store, run_id: int) -> tuple[dict[int, str], str | None]:
    """Track id -> its behaviour, and the model that said so.

    A track's behaviour is the label most of its windows got from the model that classified the run
    last (ties: the label with the larger summed confidence, then the alphabetically first); tracks
    without windows are missing from the dict.
    """
    latest = store.query("SELECT model FROM behavior_predictions WHERE run_id = ? ORDER BY created_at DESC, model "
                         "LIMIT 1", (int(run_id),))
    if not latest:
        return {}, None
    model = latest[0][0]
    rows = store.query("SELECT track_id, label, COUNT(*), SUM(confidence) FROM behavior_predictions "
                       "WHERE run_id = ? AND model = ? GROUP BY track_id, label", (int(run_id), model))
    candidates: dict[int, list[tuple[str, int, float]]] = {}
    for tid, label, n, conf in sorted(rows, key=lambda r: (r[0], r[1])):
        candidates.setdefault(int(tid), []).append((label, int(n), float(conf or 0.0)))
    # max() keeps the first of equal keys, and candidates are in label order: ties go alphabetically.
    return {tid: max(c, key=lambda x: (x[1], x[2]))[0] for tid, c in candidates.items()}, model


def _with_behaviours(project, run, camera: str, tracks: pd.DataFrame, zones: list[Zone], fps: float,
                     n_frames: int, options: MetricOptions, notes: list[str]) -> list[CameraMetrics]:
    """One camera's figures; broken down by behaviour when asked: rows "all" (every track), one set
    per label, and "unclassified" (tracks the model gave no window)."""
    every = camera_metrics(camera, tracks, zones, fps, n_frames, options)
    if not options.by_behavior:
        return [every]
    labels, model = track_behaviours(project.store, run.id)
    if model is None:
        notes.append(f"camera '{camera}' has no behaviour labels (run retail-desktop classify); only 'all' rows")
    for row in every.rows:
        row.behavior = "all"
    out = [every]
    track_label = tracks["track_id"].map(lambda t: labels.get(int(t), UNCLASSIFIED)) if len(tracks) else None
    names = sorted(set(labels.values())) + ([UNCLASSIFIED] if track_label is not None and
                                             (track_label == UNCLASSIFIED).any() and model else [])
    for name in names:
        part = camera_metrics(camera, tracks[track_label == name], zones, fps, n_frames, options)
        for row in part.rows:
            row.behavior = name
        part.transitions = [dataclasses.replace(t, camera=f"{camera} [{name}]") for t in part.transitions]
        out.append(part)
    return out


def _fps_or_note(project, cam, run, notes: list[str]) -> float | None:
    """The camera's frame rate, or None with a note when it needs the footage and that can't be read
    (a moved video must not take the other cameras' figures down with it)."""
    from retail_desktop.annotation.track_import import camera_fps
    from retail_desktop.errors import VideoError

    try:
        return camera_fps(project, cam, run)
    except VideoError as exc:
        notes.append(f"camera '{cam.name}' skipped: its frame rate needs the video, which can't be read ({exc})")
        return None


def _plan_metrics(project, zones, cameras, options: MetricOptions, notes: list[str]) -> list[CameraMetrics]:
    """Floor-plan zones: each calibrated camera's tracks, feet mapped to the plan; the rows' camera is
    ``plan:<camera name>`` (track ids stay per camera, so cameras are not merged)."""
    from .floorplan import to_plan

    plan_zones = [z for z in zones if z.camera_id == PLAN_ID]
    if not plan_zones:
        return []
    out = []
    for cam in cameras:
        if cam.homography is None:
            notes.append(f"camera '{cam.name}' is not calibrated to the floor plan; left out of plan zones")
            continue
        run = project.store.latest_run(cam.id, status="completed")
        if run is None:
            continue
        fps = _fps_or_note(project, cam, run, notes)
        if fps is None:
            continue
        tracks = to_plan(project.store.track_array(run.id), cam.homography, options.anchor)
        n_frames = run.frames_total or (int(tracks["frame"].max()) + 1 if len(tracks) else 0)
        out += _with_behaviours(project, run, f"plan:{cam.name}", tracks, plan_zones, fps, n_frames, options, notes)
    return out


def metrics_table(results: Sequence[CameraMetrics]) -> pd.DataFrame:
    columns = list(COLUMNS)
    if any(r.behavior is not None for cm in results for r in cm.rows):
        columns.insert(columns.index("zone") + 1, "behavior")
    return pd.DataFrame([r.as_record() for cm in results for r in cm.rows], columns=columns)


def transitions_table(results: Sequence[CameraMetrics]) -> pd.DataFrame:
    cols = ["camera", "from_zone", "to_zone", "bin_start_s", "bin_end_s", "count", "tracks"]
    return pd.DataFrame(
        [[t.camera, t.from_zone, t.to_zone, t.bin_start_s, t.bin_end_s, t.count, " ".join(map(str, t.tracks))]
         for cm in results for t in cm.transitions], columns=cols)
