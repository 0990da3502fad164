"""Analysis speed in video-seconds per wall-second, against the natural competitors, in one run.

For each clip: decode only (our PyAV reader, and plain OpenCV VideoCapture), detector only (every frame),
Ultralytics' ``model.track`` loop (ByteTrack, its default), our pipeline at stride 1 and with the adaptive
stride (default tracker DeepSORT; ``--tracker`` to change). Ratios are printed against Ultralytics.

    python bench/analyze_speed.py [--video PATH ...] [--detector PATH] [--tracker deepsort]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
from _common import DEFAULT_DATA, table, ultralytics_track

from retail_desktop.video import VideoReader, probe
from retail_desktop.vision.detector import DetectorSettings, PersonDetector
from retail_desktop.vision.pipeline import AnalysisOptions, analyze_videos

CLIPS = ("retail_supermarket_checkout_cctv.mp4", "mall_entrance_revolving_doors.mp4",
         "intel_one_by_one_person_indoor.mp4")


def decode_pyav(video: Path) -> float:
    t0 = time.perf_counter()
    with VideoReader(video) as r:
        for _ in r.frames():
            pass
    return time.perf_counter() - t0


def decode_opencv(video: Path) -> float:
    t0 = time.perf_counter()
    cap = cv2.VideoCapture(str(video))
    while cap.read()[0]:
        pass
    cap.release()
    return time.perf_counter() - t0


def detector_only(video: Path, weights: Path) -> float:
    det = PersonDetector(DetectorSettings(str(weights)))
    t0 = time.perf_counter()
    with VideoReader(video) as r:
        for f in r.frames():
            det.detect([f.image])
    return time.perf_counter() - t0


def pipeline(video: Path, weights: Path, tracker: str, stride) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        [s] = analyze_videos(Path(tmp) / "p", [video],
                             AnalysisOptions(detector=str(weights), tracker=tracker, stride=stride))
        return time.perf_counter() - t0, s.detected_frames


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--video", type=Path, action="append")
    ap.add_argument("--detector", type=Path)
    ap.add_argument("--tracker", default="deepsort")
    args = ap.parse_args()
    weights = args.detector or args.data / "models" / "yolov8n_int8_640.onnx"
    videos = args.video or [args.data / "videos" / c for c in CLIPS]
    rows = []
    for video in videos:
        info = probe(video)
        dur = info.duration_s
        measured = {}
        measured["decode pyav"] = (decode_pyav(video), None)
        measured["decode opencv"] = (decode_opencv(video), None)
        measured["detector only"] = (detector_only(video, weights), info.frame_count)
        _, wall, _ = ultralytics_track(weights, video, "bytetrack")
        measured["ultralytics model.track"] = (wall, info.frame_count)
        measured[f"ours {args.tracker} stride 1"] = pipeline(video, weights, args.tracker, 1)
        measured[f"ours {args.tracker} stride auto"] = pipeline(video, weights, args.tracker, "auto")
        ul = dur / measured["ultralytics model.track"][0]
        for name, (wall, det_frames) in measured.items():
            speed = dur / wall
            rows.append(dict(video=video.name, method=name, wall_s=wall, video_s_per_s=speed,
                             vs_ultralytics=speed / ul, det_frames=det_frames, frames=info.frame_count))
            print(f"  {video.name:40s} {name:28s} {speed:7.2f} video-s/s  {speed / ul:5.2f}x Ultralytics",
                  flush=True)
    print()
    print(table(rows, ["video", "method", "frames", "det_frames", "wall_s", "video_s_per_s", "vs_ultralytics"]))


if __name__ == "__main__":
    main()
