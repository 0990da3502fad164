"""User mistakes on the command line: exit status 2 (130 for Ctrl+C), ONE line on stderr naming the file and
the problem, never a traceback, and nothing in an existing project lost.

Every case runs the real CLI in a subprocess, as a user would. One small analysed project (TUD-Campus, the
fast detector, ByteTrack) is made once per module and copied wherever a test checks that nothing was lost.
Cases that need root tricks (another user for permission errors, chattr +i, a full tmpfs) skip where the
machine does not allow them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from datafiles import data_file
from run_probe import last_committed

TUD = "labeled/mot15/TUD-Campus/TUD-Campus.mp4"
TUD_GT = "labeled/mot15/TUD-Campus/gt/gt.txt"
FAST = "models/yolo11n_int8_320.onnx"
LONG_NAME = "a" * 300  # longer than any file system allows for one name (ENAMETOOLONG)


# ------------------------------------------------------------------------------------------------ helpers


@dataclass
class Result:
    rc: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        """stderr lines that are not blank (a cleared progress bar leaves spaces and carriage returns)."""
        return [ln for ln in self.err.replace("\r", "\n").splitlines() if ln.strip()]


def cli(*args, cwd: Path | None = None, prefix: list[str] | None = None, env: dict | None = None,
        timeout: float = 300) -> Result:
    cmd = [*(prefix or []), sys.executable, "-m", "retail_desktop.cli", *map(str, args)]
    full_env = dict(os.environ, YOLO_OFFLINE="1", **(env or {}))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env, cwd=cwd)
    return Result(p.returncode, p.stdout, p.stderr)


def assert_user_error(res: Result, *needles: str, code: int = 2) -> str:
    """Exit ``code``, no traceback, exactly one stderr line, containing every needle; returns the line."""
    assert "Traceback" not in res.err, res.err
    assert res.rc == code, f"exit {res.rc}, expected {code}; stderr:\n{res.err}"
    assert len(res.lines) == 1, f"expected one line on stderr, got {len(res.lines)}:\n{res.err}"
    line = res.lines[0]
    assert line.startswith("retail-desktop "), line
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    return line


def snapshot(folder: Path) -> dict:
    """What must survive a failed command: project.json byte for byte, every run, every track point."""
    db = folder / "project.sqlite"
    # immutable=1 reads without creating the -shm file, so read-only folders can be checked too; only
    # safe when no -wal file holds newer pages.
    wal = Path(f"{db}-wal")
    flags = "mode=ro" if wal.exists() and wal.stat().st_size else "mode=ro&immutable=1"
    con = sqlite3.connect(f"file:{db}?{flags}", uri=True)
    try:
        runs = con.execute(
            "SELECT id, camera_id, config_key, status, last_committed_frame FROM analysis_runs ORDER BY id"
        ).fetchall()
        points = {}
        for run_id, *_ in runs:
            rows = con.execute(
                "SELECT frame, track_id, x1, y1, x2, y2, confidence, source FROM track_points "
                "WHERE run_id = ? ORDER BY frame, track_id", (run_id,)
            ).fetchall()
            points[run_id] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    finally:
        con.close()
    return {"json": (folder / "project.json").read_bytes(), "runs": runs, "points": points}


def assert_nothing_lost(before: dict, after: dict, allow_new_unfinished_runs: bool = False) -> None:
    assert after["json"] == before["json"], "project.json changed"
    kept = {r[0]: r for r in after["runs"]}
    for run in before["runs"]:
        assert kept.get(run[0]) == run, f"run {run[0]} changed: {run} -> {kept.get(run[0])}"
        assert after["points"][run[0]] == before["points"][run[0]], f"track points of run {run[0]} changed"
    new = [r for r in after["runs"] if r[0] not in {b[0] for b in before["runs"]}]
    if allow_new_unfinished_runs:
        assert all(r[3] != "completed" for r in new), new
    else:
        assert not new, f"a failed command left runs behind: {new}"


def _cut(src: Path, dst: Path, fraction: float) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def _remux_moov_at_end(src: Path, dst: Path) -> Path:
    """The same H.264 packets in an mp4 whose index (moov) is written last, as cameras record."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w", format="mp4") as out:
        stream = inp.streams.video[0]
        ostream = out.add_stream_from_template(stream)
        for packet in inp.demux(stream):
            if packet.dts is None:
                continue
            packet.stream = ostream
            out.mux(packet)
    return dst


