"""Video files in, person tracks in the project store out.

One function, :func:`analyze_camera`, used by the CLI and (through ``ui/workers.py``) the GUI. It follows
the :class:`~retail_desktop.tasks.Task` contract: progress per frame, partial results per detected
frame, cancel at every frame.

Resuming exactly. The raw detections (and DeepSORT's appearance features) of every detected frame are
committed with the track points, in the same transaction as the run's ``last_committed_frame``. A
resumed run replays the tracker from frame 0 over those stored detections (decoding frames, but not
running the detector or the embedder), which rebuilds the tracker, assembler and stride policy in exactly
the state the killed run had, then carries on detecting. Points finalised during the replay are already
in the store and are not written again. Because every component is deterministic, the result equals an
uninterrupted run, and the unique keys of the store rule out duplicates even if it were not.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from retail_desktop.errors import UserError
from retail_desktop.project import Camera, DetectionFrame, Project, TrackPoint, config_key
from retail_desktop.tasks import Cancelled, Task
from retail_desktop.video import VideoInfo, VideoReader, probe
from retail_desktop.vision.assembler import TrackAssembler
from retail_desktop.vision.detections import Detections
from retail_desktop.vision.detector import DEFAULT_DETECTOR, DetectorSettings, PersonDetector
from retail_desktop.vision.stride import AdaptiveSettings, StridePolicy, thumbnail
from retail_desktop.vision.trackers import TRACKERS, check_settings, default_settings, make_tracker

log = logging.getLogger(__name__)

PIPELINE_VERSION = 1  # bump when a change would make a resumed run differ from its first part


@dataclass(frozen=True)
class AnalysisOptions:
    detector: str = DEFAULT_DETECTOR
    tracker: str = "deepsort"
    tracker_settings: dict[str, Any] = field(default_factory=dict)
    stride: int | str = 1  # N, or "auto"
    device: str = "auto"
    confidence: float = 0.1
    imgsz: int | None = None
    # Longest gap inside a track filled by interpolation. Longer gaps are mostly full occlusions, which
    # ground truth often leaves unlabelled: on TUD-Campus 1.0 s cost 12 MOTA points against 0.8 s.
    max_gap_s: float = 0.8
    embed_size: tuple[int, int] = (128, 64)
    commit_every: int = 50  # frames per transaction
    adaptive: AdaptiveSettings = AdaptiveSettings()

    def validate(self) -> None:
        if self.tracker not in TRACKERS:
            raise UserError(f"unknown tracker '{self.tracker}' (choose from {', '.join(TRACKERS)})")
        if self.stride != "auto" and (not isinstance(self.stride, int) or self.stride < 1):
            raise UserError(f"stride must be a positive whole number or 'auto', not {self.stride!r}")
        if not 0 <= self.confidence <= 1:
            raise UserError(f"confidence must be between 0 and 1, not {self.confidence}")
        check_settings(self.tracker, self.tracker_settings)


@dataclass(frozen=True)
class FrameTracks:
    """Partial result: what the tracker reported on one detected frame (for live views)."""

    camera: str
    frame: int
    time_s: float
    track_ids: np.ndarray
    boxes: np.ndarray


@dataclass(frozen=True)
class CameraSummary:
    camera: str
    run_id: int
    status: str  # completed | cancelled | reused
    frames: int
    detected_frames: int
    tracks: int
    points: int
    wall_s: float
    resumed_from: int  # -1: fresh start
    video_s: float
    #: the footage's measured frame rate, kept with the run so that figures computed later (metrics,
    #: exports) need neither the video file nor a probe
    video_fps: float = 0.0

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    def line(self) -> str:
        speed = f"{self.fps:.1f} fps, {self.video_s / self.wall_s:.2f}x real time" if self.wall_s > 0 else "-"
        resumed = f", resumed after frame {self.resumed_from}" if self.resumed_from >= 0 else ""
        return (
            f"{self.camera}: {self.status} run {self.run_id}: {self.frames} frames "
            f"({self.detected_frames} detected), {self.tracks} tracks, {self.points} boxes, "
            f"{self.wall_s:.1f} s ({speed}){resumed}"
        )


class _Engine:
    """Detector + embedder shared by all cameras of one analysis (loading them is the slow part)."""

    def __init__(self, options: AnalysisOptions):
        self.options = options
        self.detector = PersonDetector(
            DetectorSettings(options.detector, options.device, options.confidence, imgsz=options.imgsz)
        )
        self._embedder = None

    @property
    def embedder(self):
        if self._embedder is None:
            from retail_desktop.vision.embedding import AppearanceEmbedder

            self._embedder = AppearanceEmbedder(self.detector.device, self.options.embed_size)
        return self._embedder


def run_config(options: AnalysisOptions, engine: _Engine, info: VideoInfo) -> dict[str, Any]:
    """Everything that changes the result: two runs with equal configs give equal tracks."""
    settings = default_settings(options.tracker)
    settings.update(options.tracker_settings)
    cfg: dict[str, Any] = {
        "pipeline_version": PIPELINE_VERSION,
        "detector": engine.detector.name,
        "detector_sha256": engine.detector.weights_hash,
        "confidence": options.confidence,
        "imgsz": options.imgsz,
        "tracker": options.tracker,
        "tracker_settings": settings,
        "stride": options.stride,
        "max_gap_s": options.max_gap_s,
        "video_frames": info.frame_count,
    }
    if options.tracker == "deepsort":
        cfg["embedder"] = {"model": "mobilenetv2-imagenet", "input_hw": list(options.embed_size),
                           "backend": engine.embedder.backend}
    if options.stride == "auto":
        cfg["adaptive"] = asdict(options.adaptive)
    return cfg


def analyze_camera(
    project: Project,
    camera: Camera,
    options: AnalysisOptions = AnalysisOptions(),
    task: Task | None = None,
    engine: _Engine | None = None,
    force: bool = False,
    info: VideoInfo | None = None,
) -> CameraSummary:
    """Analyse one camera's video into the project's store; resumes an interrupted run of the same config."""
    task = task or Task()
    options.validate()
    info = info or probe(camera.video)
    engine = engine or _Engine(options)
    store = project.store
    config = run_config(options, engine, info)
    t0 = time.perf_counter()

    done = store.latest_run(camera.id, status="completed")
    if done is not None and done.config_key == config_key(config) and not force:
        return _summary(project, camera, done.id, "reused", info, 0.0, -1)

    run = store.find_resumable_run(camera.id, config)
    if run is not None:
        resume_after = run.last_committed_frame
        store.set_status(run.id, "running")
        store.delete_after(run.id, resume_after)
    else:
        run = store.begin_run(camera.id, config, frames_total=info.frame_count)
        resume_after = -1

    fps = info.fps or info.nominal_fps or 25.0
    policy = StridePolicy(options.stride, fps, options.adaptive)
    detect_fps = fps / (policy.fixed if not policy.adaptive else 1)
    tracker = make_tracker(options.tracker, options.tracker_settings, frame_rate=detect_fps)
    assembler = TrackAssembler(max_gap=max(policy.max_interval + 1, round(options.max_gap_s * fps)))
    stored = store.iter_detection_frames(run.id, stop_frame=resume_after) if resume_after >= 0 else iter(())
    next_stored = next(stored, None)

    points: list[TrackPoint] = []
    new_dets: list[DetectionFrame] = []
    timestamps = info.timestamps
    last_frame = info.frame_count - 1
    task.start(total=info.frame_count, message=f"Analysing {camera.name}", done=0)
    frame_index = -1
    committed = resume_after  # last frame whose results are in the store
    try:
        # The trackers' numpy/scipy work is on tiny matrices (Kalman gating, 4x4 solves), where a
        # multi-threaded BLAS spends its time waking threads: one thread made DeepSORT 4-5x faster
        # (ETH-Sunnyday: 51 -> 11 ms a frame). The detector and embedder have thread pools of their own.
        with threadpool_limits(limits=1, user_api="blas"), VideoReader(info.path, info) as reader:
            source = reader.frames()
            if engine.detector.batch > 1 and not policy.adaptive:
                # A fixed stride knows its detection frames in advance: detect them in batches.
                source = _batched(source, lambda i: i > resume_after and i % policy.fixed == 0,
                                  engine.detector, engine.detector.batch)
            for frame in source:
                frame_index = frame.index
                task.check_cancelled()
                replay = frame_index <= resume_after
                thumb = thumbnail(frame.image) if policy.needs_thumbnails else None
                if replay:
                    detect = next_stored is not None and next_stored.frame == frame_index
                else:
                    detect = policy.should_detect(frame_index, thumb)
                if detect:
                    if replay:
                        dets = Detections(next_stored.boxes, next_stored.scores, next_stored.embeddings)
                        next_stored = next(stored, None)
                    else:
                        dets = _detect(engine, tracker, frame.image, getattr(frame, "detections", None))
                        new_dets.append(DetectionFrame(frame_index, dets.xyxy, dets.scores, dets.embeddings))
                    observations = tracker.update(dets, frame.image)
                    assembler.add(frame_index, dets, observations)
                    confirmed = [o for o in observations if o.confirmed]
                    policy.detected(frame_index, len(confirmed), thumb)
                    if not replay and confirmed:
                        task.partial(
                            FrameTracks(
                                camera.name, frame_index, frame.time_s,
                                np.array([o.track_id for o in confirmed]),
                                dets.xyxy[[o.det_index for o in confirmed]],
                            )
                        )
                finished = assembler.drain()
                if not replay:
                    points.extend(_points(finished, timestamps))
                    if (frame_index + 1) % options.commit_every == 0:
                        store.commit(run.id, frame_index, points, new_dets)
                        points, new_dets = [], []
                        committed = frame_index
                task.progress(frame_index + 1)
        if frame_index < last_frame:
            # The index promised more frames than the decoder gave (a damaged tail): stop where it did.
            last_frame = frame_index
        assembler.finish(last_frame)
        points.extend(_points(assembler.drain(), timestamps))
        store.commit(run.id, max(last_frame, resume_after), points, new_dets)
    except (Cancelled, KeyboardInterrupt):  # Ctrl+C in the CLI is a cancel, not a failure
        if frame_index - 1 > committed:
            # Frames before the current one are fully processed; commit them so a rerun resumes there.
            # (Not when they are committed already: an interrupt just after a commit, while the next
            # frame is being decoded, would otherwise pull last_committed_frame back by one.)
            store.commit(run.id, frame_index - 1, points, new_dets)
        store.finish_run(run.id, "cancelled")
        raise
    except BaseException:
        store.finish_run(run.id, "failed")
        raise
    wall = time.perf_counter() - t0
    summary = _summary(project, camera, run.id, "completed", info, wall, resume_after)
    store.finish_run(run.id, "completed", asdict(summary))
    task.progress(info.frame_count, force=True)
    return summary


@dataclass(frozen=True)
class _DetectedFrame:
    """A decoded frame whose detections were computed ahead, in a batch."""

    index: int
    time_s: float
    image: np.ndarray
    detections: Detections | None


def _batched(frames, wanted, detector: PersonDetector, batch: int):
    """Yield frames in order, with detections for the ``wanted`` ones computed ``batch`` at a time.

    Holds at most ``batch`` detection frames and the frames between them, so memory stays bounded."""
    pending: list = []
    n_wanted = 0

    def flush():
        todo = [f for f in pending if wanted(f.index)]
        found = iter(detector.detect([f.image for f in todo])) if todo else iter(())
        for f in pending:
            yield _DetectedFrame(f.index, f.time_s, f.image, next(found) if wanted(f.index) else None)
        pending.clear()

    for frame in frames:
        pending.append(frame)
        n_wanted += wanted(frame.index)
        if n_wanted >= batch:
            yield from flush()
            n_wanted = 0
    yield from flush()


def _detect(engine: _Engine, tracker, image: np.ndarray, dets: Detections | None = None) -> Detections:
    if dets is None:
        dets = engine.detector.detect([image])[0]
    if tracker.uses_embeddings:
        # Features only for boxes the tracker uses and cannot match by overlap alone; zeros elsewhere
        # (never read). See DeepSortTracker.plan_features.
        fresh = tracker.usable(dets)
        plan = tracker.plan_features(dets)
        fresh[list(plan)] = False
        emb = np.zeros((len(dets), engine.embedder.dim), np.float32)
        if fresh.any():
            emb[fresh] = engine.embedder.embed(image, dets.xyxy[fresh])
        tracker.fill_features(emb, plan)
        dets = dets.with_embeddings(emb)
    return dets


def _points(boxes, timestamps: np.ndarray) -> Iterable[TrackPoint]:
    n = len(timestamps)
    for b in boxes:
        t = float(timestamps[b.frame]) if b.frame < n else float("nan")
        yield TrackPoint(b.frame, t, b.track_id, *b.box, b.confidence, b.source)


def _summary(project: Project, camera: Camera, run_id: int, status: str, info: VideoInfo, wall: float,
             resumed_from: int) -> CameraSummary:
    store = project.store
    return CameraSummary(
        camera=camera.name,
        run_id=run_id,
        status=status,
        frames=info.frame_count,
        detected_frames=store.count_detection_frames(run_id),
        tracks=len(store.track_ids(run_id)),
        points=store.count_points(run_id),
        wall_s=wall,
        resumed_from=resumed_from,
        video_s=info.duration_s,
        video_fps=float(info.fps or info.nominal_fps or 0.0),
    )


def analyze_videos(
    project_path: str | Path,
    videos: Sequence[str | Path],
    options: AnalysisOptions = AnalysisOptions(),
    task: Task | None = None,
    force: bool = False,
    on_camera_done=None,
) -> list[CameraSummary]:
    """Create/open the project, add each video as a camera named after its file stem, analyse each."""
    options.validate()
    infos = [probe(v) for v in videos]  # every input is checked before any work starts
    summaries = []
    with Project.open_or_create(project_path) as project:
        project.store  # open (and so check) the database: a damaged project fails now, not after loading
        engine = _Engine(options)  # a bad detector or device fails before project.json gets new cameras
        cameras = [project.add_camera(Path(v).stem, Path(v).resolve()) for v in videos]
        for camera, info in zip(cameras, infos):
            summary = analyze_camera(project, camera, options, task, engine, force, info)
            summaries.append(summary)
            if on_camera_done is not None:
                on_camera_done(summary)
    return summaries
