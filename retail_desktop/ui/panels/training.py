"""The behaviour-model training dialog: pick data and settings, watch it learn, keep what it made.

Everything slow runs in :class:`~retail_desktop.ui.workers.TaskRunner` (training, and MLflow, which
takes seconds just to import); this dialog only draws. Cancel asks the training to stop; the
training keeps the best checkpoint so far, saves it and records it, so a cancelled run is a real run.
"""

from __future__ import annotations

import math
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QProcess, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDialog, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QMessageBox, QProgressBar, QPushButton, QRadioButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from retail_desktop.behavior.features import FeatureSettings
from retail_desktop.behavior.registry import configured_tracking_uri, default_tracking_uri
from retail_desktop.behavior.runs import (TrainingOutcome, TrainingRequest, mlflow_ui_command, promote_version,
                                          registry_overview, train_behavior)
from retail_desktop.behavior.taxonomies import TAXONOMY_DIR
from retail_desktop.behavior.training import TrainConfig
from retail_desktop.tasks import Progress
from retail_desktop.ui.workers import TaskRunner

FROM_LABELS = "(the labels' own)"


def _spin(lo: int, hi: int, value: int) -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setValue(value)
    return s


class EpochAxis(pg.AxisItem):
    """Ticks on whole epochs only (pyqtgraph's default put ticks at 1.2, 1.4... for a short run)."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph's names)
        levels = []
        for spacing, values in super().tickValues(minVal, maxVal, size):
            whole = [v for v in values if abs(v - round(v)) < 1e-9]
            if whole:
                levels.append((max(1.0, float(spacing)), whole))
        return levels or [(1.0, [float(v) for v in range(math.ceil(minVal), math.floor(maxVal) + 1)])]


class TrainingDialog(QDialog):
    """Train the LSTM-GRU on this project's labels (or a sequences file) and manage its versions."""

    training_finished = Signal(object)  # TrainingOutcome

    def __init__(self, project_path: str | Path, parent: QWidget | None = None, *, mlflow_port: int = 5000):
        super().__init__(parent)
        self.setWindowTitle("Train behaviour model")
        self.setObjectName("TrainingDialog")
        self.project_path = Path(project_path)
        self.mlflow_port = mlflow_port
        self.runner: TaskRunner | None = None
        self.outcome: TrainingOutcome | None = None
        self._side_runners: set[TaskRunner] = set()
        self._ui_process: QProcess | None = None
        self._curves: dict[str, list[float]] = {k: [] for k in
                                                ("epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy")}
        tabs = QTabWidget(self)
        tabs.addTab(self._build_train_tab(), "Train")
        tabs.addTab(self._build_versions_tab(), "Runs && versions")
        self.tabs = tabs
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        self.resize(900, 700)

    # ------------------------------------------------------------------ layout
    def _build_train_tab(self) -> QWidget:
        page = QWidget()
        data_box = QGroupBox("Data")
        self.use_project = QRadioButton("This project's labelled segments")
        self.use_file = QRadioButton("Sequences file (.parquet)")
        self.use_project.setChecked(True)
        group = QButtonGroup(page)
        group.addButton(self.use_project)
        group.addButton(self.use_file)
        self.data_path = QLineEdit()
        self.data_path.setPlaceholderText("labelled sequences exported with retail-desktop export --format sequences")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.taxonomy = QComboBox()
        self.taxonomy.setEditable(True)
        self.taxonomy.addItem(FROM_LABELS)
        for f in sorted(TAXONOMY_DIR.glob("*.yaml")):
            self.taxonomy.addItem(f.stem if f.stem != "taxonomy" else "retail-behaviour")
        dl = QGridLayout(data_box)
        dl.addWidget(self.use_project, 0, 0, 1, 3)
        dl.addWidget(self.use_file, 1, 0)
        dl.addWidget(self.data_path, 1, 1)
        dl.addWidget(browse, 1, 2)
        dl.addWidget(QLabel("Taxonomy"), 2, 0)
        dl.addWidget(self.taxonomy, 2, 1, 1, 2)

        hp = QGroupBox("Settings")
        d = TrainConfig()
        f = FeatureSettings()
        self.epochs = _spin(1, 1000, d.epochs)
        self.patience = _spin(1, 1000, d.patience)
        self.batch = _spin(8, 4096, d.batch_size)
        self.lstm = _spin(4, 512, d.lstm_hidden)
        self.gru = _spin(4, 512, d.gru_hidden)
        self.dense = _spin(4, 512, d.dense)
        self.seed = _spin(0, 2**31 - 1, d.seed)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1.0)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(d.lr)
        self.window_s = QDoubleSpinBox()
        self.window_s.setRange(0.4, 30.0)
        self.window_s.setValue(f.window_s)
        self.weighting = QComboBox()
        self.weighting.addItems(["balanced", "sqrt", "none"])
        self.tracking_uri = QLineEdit()
        self.tracking_uri.setPlaceholderText(default_tracking_uri(self.project_path))
        self.tracking_uri.setText(configured_tracking_uri(self.project_path) or "")
        self.tracking_uri.setToolTip("Empty: the project's own MLflow store. A store a training was recorded in "
                                     "becomes the project's setting (classify and the command line use it too).")
        self.promote = QCheckBox("Make the new version the champion")
        form = QFormLayout(hp)
        row = QHBoxLayout()
        for label, w in (("epochs", self.epochs), ("patience", self.patience), ("batch", self.batch),
                         ("seed", self.seed)):
            row.addWidget(QLabel(label))
            row.addWidget(w)
        form.addRow(row)
        row2 = QHBoxLayout()
        for label, w in (("LSTM", self.lstm), ("GRU", self.gru), ("dense", self.dense), ("learning rate", self.lr)):
            row2.addWidget(QLabel(label))
            row2.addWidget(w)
        form.addRow(row2)
        form.addRow("Window (s)", self.window_s)
        form.addRow("Class weights", self.weighting)
        form.addRow("MLflow tracking URI", self.tracking_uri)
        form.addRow(self.promote)

        self.train_button = QPushButton("Train")
        self.train_button.clicked.connect(self.start_training)
        self.cancel_button = QPushButton("Cancel training")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_training)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setObjectName("training_status")
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)

        self.loss_plot = pg.PlotWidget(title="loss", axisItems={"bottom": EpochAxis("bottom")})
        self.acc_plot = pg.PlotWidget(title="accuracy", axisItems={"bottom": EpochAxis("bottom")})
        # Legends in the corner the curves leave empty: loss falls (top right), accuracy rises (bottom right).
        self.loss_plot.addLegend(offset=(-5, 5))
        self.acc_plot.addLegend(offset=(-5, -5))
        for p in (self.loss_plot, self.acc_plot):
            p.setLabel("bottom", "epoch")
            p.setMinimumHeight(160)
        self.loss_lines = {"train_loss": self.loss_plot.plot(pen=pg.mkPen("#56B4E9", width=2), name="train"),
                           "val_loss": self.loss_plot.plot(pen=pg.mkPen("#E69F00", width=2), name="validation")}
        self.acc_lines = {"train_accuracy": self.acc_plot.plot(pen=pg.mkPen("#56B4E9", width=2), name="train"),
                          "val_accuracy": self.acc_plot.plot(pen=pg.mkPen("#E69F00", width=2), name="validation")}
        plots = QHBoxLayout()
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.acc_plot)

        self.per_class = QTableWidget(0, 4)
        self.per_class.setHorizontalHeaderLabels(["precision", "recall", "F1", "support"])
        self.confusion = QTableWidget(0, 0)
        results = QHBoxLayout()
        results.addWidget(self.per_class)
        results.addWidget(self.confusion)

        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        top.addWidget(data_box, 1)
        top.addWidget(hp, 1)
        layout.addLayout(top)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addLayout(plots, 2)
        layout.addLayout(results, 1)
        return page

    def _build_versions_tab(self) -> QWidget:
        page = QWidget()
        self.versions = QTableWidget(0, 5)
        self.versions.setHorizontalHeaderLabels(["version", "aliases", "accuracy", "macro-F1", "run"])
        self.versions.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.runs = QTableWidget(0, 4)
        self.runs.setHorizontalHeaderLabels(["run", "status", "macro-F1", "cancelled"])
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh_versions)
        self.promote_button = QPushButton("Promote to champion")
        self.promote_button.clicked.connect(self.promote_selected)
        open_ui = QPushButton("Open MLflow UI")
        open_ui.clicked.connect(self.open_mlflow_ui)
        self.versions_status = QLabel("")
        row = QHBoxLayout()
        for b in (refresh, self.promote_button, open_ui):
            row.addWidget(b)
        row.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(QLabel("Registered versions of retail-behavior"))
        layout.addWidget(self.versions, 1)
        layout.addWidget(QLabel("Runs"))
        layout.addWidget(self.runs, 1)
        layout.addWidget(self.versions_status)
        return page

    # ------------------------------------------------------------------ actions
    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Labelled sequences", str(self.project_path),
                                              "Parquet (*.parquet)")
        if path:
            self.data_path.setText(path)
            self.use_file.setChecked(True)

    def uri(self) -> str:
        return self.tracking_uri.text().strip() or default_tracking_uri(self.project_path)

    def _remember_uri(self) -> TaskRunner | None:
        """The field becomes the project's tracking URI setting when it differs (saved on a worker)."""
        from retail_desktop.ui.project_edits import set_tracking_uri

        default = default_tracking_uri(self.project_path)
        wanted = self.tracking_uri.text().strip() or None
        if (wanted or default) == (configured_tracking_uri(self.project_path) or default):
            return None
        return self._side(TaskRunner(set_tracking_uri, self.project_path, wanted, parent=self))

    def request(self) -> TrainingRequest:
        tax = self.taxonomy.currentText().strip()
        data = Path(self.data_path.text().strip()) if self.use_file.isChecked() and self.data_path.text().strip() else None
        cfg = TrainConfig(epochs=self.epochs.value(), patience=self.patience.value(), batch_size=self.batch.value(),
                          lr=self.lr.value(), seed=self.seed.value(), class_weighting=self.weighting.currentText(),
                          lstm_hidden=self.lstm.value(), gru_hidden=self.gru.value(), dense=self.dense.value())
        return TrainingRequest(self.project_path, data, None if tax in ("", FROM_LABELS) else tax, cfg,
                               FeatureSettings(window_s=self.window_s.value()),
                               tracking_uri=self.tracking_uri.text().strip() or None, promote=self.promote.isChecked())

    def start_training(self) -> TaskRunner | None:
        if self.runner is not None and self.runner.running:
            return self.runner
        if self.use_file.isChecked() and not self.data_path.text().strip():
            QMessageBox.warning(self, "Train behaviour model", "Choose a sequences file, or use this project's labels.")
            return None
        for v in self._curves.values():
            v.clear()
        self._redraw()
        self.outcome = None
        self.runner = TaskRunner(train_behavior, self.request(), parent=self)
        self.runner.progress.connect(self._on_progress)
        self.runner.partial.connect(self._on_epoch)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.train_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.status.setText("Preparing windows…")
        return self.runner.start()

    def cancel_training(self) -> None:
        if self.runner is not None and self.runner.running:
            self.runner.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling: keeping the best checkpoint so far, then recording it…")

    # ------------------------------------------------------------------ reports (GUI thread)
    def _on_progress(self, p: Progress) -> None:
        if p.total:
            self.progress.setRange(0, p.total)
            self.progress.setValue(p.done)

    def _on_epoch(self, row: dict) -> None:
        for k in self._curves:
            self._curves[k].append(float(row.get(k, math.nan)))
        self._redraw()
        if not self.runner or not self.runner.task.cancelled:
            self.status.setText(f"epoch {row['epoch']}: loss {row['train_loss']:.3f} / {row['val_loss']:.3f}, "
                                f"validation accuracy {row['val_accuracy']:.3f}, macro-F1 {row['val_macro_f1']:.3f}")

    def _redraw(self) -> None:
        x = self._curves["epoch"]
        for k, line in {**self.loss_lines, **self.acc_lines}.items():
            line.setData(x, self._curves[k])

    def _done(self) -> None:
        self.train_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)

    def _on_finished(self, outcome: TrainingOutcome) -> None:
        self._done()
        self.outcome = outcome
        self._remember_uri()  # the run is recorded there: the store becomes the project's setting
        s = outcome.scores
        head = "Cancelled; best checkpoint kept. " if outcome.cancelled else ""
        self.status.setText(f"{head}Run {outcome.run_id}, version {outcome.version}"
                            + (" (champion)" if outcome.promoted else "")
                            + (f": accuracy {s.accuracy:.3f}, macro-F1 {s.macro_f1:.3f}" if s else "")
                            + f". Saved in {outcome.local_dir}.")
        if s is not None:
            self.per_class.setRowCount(len(s.classes))
            self.per_class.setVerticalHeaderLabels(s.classes)
            for i, c in enumerate(s.classes):
                m = s.per_class[c]
                for j, key in enumerate(("precision", "recall", "f1", "support")):
                    self.per_class.setItem(i, j, QTableWidgetItem(f"{m[key]:.3f}" if key != "support" else str(m[key])))
            n = len(s.classes)
            self.confusion.setRowCount(n)
            self.confusion.setColumnCount(n)
            self.confusion.setHorizontalHeaderLabels([f"→ {c}" for c in s.classes])
            self.confusion.setVerticalHeaderLabels(s.classes)
            for i in range(n):
                for j in range(n):
                    self.confusion.setItem(i, j, QTableWidgetItem(str(s.confusion[i][j])))
        self.training_finished.emit(outcome)

    def _on_failed(self, message: str) -> None:
        self._done()
        self.status.setText(f"Training failed: {message}")

    def _on_cancelled(self) -> None:
        self._done()
        self.status.setText("Cancelled before the first epoch finished; nothing to keep.")

    # ------------------------------------------------------------------ versions
    def _side(self, runner: TaskRunner) -> TaskRunner:
        self._side_runners.add(runner)
        for sig in (runner.finished, runner.failed, runner.cancelled):
            sig.connect(lambda *_a, r=runner: self._side_runners.discard(r))
        runner.failed.connect(lambda msg: self.versions_status.setText(msg))
        return runner.start()

    def refresh_versions(self) -> TaskRunner:
        self.versions_status.setText("Reading the MLflow store…")
        runner = TaskRunner(registry_overview, self.uri(), parent=self)
        runner.finished.connect(self._show_versions)
        return self._side(runner)

    def _show_versions(self, data: dict) -> None:
        rows = data["versions"]
        self.versions.setRowCount(len(rows))
        for i, v in enumerate(rows):
            vals = [v["version"], ", ".join(v["aliases"]),
                    "" if v["accuracy"] is None else f"{v['accuracy']:.3f}",
                    "" if v["macro_f1"] is None else f"{v['macro_f1']:.3f}", v["run_id"]]
            for j, val in enumerate(vals):
                self.versions.setItem(i, j, QTableWidgetItem(str(val)))
        runs = data["runs"]
        self.runs.setRowCount(len(runs))
        for i, r in enumerate(runs):
            vals = [r["run_id"], r["status"], "" if r["macro_f1"] is None else f"{r['macro_f1']:.3f}", r["cancelled"]]
            for j, val in enumerate(vals):
                self.runs.setItem(i, j, QTableWidgetItem(str(val)))
        self.versions_status.setText(f"{len(rows)} versions, {len(runs)} runs in {self.uri()}")

    def promote_selected(self) -> TaskRunner | None:
        row = self.versions.currentRow()
        if row < 0 or self.versions.item(row, 0) is None:
            self.versions_status.setText("Select a version to promote.")
            return None
        version = self.versions.item(row, 0).text()
        runner = TaskRunner(promote_version, self.uri(), version, parent=self)
        runner.finished.connect(lambda v: (self.versions_status.setText(f"version {v} is the champion"),
                                           self.refresh_versions()))
        return self._side(runner)

    def open_mlflow_ui(self) -> None:
        """Serve the MLflow UI for this store on localhost and open it in the browser."""
        url = f"http://127.0.0.1:{self.mlflow_port}"
        if self._ui_process is None or self._ui_process.state() == QProcess.ProcessState.NotRunning:
            argv = mlflow_ui_command(self.uri(), self.mlflow_port)
            self._ui_process = QProcess(self)
            self._ui_process.setWorkingDirectory(str(self.project_path))
            self._ui_process.start(argv[0], argv[1:])
            self.versions_status.setText(f"MLflow UI starting at {url} (give it a few seconds)")
        QDesktopServices.openUrl(QUrl(url))

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if self.runner is not None and self.runner.running:
            self.runner.cancel()
        if self._ui_process is not None:
            self._ui_process.terminate()
            self._ui_process.waitForFinished(2000)
        super().closeEvent(event)
