"""The review player: a grid of camera views on one project clock, with a timeline under it.

Data flow per clock tick: project time -> (ProjectClock) each camera's frame index -> (FrameServer)
its picture, from the prefetch cache or later from the decoder thread -> the view shows the picture
*and* the overlay of that same frame in one call. A view never shows a frame's overlay on another
frame. Heatmaps are recomputed from the camera's accumulator for the current window, at most a few
times a second while playing.
"""

from __future__ import annotations

import math
import textwrap
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QVBoxLayout, QWidget

from retail_desktop.analytics.heatmap import HeatmapWindow, colorize
from retail_desktop.ui.player.camera_view import CameraView
from retail_desktop.ui.player.data import CameraData, ReviewData
from retail_desktop.ui.player.frames import FrameServer
from retail_desktop.ui.player.labels import FrameLabels, labels_for
from retail_desktop.ui.player.overlay import OverlayLayers
from retail_desktop.ui.player.timeline import PlaybackClock, TimelineBar
from retail_desktop.video.clock import ProjectClock

HEATMAP_REFRESH_S = 0.25  # while playing; paused views update at once


@dataclass(frozen=True)
class HeatmapSettings:
    visible: bool = False
    opacity: float = 0.6
    colormap: str = "inferno"
    mode: str = "presence"
    window: HeatmapWindow = field(default_factory=HeatmapWindow)


def grid_shape(n: int, width: float | None = None, height: float | None = None, aspect: float = 16 / 9) -> tuple[int, int]:
    """(rows, columns) for n views.

    Without an area: 1, 1x2, 2x2, 2x3, 3x3, ... (wider than tall). With the grid's ``width`` x ``height``,
    the layout that shows frames of that ``aspect`` (width / height) largest, so two cameras stack in a
    tall window and sit side by side in a wide one.
    """
    if n <= 1:
        return 1, 1
    if not width or not height:
        cols = math.ceil(math.sqrt(n))
        return math.ceil(n / cols), cols
    best, best_scale = (1, n), -1.0
    for rows in range(1, n + 1):
        cols = math.ceil(n / rows)
        if (rows - 1) * cols >= n:
            continue  # an empty row
        scale = min(width / cols / aspect, height / rows)
        if scale > best_scale + 1e-9:
            best, best_scale = (rows, cols), scale
    return best


