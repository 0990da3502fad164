"""Annotation mode: a track list, the selected track's segment strip, and keyboard labelling.

Self-contained: it takes a Project and talks to the rest of the window only through signals and one
slot, so the main window decides where it docks and how the player follows it:

* ``track_selected(camera_name, track_id)`` — highlight this track's trajectory, dim the rest;
* ``seek_requested(camera_name, frame)``   — show this frame;
* ``set_current_frame(camera_name, frame)`` (slot) — the player moved; I/O, split, accept act there;
* ``tracks_changed(camera_name)`` — an ID fix rewrote that camera's track points (redraw them).

All editing goes through :class:`~retail_desktop.annotation.editing.AnnotationModel` (one per
camera run), so every key press that changes something is one committed SQLite transaction and one
undo step. Keys (active while the dock has focus; typing in the annotator box types):

=================  ==========================================================================
I / O              mark the span's first / last frame at the current frame
1-9 (class keys)   label the marked span (the whole track when nothing is marked)
Left / Right       step one frame (Shift: 10), within the selected track
Ctrl+Z / Ctrl+Shift+Z   undo / redo (across cameras, in the order edits were made)
N                  next unlabelled track in the list
A / R              accept / reject the suggestion under the current frame (else the track's first)
M / S              merge the segment under the current frame with the next one / split it here
Delete             delete the segment under the current frame
Shift+M            merge the selected tracks (the first keeps its id) — ID fix
Shift+S            split the selected track at the current frame — ID fix
Shift+Delete       delete the selected track (a false track) — ID fix
P                  suggest labels (movement rules) for the selected track's camera, off the GUI
                   thread; earlier rule suggestions are replaced and that camera's undo history ends
=================  ==========================================================================
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPen, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFormLayout, QGridLayout, QHeaderView, QLabel, QLineEdit, QSpinBox,
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from retail_desktop.annotation.editing import AnnotationModel, Edit
from retail_desktop.annotation.segments import Segment
from retail_desktop.annotation.taxonomy import DEFAULT_TAXONOMY, Taxonomy, available_taxonomies, load_taxonomy
from retail_desktop.annotation.tracklist import SORT_KEYS, TrackSummary, camera_runs, filter_tracks, track_summaries
from retail_desktop.errors import UserError

ANNOTATOR_KEY = "annotation/annotator"
TAXONOMY_KEY = "annotation/taxonomy"


class SegmentStrip(QWidget):
    """The selected track's frames left to right, its segments in class colours (suggestions pale,
    with a dashed outline), the marked span and the current frame. A click asks to seek there."""

    frame_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("segment_strip")
        self.setMinimumHeight(28)
        self.span: tuple[int, int] | None = None
        self.segments: list[Segment] = []
        self.taxonomy: Taxonomy | None = None
        self.current: int | None = None
        self.marks: tuple[int | None, int | None] = (None, None)

    def show_track(self, span: tuple[int, int] | None, segments: list[Segment], taxonomy: Taxonomy,
                   current: int | None, marks: tuple[int | None, int | None]) -> None:
        self.span, self.segments, self.taxonomy, self.current, self.marks = span, segments, taxonomy, current, marks
        self.update()

    def _x(self, frame: float) -> float:
        a, b = self.span  # type: ignore[misc]
        return (frame - a) / max(1, b - a + 1) * self.width()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#2b2b2b"))
        if self.span is None or self.taxonomy is None:
            p.end()
            return
        h = self.height()
        for s in self.segments:
            colour = QColor(self.taxonomy.colour(s.label))
            x0, x1 = self._x(s.start_frame), self._x(s.end_frame + 1)
            if s.status == "suggestion":
                colour.setAlpha(110)
                p.fillRect(int(x0), 4, max(1, int(x1 - x0)), h - 8, colour)
                pen = QPen(QColor(self.taxonomy.colour(s.label)), 1, Qt.PenStyle.DashLine)
                p.setPen(pen)
                p.drawRect(int(x0), 4, max(1, int(x1 - x0)) - 1, h - 9)
            else:
                p.fillRect(int(x0), 2, max(1, int(x1 - x0)), h - 4, colour)
        a, b = self.marks
        if a is not None or b is not None:
            lo = a if a is not None else b
            hi = b if b is not None else a
            lo, hi = sorted((lo, hi))  # type: ignore[arg-type]
            p.fillRect(int(self._x(lo)), 0, max(2, int(self._x(hi + 1) - self._x(lo))), 3, QColor("#FFFFFF"))
        if self.current is not None:
            p.setPen(QPen(QColor("#FFFFFF"), 2))
            x = int(self._x(self.current + 0.5))
            p.drawLine(x, 0, x, h)
        p.end()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if self.span is not None and self.width() > 0:
            a, b = self.span
            frame = a + int(event.position().x() / self.width() * (b - a + 1))
            self.frame_clicked.emit(max(a, min(b, frame)))


class AnnotationEditor(QWidget):
    """The annotation dock's contents for one open project (see the module docstring)."""

    track_selected = Signal(str, int)
    seek_requested = Signal(str, int)
    #: Something was saved, undone or redone (the edit's description) — for the status bar and overlays.
    edited = Signal(str)
    error = Signal(str)
    #: A long job started (a TaskRunner): the main window may show its progress and cancel it.
    task_started = Signal(object)
    #: An ID fix (or its undo) changed a camera's track points (camera name): overlays must re-read them.
    tracks_changed = Signal(str)

    COLUMNS = ("Camera", "Track", "Frames", "Length", "Labelled", "Suggestions")

    def __init__(self, project, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("AnnotationEditor")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.project = project
        self.settings = settings if settings is not None else QSettings()
        self._runs = camera_runs(project)
        self._models: dict[int, AnnotationModel] = {}
        self._history: list[int] = []  # run ids of applied edits, oldest first (for undo across cameras)
        self._future: list[int] = []
        self._current: dict[str, int] = {}
        self._marks: tuple[int | None, int | None] = (None, None)
        self._summaries: list[TrackSummary] = []
        self._shown: list[TrackSummary] = []
        self._runner = None

        names = available_taxonomies()
        wanted = str(self.settings.value(TAXONOMY_KEY, DEFAULT_TAXONOMY))
        # The project's own labels win over the last choice made in another project: opening imported
        # CAVIAR movement labels under retail-behaviour showed every track 0 % labelled.
        own = [t for (t,) in project.store.query(
            "SELECT taxonomy FROM segments WHERE status != 'suggestion' AND taxonomy != '' "
            "GROUP BY taxonomy ORDER BY count(*) DESC")]
        if own and wanted not in own and own[0] in names:
            wanted = own[0]
        self.taxonomy = load_taxonomy(wanted if wanted in names else DEFAULT_TAXONOMY)

        self.annotator_edit = QLineEdit(str(self.settings.value(ANNOTATOR_KEY, "") or ""), self)
        self.annotator_edit.setObjectName("annotator")
        self.annotator_edit.setPlaceholderText("your name (saved on each segment)")
        self.annotator_edit.editingFinished.connect(self._annotator_changed)
        self.taxonomy_combo = QComboBox(self)
        self.taxonomy_combo.setObjectName("taxonomy")
        self.taxonomy_combo.addItems(sorted(names))
        self.taxonomy_combo.setCurrentText(self.taxonomy.name)
        self.taxonomy_combo.currentTextChanged.connect(self._taxonomy_changed)

        self.camera_combo = QComboBox(self)
        self.camera_combo.setObjectName("camera_filter")
        self.camera_combo.addItem("All cameras")
        self.camera_combo.addItems(list(self._runs))
        self.min_length = QSpinBox(self)
        self.min_length.setObjectName("min_length")
        self.min_length.setRange(0, 10_000_000)
        self.min_length.setSuffix(" frames")
        self.state_combo = QComboBox(self)
        self.state_combo.setObjectName("state_filter")
        self.state_combo.addItems(["all", "unlabelled", "labelled", "suggestions"])
        self.sort_combo = QComboBox(self)
        self.sort_combo.setObjectName("sort")
        self.sort_combo.addItems(list(SORT_KEYS))
        for w in (self.camera_combo, self.state_combo, self.sort_combo):
            w.currentIndexChanged.connect(self._fill_table)
        self.min_length.valueChanged.connect(self._fill_table)

        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setObjectName("track_table")
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.currentCellChanged.connect(self._on_current_row)

        self.strip = SegmentStrip(self)
        self.strip.frame_clicked.connect(self._seek_in_track)
        self.status = QLabel(self)
        self.status.setObjectName("annotation_status")
        self.status.setWordWrap(True)
        self.legend = QLabel(self)
        self.legend.setObjectName("legend")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)

        form = QFormLayout()
        form.addRow("Annotator", self.annotator_edit)
        form.addRow("Labels", self.taxonomy_combo)
        filters = QGridLayout()  # two by two: the editor lives in a side dock, narrow is better
        for i, w in enumerate((self.camera_combo, self.min_length, self.state_combo, self.sort_combo)):
            filters.addWidget(w, i // 2, i % 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.strip)
        layout.addWidget(self.legend)
        layout.addWidget(self.status)

        self._shortcuts: list[QShortcut] = []
        self._bind_keys()
        self._show_legend()
        self.reload()

    # ------------------------------------------------------------------------------- keys

    def _key(self, sequence: str, slot) -> QShortcut:
        sc = QShortcut(QKeySequence(sequence), self)
        sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        sc.activated.connect(slot)
        self._shortcuts.append(sc)
        return sc

    def _bind_keys(self) -> None:
        for sc in self._shortcuts:
            sc.setParent(None)
            sc.deleteLater()
        self._shortcuts = []
        self._key("I", lambda: self._mark(0))
        self._key("O", lambda: self._mark(1))
        self._key("Right", lambda: self._step(1))
        self._key("Left", lambda: self._step(-1))
        self._key("Shift+Right", lambda: self._step(10))
        self._key("Shift+Left", lambda: self._step(-10))
        self._key("Ctrl+Z", self.undo)
        self._key("Ctrl+Shift+Z", self.redo)
        self._key("N", self.next_unlabelled)
        self._key("A", lambda: self._suggestion(accept=True))
        self._key("R", lambda: self._suggestion(accept=False))
        self._key("M", self._merge_segments)
        self._key("S", self._split_segment)
        self._key("Delete", self._delete_segment)
        self._key("Shift+M", self._merge_tracks)
        self._key("Shift+S", self._split_track)
        self._key("Shift+Delete", self._delete_track)
        self._key("P", self.suggest_labels)
        self._key("Shift+P", lambda: self.suggest_labels(source="model"))
        for c in self.taxonomy.classes:
            self._key(c.key, lambda name=c.name: self.label_span(name))

    def _show_legend(self) -> None:
        self.legend.setText("  ".join(
            f'<span style="color:{c.colour}">\u25a0</span> {c.key} {c.name}' for c in self.taxonomy.classes))
        self.legend.setToolTip("\n\n".join(f"{c.key} {c.name}: {c.definition}" for c in self.taxonomy.classes))

    # ------------------------------------------------------------------------------ state

    @property
    def annotator(self) -> str | None:
        return self.annotator_edit.text().strip() or None

    def model(self, camera: str) -> AnnotationModel:
        run_id = self._runs[camera]
        m = self._models.get(run_id)
        if m is None:
            m = AnnotationModel(self.project.store, run_id, self.taxonomy, self.annotator)
            self._models[run_id] = m
        return m

    def selected(self) -> TrackSummary | None:
        row = self.table.currentRow()
        return self._shown[row] if 0 <= row < len(self._shown) else None

    def current_frame(self, camera: str | None = None) -> int | None:
        sel = self.selected()
        camera = camera or (sel.camera if sel else None)
        return self._current.get(camera) if camera else None

    @Slot(str, int)
    def set_current_frame(self, camera_name: str, frame: int) -> None:
        self._current[camera_name] = int(frame)
        sel = self.selected()
        if sel is not None and sel.camera == camera_name:
            self._show_strip()

    def _annotator_changed(self) -> None:
        self.settings.setValue(ANNOTATOR_KEY, self.annotator or "")
        for m in self._models.values():
            m.annotator = self.annotator

    def _taxonomy_changed(self, name: str) -> None:
        try:
            self.taxonomy = load_taxonomy(name)
        except UserError as exc:
            self._fail(str(exc))
            return
        self.settings.setValue(TAXONOMY_KEY, self.taxonomy.name)
        self._models.clear()
        self._history.clear()
        self._future.clear()
        self._bind_keys()
        self._show_legend()
        self.reload()

    # ----------------------------------------------------------------------------- list

    def reload(self, keep: tuple[str, int] | None = None) -> None:
        """Re-read the track summaries (after an edit or an import) and keep the selection."""
        sel = self.selected()
        keep = keep or ((sel.camera, sel.track_id) if sel else None)
        self._runs = camera_runs(self.project)
        self._summaries = track_summaries(self.project, self.taxonomy.name)
        self._fill_table(keep=keep)

    def _fill_table(self, *_args, keep: tuple[str, int] | None = None) -> None:
        if keep is None:
            sel = self.selected()
            keep = (sel.camera, sel.track_id) if sel else None
        camera = self.camera_combo.currentText() if self.camera_combo.currentIndex() > 0 else None
        self._shown = filter_tracks(self._summaries, camera=camera, min_frames=self.min_length.value(),
                                    state=self.state_combo.currentText(), sort=self.sort_combo.currentText())
        blocker = QSignalBlocker(self.table)
        self.table.setRowCount(len(self._shown))
        for r, s in enumerate(self._shown):
            values = (s.camera, s.track_id, f"{s.first_frame}-{s.last_frame}", s.n_frames,
                      f"{s.labelled_share:.0%}", s.suggestions)
            for c, v in enumerate(values):
                item = QTableWidgetItem(str(v))
                if isinstance(v, int):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        row = next((i for i, s in enumerate(self._shown) if keep and (s.camera, s.track_id) == keep), -1)
        self.table.setCurrentCell(row, 0) if row >= 0 else self.table.clearSelection()
        del blocker
        self._show_strip()

    def select_track(self, camera: str, track_id: int) -> bool:
        row = next((i for i, s in enumerate(self._shown) if (s.camera, s.track_id) == (camera, track_id)), -1)
        if row < 0:
            return False
        self.table.setCurrentCell(row, 0)
        return True

    def _on_current_row(self, row: int, *_args) -> None:
        self._marks = (None, None)
        sel = self.selected()
        if sel is None:
            self._show_strip()
            return
        cur = self._current.get(sel.camera)
        if cur is None or not sel.first_frame <= cur <= sel.last_frame:
            self._current[sel.camera] = sel.first_frame
        self.track_selected.emit(sel.camera, sel.track_id)
        self.seek_requested.emit(sel.camera, self._current[sel.camera])
        self._show_strip()

    def _show_strip(self) -> None:
        sel = self.selected()
        if sel is None:
            self.strip.show_track(None, [], self.taxonomy, None, (None, None))
            return
        segs = self.model(sel.camera).segments(sel.track_id)
        self.strip.show_track((sel.first_frame, sel.last_frame), segs, self.taxonomy,
                              self._current.get(sel.camera), self._marks)
        cur = self._current.get(sel.camera)
        here = next((s for s in segs if cur is not None and s.start_frame <= cur <= s.end_frame), None)
        a, b = self._marks
        self.status.setText(
            f"{sel.camera} track {sel.track_id} \u00b7 frame {cur}"
            + (f" \u00b7 span {a if a is not None else '?'}-{b if b is not None else '?'}" if a is not None or b is not None else "")
            + (f" \u00b7 {here.label} ({here.status}, {here.source})" if here else ""))

    # ------------------------------------------------------------------------------ actions

    def _fail(self, message: str) -> None:
        self.status.setText(message)
        self.error.emit(message)

    def _seek_in_track(self, frame: int) -> None:
        sel = self.selected()
        if sel is None:
            return
        self._current[sel.camera] = int(frame)
        self.seek_requested.emit(sel.camera, int(frame))
        self._show_strip()

    def _step(self, n: int) -> None:
        sel = self.selected()
        if sel is None:
            return
        cur = self._current.get(sel.camera, sel.first_frame)
        self._seek_in_track(max(sel.first_frame, min(sel.last_frame, cur + n)))

    def _mark(self, which: int) -> None:
        cur = self.current_frame()
        if cur is None:
            return
        marks = list(self._marks)
        marks[which] = cur
        self._marks = (marks[0], marks[1])
        self._show_strip()

    def _apply(self, camera: str, action) -> Edit | None:
        """Run one model call; record it for undo across cameras and refresh what shows it."""
        try:
            edit = action(self.model(camera))
        except UserError as exc:
            self._fail(str(exc))
            return None
        run_id = self._runs[camera]
        self._history.append(run_id)
        self._future.clear()
        for other_id, m in self._models.items():
            if other_id != run_id:
                m.clear_redo()
        self._after_edit(edit, camera)
        return edit

    def _after_edit(self, edit: Edit, camera: str, word: str = "") -> None:
        """Redraw after an edit; ``word`` ("Undone", "Redone") says what happened to it."""
        sel = self.selected()
        keep = (sel.camera, sel.track_id) if sel else None
        if keep and keep[0] == camera and keep[1] not in self.model(camera).track_ids():
            keep = (camera, edit.tracks[0]) if edit.tracks else None
        self.reload(keep=keep)
        if edit.changes_tracks:
            self.tracks_changed.emit(camera)
        text = f"{word}: {edit.description}" if word else edit.description
        self.edited.emit(text)
        self.status.setText(text + " \u2014 saved")

    def label_span(self, label: str) -> None:
        sel = self.selected()
        if sel is None:
            return
        a, b = self._marks
        if a is None and b is None:
            a, b = sel.first_frame, sel.last_frame
        elif a is None or b is None:
            a = b = a if a is not None else b
        if self._apply(sel.camera, lambda m: m.label_span(sel.track_id, a, b, label)):
            self._marks = (None, None)
            self._show_strip()

    def undo(self) -> None:
        if not self._history:
            self.status.setText("Nothing to undo")
            return
        run_id = self._history[-1]
        try:
            edit = self._models[run_id].undo()
        except UserError as exc:
            self._fail(str(exc))
            return
        self._future.append(self._history.pop())
        camera = next(c for c, r in self._runs.items() if r == run_id)
        self._after_undo(edit, camera, "Undone")

    def redo(self) -> None:
        if not self._future:
            self.status.setText("Nothing to redo")
            return
        run_id = self._future[-1]
        try:
            edit = self._models[run_id].redo()
        except UserError as exc:
            self._fail(str(exc))
            return
        self._history.append(self._future.pop())
        camera = next(c for c, r in self._runs.items() if r == run_id)
        self._after_undo(edit, camera, "Redone")

    def _after_undo(self, edit: Edit | None, camera: str, word: str) -> None:
        if edit is None:
            return
        self._after_edit(edit, camera, word)

    def next_unlabelled(self) -> None:
        if not self._shown:
            return
        start = self.table.currentRow()
        n = len(self._shown)
        for k in range(1, n + 1):
            i = (start + k) % n
            if not self._shown[i].labelled:
                self.table.setCurrentCell(i, 0)
                return
        self.status.setText("Every track in the list is labelled")

    def _here(self, status: str | None = None) -> tuple[TrackSummary, Segment] | None:
        sel = self.selected()
        if sel is None:
            return None
        cur = self._current.get(sel.camera)
        seg = self.model(sel.camera).segment_at(sel.track_id, cur, status=status) if cur is not None else None
        return (sel, seg) if seg is not None else None

    def _suggestion(self, accept: bool) -> None:
        found = self._here(status="suggestion")
        if found is None:
            sel = self.selected()
            if sel is None:
                return
            sugg = [s for s in self.model(sel.camera).segments(sel.track_id) if s.status == "suggestion"]
            if not sugg:
                self.status.setText("No suggestion on this track")
                return
            found = (sel, sugg[0])
        sel, seg = found
        self._apply(sel.camera, lambda m: m.accept(seg.id) if accept else m.reject(seg.id))

    def _merge_segments(self) -> None:
        found = self._here()
        if found is None:
            self.status.setText("No segment under the current frame")
            return
        sel, seg = found
        later = [s for s in self.model(sel.camera).segments(sel.track_id) if s.start_frame > seg.end_frame]
        if not later:
            self.status.setText("No later segment to merge with")
            return
        self._apply(sel.camera, lambda m: m.merge_segments(seg.id, later[0].id))

    def _split_segment(self) -> None:
        found = self._here()
        if found is None:
            self.status.setText("No segment under the current frame")
            return
        sel, seg = found
        self._apply(sel.camera, lambda m: m.split_segment(seg.id, self._current[sel.camera]))

    def _delete_segment(self) -> None:
        found = self._here()
        if found is None:
            self.status.setText("No segment under the current frame")
            return
        sel, seg = found
        self._apply(sel.camera, lambda m: m.delete_segment(seg.id))

    def _selected_rows(self) -> list[TrackSummary]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self._shown[r] for r in rows if r < len(self._shown)]

    def _merge_tracks(self) -> None:
        rows = self._selected_rows()
        cur = self.selected()
        if len(rows) != 2 or rows[0].camera != rows[1].camera:
            self._fail("Select two tracks of one camera to merge (Shift+Up/Down)")
            return
        # The current (last selected) track is absorbed into the other one.
        keep, absorb = (rows[1], rows[0]) if cur == rows[0] else (rows[0], rows[1])
        self._apply(keep.camera, lambda m: m.merge_tracks(keep.track_id, absorb.track_id))
        self.select_track(keep.camera, keep.track_id)

    def _split_track(self) -> None:
        sel = self.selected()
        if sel is None:
            return
        self._apply(sel.camera, lambda m: m.split_track(sel.track_id, self._current.get(sel.camera, sel.first_frame)))

    def suggest_labels(self, source: str = "rules"):
        """Suggestions for the selected track's camera, run by a TaskRunner; returns the runner.

        ``source`` "rules": the movement rules (P); "model": the behaviour model's stored predictions
        for that camera (Shift+P; Behaviour > Classify tracks makes them)."""
        from retail_desktop.annotation.model_suggestions import suggest_for_run
        from retail_desktop.annotation.prelabel import prelabel_run
        from retail_desktop.ui.workers import TaskRunner

        sel = self.selected()
        if sel is None:
            return None
        if self._runner is not None and self._runner.running:
            self.status.setText("Suggestions are still being made")
            return None
        camera, run_id = sel.camera, self._runs[sel.camera]
        fn = suggest_for_run if source == "model" else prelabel_run
        runner = TaskRunner(fn, self.project, run_id, taxonomy=self.taxonomy.name, parent=self)

        def done(result) -> None:
            model = self._models.get(run_id)
            if model is not None:
                model.clear_history()
            self._history = [r for r in self._history if r != run_id]
            self._future = [r for r in self._future if r != run_id]
            self.reload()
            self.status.setText(f"{camera}: {result.line()}")
            self.edited.emit(f"Suggested labels for {camera}")

        runner.finished.connect(done)
        runner.failed.connect(self._fail)
        runner.cancelled.connect(lambda: self.status.setText("Suggestions cancelled; nothing changed"))
        self._runner = runner
        what = "the model's predictions" if source == "model" else "the movement rules"
        self.status.setText(f"{camera}: suggesting labels from {what}\u2026")
        runner.start()
        self.task_started.emit(runner)
        return runner

    def _delete_track(self) -> None:
        sel = self.selected()
        if sel is None:
            return
        self._apply(sel.camera, lambda m: m.delete_track(sel.track_id))


__all__ = ["AnnotationEditor", "SegmentStrip"]
