"""Rule-based pre-labels: the six behaviour definitions applied to a trajectory's movement.

Why rules: annotators confirm or correct a proposal much faster than they label from nothing, and the
behaviour model needs a first training set before anybody has labelled anything. The rules only see
the box track (no gaze, no hands), so they read each definition of ``annotations/taxonomy.yaml``
through its movement part; every proposal is stored as a *suggestion* for a human to accept or reject.

Features (per frame, from :func:`trajectory_features`). Positions are box centres smoothed with a
centred moving average of ``smooth_s``; distances are in **box heights** (a person's height, a scale
that does not depend on the camera's distance or resolution), so speeds are heights per second
(walking is roughly 0.5-1 h/s, a person standing still below ``stop_speed``).

* ``speed``        |d centre / dt| / box height (box height smoothed with a rolling median of 1 s);
* ``stopped``      speed < ``stop_speed``;
* ``dwell_s``      length of the stop episode the frame belongs to (0 when moving);
* ``heading``      direction of the displacement over ``heading_lag_s``, undefined (NaN) when that
                   displacement is below ``min_move`` heights (standing: jitter has no direction);
* ``turn``         |heading change| between consecutive frames with a heading (radians);
* ``reversal``     the heading differs by more than ``reversal_deg`` from the heading ``reversal_lag_s``
                   earlier (the person walks back the way they came: backtracking).

Window features: each frame is described by the frames within ``window_s / 2`` of it (cut at the
track's ends): mean speed, stopped fraction, number of stops started, turn rate (sum of turns per
second of moving time), straightness (net displacement / path length of the smoothed centre, 1 for a
straight walk) and reversal fraction (share of moving frames that are reversals).

Rules, first match wins (thresholds are :class:`PrelabelSettings` fields):

1. mostly stopped (stopped fraction >= ``stop_fraction``):
   *interested* if the stop lasts ``dwell_s`` or longer (extended dwell, focused attention), else
   *hesitant* (slow movement, stops);
2. *frustrated* — agitated: moving at ``agitated_speed`` or faster while turning at
   ``agitated_turn_rate`` rad/s or more (rapid direction changes);
3. *confused* — erratic path: reversal fraction >= ``reversal_fraction`` (backtracking) or
   straightness < ``confused_straightness`` (searching, changing direction);
4. *hesitant* — slow or stop-and-go: mean speed < ``slow_speed``, ``hesitant_stops`` or more stops,
   or stopped fraction >= ``hesitant_stop_fraction``;
5. *disinterested* — quick passage: mean speed >= ``quick_speed`` on a straight path;
6. *decisive* — everything else: a direct walk at an ordinary pace without stops.

Per-frame rule labels are smoothed with a majority filter of ``min_segment_s`` and turned into runs;
runs shorter than ``min_segment_s`` are merged into the longer neighbour, so suggestions are not
flickering one-frame segments. A segment's ``confidence`` is the share of its frames whose unsmoothed
rule label agrees with it. Tracks shorter than ``min_track_s`` get no suggestions.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np
import pandas as pd

from .segments import Segment, insert_segments, label_runs

if TYPE_CHECKING:
    from retail_desktop.project import Project
    from retail_desktop.project.store import Store
    from retail_desktop.tasks import Task

#: The classes of ``annotations/taxonomy.yaml`` in key order, and the taxonomy's name.
BEHAVIOUR_CLASSES: tuple[str, ...] = ("hesitant", "decisive", "confused", "interested", "disinterested", "frustrated")
BEHAVIOUR_TAXONOMY = "retail-behaviour"

#: Columns of :func:`trajectory_features`, in order.
FEATURE_COLUMNS: tuple[str, ...] = (
    "frame", "time_s", "cx", "cy", "height", "speed", "stopped", "dwell_s", "heading", "turn", "reversal",
    "win_speed", "win_stopped", "win_stops", "win_turn_rate", "win_straightness", "win_reversal",
)


@dataclass(frozen=True)
class PrelabelSettings:
    """Thresholds of the rules (see the module docstring). Speeds in box heights per second."""

    smooth_s: float = 0.4
    window_s: float = 3.0
    stop_speed: float = 0.12
    min_move: float = 0.05
    heading_lag_s: float = 0.4
    reversal_lag_s: float = 1.0
    reversal_deg: float = 120.0
    stop_fraction: float = 0.6
    dwell_s: float = 4.0
    agitated_speed: float = 0.45
    agitated_turn_rate: float = 1.5
    reversal_fraction: float = 0.15
    confused_straightness: float = 0.55
    slow_speed: float = 0.25
    hesitant_stops: int = 2
    hesitant_stop_fraction: float = 0.25
    quick_speed: float = 1.0
    min_segment_s: float = 1.0
    min_track_s: float = 1.0
    max_gap_s: float = 1.0

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> PrelabelSettings:
        """Settings with ``data``'s overrides; an unknown key or a non-number is a ValueError."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown pre-label setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        out: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"pre-label setting {key} must be a non-negative number, got {value!r}")
            out[key] = type(getattr(cls, key))(value)
        return cls(**out)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Proposal:
    """A proposed segment of one track: frames ``start_frame..end_frame`` inclusive."""

    start_frame: int
    end_frame: int
    label: str
    confidence: float


