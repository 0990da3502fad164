"""What the player needs of a project, read off the GUI thread (Qt-free; run in a TaskRunner).

Probing videos and reading a run's points can take seconds, so :func:`load_review_data` does it on a
worker. A camera whose video is missing or unreadable gets its ``error`` filled instead of failing the
whole project: the other cameras still play.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retail_desktop.analytics.heatmap import HeatmapAccumulator
from retail_desktop.errors import UserError
from retail_desktop.project import Project
from retail_desktop.tasks import Task
from retail_desktop.ui.player.tracks import CameraTracks
from retail_desktop.video import VideoInfo, probe
from retail_desktop.video.clock import CameraTimeline

HEATMAP_CELL_PX = 16


@dataclass
class CameraData:
    id: str
    name: str
    video: str
    offset_s: float
    info: VideoInfo | None = None
    error: str = ""
    #: Shown in the view instead of footage when there is none by design (imported ground truth).
    note: str = ""
    run_id: int | None = None
    tracks: CameraTracks = field(default_factory=CameraTracks)
    heatmap: HeatmapAccumulator | None = None

    @property
    def timeline(self) -> CameraTimeline | None:
        return None if self.info is None else CameraTimeline.from_info(self.id, self.info, self.offset_s)


@dataclass
class ReviewData:
    folder: Path
    cameras: list[CameraData]
    behaviour_labels: dict[str, dict[int, str]] = field(default_factory=dict)  # camera id -> track -> label

    @property
    def errors(self) -> list[str]:
        return [f"{c.name}: {c.error}" for c in self.cameras if c.error]


def load_camera(project: Project, camera: Any) -> CameraData:
    data = CameraData(camera.id, camera.name, camera.video, camera.offset_s)
    gt = camera.extra.get("ground_truth")
    if gt and str(camera.video) == str(gt):
        # Imported annotations (CAVIAR XML...): tracks and labels to annotate and measure, no footage.
        data.note = "Ground truth only: no video\n(tracks and labels are in the annotation and analytics docks)"
        run = project.store.latest_run(camera.id, status="completed")
        if run is not None:
            data.run_id = run.id
            data.tracks = CameraTracks(project.store.track_array(run.id))
        return data
    try:
        data.info = probe(camera.video)
    except UserError as exc:
        data.error = str(exc)
        return data
    run = project.store.latest_run(camera.id, status="completed")
    data.heatmap = HeatmapAccumulator(data.info.width, data.info.height, HEATMAP_CELL_PX)
    if run is not None:
        data.run_id = run.id
        points = project.store.track_array(run.id)
        data.tracks = CameraTracks(points)
        data.heatmap.add_tracks(points, timestamps=data.info.timestamps)
    return data


def load_review_data(folder: str | Path, camera_ids: list[str] | None = None, task: Task | None = None) -> ReviewData:
    """All cameras (or ``camera_ids``) of the project in ``folder``, each with its video's timing,
    latest completed run's tracks and heatmap points."""
    with Project.open(folder) as project:
        cameras = [c for c in project.cameras if camera_ids is None or c.id in camera_ids]
        if task is not None:
            task.start(total=len(cameras), message=f"Loading {len(cameras)} camera(s)")
        out = []
        for i, camera in enumerate(cameras):
            if task is not None:
                task.check_cancelled()
            out.append(load_camera(project, camera))
            if task is not None:
                task.progress(i + 1)
        return ReviewData(project.path, out)
