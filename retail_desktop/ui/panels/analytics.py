"""Analytics dock: per-zone figures for a time range, charts, and the tracks behind every figure.

The figures come from :func:`retail_desktop.analytics.metrics.project_metrics` (the same function the
``metrics`` verb calls), computed on a worker thread. Clicking a figure in the table lists the tracks
behind it; clicking a track emits :attr:`AnalyticsDock.track_activated` with the camera, the track
and the frame of the event, for the main window to send the player there.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDockWidget, QDoubleSpinBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
    QPushButton, QScrollArea, QSplitter, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from retail_desktop.analytics.metrics import ANCHORS, CameraMetrics, MetricOptions, ZoneRow, project_metrics

#: Table columns shown, and which list of tracks a click on each one shows.
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("camera", "visitors"), ("zone", "visitors"), ("behavior", "visitors"), ("bin_start_s", "visitors"), ("visitors", "visitors"),
    ("entries", "entries"), ("exits", "exits"), ("dwell_s_total", "visitors"), ("dwell_s_mean", "visitors"),
    ("dwell_s_median", "visitors"), ("dwell_s_p90", "visitors"), ("occupancy_mean", "visitors"),
    ("occupancy_peak", "visitors"), ("line_in", "line_in"), ("line_out", "line_out"),
    ("queue_visitors", "queue"), ("queue_wait_s_mean", "queue"),
)


def compute(project, options: MetricOptions, cameras: list[str] | None, task=None):
    """Worker-thread body: the figures and the notes about skipped cameras."""
    if task is not None:
        task.start(total=None, message="Computing zone figures")
    return project_metrics(project, options, cameras)


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


class AnalyticsDock(QDockWidget):
    """Zone figures of ``project``; call :meth:`refresh` after zones or tracks change."""

    track_activated = Signal(str, int, int)  # camera name, track id, frame
    results_ready = Signal()

    def __init__(self, project, parent: QWidget | None = None):
        super().__init__("Analytics", parent)
        self.setObjectName("analyticsDock")
        self.project = project
        self.results: list[CameraMetrics] = []
        self._rows: list[ZoneRow] = []
        self._runner = None

        self.camera_box = QComboBox()
        self.camera_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.camera_box.setMinimumContentsLength(8)
        self.start_box = self._seconds_box("from (s of video)")
        self.end_box = self._seconds_box("to (s of video; 0: the end)")
        self.bin_box = self._seconds_box("bin length (s; 0: one bin)")
        self.anchor_box = QComboBox()
        self.anchor_box.addItems(ANCHORS)
        self.behaviour_box = QCheckBox("by behaviour")
        self.behaviour_box.setToolTip("Also a row per behaviour: the tracks whose majority label (Behaviour > "
                                      "Classify Tracks) is that behaviour")
        # Recompute at once unless a computation is running (Compute is then disabled; click it after).
        self.behaviour_box.toggled.connect(lambda _on: self.compute_button.isEnabled() and self.refresh())
        self.compute_button = QPushButton("Compute")
        self.compute_button.clicked.connect(self.refresh)
        self.status = QLabel()
        self.status.setWordWrap(True)

        # Two short rows of controls and the table, charts and track list side by side: the dock lives at
        # the bottom of the window, where height is the player's, but beside the docks on the left and
        # right one row did not fit a 1280-pixel window (the last controls were cut off).
        controls = QHBoxLayout()
        controls2 = QHBoxLayout()
        for prefix, box in (("from ", self.start_box), ("to ", self.end_box), ("bin ", self.bin_box)):
            box.setPrefix(prefix)
            box.setSuffix(" s")
            box.setMaximumWidth(104)  # room for "from 9999.9 s"; the row must fit a narrow dock
        # 0 means "the end" / "one bin": say so instead of showing "to 0.0 s".
        self.end_box.setSpecialValueText("to the end")
        self.bin_box.setSpecialValueText("no bins")
        self.camera_box.setToolTip("Camera whose zones are measured")
        self.anchor_box.setToolTip("Point of each box tested against the zones (bottom-center: the feet)")
        for widget in (self.camera_box, self.start_box, self.end_box, self.bin_box):
            controls.addWidget(widget)
        controls.addStretch(1)
        for widget in (self.anchor_box, self.behaviour_box, self.compute_button):
            controls2.addWidget(widget)
        controls2.addStretch(1)
        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setHorizontalHeaderLabels([c for c, _ in TABLE_COLUMNS])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.cellClicked.connect(self.show_tracks_behind)
        self.track_list = QListWidget()
        self.track_list.itemClicked.connect(self._activate)
        self.track_list.itemActivated.connect(self._activate)

        self.occupancy_plot = pg.PlotWidget(labels={"bottom": "time (s)", "left": "people inside"})
        self.dwell_plot = pg.PlotWidget(labels={"bottom": "dwell (s)", "left": "visitors"})
        self.transition_plot = pg.PlotWidget(labels={"left": "moves"})
        # The table and the charts share one tab widget beside the track list: the table gets the width
        # its sixteen columns need; clicking a figure still redraws the charts of its zone.
        self.tabs = QTabWidget()
        self.tabs.addTab(self.table, "Figures")
        self.tabs.addTab(self.occupancy_plot, "Occupancy")
        self.tabs.addTab(self.dwell_plot, "Dwell")
        self.tabs.addTab(self.transition_plot, "Transitions")

        tracks_box = QWidget()
        tl = QVBoxLayout(tracks_box)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(QLabel("Tracks behind the figure"))
        tl.addWidget(self.track_list)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tabs)
        split.addWidget(tracks_box)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(controls)
        layout.addLayout(controls2)
        layout.addWidget(split, 1)
        scroll = QScrollArea()  # a narrow window scrolls the dock instead of growing wider
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        outer = QWidget()  # the word-wrapped status stays outside: inside, it would make the area scroll
        column = QVBoxLayout(outer)
        column.setContentsMargins(0, 0, 0, 2)
        column.addWidget(scroll, 1)
        column.addWidget(self.status)
        self.setWidget(outer)
        self.reload_cameras()

    @staticmethod
    def _seconds_box(tip: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(0, 10 ** 5)
        box.setDecimals(1)
        box.setToolTip(tip)
        return box

    def reload_cameras(self) -> None:
        self.camera_box.clear()
        self.camera_box.addItem("All cameras")
        self.camera_box.addItems([c.name for c in self.project.cameras])

    def options(self) -> MetricOptions:
        end = self.end_box.value() or None
        bin_s = self.bin_box.value() or None
        return MetricOptions(start_s=self.start_box.value(), end_s=end, bin_s=bin_s,
                             anchor=self.anchor_box.currentText(), by_behavior=self.behaviour_box.isChecked())

    # ----------------------------------------------------------------- computing
    def refresh(self):
        """Recompute on a worker thread; :attr:`results_ready` fires when the table is filled."""
        from retail_desktop.ui.workers import TaskRunner

        cameras = None if self.camera_box.currentIndex() <= 0 else [self.camera_box.currentText()]
        self.compute_button.setEnabled(False)
        self.status.setText("Computing…")
        self._runner = TaskRunner(compute, self.project, self.options(), cameras, parent=self)
        self._runner.finished.connect(lambda out: self.set_results(*out))
        self._runner.failed.connect(self._failed)
        return self._runner.start()

    def _failed(self, message: str) -> None:
        self.compute_button.setEnabled(True)
        self.status.setText(message)
        self.results_ready.emit()

    def set_results(self, results: list[CameraMetrics], notes: list[str] = ()) -> None:
        self.compute_button.setEnabled(True)
        self.results = list(results)
        self._rows = [r for cm in self.results for r in cm.rows]
        self.table.setRowCount(len(self._rows))
        for i, row in enumerate(self._rows):
            for j, (col, _) in enumerate(TABLE_COLUMNS):
                item = QTableWidgetItem(_fmt(getattr(row, col)))
                if j >= 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self.status.setText("; ".join(notes))
        self._draw_transitions()
        if self._rows:
            self.table.setCurrentCell(0, 0)
            self._draw_zone(self._rows[0])
        self.results_ready.emit()

    # ----------------------------------------------------------------- drill-down
    def show_tracks_behind(self, row: int, column: int) -> None:
        """List the tracks behind the figure in table cell (row, column)."""
        zr = self._rows[row]
        key = TABLE_COLUMNS[column][1]
        frames = zr.event_frames.get(key, {})
        self.track_list.clear()
        for track in sorted(frames):
            extra = ""
            if key == "visitors" and track in zr.dwell_by_track:
                extra = f", {zr.dwell_by_track[track]:.1f} s inside"
            elif key == "queue" and track in zr.wait_by_track:
                extra = f", waited {zr.wait_by_track[track]:.1f} s"
            # Track first: the list is narrow, and the camera is the same for every row of a figure.
            item = QListWidgetItem(f"track {track} · frame {frames[track]}{extra} · {zr.camera}")
            item.setToolTip(f"{zr.camera}, track {track}, first counted at frame {frames[track]}{extra}")
            item.setData(Qt.ItemDataRole.UserRole, (zr.camera, int(track), int(frames[track])))
            self.track_list.addItem(item)
        self._draw_zone(zr)

    def _activate(self, item: QListWidgetItem) -> None:
        camera, track, frame = item.data(Qt.ItemDataRole.UserRole)
        self.track_activated.emit(camera, track, frame)

    # ----------------------------------------------------------------- charts
    def _draw_zone(self, zr: ZoneRow) -> None:
        """Occupancy over time and dwell histogram of the zone of ``zr`` (all its bins)."""
        self.occupancy_plot.clear()
        self.dwell_plot.clear()
        if zr.kind != "area":
            return
        cm = next(c for c in self.results if c.camera == zr.camera and c.rows and c.rows[0].behavior == zr.behavior)
        rows = [r for r in cm.rows if r.zone == zr.zone and r.occupancy is not None]
        ts, occ = [], []
        for r in rows:
            n = len(r.occupancy)
            start = int(np.ceil(r.bin_start_s * cm.fps - 1e-9))
            ts.append((start + np.arange(n)) / cm.fps)
            occ.append(r.occupancy)
        if ts:
            self.occupancy_plot.plot(np.concatenate(ts), np.concatenate(occ), pen=pg.mkPen("#ffb000", width=1))
        dwell = np.array(list(zr.dwell_by_track.values()))
        if len(dwell):
            counts, edges = np.histogram(dwell, bins=min(20, max(1, len(dwell))))
            self.dwell_plot.addItem(pg.BarGraphItem(x0=edges[:-1], x1=edges[1:], height=counts, brush="#00c2ff"))

    def _draw_transitions(self) -> None:
        self.transition_plot.clear()
        totals: dict[str, int] = {}
        for cm in self.results:
            if cm.rows and cm.rows[0].behavior not in (None, "all"):
                continue  # a behaviour's share of moves is in its own rows; the chart shows all tracks
            for t in cm.transitions:
                key = f"{t.from_zone}→{t.to_zone}"
                totals[key] = totals.get(key, 0) + t.count
        if not totals:
            return
        labels = sorted(totals)
        self.transition_plot.addItem(pg.BarGraphItem(x=np.arange(len(labels)), height=[totals[k] for k in labels],
                                                     width=0.6, brush="#6ee06e"))
        self.transition_plot.getAxis("bottom").setTicks([list(enumerate(labels))])