# ------------------------------------------------------------------------------------ features


def _points_frame(points: Any) -> pd.DataFrame:
    """Accept a DataFrame with frame, time_s, x1..y2, a sequence of TrackPoints, or an (N, 6) array."""
    cols = ["frame", "time_s", "x1", "y1", "x2", "y2"]
    if isinstance(points, pd.DataFrame):
        df = points[cols].copy()
    elif isinstance(points, np.ndarray):
        df = pd.DataFrame(np.asarray(points, dtype=float)[:, :6], columns=cols)
    else:
        df = pd.DataFrame([(p.frame, p.time_s, p.x1, p.y1, p.x2, p.y2) for p in points], columns=cols)
    df["frame"] = df["frame"].astype(np.int64)
    df = df.sort_values("frame", kind="stable").drop_duplicates("frame").reset_index(drop=True)
    return df


def _moving_average(x: np.ndarray, n: int) -> np.ndarray:
    """Centred mean over ``n`` samples, shrinking at the ends (no edge bias towards zero)."""
    if n <= 1 or len(x) < 2:
        return x.astype(float)
    half = n // 2
    c = np.concatenate([[0.0], np.cumsum(x, dtype=float)])
    idx = np.arange(len(x))
    lo = np.clip(idx - half, 0, len(x))
    hi = np.clip(idx + half + 1, 0, len(x))
    return (c[hi] - c[lo]) / (hi - lo)


def _window_sum(x: np.ndarray, half: int) -> np.ndarray:
    c = np.concatenate([[0.0], np.cumsum(x, dtype=float)])
    idx = np.arange(len(x))
    lo = np.clip(idx - half, 0, len(x))
    hi = np.clip(idx + half + 1, 0, len(x))
    return c[hi] - c[lo]


def _wrap(a: np.ndarray) -> np.ndarray:
    return (a + np.pi) % (2 * np.pi) - np.pi