def _audio_only(dst: Path) -> Path:
    import av
    import numpy as np

    with av.open(str(dst), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=44100)
        stream.layout = "mono"
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 44100, i * 1024
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return dst


# ----------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> Path:
    """A finished analysis of TUD-Campus (71 frames, every 3rd detected), made once; copy it before changing it."""
    video, det = data_file(TUD), data_file(FAST)
    folder = tmp_path_factory.mktemp("analysed") / "shop"
    res = cli("analyze", folder, video, "--detector", det, "--tracker", "bytetrack", "--stride", "3", "--quiet")
    assert res.rc == 0, res.err
    return folder


@pytest.fixture
def project(analysed, tmp_path) -> Path:
    """A private copy of the analysed project."""
    return Path(shutil.copytree(analysed, tmp_path / "shop"))


@pytest.fixture(scope="module")
def bad(tmp_path_factory) -> dict[str, Path]:
    """Files a user may pick by mistake."""
    d = tmp_path_factory.mktemp("bad")
    tud = data_file(TUD)
    (d / "empty.mp4").write_bytes(b"")
    (d / "notes.mp4").write_text("shopping list: milk, eggs\n")  # text renamed .mp4
    (d / "folder.mp4").mkdir()
    (d / "model.onnx").write_text("not a model\n")  # text renamed .onnx
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 4)
    _cut(tud, d / "first_half.mp4", 0.5)  # index at the start: the first ~29 frames still decode
    _cut(tud, d / "first_2k.mp4", 2000 / tud.stat().st_size)  # header only, no frame
    _cut(_remux_moov_at_end(tud, d / "moov_last.mp4"), d / "moov_last_half.mp4", 0.5)  # index lost
    _audio_only(d / "audio_only.mp4")
    os.mkfifo(d / "fifo.mp4")
    return {p.name: p for p in d.iterdir()} | {"missing.mp4": d / "missing.mp4"}


# ------------------------------------------------------------------------------------------- info VIDEO


BAD_VIDEOS = [
    ("missing.mp4", "does not exist"),
    ("empty.mp4", "empty"),
    ("notes.mp4", "not a readable video"),
    ("folder.mp4", "directory"),
    ("fifo.mp4", "not a regular file"),
    ("audio_only.mp4", "no video stream"),
    ("first_2k.mp4", "no decodable video frames"),
    ("moov_last_half.mp4", "not a readable video"),
]


@pytest.mark.parametrize("name, problem", BAD_VIDEOS)
def test_info_bad_video(bad, name, problem):
    assert_user_error(cli("info", bad[name]), name, problem)


def test_info_truncated_mp4_lists_the_frames_that_decode(bad):
    res = cli("info", bad["first_half.mp4"], "--json")
    assert res.rc == 0, res.err
    assert 0 < json.loads(res.out)["frame_count"] < 71


def test_info_name_too_long(tmp_path):
    assert_user_error(cli("info", tmp_path / f"{LONG_NAME}.mp4"), "too long")


# --------------------------------------------------------------------------------- analyze: bad input


@pytest.mark.parametrize("name, problem", [c for c in BAD_VIDEOS if c[0] not in ("fifo.mp4", "first_2k.mp4")])
def test_analyze_bad_video_changes_nothing(project, bad, name, problem):
    before = snapshot(project)
    assert_user_error(cli("analyze", project, bad[name], "--detector", data_file(FAST), "--quiet"), name, problem)
    assert_nothing_lost(before, snapshot(project))


