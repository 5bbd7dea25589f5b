"""The JSON Schema and the loader agree: same verdict on every sample, template and fixture."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from runtime.roster import yaml_read
from runtime.roster.errors import RosterLoadError
from runtime.roster.io import load_roster
from runtime.roster.schema import schema_text

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "resources" / "schema" / "roster.schema.json"
GOOD = sorted(
    [
        *ROOT.glob("resources/samples/*.roster.yaml"),
        *ROOT.glob("resources/templates/*.roster.yaml"),
        *ROOT.glob("tests/golden/v*/*.yaml"),
    ]
)
BAD = sorted((ROOT / "tests" / "fixtures" / "bad").glob("*.yaml"))

# Loader refusals JSON Schema cannot express: they are about the YAML text or about the
# relation between values, not the shape of the data.
OUTSIDE_SCHEMA = (
    "duplicate",
    "alias",
    "anchor",
    "merge",
    "tag",
    "nest",
    "document",
    "utf-8",
    "control",
    "too large",
    "already used",
    "listed twice",
    "not valid",
    "invalid yaml",
    "empty",
    "newer",
    "older",
    "reference",
    "config",
    "no integer 'version'",  # JSON Schema counts 1.0 as an integer; the loader does not
)


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def test_the_shipped_schema_is_the_generated_one() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "resources/schema/roster.schema.json is stale: run "
        "`roster schema -o resources/schema/roster.schema.json`"
    )


def test_the_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA_FILE.read_text()))


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_every_file_the_loader_accepts_the_schema_accepts(path: Path) -> None:
    load_roster(path)
    data = yaml_read.parse(path.read_text(encoding="utf-8"))
    errors = [e.message for e in _validator().iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_fixtures_that_are_plain_data_are_refused_by_both(path: Path) -> None:
    try:  # the loader's own safe reader: aliases, tags and bombs are refused up front
        data = yaml_read.parse(yaml_read.decode(path.read_bytes()))
        json.dumps(data, allow_nan=False)
    except (RosterLoadError, ValueError, TypeError):
        pytest.skip("not plain JSON-compatible data; only the loader can judge it")
    with pytest.raises(RosterLoadError) as refused:
        load_roster(path)
    message = str(refused.value).lower()
    if any(word in message for word in OUTSIDE_SCHEMA):
        pytest.skip("a refusal about the text or about relations, outside JSON Schema")
    assert list(_validator().iter_errors(data)), (
        f"schema accepts what the loader refuses: {message}"
    )
