"""What the annotation track list shows: each track of each camera's latest run with its labelling state.

Qt-free so the list's filters and sort are tested without a window and the numbers come from one
place. Two aggregate queries per run (points per track, segments per track), so the list stays quick
on runs of thousands of tracks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class TrackSummary:
    camera: str
    run_id: int
    track_id: int
    first_frame: int
    last_frame: int
    n_points: int
    labelled_frames: int
    suggestions: int

    @property
    def n_frames(self) -> int:
        return self.last_frame - self.first_frame + 1

    @property
    def labelled(self) -> bool:
        return self.labelled_frames > 0

    @property
    def labelled_share(self) -> float:
        return min(1.0, self.labelled_frames / max(1, self.n_frames))


def camera_runs(project) -> dict[str, int]:
    """Camera name -> its latest completed run (cameras without one are left out)."""
    out: dict[str, int] = {}
    for cam in project.cameras:
        run = project.store.latest_run(cam.id, status="completed")
        if run is not None:
            out[cam.name] = run.id
    return out


def track_summaries(project, taxonomy: str, cameras: Iterable[str] | None = None) -> list[TrackSummary]:
    runs = camera_runs(project)
    wanted = set(cameras) if cameras is not None else None
    out: list[TrackSummary] = []
    for name, run_id in runs.items():
        if wanted is not None and name not in wanted:
            continue
        seg = {t: (lab or 0, sug or 0) for t, lab, sug in project.store.query(
            "SELECT track_id, sum(CASE WHEN status = 'accepted' THEN end_frame - start_frame + 1 END), "
            "sum(status = 'suggestion') FROM segments WHERE run_id = ? AND taxonomy = ? GROUP BY track_id",
            (run_id, taxonomy))}
        for t, lo, hi, n in project.store.query(
                "SELECT track_id, min(frame), max(frame), count(*) FROM track_points INDEXED BY track_points_track "
                "WHERE run_id = ? GROUP BY track_id ORDER BY track_id", (run_id,)):
            lab, sug = seg.get(t, (0, 0))
            out.append(TrackSummary(name, run_id, int(t), int(lo), int(hi), int(n), int(lab), int(sug)))
    return out


SORT_KEYS = {
    "camera": lambda s: (s.camera, s.track_id),
    "track": lambda s: (s.track_id, s.camera),
    "start": lambda s: (s.first_frame, s.camera, s.track_id),
    "length": lambda s: (-s.n_frames, s.camera, s.track_id),
    "unlabelled first": lambda s: (s.labelled_share, s.camera, s.track_id),
}


def filter_tracks(tracks: Iterable[TrackSummary], *, camera: str | None = None, min_frames: int = 0,
                  state: str = "all", sort: str = "camera") -> list[TrackSummary]:
    """``state``: all | labelled | unlabelled | suggestions; ``sort``: a key of :data:`SORT_KEYS`."""
    out = [t for t in tracks if (camera is None or t.camera == camera) and t.n_frames >= min_frames]
    if state == "labelled":
        out = [t for t in out if t.labelled]
    elif state == "unlabelled":
        out = [t for t in out if not t.labelled]
    elif state == "suggestions":
        out = [t for t in out if t.suggestions]
    return sorted(out, key=SORT_KEYS[sort])


__all__ = ["SORT_KEYS", "TrackSummary", "camera_runs", "filter_tracks", "track_summaries"]
