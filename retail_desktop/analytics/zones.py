"""Zones (polygons) and count lines of a project: the typed record, its checks, and where it is kept.

Zones live in ``project.json`` under the top-level key ``zones`` (a list, one object per zone), so a
planner can read and diff them; every write goes through :meth:`Project.save` (atomic). A zone names
its camera by camera *id*, which never changes, and its points are in that camera's pixels
(x to the right, y down, origin at the top-left corner of the frame).

Checks happen before anything is stored: a self-intersecting polygon, a vertex outside the camera's
frame, an unknown camera or a duplicate name raise :class:`~retail_desktop.errors.UserError` and the
project (memory and disk) stays as it was.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Iterable

from retail_desktop.errors import UserError

from .floorplan import PLAN_ID, floor_plan
from .geometry import polygon_area, self_intersection

KINDS: tuple[str, ...] = ("area", "line")
PURPOSES: tuple[str, ...] = ("entrance", "queue", "shelf", "checkout", "staff-only", "other")
ZONES_KEY = "zones"

#: Default colours, picked in turn for new zones (distinct on the dark theme and on footage).
PALETTE: tuple[str, ...] = ("#ffb000", "#00c2ff", "#ff4d6d", "#6ee06e", "#c77dff", "#ffd6a5", "#4dd4ac", "#f77f00")


@dataclass
class Zone:
    """One area (closed polygon, >= 3 vertices) or count line (exactly 2 points, direction A->B)."""

    name: str
    kind: str
    camera_id: str
    points: list[list[float]]
    purpose: str = "other"
    color: str = PALETTE[0]
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def problem(self) -> str | None:
        """What is wrong with this zone on its own (not against a frame or a project), or None."""
        if not isinstance(self.name, str) or not self.name.strip():
            return "a zone needs a non-empty name"
        if self.kind not in KINDS:
            return f"zone '{self.name}': kind must be one of {', '.join(KINDS)}, not {self.kind!r}"
        if self.purpose not in PURPOSES:
            return f"zone '{self.name}': purpose must be one of {', '.join(PURPOSES)}, not {self.purpose!r}"
        try:
            pts = [[float(v) for v in p] for p in self.points]
        except (TypeError, ValueError):
            return f"zone '{self.name}': points must be [x, y] number pairs"
        if any(len(p) != 2 or not all(math.isfinite(v) for v in p) for p in pts):
            return f"zone '{self.name}': points must be finite [x, y] pairs"
        if self.kind == "line":
            if len(pts) != 2:
                return f"zone '{self.name}': a count line has exactly 2 points, not {len(pts)}"
            if pts[0] == pts[1]:
                return f"zone '{self.name}': the two points of a count line must differ"
            return None
        if len(pts) < 3:
            return f"zone '{self.name}': an area needs at least 3 vertices, not {len(pts)}"
        bad = self_intersection(pts)
        if bad is not None:
            return (f"zone '{self.name}' crosses itself (edges {bad[0] + 1} and {bad[1] + 1}); "
                    "move a vertex so the outline does not cross or touch itself")
        if polygon_area(pts) == 0:
            return f"zone '{self.name}' has no area (all vertices on one line)"
        return None

    def outside(self, width: float, height: float) -> str | None:
        """A message when a vertex lies outside a ``width`` x ``height`` frame, else None."""
        for i, (x, y) in enumerate(self.points, start=1):
            if not (0 <= x <= width and 0 <= y <= height):
                return (f"zone '{self.name}': point {i} ({x:g}, {y:g}) is outside the camera frame "
                        f"(0..{width:g} x 0..{height:g})")
        return None

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.extra)
        data.update(name=self.name, kind=self.kind, purpose=self.purpose, camera=self.camera_id,
                    points=[[float(x), float(y)] for x, y in self.points], color=self.color)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Zone:
        if not isinstance(data, dict):
            raise ValueError(f"a zone must be an object, got {type(data).__name__}")
        known = {"name", "kind", "purpose", "camera", "points", "color"}
        zone = cls(
            name=data.get("name"), kind=data.get("kind"), camera_id=data.get("camera"),
            points=data.get("points"), purpose=data.get("purpose", "other"),
            color=data.get("color", PALETTE[0]), extra={k: v for k, v in data.items() if k not in known},
        )
        if not isinstance(zone.points, list):
            raise ValueError(f"zone {zone.name!r}: points must be a list of [x, y] pairs")
        problem = zone.problem()
        if problem:
            raise ValueError(problem)
        zone.points = [[float(x), float(y)] for x, y in zone.points]
        if not isinstance(zone.camera_id, str) or not zone.camera_id:
            raise ValueError(f"zone '{zone.name}' names no camera")
        return zone

    def copy(self) -> Zone:
        return copy.deepcopy(self)


_SIZE_CACHE: dict[tuple[str, int, int], tuple[int, int]] = {}


def frame_size(project, camera) -> tuple[int, int] | None:
    """A camera's frame size: from the camera entry (imported ground truth) or its footage; None when
    neither says (then zones cannot be checked against the frame). Probing a long video scans it, so
    the answer is remembered per file (path, modification time, size) for the process."""
    size = camera.extra.get("frame_size")
    if size:
        try:
            w, h = int(size[0]), int(size[1])
            if w <= 0 or h <= 0 or len(size) != 2:
                raise ValueError
        except (TypeError, ValueError, IndexError, KeyError):
            from retail_desktop.errors import ProjectError

            raise ProjectError(f"is invalid (camera '{camera.name}': frame_size must be [width, height] in pixels, "
                               f"not {size!r})", project.json_path) from None
        return w, h
    import os

    try:
        st = os.stat(camera.video)
    except OSError:
        return None
    key = (camera.video, st.st_mtime_ns, st.st_size)
    if key not in _SIZE_CACHE:
        try:
            from retail_desktop.video import probe

            info = probe(camera.video)
        except Exception:  # noqa: BLE001 - an unreadable video only means we cannot check bounds
            return None
        _SIZE_CACHE[key] = (int(info.width), int(info.height))
    return _SIZE_CACHE[key]


def load_zones(project) -> list[Zone]:
    """The project's zones; a malformed ``zones`` entry is a one-line ProjectError."""
    from retail_desktop.errors import ProjectError

    raw = project.extra.get(ZONES_KEY, [])
    if not isinstance(raw, list):
        raise ProjectError("is invalid (zones must be a list)", project.json_path)
    zones = []
    for i, entry in enumerate(raw, start=1):
        try:
            zones.append(Zone.from_dict(entry))
        except ValueError as exc:
            raise ProjectError(f"is invalid (zone {i}: {exc})", project.json_path) from None
    return zones


