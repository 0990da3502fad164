"""pytest-qt: the analytics dock computes off the GUI thread, fills the table, lists the tracks behind
a figure and asks the player to jump to a track."""

from __future__ import annotations

import pandas as pd
import pytest
from PySide6.QtCore import Qt

from retail_desktop.analytics.zones import Zone, save_zones
from retail_desktop.annotation.track_import import store_tracks
from retail_desktop.project import Project
from retail_desktop.ui.panels.analytics import TABLE_COLUMNS, AnalyticsDock


def _walk(tid, frames, xs, y=50.0):
    return [(f, tid, x - 5, y - 20, x + 5, y) for f, x in zip(frames, xs)]


@pytest.fixture
def project(tmp_path):
    src = tmp_path / "gt.txt"
    src.write_text("x")
    p = Project.create(tmp_path / "shop")
    rows = (_walk(1, range(10), [50, 80, 110, 140, 170, 190, 210, 230, 250, 270])
            + _walk(2, range(5), [150, 160, 170, 205, 220]))
    store_tracks(p, "Door", pd.DataFrame(rows, columns=["frame", "track_id", "x1", "y1", "x2", "y2"]),
                 source=src, fmt="mot", fps=10.0, size=(320, 240))
    save_zones(p, [Zone("A", "area", "cam1", [[0, 0], [100, 0], [100, 100], [0, 100]]),
                   Zone("B", "area", "cam1", [[100, 0], [200, 0], [200, 100], [100, 100]]),
                   Zone("door", "line", "cam1", [[100, 100], [100, 0]])])
    yield p
    p.close()


def col(name):
    return [c for c, _ in TABLE_COLUMNS].index(name)


def test_table_drilldown_and_jump(qtbot, project):
    dock = AnalyticsDock(project)
    qtbot.addWidget(dock)
    with qtbot.waitSignal(dock.results_ready, timeout=10000):
        dock.refresh()
    assert dock.table.rowCount() == 3
    zones = [dock.table.item(i, col("zone")).text() for i in range(3)]
    assert zones == ["A", "B", "door"]
    b = zones.index("B")
    assert dock.table.item(b, col("visitors")).text() == "2"
    assert dock.table.item(b, col("entries")).text() == "1"
    assert dock.table.item(zones.index("door"), col("line_in")).text() == "1"

    dock.show_tracks_behind(b, col("entries"))
    assert dock.track_list.count() == 1
    assert "track 1 · frame 2" in dock.track_list.item(0).text()
    dock.show_tracks_behind(b, col("exits"))
    assert [dock.track_list.item(i).text().split(" · ")[0] for i in range(2)] == ["track 1", "track 2"]

    dock.resize(1000, 700)
    dock.show()
    qtbot.waitExposed(dock)
    rect = dock.track_list.visualItemRect(dock.track_list.item(1))
    with qtbot.waitSignal(dock.track_activated) as sig:
        qtbot.mouseClick(dock.track_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert sig.args == ["Door", 2, 3]
    # transitions chart: track 1 went A -> B
    assert dock.results[0].transitions[0].from_zone == "A"


def test_binned_and_errors_are_shown(qtbot, project):
    dock = AnalyticsDock(project)
    qtbot.addWidget(dock)
    dock.bin_box.setValue(0.5)
    with qtbot.waitSignal(dock.results_ready, timeout=10000):
        dock.refresh()
    assert dock.table.rowCount() == 3 * 2  # 1 s of video in two bins
    dock.start_box.setValue(50)
    with qtbot.waitSignal(dock.results_ready, timeout=10000):
        dock.refresh()
    assert "empty" in dock.status.text()
    assert dock.compute_button.isEnabled()


def test_figures_broken_down_by_behaviour(qtbot, project):
    """Track 1 classified 'hesitant', track 2 not classified: zone B (both visit it) gets rows all (2),
    hesitant (1) and unclassified (1); the tracks behind the hesitant row are track 1 only."""
    run = project.store.latest_run(project.camera("Door").id, status="completed")
    with project.store.transaction("test predictions") as conn:
        conn.execute("INSERT INTO behavior_predictions (run_id, track_id, start_frame, end_frame, label, confidence, "
                     "probabilities, model, created_at) VALUES (?, 1, 0, 9, 'hesitant', 0.8, '{}', 'm', 't')",
                     (run.id,))
    dock = AnalyticsDock(project)
    qtbot.addWidget(dock)
    with qtbot.waitSignal(dock.results_ready, timeout=10000):
        dock.refresh()
    assert dock.table.rowCount() == 3 and dock.table.item(0, col("behavior")).text() == ""
    with qtbot.waitSignal(dock.results_ready, timeout=10000):
        dock.behaviour_box.setChecked(True)
    rows = [(dock.table.item(i, col("zone")).text(), dock.table.item(i, col("behavior")).text(),
             dock.table.item(i, col("visitors")).text()) for i in range(dock.table.rowCount())]
    b_rows = {beh: n for zone, beh, n in rows if zone == "B"}
    assert b_rows == {"all": "2", "hesitant": "1", "unclassified": "1"}
    hesitant = next(i for i, r in enumerate(rows) if r[:2] == ("B", "hesitant"))
    dock.show_tracks_behind(hesitant, col("visitors"))
    assert dock.track_list.count() == 1 and "track 1" in dock.track_list.item(0).text()