def trajectory_features(points: Any, fps: float, settings: PrelabelSettings | None = None) -> pd.DataFrame:
    """Per-frame movement features of one track (columns :data:`FEATURE_COLUMNS`).

    Frames missing inside the track (a stride, an occlusion) are filled by linear interpolation on a
    regular frame grid first, so every feature is per frame; the result covers first..last frame.
    """
    s = settings or PrelabelSettings()
    if not fps or not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    df = _points_frame(points)
    if df.empty:
        return pd.DataFrame({c: [] for c in FEATURE_COLUMNS})
    grid = np.arange(int(df["frame"].iloc[0]), int(df["frame"].iloc[-1]) + 1)
    f = df["frame"].to_numpy(float)

    def interp(col: str) -> np.ndarray:
        return np.interp(grid, f, df[col].to_numpy(float))

    time_s = interp("time_s")
    x1, y1, x2, y2 = (interp(c) for c in ("x1", "y1", "x2", "y2"))
    n = len(grid)
    frames_of = lambda seconds: max(1, int(round(seconds * fps)))  # noqa: E731
    cx = _moving_average((x1 + x2) / 2, frames_of(s.smooth_s))
    cy = _moving_average((y1 + y2) / 2, frames_of(s.smooth_s))
    height = pd.Series(np.abs(y2 - y1)).rolling(frames_of(1.0), center=True, min_periods=1).median().to_numpy()
    height = np.maximum(height, 1.0)

    if n >= 2:
        dt = np.gradient(time_s) if np.all(np.diff(time_s) > 0) else np.full(n, 1.0 / fps)
        dt = np.where(dt > 0, dt, 1.0 / fps)
        speed = np.hypot(np.gradient(cx), np.gradient(cy)) / dt / height
    else:
        speed = np.zeros(n)
    stopped = speed < s.stop_speed

    # Stop episodes: consecutive stopped frames; each frame of an episode gets its duration.
    dwell = np.zeros(n)
    stop_starts = np.zeros(n)
    i = 0
    while i < n:
        if stopped[i]:
            j = i
            while j + 1 < n and stopped[j + 1]:
                j += 1
            dwell[i:j + 1] = (j - i + 1) / fps
            stop_starts[i] = 1.0
            i = j + 1
        else:
            i += 1

    lag = frames_of(s.heading_lag_s)
    heading = np.full(n, np.nan)
    if n > lag:
        dx, dy = cx[lag:] - cx[:-lag], cy[lag:] - cy[:-lag]
        moved = np.hypot(dx, dy) / height[lag:] >= s.min_move
        # The heading at frame t is the direction from t - lag/2 to t + lag/2 (centred).
        h = np.where(moved, np.arctan2(dy, dx), np.nan)
        off = lag // 2
        heading[off:off + len(h)] = h
    turn = np.zeros(n)
    valid = ~np.isnan(heading)
    vidx = np.flatnonzero(valid)
    if len(vidx) >= 2:
        turn[vidx[1:]] = np.abs(_wrap(np.diff(heading[vidx])))
        # A turn across a stop is counted once, where movement resumes.
    rlag = frames_of(s.reversal_lag_s)
    reversal = np.zeros(n, dtype=bool)
    if n > rlag:
        a, b = heading[rlag:], heading[:-rlag]
        ok = ~np.isnan(a) & ~np.isnan(b)
        diff = np.zeros_like(a)
        diff[ok] = np.abs(_wrap(a[ok] - b[ok]))
        reversal[rlag:] = ok & (diff > math.radians(s.reversal_deg))

    half = max(1, int(round(s.window_s * fps / 2)))
    count = _window_sum(np.ones(n), half)
    moving = (~stopped).astype(float)
    moving_count = _window_sum(moving, half)
    win_speed = _window_sum(speed, half) / count
    win_stopped = _window_sum(stopped.astype(float), half) / count
    win_stops = _window_sum(stop_starts, half)
    win_turn_rate = _window_sum(turn * moving, half) / np.maximum(moving_count / fps, 1.0 / fps)
    win_reversal = _window_sum(reversal.astype(float) * moving, half) / np.maximum(moving_count, 1.0)
    step = np.concatenate([[0.0], np.hypot(np.diff(cx), np.diff(cy))])
    cum = np.cumsum(step)
    idx = np.arange(n)
    lo = np.clip(idx - half, 0, n - 1)
    hi = np.clip(idx + half, 0, n - 1)
    path = cum[hi] - cum[lo]
    net = np.hypot(cx[hi] - cx[lo], cy[hi] - cy[lo])
    # Below 1/4 of a box height of path, straightness means nothing (standing): call it straight.
    short = path / height < 0.25
    win_straightness = np.where(short, 1.0, net / np.maximum(path, 1e-9))

    return pd.DataFrame({
        "frame": grid.astype(np.int64), "time_s": time_s, "cx": cx, "cy": cy, "height": height, "speed": speed,
        "stopped": stopped, "dwell_s": dwell, "heading": heading, "turn": turn, "reversal": reversal,
        "win_speed": win_speed, "win_stopped": win_stopped, "win_stops": win_stops,
        "win_turn_rate": win_turn_rate, "win_straightness": np.clip(win_straightness, 0.0, 1.0),
        "win_reversal": win_reversal,
    }, columns=list(FEATURE_COLUMNS))


