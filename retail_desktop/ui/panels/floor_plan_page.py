"""The Floor Plan page (View > Floor Plan): the plan view of the open project and the plan's commands.

A thin frame around :class:`~retail_desktop.ui.panels.floor_plan.FloorPlanView`: buttons for the
Zones menu's plan commands, a note when there is no plan yet, and "Back to Player". The view is made
once per project and handed each newly read copy of it; it reloads (on a worker) when the page is
shown, not while it is hidden.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QToolBar, QVBoxLayout, QWidget

from retail_desktop.analytics.floorplan import floor_plan

NO_PLAN = ("No floor plan yet. Load the store's plan image (Zones \u25b8 Load Floor Plan\u2026), then calibrate "
           "each camera by clicking 4 or more floor points seen on both.")


class FloorPlanPage(QWidget):
    def __init__(self, integration, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("FloorPlanPage")
        self.integration = integration
        self.view = None  # FloorPlanView of the open project
        self._stale = True
        # a tool bar, not a row of buttons: it folds what does not fit behind a ">>" button, so the
        # page never forces a minimum width on the window
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.addAction("\u25c0 Player", integration.window.show_player)
        self.toolbar.addSeparator()
        for action in (integration.load_plan_action, integration.calibrate_action, integration.edit_plan_action):
            self.toolbar.addAction(action)
        self.toolbar.addAction("Refresh", self.refresh)
        self.note = QLabel(NO_PLAN)
        self.note.setObjectName("floor_plan_note")
        self.note.setWordWrap(True)
        self.body = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.note)
        layout.addLayout(self.body, 1)

    def runner(self):
        """The plan view's running computation, if any (its project copy stays open until it ends)."""
        return getattr(self.view, "_runner", None) if self.view is not None else None

    def clear(self) -> None:
        if self.view is not None:
            runner = self.runner()
            if runner is not None and runner.running:
                runner.setParent(self.integration)  # outlives the view until it reports
            self.body.removeWidget(self.view)
            self.view.deleteLater()
            self.view = None
        self.note.setText(NO_PLAN)
        self.note.show()

    def set_project(self, project) -> None:
        from retail_desktop.ui.panels.floor_plan import FloorPlanView

        if self.view is None:
            self.view = FloorPlanView(project)
            self.body.addWidget(self.view, 1)
        self.view.project = project
        has_plan = floor_plan(project) is not None
        self.note.setVisible(not has_plan)
        self.view.setVisible(has_plan)
        self._stale = True
        if self.isVisible():
            self.refresh()

    def shown(self) -> None:
        if self._stale:
            self.refresh()

    def refresh(self):
        if self.view is None or self.view.isHidden():  # hidden: no plan to show
            return None
        self._stale = False
        return self.view.refresh()
