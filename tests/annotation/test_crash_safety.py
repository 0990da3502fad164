"""kill -9 in the middle of annotating loses at most the last second; the project opens cleanly."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from retail_desktop.annotation.segments import list_segments
from retail_desktop.project import Project, TrackPoint

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys, time
from retail_desktop.annotation.editing import AnnotationModel
from retail_desktop.project import Project

project = Project.open(sys.argv[1])
run = project.store.runs()[0]
model = AnnotationModel(project.store, run.id, "retail-behaviour", annotator="crash-test")
labels = ["hesitant", "decisive", "confused", "interested", "disinterested", "frustrated"]
log = open(sys.argv[2], "a", buffering=1)
k = 0
while True:
    track, start = 1 + k % 5, (k // 5) * 10
    label = labels[k % 6]
    edit = model.label_span(track, start, start + 9, label)
    if k % 7 == 3:          # an undo and a redo now and then: they commit too
        model.undo(); model.redo()
    log.write(json.dumps({"t": time.time(), "track": track, "start": start, "end": start + 9,
                          "label": label}) + "\n")
    k += 1
    time.sleep(0.005)
"""


def test_kill_9_while_annotating_loses_at_most_the_last_second(tmp_path):
    folder = tmp_path / "p"
    with Project.create(folder) as p:
        cam = p.add_camera("cam", "/nowhere.mp4")
        run = p.store.begin_run(cam.id, {"t": 1}, frames_total=100000)
        p.store.commit(run.id, 99999, [TrackPoint(f, f / 25, t, 0, 0, 10, 30, 1.0, "detected")
                                       for t in range(1, 6) for f in range(0, 100000, 50)])
        p.store.finish_run(run.id, "completed")
    log = tmp_path / "edits.jsonl"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), str(log)], env=env,
                             stderr=subprocess.PIPE)
    try:
        started = time.monotonic()
        while time.monotonic() - started < 60:
            time.sleep(0.2)
            n = len(log.read_text().splitlines()) if log.exists() else 0
            if n >= 100 and time.monotonic() - started > 3:
                break
            assert child.poll() is None, child.stderr.read().decode()
        killed_at = time.time()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    records = []
    for line in log.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # the line being written at the kill
    old = [r for r in records if r["t"] < killed_at - 1.0]
    assert len(old) >= 50

    con = sqlite3.connect(folder / "project.sqlite")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    with Project.open(folder) as p:
        run = p.store.runs()[0]
        saved = {(s.track_id, s.start_frame, s.end_frame, s.label) for s in list_segments(p.store, run.id)}
        assert all(s.annotator == "crash-test" for s in list_segments(p.store, run.id))
    missing = [r for r in old if (r["track"], r["start"], r["end"], r["label"]) not in saved]
    assert not missing, f"{len(missing)} of {len(old)} segments saved over 1 s before the kill are gone"
    # Nothing was saved that the annotator did not make (an edit in flight landed whole or not at all).
    assert len(saved) in (len(records), len(records) + 1)