# -------------------------------------------------------------------------------------- rules


def rule_labels(features: pd.DataFrame, settings: PrelabelSettings | None = None) -> np.ndarray:
    """The rule label of every frame of :func:`trajectory_features` (object array of class names)."""
    s = settings or PrelabelSettings()
    n = len(features)
    out = np.full(n, "decisive", dtype=object)
    if n == 0:
        return out
    speed = features["win_speed"].to_numpy()
    stopped = features["win_stopped"].to_numpy()
    stops = features["win_stops"].to_numpy()
    turn = features["win_turn_rate"].to_numpy()
    straight = features["win_straightness"].to_numpy()
    rev = features["win_reversal"].to_numpy()
    # The longest stop in the window decides "extended dwell": a frame may sit just outside the stop.
    half = max(1, int(round(s.window_s * _fps_of(features) / 2)))
    dwell = pd.Series(features["dwell_s"].to_numpy()).rolling(2 * half + 1, center=True, min_periods=1).max().to_numpy()

    decided = np.zeros(n, dtype=bool)

    def assign(mask: np.ndarray, label: str) -> None:
        nonlocal decided
        m = mask & ~decided
        out[m] = label
        decided |= m

    mostly_stopped = stopped >= s.stop_fraction
    assign(mostly_stopped & (dwell >= s.dwell_s), "interested")
    assign(mostly_stopped, "hesitant")
    assign((speed >= s.agitated_speed) & (turn >= s.agitated_turn_rate), "frustrated")
    assign((rev >= s.reversal_fraction) | (straight < s.confused_straightness), "confused")
    assign((speed < s.slow_speed) | (stops >= s.hesitant_stops) | (stopped >= s.hesitant_stop_fraction), "hesitant")
    assign(speed >= s.quick_speed, "disinterested")
    return out


def _fps_of(features: pd.DataFrame) -> float:
    t = features["time_s"].to_numpy()
    if len(t) < 2 or t[-1] <= t[0]:
        return 25.0
    return (len(t) - 1) / (t[-1] - t[0])


def _majority(labels: np.ndarray, n: int) -> np.ndarray:
    """Centred majority filter over ``n`` frames (ties keep the frame's own label)."""
    if n <= 1 or len(labels) == 0:
        return labels.copy()
    half = n // 2
    classes, codes = np.unique(labels, return_inverse=True)
    counts = np.stack([_window_sum((codes == k).astype(float), half) for k in range(len(classes))])
    best = counts.argmax(axis=0)
    own = counts[codes, np.arange(len(codes))]
    best = np.where(counts[best, np.arange(len(codes))] > own, best, codes)
    return classes[best]


