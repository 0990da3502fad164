"""CVAT for video 1.1 XML: tracks with the behaviour label as a per-frame attribute, out and in.

Why this format: CVAT is where annotation teams already work, and "CVAT for video 1.1" keeps a track's
identity across frames (the image format does not). Layout we write and read::

    <annotations>
      <version>1.1</version>
      <meta>
        <task> ... <size>, <mode>interpolation</mode>, <start_frame>, <stop_frame>,
          <labels><label><name>person</name><attributes><attribute>
            <name>behaviour</name><mutable>True</mutable><input_type>select</input_type>
            <default_value>unlabelled</default_value><values>unlabelled\\nwalking\\n...</values>
          </attribute></attributes></label></labels>,
          <original_size><width>384</width><height>288</height></original_size>
        </task>
        <retail_desktop camera="..." fps="25.0" taxonomy="caviar-movement"/>   (ours; CVAT ignores it)
      </meta>
      <track id="7" label="person" source="manual">
        <box frame="0" outside="0" occluded="0" keyframe="1" xtl=".." ytl=".." xbr=".." ybr=".." z_order="0">
          <attribute name="behaviour">walking</attribute>
        </box>
        ...
        <box frame="41" outside="1" .../>          a gap or the end: the person left the frame
      </track>
    </annotations>

Export writes every frame of a track as a keyframe (no interpolation needed to read it back), an
``outside`` box where a gap starts and after the last frame, and each frame's label from the
**accepted** segments of one taxonomy (``unlabelled`` where none); suggestions are not exported.
Coordinates have two decimals, as CVAT writes them. Track ids are the project's.

Import follows CVAT's meaning: a box lasts until the track's next box — interpolated linearly towards
it when that box is visible (CVAT's interpolation mode), held when it is ``outside`` — or, after a
track's last box, to the task's ``stop_frame``. Filled frames get source ``interpolated``, given boxes
``manual``. Runs of one behaviour value on a track become segments
(source ``import``). Only ``<track>`` boxes are read; a "CVAT for images" file is refused.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from retail_desktop.errors import UserError

from .segments import frame_labels, label_runs, list_segments
from .taxonomy import DEFAULT_TAXONOMY, TaxonomyError, available_taxonomies, load_taxonomy

ATTRIBUTE = "behaviour"
UNLABELLED = "unlabelled"
PERSON = "person"


@dataclass
class CvatTracks:
    """What a CVAT file holds: boxes (frame, track_id, x1, y1, x2, y2, source, label) and its meta."""

    boxes: pd.DataFrame
    size: tuple[int, int] | None
    fps: float | None
    taxonomy: str | None
    camera: str | None


def _fmt(v: float) -> str:
    return f"{float(v):.2f}"


def _sub(parent: ET.Element, tag: str, text: object | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = str(text)
    return el


def cvat_xml(tracks: pd.DataFrame, labels: np.ndarray, *, classes: tuple[str, ...], name: str,
             size: tuple[int, int] | None, fps: float | None, taxonomy: str | None) -> bytes:
    """The XML document for ``tracks`` (store columns) with ``labels`` (one per row, "" = none)."""
    root = ET.Element("annotations")
    _sub(root, "version", "1.1")
    meta = _sub(root, "meta")
    task = _sub(meta, "task")
    last = int(tracks["frame"].max()) if len(tracks) else 0
    _sub(task, "name", name)
    _sub(task, "size", last + 1)
    _sub(task, "mode", "interpolation")
    _sub(task, "overlap", 0)
    _sub(task, "start_frame", 0)
    _sub(task, "stop_frame", last)
    lab = _sub(_sub(task, "labels"), "label")
    _sub(lab, "name", PERSON)
    attr = _sub(_sub(lab, "attributes"), "attribute")
    _sub(attr, "name", ATTRIBUTE)
    _sub(attr, "mutable", "True")
    _sub(attr, "input_type", "select")
    _sub(attr, "default_value", UNLABELLED)
    _sub(attr, "values", "\n".join((UNLABELLED,) + tuple(classes)))
    if size:
        osz = _sub(task, "original_size")
        _sub(osz, "width", int(size[0]))
        _sub(osz, "height", int(size[1]))
    ours = _sub(meta, "retail_desktop", None)
    ours.set("camera", name)
    if fps:
        ours.set("fps", repr(float(fps)))
    if taxonomy:
        ours.set("taxonomy", taxonomy)

    df = tracks.assign(_label=labels).sort_values(["track_id", "frame"], kind="stable")
    for tid, g in df.groupby("track_id", sort=True):
        tr = ET.SubElement(root, "track", id=str(int(tid)), label=PERSON, source="manual")
        frames = g["frame"].to_numpy(np.int64)
        rows = zip(frames, g["x1"], g["y1"], g["x2"], g["y2"], g["_label"])
        prev = None
        last_box: tuple = (0.0, 0.0, 0.0, 0.0)
        for f, x1, y1, x2, y2, label in rows:
            if prev is not None and f > prev + 1:
                _outside(tr, prev + 1, last_box)
            box = ET.SubElement(tr, "box", frame=str(int(f)), outside="0", occluded="0", keyframe="1",
                                xtl=_fmt(x1), ytl=_fmt(y1), xbr=_fmt(x2), ybr=_fmt(y2), z_order="0")
            _sub(box, "attribute", label or UNLABELLED).set("name", ATTRIBUTE)
            last_box = (x1, y1, x2, y2)
            prev = int(f)
        if prev is not None and prev < last:
            _outside(tr, prev + 1, last_box)
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def _outside(track: ET.Element, frame: int, box: tuple) -> None:
    el = ET.SubElement(track, "box", frame=str(int(frame)), outside="1", occluded="0", keyframe="1",
                       xtl=_fmt(box[0]), ytl=_fmt(box[1]), xbr=_fmt(box[2]), ybr=_fmt(box[3]), z_order="0")
    _sub(el, "attribute", UNLABELLED).set("name", ATTRIBUTE)


def export_cvat(project, camera, out: str | os.PathLike[str], *, taxonomy: str | None = None) -> tuple[int, int]:
    """Write the camera's latest completed run as CVAT for video 1.1; returns (boxes, labelled frames)."""
    from retail_desktop.project import atomic_write_bytes
    from retail_desktop.vision.export import check_out_path

    from .track_import import camera_fps

    out = Path(out)
    check_out_path(out)
    run = project.store.latest_run(camera.id, status="completed")
    if run is None:
        raise UserError(f"camera '{camera.name}' has no completed analysis or import; nothing to export",
                        project.path)
    tracks = project.store.track_array(run.id)
    if taxonomy is None:
        used = sorted({r[0] for r in project.store.query(
            "SELECT DISTINCT taxonomy FROM segments WHERE run_id = ? AND status = 'accepted'", (run.id,))})
        if len(used) > 1:
            raise UserError(f"camera '{camera.name}' has labels in several taxonomies ({', '.join(used)}); "
                            "choose one with --taxonomy", project.path)
        taxonomy = used[0] if used else DEFAULT_TAXONOMY
    tax = load_taxonomy(taxonomy)
    labels = np.full(len(tracks), "", dtype=object)
    segs = list_segments(project.store, run.id, taxonomy=tax.name, status="accepted")
    by_track: dict[int, list] = {}
    for s in segs:
        by_track.setdefault(s.track_id, []).append(s)
    for tid, idx in tracks.groupby("track_id").indices.items():
        if int(tid) in by_track:
            labels[idx] = frame_labels(by_track[int(tid)], tracks["frame"].to_numpy()[idx])
    try:
        fps = camera_fps(project, camera)
    except UserError:
        fps = None
    size = camera.extra.get("frame_size")
    data = cvat_xml(tracks, labels, classes=tax.names, name=camera.name, size=tuple(size) if size else None,
                    fps=fps, taxonomy=tax.name)
    try:
        atomic_write_bytes(out, data)
    except OSError as exc:
        raise UserError(f"cannot write ({exc.strerror or exc})", out) from exc
    return len(tracks), int((labels != "").sum())


