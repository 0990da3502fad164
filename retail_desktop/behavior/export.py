"""``export --format sequences``: labelled track sequences as one Parquet file.

Schema (one row per track point, sorted by camera, track, frame):

=============  ========  ==========================================================================
column         type      meaning
=============  ========  ==========================================================================
camera         string    camera name
run_id         int64     analysis run the track belongs to
track          int64     track id within the run
frame          int64     0-based video frame
time           float64   seconds from the start of the camera's video
x1 y1 x2 y2    float64   box in pixels
f_<name>       float32   per-point features (see behavior/features.py), at the point's own rate
label          string    behaviour label of the point ("" where nobody labelled it)
taxonomy       string    taxonomy of that label ("" where unlabelled)
=============  ========  ==========================================================================

File metadata key ``retail_desktop`` holds the feature settings used for ``f_*`` columns.
``train --data FILE`` reads the file back (it needs camera, track, frame, time, box and label).
"""

from __future__ import annotations

import json
from pathlib import Path

from retail_desktop.errors import UserError

from .dataset import project_sequences, sequences_with_features
from .features import FeatureSettings


def export_sequences(project, out: str | Path, *, camera=None, settings: FeatureSettings | None = None) -> tuple[int, int]:
    """Write the project's sequences (every camera, or one) to ``out``; returns (points, labelled points)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from retail_desktop.project.atomic import atomic_write_bytes

    out = Path(out)
    settings = settings or FeatureSettings()
    seq = project_sequences(project)
    if camera is not None:
        seq = seq[seq["camera"] == camera.name]
    if seq.empty:
        raise UserError("has no tracks to export; run retail-desktop analyze or import first", project.path)
    seq = sequences_with_features(seq.sort_values(["camera", "track", "frame"]).reset_index(drop=True), settings)
    cols = ["camera", "run_id", "track", "frame", "time", "x1", "y1", "x2", "y2"] + \
        [f"f_{n}" for n in settings.feature_names] + ["label", "taxonomy"]
    table = pa.Table.from_pandas(seq[cols], preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           b"retail_desktop": json.dumps({"features": settings.to_dict()}).encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    if out.parent and not out.parent.exists():
        raise UserError("folder for the output file does not exist", out.parent)
    try:
        atomic_write_bytes(out, sink.getvalue().to_pybytes())
    except OSError as exc:
        raise UserError(f"cannot be written ({exc.strerror or exc})", out) from exc
    return len(seq), int((seq["label"] != "").sum())