def test_analyze_bad_video_creates_no_project(tmp_path, bad):
    assert_user_error(cli("analyze", tmp_path / "new", bad["notes.mp4"], "--quiet"), "notes.mp4")
    assert not (tmp_path / "new").exists()


BAD_FLAGS = [
    (["--stride", "0"], ["--stride", "'0'"]),
    (["--stride", "abc"], ["--stride", "'abc'"]),
    (["--conf", "2"], ["confidence"]),
    (["--tracker", "sort"], ["--tracker", "'sort'"]),
    (["--tracker-setting", "nonsense=1"], ["nonsense"]),
    (["--tracker-setting", "max_age=abc"], ["max_age", "whole number"]),
    (["--tracker", "bytetrack", "--tracker-setting", "track_buffer=-5"], ["track_buffer", "-5"]),
    (["--detector", "missing.pt"], ["missing.pt"]),
    (["--detector", "yolov8n.pt"], ["yolov8n.pt", "YOLO_OFFLINE"]),
    (["--detector", f"{LONG_NAME}.onnx"], [f"{LONG_NAME}.onnx", "too long"]),
]


@pytest.mark.parametrize("flags, needles", BAD_FLAGS, ids=[" ".join(f)[:40] for f, _ in BAD_FLAGS])
def test_analyze_bad_flag_changes_nothing(project, flags, needles):
    before = snapshot(project)
    video = data_file(TUD)
    assert_user_error(cli("analyze", project, video, "--detector", data_file(FAST), *flags, "--quiet"), *needles)
    assert_nothing_lost(before, snapshot(project))


def test_detector_that_is_a_text_file_changes_nothing(project, bad):
    """A corrupt .onnx only opens on the first prediction; that must happen before a camera or run is added."""
    before = snapshot(project)
    assert_user_error(cli("analyze", project, bad["first_half.mp4"], "--detector", bad["model.onnx"], "--quiet"),
                      "model.onnx", "cannot load detector weights")
    assert_nothing_lost(before, snapshot(project))  # not even the new camera


def test_device_cuda_without_a_gpu(project):
    if Path("/dev/nvidiactl").exists() or Path("/dev/dxg").exists():
        pytest.skip("this machine may have CUDA")
    before = snapshot(project)
    assert_user_error(cli("analyze", project, data_file(TUD), "--detector", data_file(FAST), "--device", "cuda",
                          "--quiet"), "--device cuda", "no CUDA")
    assert_nothing_lost(before, snapshot(project))


# --------------------------------------------------------------------- analyze: where the project lives


def test_project_folder_under_a_regular_file(tmp_path, bad):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert_user_error(cli("analyze", afile / "shop", bad["first_half.mp4"], "--detector", data_file(FAST),
                          "--quiet"), "afile/shop", "cannot create the project folder")


def test_project_folder_that_is_a_file(tmp_path, bad):
    afile = tmp_path / "shop"
    afile.write_text("precious notes")
    for args in (["analyze", afile, bad["first_half.mp4"], "--detector", data_file(FAST), "--quiet"],
                 ["export", afile, "--format", "csv", "--out", tmp_path / "o.csv"]):
        assert_user_error(cli(*args), str(afile), "not a")
    assert afile.read_text() == "precious notes"


def test_project_folder_name_too_long(tmp_path):
    assert_user_error(cli("export", tmp_path / LONG_NAME, "--format", "csv", "--out", tmp_path / "o.csv"),
                      "too long")