# ------------------------------------------------------------------------------------- reading


def _float(el: ET.Element, key: str, path: Path, tid: str) -> float:
    raw = el.get(key)
    try:
        v = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise UserError(f"track {tid}, frame {el.get('frame')}: box without a numeric {key} ({raw!r})", path) from None
    if not np.isfinite(v):
        raise UserError(f"track {tid}, frame {el.get('frame')}: non-finite {key}", path)
    return v


def read_cvat(path: str | os.PathLike[str]) -> CvatTracks:
    """Parse a CVAT for video 1.1 file; any problem is a UserError (XML errors with line and column)."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        raise UserError("CVAT XML file not found", path) from None
    except IsADirectoryError:
        raise UserError("is a folder, expected a CVAT .xml file", path) from None
    except ET.ParseError as exc:
        line, col = exc.position
        raise UserError(f"is not valid XML (line {line}, column {col + 1}): it may be truncated", path) from None
    except OSError as exc:
        raise UserError(f"cannot be read ({exc.strerror or exc})", path) from None
    if root.tag != "annotations":
        raise UserError(f"is not a CVAT annotation file (root element <{root.tag}>, expected <annotations>)", path)
    tracks = root.findall("track")
    if not tracks:
        if root.find("image") is not None:
            raise UserError("is 'CVAT for images'; export the task as 'CVAT for video 1.1' to keep track ids", path)
        raise UserError("holds no <track> elements (nothing to import)", path)
    size = None
    osz = next((el for el in (root.find(f"meta/{p}original_size") for p in ("task/", "job/", "")) if el is not None),
               None)
    if osz is not None:
        try:
            size = (int(osz.findtext("width", "")), int(osz.findtext("height", "")))
        except ValueError:
            size = None
    ours = root.find("meta/retail_desktop")
    fps = taxonomy = camera = None
    if ours is not None:
        try:
            fps = float(ours.get("fps")) if ours.get("fps") else None
        except ValueError:
            fps = None
        taxonomy = ours.get("taxonomy")
        camera = ours.get("camera")

    stop = None
    for tag in ("meta/task/stop_frame", "meta/job/stop_frame"):
        try:
            stop = int(root.findtext(tag, ""))
            break
        except ValueError:
            continue
    rows: list[tuple] = []
    seen_ids: set[int] = set()
    for tr in tracks:
        raw_id = tr.get("id", "")
        try:
            tid = int(raw_id)
        except ValueError:
            raise UserError(f"a <track> without a whole-number id ({raw_id!r})", path) from None
        if tid in seen_ids:
            raise UserError(f"track id {tid} appears twice", path)
        seen_ids.add(tid)
        boxes = []
        for b in tr.findall("box"):
            try:
                f = int(b.get("frame", ""))
            except ValueError:
                raise UserError(f"track {tid}: a <box> without a whole-number frame ({b.get('frame')!r})", path) from None
            outside = b.get("outside", "0") == "1"
            coords = tuple(_float(b, k, path, raw_id) for k in ("xtl", "ytl", "xbr", "ybr"))
            label = ""
            for a in b.findall("attribute"):
                if a.get("name") == ATTRIBUTE:
                    label = (a.text or "").strip()
            boxes.append((f, outside, coords, "" if label == UNLABELLED else label))
        boxes.sort(key=lambda x: x[0])
        for i, (f, outside, c, label) in enumerate(boxes):
            if i and boxes[i - 1][0] == f:
                raise UserError(f"track {tid}: two boxes on frame {f}", path)
            if outside:
                continue
            rows.append((f, tid, *c, "manual", label))
            nxt = boxes[i + 1] if i + 1 < len(boxes) else None
            # CVAT's meaning: a shape lasts until the track's next box (interpolated towards it when that
            # one is visible, held when it is 'outside'), or to the task's last frame; labels hold too.
            until = nxt[0] if nxt is not None else (stop + 1 if stop is not None else f + 1)
            for g in range(f + 1, until):
                w = (g - f) / (nxt[0] - f) if nxt is not None and not nxt[1] else 0.0
                target = nxt[2] if nxt is not None else c
                rows.append((g, tid, *(a + (b - a) * w for a, b in zip(c, target)), "interpolated", label))
    df = pd.DataFrame.from_records(rows, columns=["frame", "track_id", "x1", "y1", "x2", "y2", "source", "label"])
    df = df.astype({"frame": "int64", "track_id": "int64"})
    if (df["frame"] < 0).any():
        raise UserError("has boxes on negative frame numbers", path)
    return CvatTracks(df.sort_values(["frame", "track_id"], kind="stable").reset_index(drop=True), size, fps,
                      taxonomy, camera)


def _pick_taxonomy(labels: set[str], named: str | None, path: Path):
    if named:
        try:
            return load_taxonomy(named)
        except TaxonomyError:
            pass  # the file names a taxonomy this installation does not have: guess from the labels
    if not labels:
        return load_taxonomy(DEFAULT_TAXONOMY)
    for name in [DEFAULT_TAXONOMY] + sorted(available_taxonomies()):
        tax = load_taxonomy(name)
        if labels <= set(tax.names):
            return tax
    raise UserError(f"behaviour values {', '.join(sorted(labels))} fit no known taxonomy; pass --taxonomy", path)


def import_cvat(project, path: str | os.PathLike[str], *, camera: str | None = None, fps: float | None = None,
                taxonomy: str | None = None):
    """Import a CVAT for video 1.1 file as a completed run with its behaviour segments.

    Everything is parsed and checked before anything is written, so a bad file leaves the project as
    it was. The frame rate comes from ``fps``, the file (when we wrote it), or an existing camera.
    """
    from .track_import import camera_fps, store_tracks

    path = Path(path).absolute()
    data = read_cvat(path)
    labels = set(data.boxes["label"]) - {""}
    tax = load_taxonomy(taxonomy) if taxonomy else _pick_taxonomy(labels, data.taxonomy, path)
    tax.check_labels(labels, path)
    name = camera or data.camera or path.stem
    existing = project.camera(name)
    fps = fps or data.fps or (camera_fps(project, existing) if existing is not None else None)
    if fps is None:
        raise UserError("frame rate unknown: pass --fps (CVAT files do not store it)", path)
    segs: list[tuple[int, int, int, str]] = []
    for tid, g in data.boxes.groupby("track_id", sort=True):
        segs += [(int(tid), a, b, lab) for a, b, lab in label_runs(g["frame"].tolist(), g["label"].tolist())]
    return store_tracks(project, name, data.boxes, source=path, fmt="cvat", fps=float(fps), size=data.size,
                        segments=segs, taxonomy=tax.name if segs else None)


__all__ = ["ATTRIBUTE", "CvatTracks", "UNLABELLED", "cvat_xml", "export_cvat", "import_cvat", "read_cvat"]
