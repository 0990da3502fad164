"""Playback benchmark: the review player (overlays + heatmap) against decoding alone, and seek latency.

Cameras (real 720p clips of the shared data): 1 camera = the supermarket checkout; 4 cameras = the
checkout, the mall concourse and the two multicam cameras. They are analysed once (ByteTrack, stride 2,
the offline yolo11n int8 model) into a cache folder so that overlays and heatmaps draw real tracks.

- **rendered fps**: the player steps through every frame of the project clock (the fastest camera's
  frames) as fast as it can; each step waits until every camera shows its frame with its overlay, the
  heatmap layer ("last 10 s" window, recomputed every frame: the worst case) is updated, and every
  view with a new frame has been painted (counted with an event filter on the viewports). Frames put on screen, all cameras together, per second.
- **decode-only fps**: the very same frames of the same files decoded by ``VideoReader`` (one thread
  per file, like the player), nothing drawn. The ratio rendered / decode-only is what the player costs.
- **needed for 1x**: the cameras' frame rates added up: what real-time playback must show per second.
- **seek latency**: random exact seeks (``seek_to(camera, frame)`` until that frame is on screen), median
  and p95 in ms, next to the raw ``VideoReader.read`` of the same random frames.

    QT_QPA_PLATFORM=offscreen python bench/playback.py [--data ../shared/data] [--seeks 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("YOLO_OFFLINE", "1")

from bench._common import DEFAULT_DATA, table  # noqa: E402

CLIPS = (
    "videos/retail_supermarket_checkout_cctv.mp4",
    "videos/mall_concourse_overhead_bw.mp4",
    "multicam/home_room_cam1.mp4",
    "multicam/home_hallway_cam2.mp4",
)
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "retail-desktop" / "bench-playback"


def analysed_project(data: Path, clips: tuple[str, ...]) -> Path:
    from retail_desktop.vision.pipeline import AnalysisOptions, analyze_videos

    folder = CACHE / "project"
    options = AnalysisOptions(detector=str(data / "models" / "yolo11n_int8_320.onnx"), tracker="bytetrack",
                              stride=2, device="cpu")
    t0 = time.perf_counter()
    analyze_videos(folder, [data / c for c in clips], options)  # reuses completed runs
    print(f"analysed project: {folder} ({time.perf_counter() - t0:.1f} s)")
    return folder


def load(folder: Path, names: list[str]):
    from retail_desktop.ui.player.data import load_review_data
    from retail_desktop.project import Project

    with Project.open(folder) as project:
        ids = [c.id for c in project.cameras if c.name in names]
    return load_review_data(folder, ids)


def run_player(app, data, heatmap: bool = True, limit_s: float | None = None) -> tuple[float, dict[str, list[int]]]:
    """Step through every frame of the clock; returns (wall seconds, frames shown per camera)."""
    from retail_desktop.analytics.heatmap import HeatmapWindow
    from retail_desktop.ui.player.player import HeatmapSettings, PlayerWidget

    player = PlayerWidget()
    player.resize(1600, 900)
    player.show()
    player.set_data(data)
    player.set_heatmap(HeatmapSettings(visible=heatmap, window=HeatmapWindow("last", seconds=10.0)))
    app.processEvents()
    paints = PaintCounter()
    for view in player.views.values():
        view.viewport().installEventFilter(paints)
    end = player.clock.end_s if limit_s is None else min(player.clock.end_s, player.clock.start_s + limit_s)
    shown: dict[str, list[int]] = {cid: [] for cid in player.views}
    player.frame_shown.connect(lambda cid, f: shown[cid].append(f))
    state = {"t": player.clock.start_s, "done": False}

    def settled() -> bool:
        return all(v.shown_frame == v.wanted_frame for cid, v in player.views.items() if cid in player.servers)

    loop = QEventLoop()

    def step() -> None:
        """Called when a frame arrives or a view has painted; idle otherwise (no busy loop that would
        take the GIL from the decoder threads)."""
        if state["done"] or not settled() or paints.pending(player):
            return
        nxt = player.clock.step(state["t"], 1)
        if nxt <= state["t"] or nxt >= end:
            state["done"] = True
            loop.quit()
            return
        state["t"] = nxt
        player.seek(nxt)
        QTimer.singleShot(0, step)  # frames served from the cache need no signal

    player.frame_shown.connect(lambda *_: QTimer.singleShot(0, step))
    paints.painted = lambda: QTimer.singleShot(0, step)
    player.seek(state["t"])
    t0 = time.perf_counter()
    QTimer.singleShot(0, step)
    loop.exec()
    wall = time.perf_counter() - t0
    player.clear()
    player.close()
    print(f"  {len(shown)} camera(s), heatmap {'on' if heatmap else 'off'}: {sum(map(len, shown.values()))} frames shown, "
          f"{paints.count} view paints, {wall:.2f} s")
    return wall, shown


class PaintCounter(QObject):
    """Counts paints of the views, so a step only counts once its frame has really been painted."""

    def __init__(self):
        super().__init__()
        self.count = 0
        self._painted: set[int] = set()

    painted = None  # called after each paint

    def eventFilter(self, obj, event):  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.count += 1
            self._painted.add(id(obj))
            if self.painted is not None:
                self.painted()
        return False

    def pending(self, player) -> bool:
        """True until every view showing a new frame since the last call has painted."""
        waiting = [v for v in player.views.values() if v.frames_shown != getattr(v, "_bench_seen", -1)]
        if any(id(v.viewport()) not in self._painted for v in waiting):
            return True
        for v in waiting:
            v._bench_seen = v.frames_shown
        self._painted.clear()
        return False


def decode_only(data, frames: dict[str, list[int]]) -> float:
    """Wall seconds to decode the same frames of the same files, one thread per file."""
    from retail_desktop.video import VideoReader

    def work(info, wanted):
        with VideoReader(info.path, info) as reader:
            for i in wanted:
                reader.read(i)

    threads = [threading.Thread(target=work, args=(c.info, sorted(set(frames[c.id])))) for c in data.cameras]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def seek_latency(app, data, n: int, seed: int = 1) -> tuple[list[float], list[float]]:
    from retail_desktop.ui.player.player import PlayerWidget
    from retail_desktop.video import VideoReader

    cam = data.cameras[0]
    rng = np.random.default_rng(seed)
    targets = [int(i) for i in rng.integers(0, cam.info.frame_count, n)]
    player = PlayerWidget()
    player.resize(1280, 760)
    player.show()
    player.set_data(data)
    app.processEvents()
    view = player.views[cam.id]
    ms = []
    for index in targets:
        server = player.servers[cam.id]
        with server._lock:  # a cold seek: nothing prefetched around the target
            server._cache.clear()
        loop = QEventLoop()
        player.frame_shown.connect(loop.quit)
        t0 = time.perf_counter()
        player.seek_to(cam.id, index)
        if view.shown_frame != index:
            loop.exec()  # idle until the frame is on screen
        ms.append((time.perf_counter() - t0) * 1000)
        player.frame_shown.disconnect(loop.quit)
        assert view.shown_frame == index
    player.clear()
    player.close()
    raw = []
    with VideoReader(cam.info.path, cam.info) as reader:
        for index in targets:
            t0 = time.perf_counter()
            reader.read(index)
            raw.append((time.perf_counter() - t0) * 1000)
    return ms, raw


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seeks", type=int, default=60)
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    folder = analysed_project(args.data, CLIPS)
    names = [Path(c).stem for c in CLIPS]
    rows = []
    for label, subset in (("1 camera", names[:1]), ("4 cameras", names)):
        data = load(folder, subset)
        assert all(c.info is not None and c.run_id is not None for c in data.cameras), data.errors
        boxes = sum(len(c.tracks) for c in data.cameras)
        wall, shown = run_player(app, data)
        n = sum(len(v) for v in shown.values())
        wall_plain, shown_plain = run_player(app, data, heatmap=False)
        decode_wall = decode_only(data, shown)
        rendered = n / wall
        decoded = n / decode_wall
        rows.append({
            "cameras": label, "stored boxes": boxes, "frames shown": n,
            "rendered fps (overlays+heatmap)": rendered,
            "rendered fps (overlays only)": sum(len(v) for v in shown_plain.values()) / wall_plain,
            "decode-only fps": decoded, "ratio rendered/decode": rendered / decoded,
            "needed for 1x": sum(c.info.fps for c in data.cameras),
        })
    print()
    print(table(rows, list(rows[0])))
    data = load(folder, names[:1])
    ms, raw = seek_latency(app, data, args.seeks)
    print()
    cam = data.cameras[0]
    print(f"exact random seeks, {cam.name} ({cam.info.width}x{cam.info.height}, {cam.info.frame_count} frames), "
          f"{len(ms)} seeks, cold cache:")
    print(f"  player (seek -> frame + overlay on screen): median {statistics.median(ms):.1f} ms, p95 {p95(ms):.1f} ms")
    print(f"  VideoReader.read alone:                     median {statistics.median(raw):.1f} ms, p95 {p95(raw):.1f} ms")
    print(f"  ratio player / reader (median): {statistics.median(ms) / statistics.median(raw):.2f}")
    print(f"targets: rendered >= 0.8x decode-only; seek median <= 50 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
