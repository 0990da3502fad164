from __future__ import annotations

import pytest

from retail_desktop.annotation.prelabel import BEHAVIOUR_CLASSES, BEHAVIOUR_TAXONOMY
from retail_desktop.annotation.taxonomy import (
    TAXONOMY_DIR, TaxonomyError, available_taxonomies, load_taxonomy, parse_taxonomy,
)


def test_shipped_taxonomies_load_by_name_and_file():
    assert set(available_taxonomies()) == {"retail-behaviour", "caviar-movement", "caviar-situation"}
    default = load_taxonomy()
    assert default.name == BEHAVIOUR_TAXONOMY and default.names == BEHAVIOUR_CLASSES
    assert [c.key for c in default.classes] == ["1", "2", "3", "4", "5", "6"]
    assert load_taxonomy("taxonomy").name == "retail-behaviour"
    assert load_taxonomy("caviar-movement").names == ("walking", "active", "inactive", "running")
    assert load_taxonomy(TAXONOMY_DIR / "caviar-situation.yaml").names == ("moving", "browsing", "inactive")
    assert load_taxonomy("caviar-movement").by_key("4").name == "running"


def _good():
    return {"name": "t", "version": 1, "classes": [
        {"name": "a", "key": 1, "colour": "#112233", "definition": "A."},
        {"name": "b", "key": 2, "colour": "#445566", "definition": "B."}]}


@pytest.mark.parametrize("change, message", [
    (lambda d: d["classes"][1].update(key=1), "key '1' is used by two classes"),
    (lambda d: d["classes"][1].update(name="a"), "name 'a' is used by two classes"),
    (lambda d: d["classes"][0].update(colour="red"), "'colour' must be #RRGGBB"),
    (lambda d: d["classes"][0].update(colour="#12345"), "'colour' must be #RRGGBB"),
    (lambda d: d["classes"][0].update(definition="  "), "'definition' is required"),
    (lambda d: d["classes"][0].pop("definition"), "'definition' is required"),
    (lambda d: d["classes"][0].update(key="12"), "'key' must be one digit or letter"),
    (lambda d: d["classes"][0].update(key="I"), "editor command key"),
    (lambda d: d["classes"][0].update(shade=1), "unknown field"),
    (lambda d: d.update(classes=[]), "'classes' must be a non-empty list"),
    (lambda d: d.update(name=""), "'name' must be"),
])
def test_validation(change, message, tmp_path):
    d = _good()
    parse_taxonomy(d)
    change(d)
    with pytest.raises(TaxonomyError, match=message):
        parse_taxonomy(d, tmp_path / "x.yaml")


def test_bad_files(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nclasses:\n  - name: [a\n")
    with pytest.raises(TaxonomyError, match=r"bad.yaml: is not valid YAML \(line \d+"):
        load_taxonomy(bad)
    with pytest.raises(TaxonomyError, match="not found"):
        load_taxonomy(tmp_path / "missing.yaml")
    with pytest.raises(TaxonomyError, match="unknown taxonomy 'nope'; choose one of caviar-movement"):
        load_taxonomy("nope")


def test_check_labels():
    tax = load_taxonomy("caviar-movement")
    tax.check_labels(["walking", "running"])
    with pytest.raises(TaxonomyError, match="label.s. jogging are not in taxonomy caviar-movement"):
        tax.check_labels(["walking", "jogging"])
