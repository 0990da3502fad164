"""Tracking quality: our pipeline vs Ultralytics' own ``model.track`` loop, same weights, same clip, same run.

For every sequence folder holding ``<SEQ>.mp4`` and ``gt/gt.txt`` (default: the MOT15 clips in the shared
data), it scores with our evaluator (MOTA, IDF1, HOTA, ID switches, precision, recall):
  - Ultralytics model.track with ByteTrack and BoT-SORT (their defaults),
  - our default pipeline (DeepSORT, stride 1), our adaptive stride, and our ByteTrack / BoT-SORT,
and prints, per sequence, our default's MOTA and IDF1 minus the best Ultralytics figure.

    python bench/track_vs_ultralytics.py [--seq DIR ...] [--detector PATH] [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import DEFAULT_DATA, table, ultralytics_track

from retail_desktop.project import Project
from retail_desktop.vision.evaluation import evaluate_mot
from retail_desktop.vision.export import tracks_as_mot_frame
from retail_desktop.vision.mot_format import read_mot
from retail_desktop.vision.pipeline import AnalysisOptions, analyze_videos


def ours(video: Path, weights: Path, **kw):
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        [s] = analyze_videos(Path(tmp) / "p", [video], AnalysisOptions(detector=str(weights), **kw))
        wall = time.perf_counter() - t0
        with Project.open(Path(tmp) / "p") as p:
            df = p.store.track_array(s.run_id)
    return tracks_as_mot_frame(df), wall, s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--seq", type=Path, action="append", help="sequence folder with <name>.mp4 and gt/gt.txt")
    ap.add_argument("--detector", type=Path)
    ap.add_argument("--quick", action="store_true", help="only Ultralytics + our default")
    args = ap.parse_args()
    weights = args.detector or args.data / "models" / "yolov8n_int8_640.onnx"
    seqs = args.seq or [args.data / "labeled" / "mot15" / s for s in ("TUD-Campus", "ETH-Sunnyday")]
    cols = ["sequence", "method", "mota", "idf1", "hota", "idsw", "precision", "recall", "wall_s", "det_frames"]
    summary = []
    for seq in seqs:
        video = seq / f"{seq.name}.mp4"
        gt = read_mot(seq / "gt" / "gt.txt")
        rows = []

        def add(method, hyp, wall, det_frames=None):
            s = evaluate_mot(gt, hyp)
            rows.append(dict(sequence=seq.name, method=method, mota=s.mota, idf1=s.idf1, hota=s.hota,
                             idsw=s.id_switches, precision=s.precision, recall=s.recall, wall_s=wall,
                             det_frames=det_frames))
            print(f"  {seq.name:14s} {method:28s} MOTA {s.mota:.3f}  IDF1 {s.idf1:.3f}  ({wall:.1f} s)", flush=True)
            return s

        ul = {}
        for tr in ("bytetrack", "botsort"):
            hyp, wall, n = ultralytics_track(weights, video, tr)
            ul[tr] = add(f"ultralytics model.track {tr}", hyp, wall, n)
        hyp, wall, s = ours(video, weights)
        mine = add("ours deepsort stride 1", hyp, wall, s.detected_frames)
        auto = None
        if not args.quick:
            hyp, wall, s = ours(video, weights, stride="auto")
            auto = add("ours deepsort stride auto", hyp, wall, s.detected_frames)
            for tr in ("bytetrack", "botsort"):
                hyp, wall, s = ours(video, weights, tracker=tr)
                add(f"ours {tr} stride 1", hyp, wall, s.detected_frames)
        best_mota = max(x.mota for x in ul.values())
        best_idf1 = max(x.idf1 for x in ul.values())
        line = (f"{seq.name}: ours MOTA {mine.mota:.3f} vs best Ultralytics {best_mota:.3f} "
                f"(diff {mine.mota - best_mota:+.3f}, ratio {mine.mota / best_mota:.2f}x); "
                f"IDF1 {mine.idf1:.3f} vs {best_idf1:.3f} (diff {mine.idf1 - best_idf1:+.3f}, "
                f"ratio {mine.idf1 / best_idf1:.2f}x)")
        if auto is not None:
            line += f"; stride auto IDF1 change {100 * (auto.idf1 - mine.idf1):+.1f} points"
        summary.append(line)
        print(table(rows, cols), flush=True)
    print("\n".join(["", "Summary (same weights, same clip, same run):", *summary]))


if __name__ == "__main__":
    main()
