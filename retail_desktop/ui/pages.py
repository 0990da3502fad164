"""The central pages of the placeholder window: a welcome page and a read-only project overview.

They only lay out widgets and forward button clicks as signals; opening a project happens in the
main window through a :class:`~retail_desktop.ui.workers.TaskRunner`, never in a click handler.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from retail_desktop import __version__
from retail_desktop.ui.project_summary import ProjectSummary

#: Status colours shared by the table and the Cameras dock (green: video found, red: missing).
STATUS_COLOURS = {"ready": "#5fd38d", "missing": "#ff6b6b", "no video": "#8b96a3"}


def camera_status(camera) -> str:
    """ready / missing / no video (a camera of imported ground truth: annotations, no footage)."""
    if getattr(camera, "ground_truth_only", False):
        return "no video"
    return "missing" if camera.missing else "ready"


STEPS = (
    (
        "Open a project",
        "A project is a folder with <b>project.json</b>: cameras and their video files, zones and "
        "settings. Tracks and behaviour labels are stored beside it.",
    ),
    (
        "Analyse videos",
        "People are detected with Ultralytics YOLO and tracked with DeepSORT in the background; "
        "a run can be cancelled and resumed. From a terminal: <code>retail-desktop --help</code>.",
    ),
    (
        "Review and annotate",
        "Follow trajectories, count people through zones and lines, compare heatmaps and label "
        "behaviour (hesitant, decisive, confused\u2026) per camera.",
    ),
)


def _label(text: str, name: str, wrap: bool = False) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(wrap)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def _divider() -> QFrame:
    line = QFrame()
    line.setObjectName("Divider")
    line.setFrameShape(QFrame.Shape.NoFrame)
    return line


class WelcomePage(QWidget):
    open_requested = Signal()

    def __init__(self, icon: QIcon | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("WelcomePage")

        content = QWidget(self)
        content.setObjectName("WelcomeContent")
        content.setMaximumWidth(920)
        column = QVBoxLayout(content)
        column.setContentsMargins(40, 32, 40, 24)
        column.setSpacing(18)

        hero = QHBoxLayout()
        hero.setSpacing(20)
        if icon is not None and not icon.isNull():
            logo = QLabel()
            logo.setPixmap(icon.pixmap(80, 80))
            logo.setFixedSize(80, 80)
            hero.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        titles = QVBoxLayout()
        titles.setSpacing(4)
        titles.addWidget(_label("Retail Desktop", "HeroTitle"))
        titles.addWidget(
            _label(
                "Review retail CCTV footage: who came in, where they went and how they behaved.",
                "HeroSubtitle",
                wrap=True,
            )
        )
        hero.addLayout(titles, 1)
        column.addLayout(hero)
        column.addWidget(_divider())

        column.addWidget(_label("Open a project or analyse videos", "SectionTitle"))
        column.addWidget(
            _label(
                "Everything you review belongs to a project folder. Open one to see its cameras; "
                "analysed footage adds tracks, counts and heatmaps to it.",
                "MutedText",
                wrap=True,
            )
        )
        buttons = QHBoxLayout()
        buttons.setSpacing(12)
        self.open_button = QPushButton("Open Project\u2026")
        self.open_button.setObjectName("open_project_button")
        self.open_button.setProperty("primary", True)
        self.open_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.open_button.clicked.connect(self.open_requested)
        buttons.addWidget(self.open_button)
        buttons.addWidget(_label("Ctrl+O", "MutedText"))
        buttons.addStretch(1)
        column.addLayout(buttons)

        cards = QHBoxLayout()
        cards.setSpacing(14)
        for number, (title, text) in enumerate(STEPS, start=1):
            cards.addWidget(self._card(number, title, text), 1)
        column.addSpacing(6)
        column.addLayout(cards)
        column.addStretch(1)
        column.addWidget(
            _label(
                f"Version {__version__} \u00b7 AGPL-3.0 \u00b7 person detection by Ultralytics YOLO",
                "FooterText",
            )
        )

        # Centred when there is room, scrollable when there is not: the page must not force a large
        # minimum size on the window (small laptop screens, docks taking space).
        inner = QWidget()
        inner.setObjectName("WelcomeInner")
        centred = QVBoxLayout(inner)
        centred.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(content, 20)
        row.addStretch(1)
        centred.addStretch(1)
        centred.addLayout(row, 10)
        centred.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setObjectName("WelcomeScroll")
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    @staticmethod
    def _card(number: int, title: str, text: str) -> QFrame:
        card = QFrame()
        card.setObjectName("Card")
        card.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(card)
        layout.setContentsMargins(18, 16, 18, 18)
        layout.setSpacing(10)
        head = QHBoxLayout()
        head.setSpacing(10)
        badge = QLabel(str(number))
        badge.setObjectName("CardNumber")
        head.addWidget(badge)
        head.addWidget(_label(title, "CardTitle"), 1)
        layout.addLayout(head)
        layout.addWidget(_label(text, "CardText", wrap=True))
        layout.addStretch(1)
        return card


class ProjectPage(QWidget):
    """Read-only overview of an open project until the review app replaces it."""

    COLUMNS = ("Camera", "ID", "Video", "Offset (s)", "Status")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ProjectPage")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(10)
        self.title = _label("", "ProjectTitle")
        self.path = QLabel()
        self.path.setObjectName("ProjectPath")
        self.path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner = QLabel()
        self.banner.setObjectName("NoteBanner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.count = _label("", "SectionTitle")
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("camera_table")
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.title)
        layout.addWidget(self.path)
        layout.addWidget(self.banner)
        layout.addSpacing(8)
        layout.addWidget(self.count)
        layout.addWidget(self.table, 1)

    def show_project(self, summary: ProjectSummary) -> None:
        self.title.setText(summary.name)
        self.path.setText(str(summary.folder))
        self.banner.setVisible(bool(summary.note))
        self.banner.setText(summary.note)
        n = len(summary.cameras)
        self.count.setText(f"{n} camera{'s' if n != 1 else ''}")
        self.table.setRowCount(n)
        for row, camera in enumerate(summary.cameras):
            videos = ", ".join(Path(v).name for v in camera.videos) or "\u2014"
            status = "missing video" if camera.missing else ("ready" if camera.videos else "no video")
            values = (camera.label, camera.id, videos, f"{camera.offset_s:+.2f}", status)
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column == 2 and camera.videos:
                    item.setToolTip("\n".join(camera.videos))
                if column == 4:
                    item.setForeground(QColor(STATUS_COLOURS[camera_status(camera)]))
                self.table.setItem(row, column, item)
