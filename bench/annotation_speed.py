"""Annotation figures on the shared CAVIAR lobby ground truth (17 clips, 25 fps).

Prints:
* pre-label speed (track frames per second) of the vectorised features + rules, against the obvious
  per-frame implementation (slice the window around every frame and recompute) as the competitor;
* how the rules' classes line up with CAVIAR's own movement labels (a sanity check of the rules,
  not an accuracy: CAVIAR does not label the six behaviours);
* latency of one annotation edit (label a span = one committed transaction) and of its undo.

    python bench/annotation_speed.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_DATA  # noqa: E402

from retail_desktop.annotation.caviar import read_caviar  # noqa: E402
from retail_desktop.annotation.editing import AnnotationModel  # noqa: E402
from retail_desktop.annotation.prelabel import (  # noqa: E402
    PrelabelSettings, propose_segments, rule_labels, trajectory_features,
)
from retail_desktop.annotation.track_import import import_caviar  # noqa: E402
from retail_desktop.project import Project  # noqa: E402

FPS = 25.0


def naive_window_features(g, s: PrelabelSettings) -> np.ndarray:
    """Competitor: the window features recomputed from a slice around every frame (mean speed, stopped
    share, straightness, turn rate), the way one would first write them; no smoothing, no rules."""
    cx = ((g.x1 + g.x2) / 2).to_numpy()
    cy = ((g.y1 + g.y2) / 2).to_numpy()
    h = (g.y2 - g.y1).to_numpy()
    half = int(s.window_s * FPS / 2)
    out = np.empty((len(g), 4))
    for i in range(len(g)):
        a, b = max(0, i - half), min(len(g), i + half + 1)
        dx, dy = np.diff(cx[a:b]), np.diff(cy[a:b])
        step = np.hypot(dx, dy)
        speed = step * FPS / np.maximum(h[a + 1:b], 1)
        path = step.sum()
        net = np.hypot(cx[b - 1] - cx[a], cy[b - 1] - cy[a])
        turns = np.abs(np.diff(np.arctan2(dy, dx))) if len(dx) > 1 else np.zeros(1)
        out[i] = (speed.mean() if len(speed) else 0.0, (speed < s.stop_speed).mean() if len(speed) else 1.0,
                  net / path if path > 0 else 1.0, turns.sum() / max(1, b - a) * FPS)
    return out


def main() -> None:
    files = sorted((DEFAULT_DATA / "labeled" / "caviar_lobby").glob("*.xml"))
    tracks = []
    for f in files:
        df = read_caviar(f)
        tracks += [g.assign(time_s=g.frame / FPS) for _, g in df.groupby("track_id")]
    n_frames = sum(len(g) for g in tracks)
    s = PrelabelSettings()

    t0 = time.perf_counter()
    for g in tracks:
        propose_segments(g, FPS, s)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for g in tracks:
        naive_window_features(g, s)
    naive = time.perf_counter() - t0
    print(f"pre-label: {len(tracks)} tracks, {n_frames} frames in {ours:.2f} s = {n_frames / ours:,.0f} frames/s "
          f"(all features + rules + segments)")
    print(f"  competitor (per-frame window loop, 4 window features only): {n_frames / naive:,.0f} frames/s; "
          f"ratio {naive / ours:.1f}x in our favour")

    cross: dict[str, Counter] = defaultdict(Counter)
    for g in tracks:
        feats = trajectory_features(g, FPS, s)
        by_frame = dict(zip(feats["frame"], rule_labels(feats, s)))
        for f, m in zip(g.frame, g.movement):
            cross[m][by_frame[f]] += 1
    print("rule class share per CAVIAR movement label (frames):")
    for m, c in sorted(cross.items()):
        total = sum(c.values())
        print(f"  {m:>9} ({total:5d}): " + ", ".join(f"{k} {v / total:.0%}" for k, v in c.most_common()))

    with tempfile.TemporaryDirectory() as tmp:
        project = Project.create(Path(tmp) / "p")
        r = import_caviar(project, files[0])
        m = AnnotationModel(project.store, r.run.id, "retail-behaviour", "bench")
        tid = project.store.track_ids(r.run.id)[0]
        lo, hi = m.track_frames(tid)
        times, undo = [], []
        for k in range(200):
            a = lo + (k * 7) % max(1, hi - lo - 10)
            t0 = time.perf_counter()
            m.label_span(tid, a, a + 9, "decisive")
            times.append(time.perf_counter() - t0)
        for _ in range(100):
            t0 = time.perf_counter()
            m.undo()
            undo.append(time.perf_counter() - t0)
        project.close()
    print(f"edit latency (label a span, committed): median {np.median(times) * 1e3:.1f} ms, "
          f"p95 {np.percentile(times, 95) * 1e3:.1f} ms; undo median {np.median(undo) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