def test_corrupt_project_json(project, bad):
    (project / "project.json").write_text('{"schema_version": 2, "cameras": [')
    before = snapshot(project)
    for args in (["analyze", project, bad["first_half.mp4"], "--detector", data_file(FAST), "--quiet"],
                 ["export", project, "--format", "csv", "--out", project.parent / "o.csv"]):
        assert_user_error(cli(*args), "project.json", "corrupt")
    assert_nothing_lost(before, snapshot(project))


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_project_sqlite(project, bad, damage):
    db = project / "project.sqlite"
    data = db.read_bytes()
    db.write_bytes(os.urandom(5000) if damage == "garbage" else data[:8192])
    damaged, json_before = db.read_bytes(), (project / "project.json").read_bytes()
    gt = data_file(TUD_GT)
    commands = [["export", project, "--format", "csv", "--out", project.parent / "o.csv"],
                ["evaluate-tracking", project, "--gt", gt, "--camera", "TUD-Campus"]]
    if damage == "truncated":  # garbage is refused by Project.open, the same for every command
        commands.append(["analyze", project, bad["first_half.mp4"], "--detector", data_file(FAST), "--quiet"])
    for args in commands:
        assert_user_error(cli(*args), "project.sqlite", "corrupt")
    assert db.read_bytes() == damaged
    assert (project / "project.json").read_bytes() == json_before


@pytest.fixture
def immutable(project):
    """The project folder and its files made immutable (chattr +i), which even root cannot write."""
    chattr = shutil.which("chattr")
    targets = [project, project / "project.json", project / "project.sqlite"]
    if chattr is None or os.geteuid() != 0:
        pytest.skip("needs root and chattr")
    if subprocess.run([chattr, "+i", *map(str, targets)], capture_output=True).returncode != 0:
        pytest.skip("this file system does not support chattr +i")
    try:
        yield project
    finally:
        subprocess.run([chattr, "-i", *map(str, targets)], check=True)


def test_read_only_project(immutable, bad, tmp_path):
    project = immutable
    before = snapshot(project)
    assert_user_error(cli("analyze", project, bad["first_half.mp4"], "--detector", data_file(FAST), "--quiet"),
                      "shop/project.")
    # A read-only project cannot be read either, for now (SQLite's WAL needs its -shm file): one clear line.
    assert_user_error(cli("export", project, "--format", "csv", "--out", tmp_path / "o.csv"), "project.sqlite")
    assert_nothing_lost(before, snapshot(project))


