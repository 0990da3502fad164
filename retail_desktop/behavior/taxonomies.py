"""Which classes a model predicts: the taxonomy named on the command line, from its YAML file.

Uses :mod:`retail_desktop.annotation.taxonomy` when it is there (the annotation editor's loader);
the small PyYAML reader below is the stand-in until it is, and reads the same files.
"""

from __future__ import annotations

from pathlib import Path

from retail_desktop.errors import UserError

TAXONOMY_DIR = Path(__file__).resolve().parents[2] / "annotations"
DEFAULT_TAXONOMY = "retail-behaviour"


def _fallback(name_or_file: str) -> tuple[str, list[str]]:
    import yaml

    path = Path(name_or_file)
    candidates = [path] if path.suffix in (".yaml", ".yml") else []
    candidates += [TAXONOMY_DIR / f"{name_or_file}.yaml"] + sorted(TAXONOMY_DIR.glob("*.yaml"))
    for cand in candidates:
        if not cand.is_file():
            continue
        try:
            data = yaml.safe_load(cand.read_text())
        except (OSError, yaml.YAMLError) as exc:
            if cand == path:
                raise UserError(f"taxonomy file is not readable YAML ({exc})", cand) from exc
            continue
        if not isinstance(data, dict):
            continue
        if cand == path or data.get("name") == name_or_file:
            classes = [c["name"] for c in data.get("classes", []) if isinstance(c, dict) and c.get("name")]
            if not classes:
                raise UserError("taxonomy lists no classes", cand)
            return str(data.get("name", cand.stem)), classes
    raise UserError(f"unknown taxonomy {name_or_file!r} (no such file, and no annotations/*.yaml has that name)")


def taxonomy_classes(name_or_file: str | None) -> tuple[str, list[str]]:
    """``(taxonomy name, class names)`` for a taxonomy name or YAML file (default: retail-behaviour)."""
    name_or_file = name_or_file or DEFAULT_TAXONOMY
    try:
        from retail_desktop.annotation.taxonomy import load_taxonomy  # type: ignore[attr-defined]
    except ImportError:
        return _fallback(name_or_file)
    tax = load_taxonomy(name_or_file)
    return tax.name, list(tax.names)
