"""One camera's view: the frame, the heatmap layer and the track overlay in one zoomable box.

All three items share the frame's pixel coordinates (y down, like the stored boxes), so zooming or
panning the box moves them together. Items are created once and updated in place.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QLabel, QWidget

from retail_desktop.ui.player.overlay import OverlayLayers, TrackOverlayItem
from retail_desktop.ui.player.tracks import FrameBoxes


class CameraView(pg.GraphicsView):
    """Shows frames of one camera; ``shown_frame`` is the index of the picture on screen (None: none)."""

    activated = Signal(str)  # camera id, when the user clicks the view
    scale_wanted = Signal(str, float)  # camera id, picture pixels needed per frame pixel (zoom, resize)

    def __init__(self, camera_id: str, name: str, width: int, height: int, parent: QWidget | None = None):
        super().__init__(parent, background="#111318")
        self.setObjectName(f"camera_view_{camera_id}")
        self.camera_id = camera_id
        self.name = name
        self.frame_size = (int(width), int(height))
        self.shown_frame: int | None = None
        self.wanted_frame: int | None = None
        self.frames_shown = 0  # frames put on screen so far (benchmarks, tests)
        self.box = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.box.setBackgroundColor("#111318")
        self.setCentralItem(self.box)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.heatmap = pg.ImageItem(axisOrder="row-major")
        self.heatmap.setZValue(1)
        self.heatmap.setVisible(False)
        self.overlay = TrackOverlayItem(width, height)
        self.overlay.setZValue(2)
        for item in (self.image, self.heatmap, self.overlay):
            self.box.addItem(item)
        self._blank = np.zeros((max(1, height), max(1, width), 3), np.uint8)
        self.image.setImage(self._blank, autoLevels=False)
        self.heatmap.setRect(QRectF(0, 0, width, height))
        self.box.setRange(QRectF(0, 0, width, height), padding=0.0)
        self.message = pg.TextItem("", color="#e8e8e8", anchor=(0.5, 0.5), fill=pg.mkBrush(0, 0, 0, 170))
        self.message.setZValue(3)
        self.message.setPos(width / 2, height / 2)
        self.message.setVisible(False)
        self.box.addItem(self.message)
        self.caption = QLabel(self)
        self.caption.setObjectName("CameraCaption")
        self.caption.setStyleSheet("background: rgba(0,0,0,150); color: #f0f0f0; padding: 2px 6px;")
        self.active = False
        self._set_caption()
        self._image_shape: tuple[int, ...] = self._blank.shape
        self.box.sigRangeChanged.connect(self._announce_scale)

    def needed_scale(self) -> float:
        """Screen pixels per frame pixel at the current zoom (capped at 1: never more than the video)."""
        px = self.box.viewPixelSize()
        if not px[0] or not px[1]:
            return 1.0
        ratio = self.devicePixelRatioF() if hasattr(self, "devicePixelRatioF") else 1.0
        return min(1.0, ratio / min(px))

    def _announce_scale(self, *_: object) -> None:
        self.scale_wanted.emit(self.camera_id, self.needed_scale())

    def _set_picture(self, rgb: np.ndarray) -> None:
        """Upload a picture of any size; it always covers the whole frame rectangle."""
        self.image.setImage(rgb, autoLevels=False)
        if rgb.shape != self._image_shape:
            self._image_shape = rgb.shape
            self.image.setRect(QRectF(0, 0, *self.frame_size))

    # -- content -----------------------------------------------------------------------------------
    def show_frame(self, index: int, rgb: np.ndarray, boxes: FrameBoxes | None,
                   labels: Mapping[int, str] | None = None) -> None:
        """Put frame ``index`` and *its* overlay on screen together (they can never disagree)."""
        self._set_picture(rgb)
        self.overlay.setData(boxes, labels)
        self.message.setVisible(False)
        self.shown_frame = index
        self.frames_shown += 1
        self._set_caption()

    def show_message(self, text: str, blank: bool = True) -> None:
        """A note over the view: "beyond footage", "video missing"... (the overlay is cleared)."""
        if blank:
            self._set_picture(self._blank)
            self.shown_frame = None
        self.overlay.setData(None)
        self.message.setText(text)
        self.message.setVisible(True)
        self._set_caption()

    def set_heatmap(self, rgba: np.ndarray | None, extent: tuple[float, float] | None = None) -> None:
        """Show heatmap cells; ``extent`` = (width, height) in frame pixels that the cells cover
        (cells * cell size, which may reach past the frame's edge); default: the frame."""
        if rgba is None:
            self.heatmap.setVisible(False)
            return
        self.heatmap.setImage(rgba, autoLevels=False)
        self.heatmap.setRect(QRectF(0, 0, *(extent or self.frame_size)))
        self.heatmap.setVisible(True)

    def set_heatmap_opacity(self, opacity: float) -> None:
        self.heatmap.setOpacity(float(opacity))

    def set_layers(self, layers: OverlayLayers) -> None:
        self.overlay.setLayers(layers)

    def set_active(self, active: bool) -> None:
        self.active = active
        self._set_caption()

    def reset_zoom(self) -> None:
        self.box.setRange(QRectF(0, 0, *self.frame_size), padding=0.0)

    def _set_caption(self) -> None:
        frame = "\u2014" if self.shown_frame is None else str(self.shown_frame)
        mark = "\u25cf " if self.active else ""
        self.caption.setText(f"{mark}{self.name} \u00b7 frame {frame}")
        self.caption.adjustSize()
        self._place_caption()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if hasattr(self, "caption"):  # pyqtgraph's constructor resizes before ours has run
            self._place_caption()

    def _place_caption(self) -> None:
        """Bottom-left: track tags sit at the tops of boxes, often at the top edge of the picture."""
        self.caption.move(6, max(0, self.height() - self.caption.height() - 6))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.activated.emit(self.camera_id)
        super().mousePressEvent(event)
