"""The review app around the player: background analysis, bad input, docks, shortcuts, screenshots."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QLabel

from datafiles import data_file
from retail_desktop.project import Project
from retail_desktop.ui.main_window import SHORTCUTS
from retail_desktop.vision.pipeline import AnalysisOptions

ROOT = Path(__file__).resolve().parents[2]


def open_in_player(window, qtbot, folder):
    with qtbot.waitSignal(window.review_loaded, timeout=60000):
        window.open_project(folder)
    qtbot.waitUntil(lambda: not window.is_busy(), timeout=30000)
    return window.player


class LatencyProbe:
    """Measures how late a 10 ms timer fires on the GUI thread: the event loop's responsiveness."""

    def __init__(self):
        self.gaps: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)

    def start(self):
        self._clock.start()
        self._timer.start()

    def _tick(self):
        self.gaps.append(self._clock.restart() - 10)

    def stop(self):
        self._timer.stop()
        return max(self.gaps) if self.gaps else 0.0


@pytest.mark.slow
def test_background_analysis_reports_progress_and_cancels_while_the_window_responds(window, qtbot, tmp_path):
    video = data_file("multicam/home_room_cam1.mp4")
    detector = data_file("models/yolo11n_int8_320.onnx")
    folder = tmp_path / "fresh"
    with Project.create(folder) as project:
        project.add_camera("room", video)
    player = open_in_player(window, qtbot, folder)
    cid = next(iter(player.views))
    assert player.cameras[cid].run_id is None
    # The app loads torch, Ultralytics, MLflow... in the background while idle (ui/warmup.py): an
    # import holds Python's GIL for whole C-extension initialisations. Do the same here, then measure the
    # event loop from the click on Run (loading the detector included) to the end of the cancelled analysis.
    from retail_desktop.ui.warmup import import_heavy

    assert import_heavy() == []  # every library loads
    probe = LatencyProbe()
    progress = []
    probe.start()
    runner = window.run_analysis([cid], AnalysisOptions(detector=str(detector), device="cpu"))
    runner.progress.connect(progress.append)
    assert window.analysis.cancel_button.isEnabled() and not window.analysis.run_button.isEnabled()
    qtbot.waitUntil(lambda: bool(progress and progress[-1].total and progress[-1].done >= 1), timeout=120000)
    # Results appear as they arrive: the tracker's boxes (the person enters this camera at frame ~43).
    qtbot.waitUntil(lambda: len(player.cameras[cid].tracks.live) > 0, timeout=120000)
    assert progress[-1].done < progress[-1].total
    # The first analysis of a camera fills its heatmap as results arrive: person-seconds = live boxes
    # x frame duration (the grid is read between two events, so no result arrives in between).
    cam = player.cameras[cid]
    boxes = sum(len(ids) for ids, _ in cam.tracks.live.values())
    assert boxes > 0 and np.isclose(player.heatmap_grid(cid).sum(), boxes / cam.info.fps, rtol=0.02)
    # The window keeps working during the analysis: seek and show frames.
    player.seek(1.0)
    qtbot.waitUntil(lambda: player.views[cid].shown_frame == player.views[cid].wanted_frame, timeout=10000)
    assert "ETA" in window.analysis.status.text()
    with qtbot.waitSignal(runner.cancelled, timeout=30000):
        window.analysis.cancel_button.click()
    worst = probe.stop()
    assert len(probe.gaps) > 50
    assert worst < 100, f"the event loop stalled for {worst} ms during the analysis"
    assert "Cancelled" in window.analysis.status.text() and window.analysis.run_button.isEnabled()
    with Project.open(folder) as project:
        run = project.store.latest_run(project.cameras[0].id, status=None)
        assert run.status == "cancelled" and run.last_committed_frame >= 0


def test_a_camera_whose_video_moved_gets_a_dialog_and_the_others_play(window, qtbot, multicam_project, tmp_path):
    with Project.open(multicam_project) as project:
        moved = Path(project.cameras[1].video)
        moved_copy = tmp_path / "moved.mp4"
        project.cameras[1].video = str(moved_copy)  # as if the file had been moved away
        project.save()
    before = (multicam_project / "project.json").read_bytes()
    player = open_in_player(window, qtbot, multicam_project)
    box = window.last_message_box
    assert box is not None and "cannot be shown" in box.windowTitle()
    assert str(moved_copy) in box.text() and "home_hallway_cam2" in box.text()
    cam1, cam2 = list(player.views)
    assert cam2 not in player.servers and "Video unavailable" in player.views[cam2].message.textItem.toPlainText()
    player.seek_to(cam1, 30)
    qtbot.waitUntil(lambda: player.views[cam1].shown_frame == 30, timeout=10000)
    assert (multicam_project / "project.json").read_bytes() == before  # nothing rewritten


