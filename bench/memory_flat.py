"""Memory over a long file: resident memory sampled while the pipeline analyses it, printed per decile.

Flat means the growth after the first 10 % (models loaded, buffers warm) stays small compared with
what keeping every frame would cost (frames x width x height x 3 bytes, also printed).

    python bench/memory_flat.py [--video PATH] [--stride auto|N] [--tracker deepsort]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import psutil
from _common import DEFAULT_DATA

from retail_desktop.tasks import Task
from retail_desktop.video import probe
from retail_desktop.vision.pipeline import AnalysisOptions, analyze_videos


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--video", type=Path)
    ap.add_argument("--stride", default="auto")
    ap.add_argument("--tracker", default="deepsort")
    args = ap.parse_args()
    video = args.video or args.data / "videos" / "intel_one_by_one_person_indoor.mp4"
    weights = args.data / "models" / "yolov8n_int8_640.onnx"
    info = probe(video)
    proc = psutil.Process()
    samples: dict[int, float] = {}

    def on_progress(p):
        if p.total:
            decile = min(10, int(10 * p.done / p.total))
            samples.setdefault(decile, proc.memory_info().rss / 2**20)

    stride = args.stride if args.stride == "auto" else int(args.stride)
    with tempfile.TemporaryDirectory() as tmp:
        [s] = analyze_videos(Path(tmp) / "p", [video],
                             AnalysisOptions(detector=str(weights), tracker=args.tracker, stride=stride),
                             Task(on_progress=on_progress, min_interval_s=0.0))
    print(s.line())
    for decile in sorted(samples):
        print(f"  {10 * decile:3d} %  RSS {samples[decile]:8.1f} MiB")
    growth = samples[max(samples)] - samples.get(1, samples[min(samples)])
    all_frames = info.frame_count * info.width * info.height * 3 / 2**20
    print(f"growth after 10 %: {growth:+.1f} MiB; holding every decoded frame would take {all_frames:.0f} MiB")


if __name__ == "__main__":
    main()
