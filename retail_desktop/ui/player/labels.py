"""Behaviour labels over time, for the overlay (Qt-free; lives beside its only user, like tracks.py).

The behaviour model labels *sliding windows* of a track (e.g. 3 s windows every 1 s, see
``behavior/inference.py``), not whole tracks: a person may hesitate, then walk off decisively. So the
player asks "what is track t doing at frame f?" and :class:`FrameLabels` answers with the label of the
window of that track whose centre is nearest ``f`` among the windows that cover ``f`` (windows
overlap; the nearest centre is the one that saw most of the frame's context). A frame no window
covers (a track's last second, shorter than a stride) takes the nearest window's label: the track is
on screen, so its nearest window is the best estimate there is.

Lookups are two binary searches per shown track, so the overlay can ask on every painted frame;
the overlay item itself is only handed the small per-frame dict (never rebuilt).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

import numpy as np


class FrameLabels:
    """A camera's window labels: ``rows`` are (track_id, start_frame, end_frame, label), inclusive."""

    def __init__(self, rows: Iterable[tuple[int, int, int, str]], model: str = ""):
        self.model = model
        by_track: dict[int, list[tuple[int, int, str]]] = {}
        for track, start, end, label in rows:
            by_track.setdefault(int(track), []).append((int(start), int(end), str(label)))
        self._tracks: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]] = {}
        for track, windows in by_track.items():
            windows.sort(key=lambda w: w[0] + w[1])  # by centre
            starts = np.array([w[0] for w in windows], np.int64)
            ends = np.array([w[1] for w in windows], np.int64)
            self._tracks[track] = (starts, ends, (starts + ends) / 2.0, [w[2] for w in windows])

    def __len__(self) -> int:
        return len(self._tracks)

    @property
    def track_ids(self) -> list[int]:
        return sorted(self._tracks)

    def label(self, track_id: int, frame: int) -> str | None:
        """The label of ``track_id`` at ``frame`` (see the module docstring; of two windows whose centres
        are equally near, the earlier one), None for an unlabelled track.

        >>> FrameLabels([(1, 0, 30, "hesitant"), (1, 10, 40, "decisive")]).label(1, 28)
        'decisive'
        """
        entry = self._tracks.get(int(track_id))
        if entry is None:
            return None
        starts, ends, centres, labels = entry
        i = int(np.searchsorted(centres, frame))
        best, best_key = None, None
        for j in (i - 2, i - 1, i, i + 1):  # centres sorted: the nearest covering window is among these
            if 0 <= j < len(labels):
                covers = starts[j] <= frame <= ends[j]
                key = (not covers, abs(centres[j] - frame))
                if best_key is None or key < best_key:
                    best, best_key = j, key
        return labels[best] if best is not None else None

    def at(self, frame: int, track_ids: Iterable[int]) -> dict[int, str]:
        """Labels of the given tracks (those on screen) at ``frame``."""
        out = {}
        for tid in track_ids:
            label = self.label(int(tid), frame)
            if label is not None:
                out[int(tid)] = label
        return out


def labels_for(labels: "Mapping[int, str] | FrameLabels | None", frame: int, track_ids: Iterable[int]):
    """What the overlay draws at ``frame``: a per-track dict stays as given, FrameLabels is looked up."""
    if isinstance(labels, FrameLabels):
        return labels.at(frame, track_ids)
    return labels


def load_frame_labels(folder: str | Path, runs: Mapping[str, int | None], task=None) -> dict[str, FrameLabels]:
    """Camera id -> the window labels of its run, from ``behavior_predictions`` (run in a TaskRunner).

    A run classified by several models (a new champion, classified again) shows the model that
    classified it last; cameras whose run has no predictions are left out.
    """
    from retail_desktop.project import Project

    if task is not None:
        task.start(total=None, message="Reading behaviour labels")
    out: dict[str, FrameLabels] = {}
    with Project.open(folder) as project:
        for camera_id, run_id in runs.items():
            if run_id is None:
                continue
            latest = project.store.query("SELECT model FROM behavior_predictions WHERE run_id = ? "
                                         "ORDER BY created_at DESC, model LIMIT 1", (int(run_id),))
            if not latest:
                continue
            model = latest[0][0]
            rows = project.store.query("SELECT track_id, start_frame, end_frame, label FROM behavior_predictions "
                                       "WHERE run_id = ? AND model = ?", (int(run_id), model))
            out[camera_id] = FrameLabels(rows, model)
    return out
