"""Editing one camera's zones with undo/redo, without Qt: the zone editor widget is a view of this.

Every edit is checked *before* it is applied (a polygon that would cross itself, a point outside the
frame, an empty or duplicate name): a refused edit raises :class:`UserError` and changes nothing, so
the widget just shows the message. Undo/redo keep whole snapshots of the zone list — a camera has a
handful of zones, so copies are cheap and every edit undoes exactly.
"""

from __future__ import annotations

from typing import Callable, Sequence

from retail_desktop.errors import UserError

from .zones import PALETTE, PURPOSES, Zone, replace_camera_zones


class ZoneEditModel:
    """The zones of camera ``camera_id``; ``frame_size`` (w, h) bounds their points when known."""

    def __init__(self, camera_id: str, zones: Sequence[Zone] = (), frame_size: tuple[int, int] | None = None):
        self.camera_id = camera_id
        self.frame_size = frame_size
        self._zones: list[Zone] = [z.copy() for z in zones if z.camera_id == camera_id]
        self._undo: list[list[Zone]] = []
        self._redo: list[list[Zone]] = []
        self._saved: list[Zone] = [z.copy() for z in self._zones]
        self._listeners: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ reading
    @property
    def zones(self) -> list[Zone]:
        return [z.copy() for z in self._zones]

    def names(self) -> list[str]:
        return [z.name for z in self._zones]

    def zone(self, name: str) -> Zone:
        for z in self._zones:
            if z.name == name:
                return z.copy()
        raise UserError(f"no zone named '{name}'")

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def dirty(self) -> bool:
        return [z.to_dict() for z in self._zones] != [z.to_dict() for z in self._saved]

    def subscribe(self, listener: Callable[[], None]) -> None:
        """``listener()`` is called after every change (edit, undo, redo, save)."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    # ------------------------------------------------------------------ checks
    def _check(self, zones: list[Zone]) -> None:
        seen = set()
        for z in zones:
            problem = z.problem()
            if problem is None and self.frame_size is not None:
                problem = z.outside(*self.frame_size)
            if problem:
                raise UserError(problem)
            if z.name in seen:
                raise UserError(f"a zone named '{z.name}' already exists on this camera")
            seen.add(z.name)

    def _apply(self, zones: list[Zone]) -> None:
        self._check(zones)
        self._undo.append(self._zones)
        self._redo.clear()
        self._zones = zones
        self._notify()

    def _edit(self, name: str, change: Callable[[Zone], None]) -> None:
        zones = [z.copy() for z in self._zones]
        for z in zones:
            if z.name == name:
                change(z)
                self._apply(zones)
                return
        raise UserError(f"no zone named '{name}'")

    def _new_name(self, base: str) -> str:
        n = 1
        while f"{base} {n}" in self.names():
            n += 1
        return f"{base} {n}"

    # ------------------------------------------------------------------ edits
    def add_area(self, points: Sequence[Sequence[float]], name: str | None = None, purpose: str = "other") -> Zone:
        return self._add("area", points, name, purpose)

    def add_line(self, a: Sequence[float], b: Sequence[float], name: str | None = None,
                 purpose: str = "entrance") -> Zone:
        return self._add("line", [a, b], name, purpose)

    def _add(self, kind: str, points, name, purpose) -> Zone:
        zone = Zone(name=(name or self._new_name("Area" if kind == "area" else "Line")).strip(), kind=kind,
                    camera_id=self.camera_id, points=[[float(x), float(y)] for x, y in points],
                    purpose=purpose, color=PALETTE[len(self._zones) % len(PALETTE)])
        self._apply([z.copy() for z in self._zones] + [zone])
        return zone.copy()

    def delete_zone(self, name: str) -> None:
        if name not in self.names():
            raise UserError(f"no zone named '{name}'")
        self._apply([z.copy() for z in self._zones if z.name != name])

    def set_points(self, name: str, points: Sequence[Sequence[float]]) -> None:
        self._edit(name, lambda z: setattr(z, "points", [[float(x), float(y)] for x, y in points]))

    def move_vertex(self, name: str, index: int, x: float, y: float) -> None:
        def change(z: Zone) -> None:
            z.points[index] = [float(x), float(y)]
        self._edit(name, change)

    def insert_vertex(self, name: str, index: int, x: float, y: float) -> None:
        """Insert a vertex so that it becomes vertex ``index`` (areas only)."""
        def change(z: Zone) -> None:
            if z.kind != "area":
                raise UserError(f"'{z.name}' is a count line: it has exactly two points")
            z.points.insert(index, [float(x), float(y)])
        self._edit(name, change)

    def delete_vertex(self, name: str, index: int) -> None:
        def change(z: Zone) -> None:
            if z.kind != "area" or len(z.points) <= 3:
                raise UserError(f"'{z.name}' cannot lose a point (an area needs 3, a line 2)")
            del z.points[index]
        self._edit(name, change)

    def move_zone(self, name: str, dx: float, dy: float) -> None:
        self._edit(name, lambda z: setattr(z, "points", [[x + dx, y + dy] for x, y in z.points]))

    def rename(self, name: str, new_name: str) -> None:
        if not new_name.strip():
            raise UserError("a zone needs a non-empty name")
        self._edit(name, lambda z: setattr(z, "name", new_name.strip()))

    def set_purpose(self, name: str, purpose: str) -> None:
        if purpose not in PURPOSES:
            raise UserError(f"purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}")
        self._edit(name, lambda z: setattr(z, "purpose", purpose))

    def set_color(self, name: str, color: str) -> None:
        self._edit(name, lambda z: setattr(z, "color", color))

    def reverse_line(self, name: str) -> None:
        """Swap a count line's ends, which swaps its "in" and "out" directions."""
        self._edit(name, lambda z: z.points.reverse())

    # ------------------------------------------------------------------ history
    def undo(self) -> None:
        if self._undo:
            self._redo.append(self._zones)
            self._zones = self._undo.pop()
            self._notify()

    def redo(self) -> None:
        if self._redo:
            self._undo.append(self._zones)
            self._zones = self._redo.pop()
            self._notify()

    # ------------------------------------------------------------------ storage
    def save(self, project) -> None:
        """Store this camera's zones in the project (atomic save; other cameras' zones are kept)."""
        replace_camera_zones(project, self.camera_id, self.zones, self.frame_size)
        self.mark_saved(self.zones)

    def mark_saved(self, zones: Sequence[Zone]) -> None:
        """Record ``zones`` as what is stored, for an owner that saved a snapshot elsewhere (the
        window saves on a worker thread, from a freshly opened project); :attr:`dirty` compares
        against it, so edits made while the save ran still count as unsaved."""
        self._saved = [z.copy() for z in zones]
        self._notify()
