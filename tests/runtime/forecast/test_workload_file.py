"""Workload files: the shipped samples, the JSON Schema, and located errors on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from runtime.forecast import load_workload, loads_workload
from runtime.forecast.schema import build_schema, schema_text
from runtime.roster.errors import RosterLoadError
from runtime.roster.io import load_roster
from runtime.roster.yaml_read import parse
from tests.runtime.forecast.conftest import CHAIN, roster

SAMPLES = sorted(Path("resources/samples").glob("*.workload.yaml"))
SCHEMA_FILE = Path("resources/schema/workload.schema.json")
HEADER = "format: agent-roster-workload\nversion: 1\n"

# Structurally bad documents: the schema and the loader must both reject them.
BAD_STRUCTURE = [
    "format: agent-roster-workload\n",  # no version
    HEADER + "tasks_per_day: -5\n",
    HEADER + "tasks_per_dya: 5\n",
    HEADER + "arrival: {hours: {start: 9}}\n",
    HEADER + "arrival: {hours: sometimes}\n",
    HEADER + "agents: {lead: {calls: 0.5}}\n",
    HEADER + "agents: {lead: {input_tokens: {p50: 10}}}\n",
    HEADER + "agents: {lead: {delegates: {writer: 1.5}}}\n",
    HEADER + "humans: {boss: {reviewers: 0}}\n",
    HEADER + "rate_limits: {claude-sonnet-5-5: {requests_per_minute: 10}}\n",
    HEADER + "api_tier: 7\n",
    HEADER + "humans: {boss: {hours: {start: 9, end: 17, days: [mon, funday]}}}\n",
]


def test_shipped_schema_is_the_generated_one() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "resources/schema/workload.schema.json is stale: regenerate it with `python -c "
        "'from runtime.forecast.schema import schema_text; print(schema_text(), end=\"\")' "
        "> resources/schema/workload.schema.json`")


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_workload_loads_and_is_valid_for_the_schema(path: Path) -> None:
    raw = parse(path.read_text(encoding="utf-8"))
    jsonschema.validate(raw, build_schema())
    content = load_roster(path.with_name(raw["roster"])).content
    w = load_workload(path, content)
    assert w.tasks_per_day == raw["tasks_per_day"]
    assert w.assumptions[0].startswith(f"values not given in {path.name}")


def test_every_sample_roster_has_a_workload_next_to_it() -> None:
    rosters = {p.name.removesuffix(".roster.yaml")
               for p in Path("resources/samples").glob("*.roster.yaml")}
    assert rosters == {p.name.removesuffix(".workload.yaml") for p in SAMPLES}


@pytest.mark.parametrize("text", BAD_STRUCTURE)
def test_schema_and_loader_reject_the_same_bad_documents(text: str) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(parse(text), build_schema())
    with pytest.raises(RosterLoadError) as caught:
        loads_workload(text, roster(CHAIN), filename="w.workload.yaml")
    assert caught.value.line is not None


def _error(text: str) -> RosterLoadError:
    with pytest.raises(RosterLoadError) as caught:
        loads_workload(HEADER + text, roster(CHAIN), filename="team.workload.yaml")
    return caught.value


def test_a_misspelt_field_is_located_and_the_right_name_suggested() -> None:
    error = _error("agents:\n  lead:\n    concurency: 4\n")
    assert (error.line, error.column) == (5, 5)
    assert "did you mean 'concurrency'" in str(error)
    assert str(error).startswith("team.workload.yaml:5:5:")


def test_an_agent_the_roster_lacks_is_named_with_a_suggestion() -> None:
    error = _error("agents:\n  writr: {calls: 2}\n")
    assert error.line == 4
    assert "no agent 'writr'" in str(error) and "did you mean 'writer'" in str(error)


def test_a_delegation_the_roster_does_not_have_is_refused() -> None:
    error = _error("agents:\n  checker:\n    delegates: {writer: 0.5}\n")
    assert "'checker' does not delegate to 'writer'" in str(error)
    assert (error.line, error.column) == (5, 17)


def test_p95_below_p50_is_refused_at_the_p95_value() -> None:
    error = _error("agents:\n  lead:\n    output_tokens: {p50: 500, p95: 100}\n")
    assert "p95 (100) is below p50 (500)" in str(error)
    assert error.line == 5


def test_an_unknown_model_is_refused_with_the_closest_catalog_id() -> None:
    error = _error("agents:\n  lead: {model: claude-sonet-5-5}\n")
    assert "did you mean 'claude-sonnet-5-5'" in str(error)


def test_closing_hour_must_follow_opening_hour() -> None:
    error = _error("humans:\n  boss: {hours: {start: 17, end: 9}}\n")
    assert "end (9) is not after start (17)" in str(error)


def test_yaml_errors_and_unsafe_yaml_are_located() -> None:
    assert _error("agents: [unclosed\n").line is not None
    assert "anchor" in str(_error("a: &x 1\n"))


def test_file_values_override_defaults_field_by_field() -> None:
    content = roster(CHAIN)
    w = loads_workload(HEADER + "agents:\n  lead:\n    delegates: {writer: 0.9}\n", content)
    assert w.agents["lead"].delegates["writer"] == 0.9
    assert "checker" in w.agents["lead"].delegates  # kept from the defaults


def test_a_missing_file_says_how_to_go_on_without_one(tmp_path: Path) -> None:
    with pytest.raises(RosterLoadError, match="leave --workload out"):
        load_workload(tmp_path / "none.workload.yaml", roster(CHAIN))


def test_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA_FILE.read_text()))
