"""The one timeline of all cameras: a playback clock and its controls.

:class:`PlaybackClock` turns wall time into project time (times the speed) on a timer and announces
the position; it knows nothing about cameras. :class:`TimelineBar` is the row of controls under the
camera grid. Frame steps go through :class:`~retail_desktop.video.clock.ProjectClock`, which knows
where each camera's frames lie.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QToolButton,
    QWidget,
)

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


def format_time(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    return f"{sign}{int(s // 60):02d}:{s % 60:06.3f}"


class PlaybackClock(QObject):
    """Project time that advances while playing; ``position_changed`` on every tick and seek."""

    position_changed = Signal(float)
    playing_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, tick_ms: int = 15):
        super().__init__(parent)
        self.start_s = 0.0
        self.end_s = 0.0
        self.position = 0.0
        self.speed = 1.0
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._anchor_wall = 0.0
        self._anchor_pos = 0.0

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def set_range(self, start_s: float, end_s: float) -> None:
        self.start_s, self.end_s = float(start_s), max(float(start_s), float(end_s))
        self.seek(min(max(self.position, self.start_s), self.end_s))

    def seek(self, position_s: float) -> None:
        self.position = min(max(float(position_s), self.start_s), self.end_s)
        self._anchor_pos, self._anchor_wall = self.position, time.perf_counter()
        self.position_changed.emit(self.position)

    def set_speed(self, speed: float) -> None:
        self._anchor_pos, self._anchor_wall = self.position, time.perf_counter()
        self.speed = float(speed)

    def play(self) -> None:
        if self.playing or self.end_s <= self.start_s:
            return
        if self.position >= self.end_s:
            self.position = self.start_s
        self._anchor_pos, self._anchor_wall = self.position, time.perf_counter()
        self._timer.start()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if self.playing:
            self._timer.stop()
            self.playing_changed.emit(False)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def _tick(self) -> None:
        position = self._anchor_pos + (time.perf_counter() - self._anchor_wall) * self.speed
        if position >= self.end_s:
            self.position = self.end_s
            self.pause()
        else:
            self.position = position
        self.position_changed.emit(self.position)


class TimelineBar(QWidget):
    """Play/pause, steps, speed, a scrub slider with live preview, and "go to time"."""

    step_requested = Signal(int)  # frames (negative: back)
    second_step_requested = Signal(float)

    def __init__(self, clock: PlaybackClock, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("TimelineBar")
        self.clock = clock
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)
        icon = self.style().standardIcon
        self._play_icon = icon(QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = icon(QStyle.StandardPixmap.SP_MediaPause)
        self.play_button = self._button(self._play_icon, "Play / pause (Space)", clock.toggle)
        self.play_button.setObjectName("timeline_play")
        self.back_button = self._button(icon(QStyle.StandardPixmap.SP_MediaSeekBackward), "One frame back (Left)",
                                        lambda: self.step_requested.emit(-1))
        self.forward_button = self._button(icon(QStyle.StandardPixmap.SP_MediaSeekForward), "One frame forward (Right)",
                                           lambda: self.step_requested.emit(1))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timeline_slider")
        self.slider.setRange(0, 0)
        self.slider.setMinimumWidth(60)
        self.slider.valueChanged.connect(self._on_slider)
        self.time_label = QLabel(format_time(0))
        self.time_label.setObjectName("timeline_time")
        self.speed = QComboBox()
        self.speed.setObjectName("timeline_speed")
        for s in SPEEDS:
            self.speed.addItem(f"{s:g}x", s)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(lambda i: clock.set_speed(SPEEDS[i]))
        self.goto = QDoubleSpinBox()
        self.goto.setObjectName("timeline_goto")
        self.goto.setDecimals(3)
        self.goto.setSuffix(" s")
        self.goto.setToolTip("Jump to a time (Enter)")
        self.goto.setKeyboardTracking(False)
        self.goto.valueChanged.connect(clock.seek)
        for w in (self.back_button, self.play_button, self.forward_button):
            row.addWidget(w)
        row.addWidget(self.slider, 1)
        row.addWidget(self.time_label)
        self.speed.setToolTip("Playback speed ([ and ] change it)")
        row.addWidget(self.speed)
        row.addWidget(self.goto)
        clock.position_changed.connect(self._on_position)
        clock.playing_changed.connect(
            lambda playing: self.play_button.setIcon(self._pause_icon if playing else self._play_icon))

    def _button(self, icon: QIcon, tip: str, slot) -> QToolButton:
        b = QToolButton()
        b.setIcon(icon)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        return b

    def set_range(self, start_s: float, end_s: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(int(round(start_s * 1000)), int(round(end_s * 1000)))
        self.slider.blockSignals(False)
        self.goto.blockSignals(True)
        self.goto.setRange(start_s, end_s)
        self.goto.blockSignals(False)
        self.clock.set_range(start_s, end_s)

    def _on_slider(self, value: int) -> None:
        if abs(value / 1000.0 - self.clock.position) > 0.0005:
            self.clock.seek(value / 1000.0)  # live preview while dragging: the newest request wins

    def _on_position(self, position: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(int(round(position * 1000)))
        self.slider.blockSignals(False)
        self.time_label.setText(f"{format_time(position)} / {format_time(self.clock.end_s)}")