@pytest.fixture
def full_disk(tmp_path, analysed):
    """A copy of the analysed project on a tmpfs that is then filled to the last byte."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a tmpfs")
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        shop = Path(shutil.copytree(analysed, mnt / "shop"))
        filler = mnt / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:  # ENOSPC: full
            pass
        finally:
            os.close(fd)
        yield shop, filler
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_disk_full(full_disk, bad):
    shop, filler = full_disk
    before_json = (shop / "project.json").read_bytes()
    line = assert_user_error(cli("analyze", shop, bad["first_half.mp4"], "--detector", data_file(FAST),
                                 "--tracker", "bytetrack", "--quiet"), "shop/project.")
    assert (shop / "project.json").read_bytes() == before_json
    filler.unlink()  # space again: everything must still be there
    res = cli("export", shop, "--format", "mot", "--out", shop.parent / "out.txt")
    assert res.rc == 0, res.err
    assert res.out.startswith("wrote ") and " 0 boxes" not in res.out
    if "full" not in line and "No space left" not in line:
        pytest.xfail(f"project layer (store.py): a full disk is reported as {line!r}")


# ----------------------------------------------------------------------------- analyze: Ctrl+C, resume




def test_ctrl_c_leaves_a_resumable_project_and_a_truncated_mp4_completes(tmp_path, bad):
    """SIGINT mid-analysis: exit 130, one line saying how to resume; the rerun resumes and finishes the
    decodable part of a truncated mp4."""
    shop = tmp_path / "shop"
    # The reference detector with DeepSORT: slow enough (~0.2 s a frame) that the interrupt after the
    # 3rd of 29 frames cannot come after the end (with the fast detector and ByteTrack it could, on CI).
    cmd = [sys.executable, "-m", "retail_desktop.cli", "analyze", str(shop), str(bad["first_half.mp4"]),
           "--detector", str(data_file("models/yolov8n_int8_640.onnx")), "--commit-every", "1", "--quiet"]
    env = dict(os.environ, YOLO_OFFLINE="1")
    # A test run started in the background by a non-interactive shell (CI scripts) inherits SIGINT
    # ignored, and Python then never installs its Ctrl+C handler: give the child the default back.
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    try:
        while last_committed(shop / "project.sqlite") < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "analysis made no progress"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert_user_error(Result(proc.returncode, out, err), "cancelled", "resume", code=130)
    saved = last_committed(shop / "project.sqlite")
    assert saved >= 2

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "completed" in done.stdout and "resumed after frame" in done.stdout, done.stdout
    assert "Traceback" not in done.stderr


# ------------------------------------------------------------------------------------------- export


def test_export_problems(project, tmp_path):
    empty = tmp_path / "empty"
    not_a_project = tmp_path / "plain"
    not_a_project.mkdir()
    from retail_desktop.project import Project

    with Project.create(empty):
        pass
    unanalysed = tmp_path / "unanalysed"
    with Project.create(unanalysed) as p:
        p.add_camera("door", "/videos/door.mp4")
    afile = tmp_path / "afile"
    afile.write_text("x")
    out = tmp_path / "o.csv"
    cases = [
        (["export", tmp_path / "nope", "--format", "csv", "--out", out], ["nope", "does not exist"]),
        (["export", not_a_project, "--format", "csv", "--out", out], ["plain", "project.json"]),
        (["export", empty, "--format", "mot", "--out", out], ["empty", "no cameras"]),
        (["export", unanalysed, "--format", "mot", "--out", out], ["unanalysed", "door", "no completed analysis"]),
        (["export", project, "--format", "mot", "--out", out, "--camera", "till"], ["'till'", "TUD-Campus"]),
        (["export", project, "--format", "xml", "--out", out], ["--format", "'xml'"]),
        (["export", project, "--format", "csv", "--out", tmp_path], [str(tmp_path), "folder"]),
        (["export", project, "--format", "csv", "--out", afile / "o.csv"], ["afile/o.csv", "is a file"]),
        (["export", project, "--format", "mot", "--out", afile / "o.txt"], ["afile/o.txt", "is a file"]),
        (["export", project, "--format", "csv", "--out", tmp_path / f"{LONG_NAME}.csv"], ["too long"]),
    ]
    before = snapshot(project)
    for args, needles in cases:
        assert_user_error(cli(*args), *needles)
    assert not out.exists()
    assert afile.read_text() == "x"
    assert_nothing_lost(before, snapshot(project))


# -------------------------------------------------------------------------------- evaluate-tracking


def test_evaluate_tracking_problems(project, bad, tmp_path):
    gt = data_file(TUD_GT)
    cases = [
        (["--gt", tmp_path / "gt.txt"], ["gt.txt", "not found"]),
        (["--gt", bad["folder.mp4"]], ["folder.mp4", "folder"]),
        (["--gt", bad["notes.mp4"]], ["notes.mp4", "line 1"]),
        (["--gt", bad["empty.txt"]], ["empty.txt", "no ground-truth boxes"]),
        (["--gt", gt, "--camera", "till"], ["'till'"]),
        (["--gt", gt, "--iou", "5"], ["--iou", "'5'"]),
    ]
    before = snapshot(project)
    for args, needles in cases:
        assert_user_error(cli("evaluate-tracking", project, *args), *needles)
    assert_user_error(cli("evaluate-tracking", tmp_path / "nope", "--gt", gt), "nope", "does not exist")
    assert_nothing_lost(before, snapshot(project))
    ok = cli("evaluate-tracking", project, "--gt", gt, "--json")
    assert ok.rc == 0, ok.err
    assert 0 < json.loads(ok.out)["mota"] <= 1


# ------------------------------------------------------------------- permissions, as an ordinary user


@pytest.fixture
def other_user(tmp_path):
    """Run the CLI as a user without root's rights. Returns (prefix, a folder everyone can enter)."""
    base = Path(tempfile.mkdtemp(prefix="rd-cli-perm-", dir="/tmp"))
    base.chmod(0o755)
    try:
        if os.geteuid() != 0:
            yield [], base
            return
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot drop rights")
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        probe = subprocess.run([*prefix, sys.executable, "-c", "import retail_desktop.cli"],
                               capture_output=True, cwd=base)
        if probe.returncode != 0:
            pytest.skip("the unprivileged user cannot run this checkout")
        yield prefix, base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_permission_problems(other_user, analysed, bad):
    prefix, base = other_user
    home = base / "home"  # writable, as a real user's is (ONNX Runtime writes ~/.cache on import)
    home.mkdir()
    home.chmod(0o777)
    env = {"HOME": str(home), "YOLO_CONFIG_DIR": str(home / "ultralytics")}
    run = lambda *a: cli(*a, cwd=base, prefix=prefix, env=env)  # noqa: E731

    secret = base / "secret"  # a folder the user may not even look into
    secret.mkdir(mode=0o700)
    locked = base / "locked"  # a folder the user may read but not write
    locked.mkdir()
    video = Path(shutil.copy(bad["first_half.mp4"], base / "clip.mp4"))
    video.chmod(0o644)
    noread = Path(shutil.copy(bad["first_half.mp4"], base / "noread.mp4"))
    noread.chmod(0o000)
    gt = Path(shutil.copy(data_file(TUD_GT), base / "noread_gt.txt"))
    gt.chmod(0o000)
    ro = Path(shutil.copytree(analysed, locked / "shop"))  # a project the user may read but not change
    for p in (ro / "project.json", ro / "project.sqlite"):
        p.chmod(0o444)
    ro.chmod(0o555)
    locked.chmod(0o555)
    rw = Path(shutil.copytree(analysed, base / "mine"))  # the user's own project
    if prefix:
        for p in (rw, *rw.iterdir()):
            os.chown(p, 65534, 65534)
    det = data_file(FAST)
    before = snapshot(ro)

    assert_user_error(run("info", noread), "noread.mp4", "permission denied")
    assert_user_error(run("analyze", home / "p1", noread, "--detector", det, "--quiet"), "noread.mp4",
                      "permission denied")
    assert_user_error(run("analyze", locked / "new", video, "--detector", det, "--quiet"),
                      "locked/new", "Permission denied")
    assert_user_error(run("analyze", home / "p2", video, "--detector", secret / "m.onnx", "--quiet"),
                      "m.onnx", "Permission denied")
    assert_user_error(run("evaluate-tracking", rw, "--gt", gt), "noread_gt.txt", "Permission denied")
    # Reading a read-only project does not work yet (SQLite's WAL wants its -shm file): one clear line.
    assert_user_error(run("export", ro, "--format", "csv", "--out", home / "o.csv"), "project.sqlite")
    assert_user_error(run("export", rw, "--format", "csv", "--out", locked / "o.csv"), "o.csv",
                      "Permission denied")
    assert_user_error(run("export", rw, "--format", "mot", "--out", locked / "o.txt"), "o.txt",
                      "Permission denied")
    assert_user_error(run("export", rw, "--format", "mot", "--out", secret / "o.txt"), "o.txt",
                      "Permission denied")
    assert not (home / "p1").exists()  # the video is checked before anything is created
    # The project is opened (or created) before the detector loads, so damage shows at once; a new one
    # stays empty when the detector then fails.
    assert json.loads((home / "p2" / "project.json").read_text())["cameras"] == []
    assert not (locked / "o.csv").exists() and not (locked / "o.txt").exists()
    assert_nothing_lost(before, snapshot(ro))


def test_paths_inside_a_folder_the_user_cannot_enter(other_user, bad):
    prefix, base = other_user
    secret = base / "secret"
    secret.mkdir(mode=0o700)
    env = {"HOME": str(base)}
    assert_user_error(cli("info", secret / "v.mp4", cwd=base, prefix=prefix, env=env), "v.mp4")
    assert_user_error(cli("export", secret / "shop", "--format", "csv", "--out", base / "o.csv",
                          cwd=base, prefix=prefix, env=env), "shop")
