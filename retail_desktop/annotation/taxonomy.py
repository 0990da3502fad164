"""Label taxonomies: the classes an annotator can give a segment, with their key, colour and definition.

Why files: the label set is a project decision (the six retail behaviours, CAVIAR's movement labels,
a customer's own), so it lives in a YAML file an analyst can read and change, not in code. Shipped
taxonomies sit in ``annotations/`` at the repository root and are chosen by name: the ``name`` inside
the file (``retail-behaviour``, ``caviar-movement``, ``caviar-situation``) or the file's stem; any
other file is chosen by its path. Everything is checked on load, so a typo in a colour or a key used
twice is one clear message naming the file, not a wrong colour on screen later.

File layout::

    name: caviar-movement          # what segments store in their ``taxonomy`` column
    version: 1
    classes:
      - name: walking              # unique, non-empty
        key: 1                     # one key (1-9, 0 or a letter not used by the editor), unique
        colour: "#009E73"          # #RRGGBB
        definition: >-             # shown to annotators; required
          Moves from one place to another ...
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from retail_desktop.errors import UserError

#: Folder of the shipped taxonomies.
TAXONOMY_DIR = Path(__file__).resolve().parents[2] / "annotations"
#: The taxonomy used when none is chosen (the six retail behaviours).
DEFAULT_TAXONOMY = "retail-behaviour"
#: Keys the annotation editor uses for commands, so a class may not take them.
RESERVED_KEYS = frozenset("IOARMSNDP")

_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$")


class TaxonomyError(UserError):
    """A taxonomy file is missing, not YAML, or breaks a rule of the layout."""


@dataclass(frozen=True)
class LabelClass:
    name: str
    key: str
    colour: str
    definition: str


@dataclass(frozen=True)
class Taxonomy:
    name: str
    version: int
    classes: tuple[LabelClass, ...]
    path: Path | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.classes)

    def by_key(self, key: str) -> LabelClass | None:
        key = str(key).upper()
        return next((c for c in self.classes if c.key == key), None)

    def get(self, name: str) -> LabelClass | None:
        return next((c for c in self.classes if c.name == name), None)

    def colour(self, name: str, default: str = "#FFFFFF") -> str:
        c = self.get(name)
        return c.colour if c is not None else default

    def check_labels(self, labels, source: str | Path | None = None) -> None:
        """Refuse labels that are not classes of this taxonomy (one message listing them)."""
        unknown = sorted({str(x) for x in labels} - set(self.names))
        if unknown:
            raise TaxonomyError(f"label(s) {', '.join(unknown)} are not in taxonomy {self.name} "
                                f"({', '.join(self.names)})", source)


def parse_taxonomy(data: object, path: Path | None = None) -> Taxonomy:
    """Build and check a taxonomy from parsed YAML; every problem is a TaxonomyError naming ``path``."""

    def fail(message: str) -> TaxonomyError:
        return TaxonomyError(f"invalid taxonomy: {message}", path)

    if not isinstance(data, dict):
        raise fail("expected a mapping with name, version and classes")
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise fail(f"'name' must be a non-empty word (letters, digits, - _ .), got {name!r}")
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise fail(f"'version' must be a positive whole number, got {version!r}")
    raw = data.get("classes")
    if not isinstance(raw, list) or not raw:
        raise fail("'classes' must be a non-empty list")
    classes: list[LabelClass] = []
    for i, c in enumerate(raw, 1):
        if not isinstance(c, dict):
            raise fail(f"class {i} must be a mapping with name, key, colour, definition")
        cname = c.get("name")
        if not isinstance(cname, str) or not _NAME.match(cname):
            raise fail(f"class {i}: 'name' must be a non-empty word, got {cname!r}")
        key = c.get("key")
        key_s = str(key).upper() if isinstance(key, (int, str)) and not isinstance(key, bool) else ""
        if len(key_s) != 1 or not key_s.isalnum():
            raise fail(f"class {cname}: 'key' must be one digit or letter, got {key!r}")
        if key_s in RESERVED_KEYS:
            raise fail(f"class {cname}: key {key_s} is an editor command key ({', '.join(sorted(RESERVED_KEYS))})")
        colour = c.get("colour")
        if not isinstance(colour, str) or not _COLOUR.match(colour):
            raise fail(f"class {cname}: 'colour' must be #RRGGBB, got {colour!r}")
        definition = c.get("definition")
        if not isinstance(definition, str) or not definition.strip():
            raise fail(f"class {cname}: 'definition' is required (what annotators read)")
        unknown = sorted(set(c) - {"name", "key", "colour", "definition"})
        if unknown:
            raise fail(f"class {cname}: unknown field(s) {', '.join(unknown)}")
        classes.append(LabelClass(cname, key_s, colour.upper(), " ".join(definition.split())))
    for attr in ("name", "key"):
        seen: dict[str, str] = {}
        for c in classes:
            v = getattr(c, attr)
            if v in seen:
                raise fail(f"{attr} {v!r} is used by two classes")
            seen[v] = c.name
    return Taxonomy(name, version, tuple(classes), path)


def load_taxonomy_file(path: str | os.PathLike[str]) -> Taxonomy:
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaxonomyError("taxonomy file not found", path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError(f"cannot be read ({getattr(exc, 'strerror', None) or exc})", path) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise TaxonomyError(f"is not valid YAML{where}", path) from None
    return parse_taxonomy(data, path)


def available_taxonomies(folder: Path = TAXONOMY_DIR) -> dict[str, Path]:
    """Shipped taxonomies by name (the ``name`` in each file; files that do not load are left out)."""
    out: dict[str, Path] = {}
    for p in sorted(folder.glob("*.yaml")):
        try:
            out[load_taxonomy_file(p).name] = p
        except TaxonomyError:
            continue
    return out


def load_taxonomy(name_or_path: str | os.PathLike[str] | None = None, *, folder: Path = TAXONOMY_DIR) -> Taxonomy:
    """A taxonomy by name (``retail-behaviour``, ``caviar-movement``, a file stem in ``folder``) or by
    file path; None gives :data:`DEFAULT_TAXONOMY`."""
    key = os.fspath(name_or_path) if name_or_path is not None else DEFAULT_TAXONOMY
    candidate = Path(key)
    if candidate.suffix.lower() in (".yaml", ".yml") or os.sep in key or candidate.is_file():
        return load_taxonomy_file(candidate)
    for stem in (key, "taxonomy" if key == DEFAULT_TAXONOMY else None):
        if stem and (folder / f"{stem}.yaml").is_file():
            tax = load_taxonomy_file(folder / f"{stem}.yaml")
            if tax.name == key or stem == key:
                return tax
    found = available_taxonomies(folder)
    if key in found:
        return load_taxonomy_file(found[key])
    raise TaxonomyError(f"unknown taxonomy {key!r}; choose one of {', '.join(sorted(found)) or 'none'} "
                        "or give a .yaml file")


__all__ = ["DEFAULT_TAXONOMY", "LabelClass", "RESERVED_KEYS", "TAXONOMY_DIR", "Taxonomy", "TaxonomyError",
           "available_taxonomies", "load_taxonomy", "load_taxonomy_file", "parse_taxonomy"]
