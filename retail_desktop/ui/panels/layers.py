"""The "Layers" dock: which overlay parts are drawn, the heatmap layer, and the current camera's offset.

It only turns widget states into settings objects and signals; the player applies them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from retail_desktop.analytics.heatmap import COLORMAPS, MODES, HeatmapWindow
from retail_desktop.ui.player.overlay import OverlayLayers
from retail_desktop.ui.player.player import HeatmapSettings


def _spin(value: float, lo: float, hi: float, suffix: str = " s", decimals: int = 2) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(lo, hi)
    s.setDecimals(decimals)
    s.setValue(value)
    s.setSuffix(suffix)
    s.setKeyboardTracking(False)
    return s


class LayersPanel(QWidget):
    layers_changed = Signal(object, float)  # OverlayLayers, trail seconds
    heatmap_changed = Signal(object)  # HeatmapSettings
    offset_changed = Signal(str, float)  # camera id, seconds
    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("LayersPanel")
        column = QVBoxLayout(self)

        tracks = QGroupBox("Tracks")
        form = QVBoxLayout(tracks)
        self.checks: dict[str, QCheckBox] = {}
        for key, text, on in (("boxes", "Boxes", True), ("ids", "Track IDs", True), ("labels", "Behaviour labels", True),
                              ("trails", "Trails", True), ("confidence", "Confidence", False)):
            box = QCheckBox(text)
            box.setObjectName(f"layer_{key}")
            box.setChecked(on)
            box.toggled.connect(self._emit_layers)
            self.checks[key] = box
            form.addWidget(box)
        self.trail_s = _spin(2.0, 0.1, 60.0)
        self.trail_s.valueChanged.connect(self._emit_layers)
        row = QHBoxLayout()
        row.addWidget(QLabel("Trail length"))
        row.addWidget(self.trail_s)
        form.addLayout(row)
        column.addWidget(tracks)

        heat = QGroupBox("Heatmap")
        hform = QFormLayout(heat)
        self.heat_visible = QCheckBox("Show heatmap")
        self.heat_visible.setObjectName("layer_heatmap")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(60)
        self.colormap = QComboBox()
        self.colormap.addItems(list(COLORMAPS))
        self.mode = QComboBox()
        self.mode.addItems(list(MODES))
        self.window_kind = QComboBox()
        for text, kind in (("All footage", "all"), ("Last N seconds", "last"), ("From-to range", "range")):
            self.window_kind.addItem(text, kind)
        self.window_s = _spin(10.0, 0.1, 86400.0)
        self.range_from = _spin(0.0, -86400.0, 86400.0)
        self.range_to = _spin(60.0, -86400.0, 86400.0)
        self.decay = QCheckBox("Decay")
        self.half_life = _spin(5.0, 0.1, 86400.0)
        self.export_button = QPushButton("Export PNG\u2026")
        self.export_button.setObjectName("heatmap_export")
        self.export_button.clicked.connect(self.export_requested)
        hform.addRow(self.heat_visible)
        hform.addRow("Opacity", self.opacity)
        hform.addRow("Colours", self.colormap)
        hform.addRow("Mode", self.mode)
        hform.addRow("Window", self.window_kind)
        hform.addRow("Last", self.window_s)
        hform.addRow("From", self.range_from)
        hform.addRow("To", self.range_to)
        hform.addRow(self.decay, self.half_life)
        hform.addRow(self.export_button)
        for w in (self.heat_visible, self.decay):
            w.toggled.connect(self._emit_heatmap)
        for w in (self.colormap, self.mode, self.window_kind):
            w.currentIndexChanged.connect(self._emit_heatmap)
        for w in (self.window_s, self.range_from, self.range_to, self.half_life):
            w.valueChanged.connect(self._emit_heatmap)
        self.opacity.valueChanged.connect(self._emit_heatmap)
        column.addWidget(heat)

        sync = QGroupBox("Camera sync")
        sform = QFormLayout(sync)
        self.offset = _spin(0.0, -86400.0, 86400.0, decimals=3)
        self.offset.setObjectName("camera_offset")
        self.offset.setToolTip("Where this camera's video time 0 lies on the project clock")
        self.offset.valueChanged.connect(self._emit_offset)
        sform.addRow("Offset", self.offset)
        column.addWidget(sync)
        column.addStretch(1)
        self._camera_id: str | None = None

    def overlay_layers(self) -> OverlayLayers:
        return OverlayLayers(**{k: b.isChecked() for k, b in self.checks.items()})

    def heatmap_settings(self) -> HeatmapSettings:
        kind = self.window_kind.currentData()
        window = HeatmapWindow(
            kind=kind,
            seconds=self.window_s.value(),
            t0=self.range_from.value(),
            t1=self.range_to.value(),
            half_life_s=self.half_life.value() if self.decay.isChecked() else None,
        )
        return HeatmapSettings(
            visible=self.heat_visible.isChecked(),
            opacity=self.opacity.value() / 100.0,
            colormap=self.colormap.currentText(),
            mode=self.mode.currentText(),
            window=window,
        )

    def show_camera(self, camera_id: str | None, offset_s: float) -> None:
        """The camera whose offset the sync box edits (does not emit)."""
        self._camera_id = camera_id
        self.offset.blockSignals(True)
        self.offset.setValue(offset_s)
        self.offset.blockSignals(False)
        self.offset.setEnabled(camera_id is not None)

    def _emit_layers(self) -> None:
        self.layers_changed.emit(self.overlay_layers(), self.trail_s.value())

    def _emit_heatmap(self) -> None:
        self.heatmap_changed.emit(self.heatmap_settings())

    def _emit_offset(self, value: float) -> None:
        if self._camera_id is not None:
            self.offset_changed.emit(self._camera_id, value)
