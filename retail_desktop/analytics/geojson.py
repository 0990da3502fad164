"""Zones to and from GeoJSON, so zones can be drawn or kept in other tools (QGIS, scripts).

Format: a ``FeatureCollection``; each feature is one zone, ``geometry`` a ``Polygon`` (areas: one
exterior ring, closed or not, no holes) or a ``LineString`` of two points (count lines, direction
first -> second point). ``properties``: ``name``, ``kind`` (area | line, must match the geometry),
``purpose`` (entrance | queue | shelf | checkout | staff-only | other, default other), ``camera``
(camera *name*, or ``plan`` for a zone on the floor plan), optional ``color``. Coordinates are that
camera's pixels (or the plan image's): x to the right, y down, (0, 0) the top-left corner of the
frame — not longitude/latitude.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from retail_desktop.errors import UserError

from .floorplan import PLAN_ID
from .zones import PALETTE, Zone, check_zones, load_zones, save_zones


def zones_to_geojson(project, zones: list[Zone]) -> dict[str, Any]:
    features = []
    for z in zones:
        camera = project.camera_by_id(z.camera_id)
        cam_name = PLAN_ID if z.camera_id == PLAN_ID else (camera.name if camera else z.camera_id)
        pts = [[float(x), float(y)] for x, y in z.points]
        if z.kind == "area":
            geometry = {"type": "Polygon", "coordinates": [pts + [pts[0]]]}
        else:
            geometry = {"type": "LineString", "coordinates": pts}
        features.append({
            "type": "Feature",
            "geometry": geometry,
            "properties": {"name": z.name, "kind": z.kind, "purpose": z.purpose,
                           "camera": cam_name, "color": z.color},
        })
    return {"type": "FeatureCollection", "features": features}


def _fail(path: Path, message: str) -> UserError:
    return UserError(f"is not zone GeoJSON: {message}", path)


def zones_from_geojson(project, data: Any, path: Path, camera_name: str | None = None) -> list[Zone]:
    """Parse a FeatureCollection into zones (checked against the project). ``camera_name`` is used for
    features without a ``camera`` property, and must match those that have one."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise _fail(path, "expected a FeatureCollection object at the top")
    features = data.get("features")
    if not isinstance(features, list):
        raise _fail(path, "'features' must be a list")
    zones = []
    for i, feat in enumerate(features, start=1):
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise _fail(path, f"feature {i} is not a Feature object")
        props = feat.get("properties") or {}
        geom = feat.get("geometry")
        if not isinstance(props, dict) or not isinstance(geom, dict):
            raise _fail(path, f"feature {i} needs 'geometry' and 'properties' objects")
        name = props.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _fail(path, f"feature {i} has no 'name' property")
        gtype, coords = geom.get("type"), geom.get("coordinates")
        kind = props.get("kind", "area" if gtype == "Polygon" else "line" if gtype == "LineString" else None)
        where = f"feature {i} ('{name}')"
        if gtype not in ("Polygon", "LineString"):
            raise _fail(path, f"{where}: geometry type must be Polygon or LineString, not {gtype!r}")
        if gtype == "Polygon" and (not isinstance(coords, list) or len(coords) != 1):
            raise _fail(path, f"{where}: a Polygon zone has exactly one ring (no holes)")
        try:
            pts = [[float(v) for v in p] for p in (coords[0] if gtype == "Polygon" else coords)]
        except (TypeError, ValueError):
            raise _fail(path, f"{where}: coordinates must be [x, y] number pairs") from None
        if gtype == "Polygon" and len(pts) > 1 and pts[0] == pts[-1]:
            pts = pts[:-1]  # GeoJSON rings repeat the first point at the end
        if (kind, gtype) not in (("area", "Polygon"), ("line", "LineString")):
            raise _fail(path, f"{where}: kind {kind!r} does not match geometry {gtype}")
        cam = props.get("camera") or camera_name
        if cam is None:
            raise _fail(path, f"{where} names no camera; add a 'camera' property or pass --camera")
        if camera_name is not None and cam != camera_name:
            continue  # --camera selects the features of one camera
        camera = project.camera(cam)
        if camera is None and cam != PLAN_ID:
            known = ", ".join(c.name for c in project.cameras) or "none"
            raise UserError(f"{where}: no camera named '{cam}' in the project (cameras: {known})", path)
        zones.append(Zone(name=name.strip(), kind=kind, camera_id=camera.id if camera else PLAN_ID, points=pts,
                          purpose=props.get("purpose", "other"),
                          color=props.get("color") or PALETTE[len(zones) % len(PALETTE)]))
    try:
        check_zones(project, zones)
    except UserError as exc:
        raise UserError(str(exc).split(": ", 1)[-1], path) from None
    return zones


def import_geojson(project, path: str | Path, camera_name: str | None = None) -> list[Zone]:
    """Add the file's zones to the project (a zone with the same camera and name is replaced) and save.
    Nothing is stored unless every feature is valid."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError("file not found", path) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"is not valid JSON ({exc})", path) from None
    except OSError as exc:
        raise UserError(f"cannot be read ({exc.strerror or exc})", path) from None
    if camera_name is not None and camera_name != PLAN_ID and project.camera(camera_name) is None:
        known = ", ".join(c.name for c in project.cameras) or "none"
        raise UserError(f"no camera named '{camera_name}' (cameras: {known})", project.path)
    new = zones_from_geojson(project, data, path, camera_name)
    if not new:
        whose = f" for camera '{camera_name}'" if camera_name is not None else ""
        raise UserError(f"holds no zones{whose}; nothing imported", path)
    replaced = {(z.camera_id, z.name) for z in new}
    kept = [z for z in load_zones(project) if (z.camera_id, z.name) not in replaced]
    save_zones(project, kept + new)
    return new


def export_geojson(project, path: str | Path, camera_name: str | None = None) -> int:
    from retail_desktop.project.atomic import atomic_write_text

    zones = load_zones(project)
    if camera_name is not None:
        camera = project.camera(camera_name)
        if camera is None and camera_name != PLAN_ID:
            known = ", ".join(c.name for c in project.cameras) or "none"
            raise UserError(f"no camera named '{camera_name}' (cameras: {known})", project.path)
        zones = [z for z in zones if z.camera_id == (camera.id if camera else PLAN_ID)]
    text = json.dumps(zones_to_geojson(project, zones), indent=2) + "\n"
    try:
        atomic_write_text(Path(path), text)
    except OSError as exc:
        raise UserError(f"cannot be written ({exc.strerror or exc})", path) from None
    return len(zones)