class PlayerWidget(QWidget):
    """All cameras of a project playing in sync. ``frame_shown(camera_id, frame)`` after each paint."""

    frame_shown = Signal(str, int)
    position_changed = Signal(float)
    camera_activated = Signal(str)
    video_failed = Signal(str, str)  # camera name, message

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("PlayerWidget")
        self.playback = PlaybackClock(self)
        self.timeline = TimelineBar(self.playback)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(2, 2, 2, 2)
        self.grid.setSpacing(3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.grid_host, 1)
        layout.addWidget(self.timeline)
        self.data: ReviewData | None = None
        self.clock = ProjectClock([])
        self.views: dict[str, CameraView] = {}
        self.servers: dict[str, FrameServer] = {}
        self.cameras: dict[str, CameraData] = {}
        self.layers = OverlayLayers()
        self.heatmap_settings = HeatmapSettings()
        self.trail_s = 2.0
        self.labels: dict[str, dict[int, str] | FrameLabels] = {}
        self.highlight: dict[str, int] = {}  # camera id -> highlighted track (annotation mode)
        self.current_camera: str | None = None
        self._heat_at: dict[str, float] = {}
        self._live_heat: dict[str, list[tuple[np.ndarray, ...]]] = {}  # camera id -> live points not yet added
        self._grid_shape: tuple[int, int] | None = None
        self._heat_key: dict[str, tuple] = {}
        self.playback.position_changed.connect(self._render)
        self.playback.position_changed.connect(self.position_changed)
        self.timeline.step_requested.connect(self.step_frames)
        self.timeline.second_step_requested.connect(self.step_seconds)

    # -- project -----------------------------------------------------------------------------------
    def set_data(self, data: ReviewData) -> None:
        """Show a project's cameras (replacing any shown before)."""
        self.clear()
        self.data = data
        timelines = []
        for cam in data.cameras:
            info = cam.info
            view = CameraView(cam.id, cam.name, info.width if info else 1280, info.height if info else 720)
            view.activated.connect(self.set_current_camera)
            view.scale_wanted.connect(self._on_scale_wanted)
            self.views[cam.id] = view
            self.cameras[cam.id] = cam
            view.set_layers(self.layers)
            view.set_heatmap_opacity(self.heatmap_settings.opacity)
            if info is None:
                view.show_message(cam.note or "Video unavailable\n" + textwrap.fill(cam.error, 56))
                continue
            timelines.append(cam.timeline)
            server = FrameServer(info, parent=self)
            server.frame_ready.connect(lambda index, image, cid=cam.id: self._on_frame_ready(cid, index, image))
            server.failed.connect(lambda message, cid=cam.id: self._on_video_failed(cid, message))
            self.servers[cam.id] = server
        self.labels = dict(data.behaviour_labels)
        self.clock = ProjectClock(timelines)
        self._layout_views(force=True)
        self.timeline.set_range(self.clock.start_s, self.clock.end_s if timelines else 0.0)
        if self.views:
            self.set_current_camera(next(iter(self.views)))
        self.playback.seek(self.clock.start_s)

    def _layout_views(self, force: bool = False) -> None:
        """Place the views in the grid that shows them largest in the space there is."""
        infos = [c.info for c in self.cameras.values() if c.info is not None]
        aspect = infos[0].width / infos[0].height if infos else 16 / 9
        shape = grid_shape(len(self.views), self.grid_host.width(), self.grid_host.height(), aspect)
        if shape == self._grid_shape and not force:
            return
        self._grid_shape = shape
        for view in self.views.values():
            self.grid.removeWidget(view)
        rows, cols = shape
        for i, view in enumerate(self.views.values()):
            self.grid.addWidget(view, i // cols, i % cols)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.views:
            self._layout_views()

    def clear(self) -> None:
        self.playback.pause()
        self._grid_shape = None
        for server in self.servers.values():
            server.close()
            server.deleteLater()
        for view in self.views.values():
            self.grid.removeWidget(view)
            view.deleteLater()
        self.servers.clear()
        self.views.clear()
        self.highlight.clear()
        self.cameras.clear()
        self._heat_at.clear()
        self._heat_key.clear()
        self._live_heat.clear()
        self.data = None
        self.clock = ProjectClock([])

    def set_offset(self, camera_id: str, offset_s: float) -> None:
        """Move a camera on the project clock (the project file is saved by the caller)."""
        if camera_id in self.clock:
            self.clock = self.clock.with_offset(camera_id, offset_s)
            self.cameras[camera_id].offset_s = offset_s
            self.timeline.set_range(self.clock.start_s, self.clock.end_s)
            self._heat_key.clear()
            self._rerender()

    def set_behaviour_labels(self, camera_id: str, labels: dict[int, str] | FrameLabels | None) -> None:
        """Behaviour labels to draw: one per track (a dict), or per frame (:class:`FrameLabels`, the
        behaviour model's sliding windows, looked up for each shown frame); None clears."""
        if labels:
            self.labels[camera_id] = labels if isinstance(labels, FrameLabels) else dict(labels)
        else:
            self.labels.pop(camera_id, None)
        self._rerender()

    def set_highlight(self, camera_id: str, track_id: int | None) -> None:
        """Highlight one track of a camera (its whole trajectory, the others dimmed); None clears.

        The camera's overlay item is told once; frames keep flowing through it unchanged."""
        view, cam = self.views.get(camera_id), self.cameras.get(camera_id)
        if view is None or cam is None:
            return
        if track_id is None:
            self.highlight.pop(camera_id, None)
            view.overlay.setHighlight(None)
        else:
            self.highlight[camera_id] = int(track_id)
            view.overlay.setHighlight(int(track_id), cam.tracks.trajectory(int(track_id)))

    def replace_tracks(self, camera_id: str, tracks, heatmap=None) -> None:
        """New stored tracks for one camera (after an ID fix), read off the GUI thread by the caller."""
        cam = self.cameras.get(camera_id)
        if cam is None:
            return
        cam.tracks = tracks
        if heatmap is not None:
            cam.heatmap = heatmap
            self._heat_key.pop(camera_id, None)
        if camera_id in self.highlight:
            self.set_highlight(camera_id, self.highlight[camera_id])
        self._rerender()

    def add_live_tracks(self, camera_id: str, frame: int, track_ids: np.ndarray, boxes: np.ndarray) -> None:
        cam = self.cameras.get(camera_id)
        if cam is not None:
            cam.tracks.add_live(frame, track_ids, boxes)
            if cam.run_id is None:  # a first analysis: its heatmap grows as the results arrive
                self._add_live_heat(cam, frame, track_ids, boxes)
            view = self.views[camera_id]
            if view.shown_frame == frame:
                self._rerender()

    def _add_live_heat(self, cam, frame: int, track_ids: np.ndarray, boxes: np.ndarray) -> None:
        """Live boxes into the camera's heatmap, weighted like stored ones (their frame's duration).

        Only for a camera with no stored run: re-analysing one keeps the stored run's heatmap until the
        new run is loaded, so nothing is counted twice."""
        if cam.heatmap is None or cam.info is None or len(track_ids) == 0:
            return
        # Buffered, and handed to the accumulator (which copies its arrays on every add) a few times a
        # second rather than once per analysed frame.
        b = np.asarray(boxes, np.float64).reshape(-1, 4)
        self._live_heat.setdefault(cam.id, []).append((np.full(len(b), int(frame)), np.asarray(track_ids, np.int64), b))
        if time.perf_counter() - self._heat_at.get(cam.id, 0.0) >= HEATMAP_REFRESH_S:
            self._flush_live_heat(cam)
            self._update_heatmaps(self.playback.position)

    def _flush_live_heat(self, cam) -> None:
        """The buffered live boxes as a track frame, through ``add_tracks``: the same times (the frame's
        timestamp, as the engine stores them) and weights as a stored run."""
        pending = self._live_heat.pop(cam.id, None)
        if not pending or cam.heatmap is None:
            return
        frames, ids, boxes = (np.concatenate(parts) for parts in zip(*pending))
        ts = np.asarray(cam.info.timestamps, np.float64)
        times = ts[np.clip(frames, 0, len(ts) - 1)] if len(ts) else frames / float(cam.info.fps or 25.0)
        cam.heatmap.add_tracks(pd.DataFrame({"frame": frames, "time_s": times, "track_id": ids, "x1": boxes[:, 0],
                                             "y1": boxes[:, 1], "x2": boxes[:, 2], "y2": boxes[:, 3]}),
                               timestamps=ts, fps=cam.info.fps)
        self._heat_key.pop(cam.id, None)

    # -- layers ------------------------------------------------------------------------------------
    def set_layers(self, layers: OverlayLayers, trail_s: float | None = None) -> None:
        self.layers = layers
        if trail_s is not None:
            self.trail_s = trail_s
        for view in self.views.values():
            view.set_layers(layers)
        self._rerender()

    def set_heatmap(self, settings: HeatmapSettings) -> None:
        self.heatmap_settings = settings
        self._heat_key.clear()
        for view in self.views.values():
            view.set_heatmap_opacity(settings.opacity)
            if not settings.visible:
                view.set_heatmap(None)
        self._update_heatmaps(self.playback.position, force=True)

    def heatmap_grid(self, camera_id: str, position_s: float | None = None) -> np.ndarray | None:
        """The current heatmap cells of a camera (window relative to ``position_s``, default the playhead)."""
        cam = self.cameras.get(camera_id)
        if cam is None or cam.heatmap is None:
            return None
        self._flush_live_heat(cam)
        s = self.heatmap_settings
        t = self.playback.position if position_s is None else position_s
        window = s.window
        if window.kind == "range":  # the range is given in project time; the points are in video time
            window = replace(window, t0=None if window.t0 is None else window.t0 - cam.offset_s,
                             t1=None if window.t1 is None else window.t1 - cam.offset_s)
        return cam.heatmap.window_grid(s.mode, window, t - cam.offset_s)

    # -- navigation --------------------------------------------------------------------------------
    @property
    def position(self) -> float:
        return self.playback.position

    def seek(self, position_s: float) -> None:
        self.playback.seek(position_s)

    def seek_to(self, camera_id: str, frame: int) -> bool:
        """Put ``camera_id``'s frame ``frame`` on screen (and every other camera at that instant).
        False, and nothing moves, when that camera has no footage on the clock (ground truth only, a
        video that cannot be read)."""
        if camera_id not in self.clock:
            return False
        self.set_current_camera(camera_id)
        self.playback.seek(self.clock.time_of(camera_id, frame))
        return True

    def step_frames(self, n: int) -> None:
        self.playback.pause()
        cid = self.current_camera if self.current_camera in self.clock else None
        self.playback.seek(self.clock.step(self.playback.position, n, cid))

    def step_seconds(self, seconds: float) -> None:
        self.playback.seek(self.playback.position + seconds)

    def set_current_camera(self, camera_id: str) -> None:
        if camera_id not in self.views:
            return
        self.current_camera = camera_id
        for cid, view in self.views.items():
            view.set_active(cid == camera_id and len(self.views) > 1)
        self.camera_activated.emit(camera_id)

    def current_view(self) -> CameraView | None:
        return self.views.get(self.current_camera) if self.current_camera else None

    # -- rendering ---------------------------------------------------------------------------------
    def _rerender(self) -> None:
        for view in self.views.values():
            view.shown_frame = None if view.shown_frame is None else -1  # force a repaint of the same frame
        self._render(self.playback.position)

    def _render(self, position: float) -> None:
        for cid, server in self.servers.items():
            view = self.views[cid]
            timeline = self.clock.cameras.get(cid)
            frame = timeline.frame_at(position) if timeline is not None else None
            view.wanted_frame = frame
            if frame is None:
                if view.message.isVisible() and view.shown_frame is None:
                    continue
                where = "starts at" if timeline is not None and position < timeline.start_s else "ended at"
                edge = timeline.start_s if where == "starts at" else timeline.end_s
                view.show_message(f"Beyond footage\n({self.cameras[cid].name} {where} {edge:.2f} s)")
                continue
            if view.shown_frame == frame:
                continue
            image = server.request(frame)
            if image is not None:
                self._present(cid, frame, image)
        self._update_heatmaps(position)

    def _on_scale_wanted(self, camera_id: str, needed: float) -> None:
        server = self.servers.get(camera_id)
        if server is not None and server.set_scale(needed):
            view = self.views[camera_id]
            if view.shown_frame is not None:
                view.shown_frame = -1  # ask again at the new size
            self._render(self.playback.position)

    def _on_frame_ready(self, camera_id: str, index: int, image: np.ndarray) -> None:
        view = self.views.get(camera_id)
        if view is not None and view.wanted_frame == index and view.shown_frame != index:
            self._present(camera_id, index, image)
            self._update_heatmaps(self.playback.position)  # with its frame: one repaint, not two

    def _present(self, camera_id: str, frame: int, image: np.ndarray) -> None:
        cam = self.cameras[camera_id]
        trail = 0
        if self.layers.trails and cam.info is not None:
            trail = max(2, int(round(self.trail_s * cam.info.fps)))
        boxes = cam.tracks.at(frame, trail_frames=trail)
        labels = labels_for(self.labels.get(camera_id), frame, boxes.track_ids.tolist())
        self.views[camera_id].show_frame(frame, image, boxes, labels)
        self.frame_shown.emit(camera_id, frame)

    def _update_heatmaps(self, position: float, force: bool = False) -> None:
        s = self.heatmap_settings
        if not s.visible:
            return
        now = time.perf_counter()
        for cid, view in self.views.items():
            cam = self.cameras[cid]
            if cam.heatmap is None:
                continue
            static = s.window.kind != "last"
            # A "last N s" window moves with the playhead, but a camera's view only changes when the
            # frame it shows does: recompute then (at most every HEATMAP_REFRESH_S while playing).
            key = (s.mode, s.window, s.colormap, cam.offset_s, None if static else view.shown_frame)
            if self._heat_key.get(cid) == key and not force:
                continue
            if not static and self.playback.playing and now - self._heat_at.get(cid, 0.0) < HEATMAP_REFRESH_S:
                continue
            grid = self.heatmap_grid(cid, position)
            view.set_heatmap(colorize(grid, s.colormap), cam.heatmap.extent)
            self._heat_at[cid] = now
            self._heat_key[cid] = key

    def _on_video_failed(self, camera_id: str, message: str) -> None:
        view = self.views.get(camera_id)
        if view is not None:
            view.show_message(f"Video unavailable\n{message}")
        self.video_failed.emit(self.cameras[camera_id].name, message)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.clear()
        super().closeEvent(event)
