"""The track overlay of a camera view: boxes, ids, behaviour labels, trails and confidence.

One pyqtgraph item per view, given new data with :meth:`TrackOverlayItem.setData` each frame (never
rebuilt). It lives in the frame's pixel coordinates, the same ones the store's boxes use, so it stays
on its people under zoom, pan and any frame size. Lines use cosmetic pens (constant width on screen);
text is drawn in device coordinates so it stays upright and readable at any zoom.

Highlight (annotation mode selects a track): :meth:`TrackOverlayItem.setHighlight` draws that track's
whole trajectory and a thicker box, and dims every other track, until it is cleared. It is state of
the same item (set once per selection, not per frame), and the frame's data keeps arriving as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPolygonF

from retail_desktop.ui.player.tracks import FrameBoxes, label_for


@dataclass(frozen=True)
class OverlayLayers:
    """Which parts of the overlay are drawn (the Layers panel toggles them)."""

    boxes: bool = True
    ids: bool = True
    labels: bool = True
    trails: bool = True
    confidence: bool = False


DIM_ALPHA = 70  # other tracks while one is highlighted: still visible, clearly in the background


def track_colour(track_id: int) -> QColor:
    """A stable, well-separated colour per track id (golden-ratio hue steps)."""
    hue = (int(track_id) * 0.618033988749895) % 1.0
    return QColor.fromHsvF(hue, 0.85, 1.0)


class TrackOverlayItem(pg.GraphicsObject):
    def __init__(self, width: int, height: int):
        super().__init__()
        self._rect = QRectF(0, 0, width, height)
        self._data: FrameBoxes | None = None
        self._labels: Mapping[int, str] | None = None
        self.highlight: int | None = None
        self._trajectory: np.ndarray | None = None
        self.layers = OverlayLayers()
        self._font = QFont()
        self._font.setPixelSize(12)
        self._font.setBold(True)

    def setData(self, data: FrameBoxes | None, labels: Mapping[int, str] | None = None) -> None:  # noqa: N802
        self._data = data
        self._labels = labels
        self.update()

    def setHighlight(self, track_id: int | None, trajectory: np.ndarray | None = None) -> None:  # noqa: N802
        """Emphasise ``track_id`` (its whole ``trajectory``: (k, 2) foot points) and dim the rest; None clears."""
        self.highlight = None if track_id is None else int(track_id)
        self._trajectory = None if track_id is None or trajectory is None or len(trajectory) < 2 else trajectory
        self.update()

    @property
    def labels(self) -> Mapping[int, str] | None:
        """The behaviour labels drawn on the current frame (track id -> label)."""
        return self._labels

    def setLayers(self, layers: OverlayLayers) -> None:  # noqa: N802
        self.layers = layers
        self.update()

    def setFrameSize(self, width: int, height: int) -> None:  # noqa: N802
        self.prepareGeometryChange()
        self._rect = QRectF(0, 0, width, height)

    @property
    def data(self) -> FrameBoxes | None:
        return self._data

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def paint(self, painter: QPainter, *args: object) -> None:
        data = self._data
        if data is None:  # no picture (beyond footage, no video): nothing to draw over
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        hl = self.highlight
        if self._trajectory is not None:  # also on frames where the track is not (yet, any more) seen
            self._paint_trajectory(painter, self._trajectory, track_colour(hl))
        if len(data) == 0:
            return
        layers = self.layers
        colours = [track_colour(t) for t in data.track_ids.tolist()]
        widths = [2] * len(colours)
        if hl is not None:
            for i, tid in enumerate(data.track_ids.tolist()):
                if tid == hl:
                    widths[i] = 4
                else:
                    colours[i].setAlpha(DIM_ALPHA)
        if layers.trails and data.trails:
            for tid, colour, width in zip(data.track_ids.tolist(), colours, widths):
                pts = data.trails.get(tid)
                if pts is None:
                    continue
                pen = QPen(colour, width)
                pen.setCosmetic(True)
                painter.setPen(pen)
                painter.drawPolyline(QPolygonF([QPointF(float(x), float(y)) for x, y in pts]))
        if layers.boxes:
            for (x1, y1, x2, y2), colour, width in zip(data.boxes.tolist(), colours, widths):
                pen = QPen(colour, width)
                pen.setCosmetic(True)
                painter.setPen(pen)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(QRectF(x1, y1, x2 - x1, y2 - y1))
        if not (layers.ids or layers.labels or layers.confidence):
            return
        texts = []
        for i, tid in enumerate(data.track_ids.tolist()):
            parts = []
            if layers.ids:
                parts.append(f"#{tid}")
            label = label_for(self._labels, tid) if layers.labels else None
            if label:
                parts.append(label)
            if layers.confidence and np.isfinite(data.confidence[i]):
                parts.append(f"{data.confidence[i]:.2f}")
            if parts:
                texts.append((i, " ".join(parts)))
        if not texts:
            return
        transform = painter.transform()
        painter.save()
        painter.resetTransform()
        painter.setFont(self._font)
        metrics = painter.fontMetrics()
        for i, text in texts:
            x1, y1, x2, y2 = data.boxes[i]
            anchor = transform.map(QPointF(float(min(x1, x2)), float(min(y1, y2))))
            w, h = metrics.horizontalAdvance(text) + 6, metrics.height() + 2
            top = anchor.y() - h if anchor.y() - h >= 0 else anchor.y()  # inside the box at the view's top edge
            box = QRectF(anchor.x(), top, w, h)
            painter.fillRect(box, colours[i])
            painter.setPen(QColor(0, 0, 0, colours[i].alpha()))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    @staticmethod
    def _paint_trajectory(painter: QPainter, points: np.ndarray, colour: QColor) -> None:
        """The highlighted track's whole path: a dark halo under a dashed line, a dot where it starts."""
        poly = QPolygonF([QPointF(float(x), float(y)) for x, y in points])
        halo = QPen(QColor(0, 0, 0, 160), 5)
        halo.setCosmetic(True)
        painter.setPen(halo)
        painter.drawPolyline(poly)
        pen = QPen(colour, 2.5, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.drawPolyline(poly)
        painter.setBrush(colour)
        painter.drawEllipse(poly[0], 4 * _pixel(painter), 4 * _pixel(painter))
        painter.setBrush(Qt.BrushStyle.NoBrush)


def _pixel(painter: QPainter) -> float:
    """Frame pixels per screen pixel (for sizes that should look the same at any zoom)."""
    scale = abs(painter.transform().m11()) or 1.0
    return 1.0 / scale