def _merge_short(runs: list[tuple[int, int, str]], min_len: int, max_gap: int = 1) -> list[tuple[int, int, str]]:
    """Merge runs shorter than ``min_len`` frames into their longer neighbour, shortest first.
    Neighbours are runs at most ``max_gap`` frames apart; a short run alone between longer gaps stays."""
    out = [list(r) for r in runs]

    def touching(i: int) -> list[int]:
        return [j for j in (i - 1, i + 1) if 0 <= j < len(out)
                and (0 < out[i][0] - out[j][1] <= max_gap or 0 < out[j][0] - out[i][1] <= max_gap)]

    while True:
        short = [(out[i][1] - out[i][0] + 1, i) for i in range(len(out))
                 if out[i][1] - out[i][0] + 1 < min_len and touching(i)]
        if not short:
            break
        _, i = min(short)
        j = max(touching(i), key=lambda k: out[k][1] - out[k][0])
        out[j][0], out[j][1] = min(out[j][0], out[i][0]), max(out[j][1], out[i][1])
        del out[i]
        # Neighbours that now carry the same label become one run.
        k = 0
        while k + 1 < len(out):
            if out[k][2] == out[k + 1][2] and out[k + 1][0] - out[k][1] <= max_gap:
                out[k][1] = out[k + 1][1]
                del out[k + 1]
            else:
                k += 1
    return [(int(a), int(b), str(c)) for a, b, c in out]


def propose_segments(points: Any, fps: float, settings: PrelabelSettings | None = None) -> list[Proposal]:
    """Suggested behaviour segments of one track, in frame order, covering the track's frames.

    ``points``: frame, time_s, x1, y1, x2, y2 per frame (DataFrame, TrackPoints or an (N, 6) array).
    """
    s = settings or PrelabelSettings()
    df = _points_frame(points)
    if df.empty:
        return []
    duration = (df["frame"].iloc[-1] - df["frame"].iloc[0] + 1) / fps
    if duration < s.min_track_s:
        return []
    feats = trajectory_features(df, fps, s)
    raw = rule_labels(feats, s)
    min_len = max(1, int(round(s.min_segment_s * fps)))
    smooth = _majority(raw, min_len)
    # Label only frames the track really has; gaps up to max_gap_s do not split a segment.
    grid = feats["frame"].to_numpy()
    have = np.isin(grid, df["frame"].to_numpy())
    max_gap = max(1, int(round(s.max_gap_s * fps)))
    runs = label_runs(grid[have].tolist(), smooth[have].tolist(), max_gap=max_gap)
    runs = _merge_short(runs, min_len, max_gap)
    out: list[Proposal] = []
    for start, end, label in runs:
        sel = (grid >= start) & (grid <= end) & have
        conf = float(np.mean(raw[sel] == label)) if sel.any() else 0.0
        out.append(Proposal(int(start), int(end), str(label), round(conf, 3)))
    return out


# ----------------------------------------------------------------------------- into the store


