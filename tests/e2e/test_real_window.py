"""Start the real application (``python main.py``) in a real X server and look at what it shows.

The pytest-qt tests use Qt's offscreen platform, which never loads the xcb plug-in or its system
libraries; this test catches a window that cannot open on a real display (a missing libxcb-*, a crash
at start-up, an empty grey window). The app grabs its own window from the X server
(``RETAIL_DESKTOP_SCREENSHOT``), and ``xwininfo`` confirms the X server really holds a mapped window
of that title and size. Screenshots are kept in ``tests/e2e/artifacts/`` for people to look at.

Needs ``Xvfb`` and ``xwininfo`` (Debian: xvfb, x11-utils). Skipped without them, failed under CI.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from datafiles import data_file

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SCREEN = (1600, 1000)
TITLE = "Retail Desktop"

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def _project_maker():
    """The same project maker as the pytest-qt tests (tests/ui/projects.py), loaded by path."""
    spec = importlib.util.spec_from_file_location("retail_desktop_e2e_projects", ROOT / "tests" / "ui" / "projects.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_project


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (Debian: apt-get install xvfb x11-utils)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def display():
    """A private Xvfb; ``-displayfd`` lets the server pick a free display number itself."""
    xvfb = _require("Xvfb")
    _require("xwininfo")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_fd)
    number = b""
    deadline = time.monotonic() + 30
    while not number.endswith(b"\n") and time.monotonic() < deadline:
        ready, _, _ = select.select([read_fd], [], [], 0.5)
        if ready:
            chunk = os.read(read_fd, 16)
            if not chunk:
                break
            number += chunk
    os.close(read_fd)
    if not number.strip().isdigit():
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"Xvfb did not start: {err.decode(errors='replace')[-2000:]}")
    yield f":{number.strip().decode()}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _x_windows(display: str) -> list[tuple[str, str, int, int]]:
    """(id, name, width, height) of every X window whose name mentions the app."""
    out = subprocess.run(
        ["xwininfo", "-root", "-tree"], env=dict(os.environ, DISPLAY=display), capture_output=True, text=True, timeout=20
    ).stdout
    found = []
    for line in out.splitlines():
        match = re.search(r'(0x[0-9a-f]+) "([^"]*)".*?\s(\d+)x(\d+)[+-]', line)
        if match and TITLE in match.group(2):
            found.append((match.group(1), match.group(2), int(match.group(3)), int(match.group(4))))
    return found


def _is_viewable(display: str, window_id: str) -> bool:
    out = subprocess.run(
        ["xwininfo", "-id", window_id], env=dict(os.environ, DISPLAY=display), capture_output=True, text=True, timeout=20
    ).stdout
    return "IsViewable" in out


def _run_app(display: str, tmp_path: Path, shot: Path, *args: str, env_extra: dict | None = None) -> tuple[list, str]:
    env = dict(
        os.environ,
        **(env_extra or {}),
        DISPLAY=display,
        QT_QPA_PLATFORM="xcb",
        RETAIL_DESKTOP_SCREENSHOT=str(shot),
        XDG_CONFIG_HOME=str(tmp_path / "config"),  # no window geometry from earlier runs
        XDG_RUNTIME_DIR=str(tmp_path / "runtime"),
        PYTHONUNBUFFERED="1",
    )
    (tmp_path / "runtime").mkdir(mode=0o700, exist_ok=True)
    shot.unlink(missing_ok=True)
    log = tmp_path / "app.log"
    with open(log, "w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), *args],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            windows: list = []
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    pytest.fail(f"the app exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
                windows = _x_windows(display)
                if shot.exists() and windows:
                    break
                time.sleep(0.25)
            else:
                pytest.fail(f"no window/screenshot within 90 s; X windows {windows}\n{log.read_text()[-4000:]}")
            viewable = [w for w in windows if _is_viewable(display, w[0])]
            assert proc.poll() is None, "the app must still be running after the screenshot"
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)
    return viewable, log.read_text()


def _check_screenshot(shot: Path, viewable: list) -> tuple[int, int]:
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert not image.isNull(), f"{shot} is not a readable PNG"
    size = (image.width(), image.height())
    assert size[0] >= 1000 and size[1] >= 700, f"window too small: {size}"
    assert size[0] <= SCREEN[0] and size[1] <= SCREEN[1]
    assert any((w, h) == size for _id, _name, w, h in viewable), (
        f"no viewable X window of the screenshot's size {size}: {viewable}"
    )
    colours = set()
    bright = 0
    step = 8
    for y in range(0, size[1], step):
        for x in range(0, size[0], step):
            rgb = image.pixel(x, y) & 0xFFFFFF
            colours.add(rgb)
            if sum((rgb >> s) & 0xFF for s in (16, 8, 0)) > 3 * 180:
                bright += 1
    assert len(colours) > 50, f"screenshot looks blank ({len(colours)} colours)"
    assert bright > 50, "no light text or highlights visible in the screenshot"
    return size


def test_welcome_window_on_a_real_display(display, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "welcome.png"
    viewable, log = _run_app(display, tmp_path, shot)
    assert any(name == TITLE for _id, name, _w, _h in viewable), viewable
    assert _check_screenshot(shot, viewable) == (1280, 800)  # the default size, nothing saved yet
    assert "Traceback" not in log, log


def test_project_window_on_a_real_display(display, tmp_path):
    make_project = _project_maker()
    project = make_project(
        tmp_path / "Demo Store",
        [
            ("Checkout", str(data_file("videos/retail_supermarket_checkout_cctv.mp4"))),
            ("Mall entrance", str(data_file("videos/mall_entrance_revolving_doors.mp4"))),
            ("Concourse", str(data_file("videos/mall_concourse_overhead_bw.mp4"))),
        ],
    )
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "project.png"
    viewable, log = _run_app(display, tmp_path, shot, str(project))
    names = [name for _id, name, _w, _h in viewable]
    assert f"Demo Store \u2014 {TITLE}" in names, (names, log)
    _check_screenshot(shot, viewable)
    assert "Traceback" not in log, log
    json.loads((project / "project.json").read_text())  # opening must leave the project readable


def test_two_analysed_cameras_play_on_a_real_display(display, tmp_path, multicam_analysed):
    """Open the analysed multicam project, play two seconds, grab the window: frames, boxes, timeline."""
    import shutil

    project = tmp_path / "Flat"
    shutil.copytree(multicam_analysed, project, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "player.png"
    viewable, log = _run_app(display, tmp_path, shot, str(project), env_extra={"RETAIL_DESKTOP_AUTOPLAY_S": "2"})
    assert "Traceback" not in log, log
    match = re.search(r"autoplay: ([\d.]+) s of project time, frames shown (\{.*\})", log)
    assert match, log
    played, shown = float(match.group(1)), eval(match.group(2))  # noqa: S307 (our own dict repr)
    assert 1.5 < played <= 2.5, log
    assert set(shown) == {"home_room_cam1", "home_hallway_cam2"}
    assert all(n >= 15 for n in shown.values()), f"too few frames shown while playing: {shown}"
    size = _check_screenshot(shot, viewable)
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    # Camera pictures fill the centre: many distinct colours there, not a flat placeholder.
    colours = {image.pixel(x, y) for x in range(size[0] // 4, size[0] * 3 // 4, 7) for y in range(80, size[1] - 120, 7)}
    assert len(colours) > 2000, len(colours)
    json.loads((project / "project.json").read_text())