def test_adding_an_unreadable_video_shows_a_dialog_and_saves_nothing(window, qtbot, multicam_project, tmp_path):
    open_in_player(window, qtbot, multicam_project)
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"this is not a video" * 100)
    before = (multicam_project / "project.json").read_bytes()
    runner = window.add_cameras([str(bad)])
    with qtbot.waitSignal(runner.failed, timeout=20000) as blocker:
        pass
    assert str(bad) in blocker.args[0]
    qtbot.waitUntil(lambda: window.last_message_box is not None and window.last_message_box.windowTitle() == "Cannot add camera")
    assert (multicam_project / "project.json").read_bytes() == before
    assert len(window.player.views) == 2 and window.player.servers  # the project still plays


def test_add_and_remove_camera(window, qtbot, multicam_project):
    player = open_in_player(window, qtbot, multicam_project)
    with qtbot.waitSignal(window.review_loaded, timeout=60000):
        window.add_cameras([str(data_file("videos/retail_supermarket_checkout_cctv.mp4"))])
    assert len(player.views) == 3 and window.cameras.camera_names()[-1] == "retail_supermarket_checkout_cctv"
    player.set_current_camera(list(player.views)[-1])
    with qtbot.waitSignal(window.review_loaded, timeout=60000):
        window.remove_current_camera()
    assert len(player.views) == 2


def test_docks_pages_shortcuts_and_plug_in_points(window, qtbot, multicam_project):
    from PySide6.QtWidgets import QDockWidget

    names = {d.objectName() for d in window.findChildren(QDockWidget)}
    assert {"cameras_dock", "layers_dock", "analysis_dock"} <= names
    extra = QLabel("zones")
    dock = window.add_dock(extra, "Zones")
    assert dock.objectName() == "zones_dock" and dock.toggleViewAction() in window.view_menu.actions()
    page = QLabel("annotate")
    show = window.add_page(page, "Annotation")
    show.trigger()
    assert window.pages.currentWidget() is page
    player = open_in_player(window, qtbot, multicam_project)
    cam2 = list(player.views)[1]
    window.seek_to(cam2, 40)
    qtbot.waitUntil(lambda: player.views[cam2].shown_frame == 40, timeout=10000)
    assert window.pages.currentWidget() is player
    assert window.current_camera_view() is player.views[cam2]
    assert window.project_time() == pytest.approx(player.clock.time_of(cam2, 40))
    assert "frame 40" in window.position_label.text()
    keys = {a.shortcut().toString() for a in window.playback_actions}
    assert {"Space", "Right", "Left", "Shift+Right", "Shift+Left", "Home", "End"} <= keys
    assert len(SHORTCUTS) >= 8
    window.shortcuts_action.trigger()
    assert window.last_message_box.windowTitle() == "Keyboard Shortcuts"
    window.last_message_box.close()
    window.playback_actions[0].trigger()  # Space: play
    assert player.playback.playing
    window.playback_actions[0].trigger()
    assert not player.playback.playing
    assert window.recent_projects()[0] == str(multicam_project)


def _cli(*args, env_extra=None):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "retail_desktop.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)


def test_open_screenshot_renders_the_project_at_a_time(multicam_project, tmp_path):
    out = tmp_path / "shot.png"
    proc = _cli("open", str(multicam_project), "--screenshot", str(out), "--at", "2.0", "--heatmap",
                env_extra={"XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "screenshot saved" in proc.stdout and "at 2.000 s" in proc.stdout
    import cv2
    import numpy as np

    image = cv2.imread(str(out))
    assert image.shape[1] >= 1000 and len(np.unique(image.reshape(-1, 3), axis=0)) > 1000


def test_open_with_a_bad_project_is_one_line(tmp_path):
    proc = _cli("open", str(tmp_path / "nothing"), "--screenshot", str(tmp_path / "x.png"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "does not exist" in proc.stderr
    assert not (tmp_path / "x.png").exists()