def _subtract(start: int, end: int, covered: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Parts of ``start..end`` not covered by any of ``covered`` (inclusive ranges)."""
    parts = [(start, end)]
    for a, b in covered:
        nxt = []
        for s0, e0 in parts:
            if b < s0 or a > e0:
                nxt.append((s0, e0))
                continue
            if s0 < a:
                nxt.append((s0, a - 1))
            if e0 > b:
                nxt.append((b + 1, e0))
        parts = nxt
    return parts


@dataclass
class PrelabelResult:
    run_id: int
    tracks: int
    segments: int
    replaced: int
    counts: dict[str, int]

    def line(self) -> str:
        per = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())) or "none"
        return (f"run {self.run_id}: {self.segments} suggested segments on {self.tracks} tracks ({per})"
                + (f"; replaced {self.replaced} earlier rule suggestions" if self.replaced else ""))


def prelabel_run(
    target: "Project | Store",
    run_id: int,
    *,
    fps: float | None = None,
    track_ids: Iterable[int] | None = None,
    settings: PrelabelSettings | None = None,
    taxonomy: str = BEHAVIOUR_TAXONOMY,
    min_frames: int = 1,
    task: "Task | None" = None,
) -> PrelabelResult:
    """Propose segments for every track of a run and store them (source ``rule``, status ``suggestion``).

    ``target`` is a Project (the frame rate comes from the run's camera unless ``fps`` is given) or a
    Store (``fps`` required). Earlier rule suggestions of those tracks in ``taxonomy`` are replaced in
    the same transaction, so running it twice gives the same segments; accepted labels and other
    sources are never touched, and suggestions are cut around frames already covered by accepted
    segments of the same taxonomy (nobody wants a suggestion on top of their own label).
    ``task`` (optional) reports progress per track and can cancel, for the GUI's TaskRunner.
    """
    from retail_desktop.project.store import Store as _Store

    s = settings or PrelabelSettings()
    if isinstance(target, _Store):
        store = target
        if fps is None:
            raise ValueError("prelabel_run on a Store needs fps")
    else:
        store = target.store
        if fps is None:
            from .track_import import camera_fps

            run = store.run(run_id)
            camera = target.camera_by_id(run.camera_id)
            if camera is None:
                from retail_desktop.errors import ProjectError

                raise ProjectError(f"run {run_id} belongs to camera {run.camera_id}, which is not in the project",
                                   target.path)
            fps = camera_fps(target, camera)
    ids = list(store.track_ids(run_id)) if track_ids is None else [int(t) for t in track_ids]
    if task is not None:
        task.start(total=len(ids), message="Suggesting behaviour labels")
    proposals: dict[int, list[Proposal]] = {}
    for i, tid in enumerate(ids):
        if task is not None:
            task.check_cancelled()  # nothing is written before the end, so a cancel changes nothing
        pts = store.track(run_id, tid)
        if len(pts) >= min_frames:
            proposals[tid] = propose_segments(pts, float(fps), s)
        if task is not None:
            task.progress(i + 1)
    return store_suggestions(store, run_id, proposals, source="rule", taxonomy=taxonomy, tracks=ids)


def store_suggestions(
    store: "Store",
    run_id: int,
    proposals: dict[int, list[Proposal]],
    *,
    source: str,
    taxonomy: str,
    tracks: Iterable[int] | None = None,
) -> PrelabelResult:
    """Replace a run's ``source`` suggestions (of ``tracks``, default the tracks in ``proposals``) with
    ``proposals`` in one transaction, cut around the frames accepted labels of ``taxonomy`` cover."""
    run_id = int(run_id)
    ids = [int(t) for t in (tracks if tracks is not None else proposals)]
    new: list[Segment] = []
    counts: dict[str, int] = {}
    labelled_tracks = 0
    for tid, props in proposals.items():
        accepted = sorted(
            (a, b) for a, b in store.query(
                "SELECT start_frame, end_frame FROM segments WHERE run_id = ? AND track_id = ? AND taxonomy = ? "
                "AND status = 'accepted'", (run_id, int(tid), taxonomy))
        )
        before = len(new)
        for p in props:
            for a, b in _subtract(p.start_frame, p.end_frame, accepted):
                new.append(Segment(None, run_id, int(tid), a, b, p.label, taxonomy, source=source,
                                   status="suggestion", confidence=p.confidence))
                counts[p.label] = counts.get(p.label, 0) + 1
        labelled_tracks += len(new) > before
    # One transaction: the old suggestions go and the new ones land together, or nothing changes.
    with store.transaction(f"replace {source} suggestions") as conn:
        replaced = 0
        for tid in ids:
            replaced += conn.execute(
                "DELETE FROM segments WHERE run_id = ? AND track_id = ? AND taxonomy = ? AND source = ? "
                "AND status = 'suggestion'", (run_id, tid, taxonomy, source)).rowcount
        insert_segments(conn, new)
    return PrelabelResult(run_id, labelled_tracks, len(new), replaced, counts)


__all__ = ["BEHAVIOUR_CLASSES", "BEHAVIOUR_TAXONOMY", "FEATURE_COLUMNS", "PrelabelResult", "PrelabelSettings",
           "Proposal", "prelabel_run", "store_suggestions", "propose_segments", "rule_labels", "trajectory_features"]
