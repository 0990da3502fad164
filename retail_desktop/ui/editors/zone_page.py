"""The zone editor as a page of the main window: the editor, what it edits, Save and Cancel.

The page does not save by itself: Save emits :attr:`ZoneEditorPage.save_requested` and the owner
stores the zones on a worker thread (from a freshly opened project, see ``ui/zone_edits.py``), then
calls :meth:`ZoneEditorPage.saved` or :meth:`ZoneEditorPage.save_failed`. Cancel with unsaved
changes asks first (Save / Discard / Cancel) with a non-blocking box, so no nested event loop runs.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from retail_desktop.ui.editors.zone_editor import ZoneEditor

HELP = ("Draw area: click the corners, double-click or Enter to close. Draw line: click its two ends; the "
        "arrow points to the side counted as \"in\". Drag handles to move corners, click an edge to add "
        "one. Ctrl+Z undo, Ctrl+Shift+Z redo, Ctrl+S save, Esc stops drawing.")


class ZoneEditorPage(QWidget):
    """``editor`` (a :class:`ZoneEditor`) with a title, Save and Cancel."""

    save_requested = Signal()
    closed = Signal()  # saved or discarded: the owner removes the page
    kept = Signal()  # the user answered Cancel to "save the changes?": the page stays

    def __init__(self, editor: ZoneEditor, title: str, folder, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ZoneEditorPage")
        self.editor = editor
        self.folder = folder
        self.camera_id = editor.model.camera_id
        self.saving = False
        self.prompt: QMessageBox | None = None
        heading = QLabel(f"<b>{title}</b>")
        hint = QLabel(HELP)
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #a8acb3;")
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("zone_page_save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.request_save)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("zone_page_cancel")
        self.cancel_button.clicked.connect(self.cancel)
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(self.save_button)
        top.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(hint)
        layout.addWidget(editor, 1)
        QShortcut(QKeySequence.StandardKey.Save, self, self.request_save)
        editor.model.subscribe(self._update_title)
        self._update_title()

    @property
    def dirty(self) -> bool:
        return self.editor.model.dirty

    def _update_title(self) -> None:
        self.save_button.setText("Save*" if self.dirty else "Save")

    # -- saving ------------------------------------------------------------------------------------
    def request_save(self) -> None:
        if not self.saving:
            self.editor.set_mode("select")  # a half-drawn outline is not a zone yet
            self.saving = True
            self.save_button.setEnabled(False)
            self.save_requested.emit()

    def saved(self, zones) -> None:
        """The owner stored ``zones`` (the snapshot it was given): mark them saved and close."""
        self.saving = False
        self.save_button.setEnabled(True)
        self.editor.model.mark_saved(zones)
        self.closed.emit()

    def save_failed(self, message: str) -> None:
        """Nothing was stored: the edits stay on the page for the user to fix and save again."""
        self.saving = False
        self.save_button.setEnabled(True)
        self.editor.message.emit(message)

    # -- leaving -----------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Close; with unsaved changes, ask first (Save / Discard / Cancel)."""
        if self.saving:
            return
        if not self.dirty:
            self.closed.emit()
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved zone changes",
                          "The zones have changes that are not saved. Save them?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: self._answer(
            box.standardButton(box.clickedButton()) if box.clickedButton() is not None
            else QMessageBox.StandardButton.Cancel))
        self.prompt = box
        box.open()

    def _answer(self, button: QMessageBox.StandardButton) -> None:
        self.prompt = None
        if button == QMessageBox.StandardButton.Save:
            self.request_save()
        elif button == QMessageBox.StandardButton.Discard:
            self.closed.emit()
        else:
            self.kept.emit()