def check_zones(project, zones: Iterable[Zone], *, sizes: dict[str, tuple[int, int] | None] | None = None,
                bounds_for: set[str] | None = None) -> None:
    """Raise UserError for the first zone that is invalid in this project: its own shape, an unknown
    camera, a vertex outside the frame, a name used twice on one camera.

    ``sizes`` gives known frame sizes by camera id (others are looked up); ``bounds_for`` limits the
    frame check to those camera ids (zones already stored were checked when they were saved)."""
    seen: set[tuple[str, str]] = set()
    sizes = {} if sizes is None else sizes
    for zone in zones:
        problem = zone.problem()
        if problem:
            raise UserError(problem, project.json_path)
        if zone.camera_id == PLAN_ID:
            plan = floor_plan(project)
            if plan is None:
                raise UserError(f"zone '{zone.name}' is on the floor plan, but the project has no floor plan",
                                project.json_path)
            problem = zone.outside(*plan["size"])
            if problem:
                raise UserError(f"floor plan: {problem.replace('camera frame', 'plan image')}", project.json_path)
            key = (zone.camera_id, zone.name)
            if key in seen:
                raise UserError(f"the floor plan has two zones named '{zone.name}'", project.json_path)
            seen.add(key)
            continue
        camera = project.camera_by_id(zone.camera_id)
        if camera is None:
            known = ", ".join(c.name for c in project.cameras) or "none"
            raise UserError(f"zone '{zone.name}': no camera with id '{zone.camera_id}' (cameras: {known})",
                            project.json_path)
        if bounds_for is not None and camera.id not in bounds_for:
            size = None
        else:
            if camera.id not in sizes:
                sizes[camera.id] = frame_size(project, camera)
            size = sizes[camera.id]
        if size is not None:
            problem = zone.outside(*size)
            if problem:
                raise UserError(f"camera '{camera.name}': {problem}", project.json_path)
        key = (zone.camera_id, zone.name)
        if key in seen:
            raise UserError(f"camera '{camera.name}' has two zones named '{zone.name}'", project.json_path)
        seen.add(key)


def save_zones(project, zones: list[Zone], *, sizes: dict[str, tuple[int, int] | None] | None = None,
               bounds_for: set[str] | None = None) -> None:
    """Check ``zones`` (see :func:`check_zones`) and make them the project's zones, saved atomically.
    On any error (invalid zone, disk) memory and disk keep the previous zones."""
    zones = list(zones)
    check_zones(project, zones, sizes=sizes, bounds_for=bounds_for)
    previous = project.extra.get(ZONES_KEY, _MISSING)
    project.extra[ZONES_KEY] = [z.to_dict() for z in zones]
    try:
        project.save()
    except BaseException:
        if previous is _MISSING:
            project.extra.pop(ZONES_KEY, None)
        else:
            project.extra[ZONES_KEY] = previous
        raise


def replace_camera_zones(project, camera_id: str, zones: list[Zone],
                         frame_size_hint: tuple[int, int] | None = None) -> None:
    """Make ``zones`` the zones of one camera, keeping the other cameras' zones (only this camera's
    are checked against its frame; ``frame_size_hint`` spares probing its video)."""
    others = [z for z in load_zones(project) if z.camera_id != camera_id]
    sizes = {camera_id: frame_size_hint} if frame_size_hint else None
    save_zones(project, others + list(zones), sizes=sizes, bounds_for={camera_id})


_MISSING = object()
