"""The zones layer of a camera view: each zone's outline and name, count lines with their "in" arrow.

One item per view, in the frame's pixel coordinates (the ones zones are stored in), placed between the
heatmap and the track overlay so tracks stay readable on top. It only draws what it is given
(:meth:`ZoneLayerItem.setZones`); which zones belong to which camera, and when they changed, is the
window's business. Like the track overlay, outlines use cosmetic pens and names and arrows are drawn
in device pixels, so they keep their size at any zoom.
"""

from __future__ import annotations

import math
from typing import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPolygonF

from retail_desktop.analytics.geometry import line_normal
from retail_desktop.analytics.zones import Zone

Z_VALUE = 1.5  # above the heatmap (1), below the track overlay (2)
ARROW_PX = 26.0  # length of a count line's "in" arrow on screen
FILL_ALPHA = 38  # areas get a faint fill so a zone reads as a region, not just a line


class ZoneLayerItem(pg.GraphicsObject):
    """Draws the zones of one camera over its frame."""

    def __init__(self, width: int, height: int):
        super().__init__()
        self.setZValue(Z_VALUE)
        self._rect = QRectF(0, 0, width, height)
        self._zones: list[Zone] = []
        self._font = QFont()
        self._font.setPixelSize(12)
        self._font.setBold(True)

    @property
    def zones(self) -> list[Zone]:
        return list(self._zones)

    def setZones(self, zones: Sequence[Zone]) -> None:  # noqa: N802 (pyqtgraph style)
        self._zones = list(zones)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def paint(self, painter: QPainter, *args: object) -> None:
        if not self._zones:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for zone in self._zones:
            colour = QColor(zone.color)
            pen = QPen(colour, 2)
            pen.setCosmetic(True)
            painter.setPen(pen)
            points = [QPointF(float(x), float(y)) for x, y in zone.points]
            if zone.kind == "area":
                fill = QColor(colour)
                fill.setAlpha(FILL_ALPHA)
                painter.setBrush(fill)
                painter.drawPolygon(QPolygonF(points))
            else:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawLine(points[0], points[1])
        # names and arrows in device pixels: upright and the same size at any zoom
        transform = painter.transform()
        painter.save()
        painter.resetTransform()
        painter.setFont(self._font)
        metrics = painter.fontMetrics()
        for zone in self._zones:
            colour = QColor(zone.color)
            if zone.kind == "line":
                self._paint_arrow(painter, transform, zone, colour)
            xs = [p[0] for p in zone.points]
            ys = [p[1] for p in zone.points]
            anchor = transform.map(QPointF(float(min(xs)), float(min(ys))))
            text = zone.name
            w, h = metrics.horizontalAdvance(text) + 8, metrics.height() + 2
            box = QRectF(anchor.x() + 2, anchor.y() + 2, w, h)  # inside the zone's top-left corner
            painter.fillRect(box, QColor(0, 0, 0, 170))
            painter.setPen(colour)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    @staticmethod
    def _paint_arrow(painter: QPainter, transform, zone: Zone, colour: QColor) -> None:
        """An arrow from the line's middle towards its "in" side (the side ``line_in`` counts into)."""
        (ax, ay), (bx, by) = zone.points
        nx, ny = line_normal((ax, ay), (bx, by))
        mid = QPointF((ax + bx) / 2, (ay + by) / 2)
        m = transform.map(mid)
        d = transform.map(QPointF(mid.x() + nx, mid.y() + ny)) - m
        length = math.hypot(d.x(), d.y())
        if length == 0:
            return
        ux, uy = d.x() / length, d.y() / length
        tip = QPointF(m.x() + ux * ARROW_PX, m.y() + uy * ARROW_PX)
        pen = QPen(colour, 2)
        painter.setPen(pen)
        painter.drawLine(m, tip)
        for sign in (1, -1):  # two barbs at +-150 degrees from the arrow's direction
            a = math.atan2(uy, ux) + sign * math.radians(150)
            painter.drawLine(tip, QPointF(tip.x() + 9 * math.cos(a), tip.y() + 9 * math.sin(a)))
        label = QPointF(tip.x() + ux * 10 - 6, tip.y() + uy * 10 + 5)
        painter.drawText(label, "in")
