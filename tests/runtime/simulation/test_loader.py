"""Scenario files: the schema and the loader agree, and bad input gets a located error."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from runtime.roster import yaml_read
from runtime.roster.codec import RosterContent
from runtime.simulation import ScenarioError, check_against, load_scenario
from runtime.simulation.schema import schema_text
from tests.runtime.simulation.conftest import REPO, scenario_text

SCHEMA_FILE = REPO / "resources" / "schema" / "scenario.schema.json"
SCENARIO_FILES = sorted(p for p in REPO.rglob("*.scenario.yaml")
                        if ".venv" not in p.parts and "bench" not in p.parts)


def test_the_shipped_schema_is_the_one_the_loader_uses() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "regenerate resources/schema/scenario.schema.json from runtime.simulation.schema")


def test_there_are_scenario_files_for_every_sample_and_broken_variant() -> None:
    names = {p.name for p in SCENARIO_FILES}
    for sample in ("content-studio", "support-triage", "governance-vacuum"):
        assert f"{sample}.scenario.yaml" in names
        assert f"{sample}.broken.scenario.yaml" in names


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_every_scenario_file_passes_the_schema_and_loads(path: Path) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    data = yaml_read.parse(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    scenario = load_scenario(path)
    assert scenario.name == data["name"]
    assert scenario.source == str(path)


@pytest.mark.parametrize("text", [
    scenario_text("task: x\nexpect: {}\nagents: {a: {turns: [{tool: t, delegate: b}]}}\n"),
    scenario_text("task: x\nexpect: {stopped_by: [nothing]}\n"),
    scenario_text("task: x\nexpect: {}\nhumans: {lead: maybe}\n"),
    scenario_text("task: x\n"),
])
def test_schema_and_loader_reject_the_same_files(text: str) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml_read.parse(text), schema)
    with pytest.raises(ScenarioError):
        load_scenario(text)


def test_a_misspelt_key_is_located_with_did_you_mean() -> None:
    text = scenario_text("task: x\nexpect:\n  tools_caled: [crm]\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario("bad.scenario.yaml", text=text)
    message = str(caught.value)
    assert message.startswith("bad.scenario.yaml:6:3: ")
    assert "unknown key 'tools_caled'" in message
    assert "did you mean 'tools_called'?" in message


def test_a_wrong_value_names_what_was_expected() -> None:
    text = scenario_text("task: x\nexpect: {status: done}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(text)
    assert "<scenario>:5:" in str(caught.value)
    assert "one of: completed, failed, limit, stopped" in str(caught.value)


def test_a_roster_file_is_not_taken_for_a_scenario() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario("format: agent-roster\nversion: 1\n")
    assert "not a scenario file" in str(caught.value)
    assert "format: agent-roster-scenario" in str(caught.value)


@pytest.mark.parametrize("snippet, problem", [
    ("task: !!python/object:os.system x\nexpect: {}\n", "tag"),
    ("task: &a x\nexpect: {}\n", "anchor"),
    ("task: x\ntask: y\nexpect: {}\n", "duplicate key"),
])
def test_the_safe_yaml_reader_refuses_risky_yaml(snippet: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario_text(snippet))
    assert problem in str(caught.value)
    assert caught.value.line is not None


def test_a_final_answer_cannot_come_with_actions() -> None:
    text = scenario_text("task: x\nexpect: {}\nagents:\n  a:\n    turns:\n"
                         "      - {tool: t, final: done}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(text)
    assert "final answer ends the agent" in str(caught.value)
    assert caught.value.line == 9


def test_turns_and_a_rule_do_not_mix() -> None:
    text = scenario_text("task: x\nexpect: {}\nagents:\n  a:\n    turns: [{final: x}]\n"
                         "    repeat: {tool: t, times: 2}\n")
    with pytest.raises(ScenarioError, match="either scripted turns or a rule"):
        load_scenario(text)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read the scenario"):
        load_scenario(tmp_path / "nope.scenario.yaml")


def test_names_the_roster_lacks_are_located_with_did_you_mean(tiny: RosterContent) -> None:
    text = scenario_text("task: x\nexpect: {}\nagents:\n  boss:\n    turns:\n"
                         "      - delegate: wroker\n        message: go\n")
    scenario = load_scenario("s.scenario.yaml", text=text)
    with pytest.raises(ScenarioError) as caught:
        check_against(scenario, tiny)
    message = str(caught.value)
    assert message.startswith("s.scenario.yaml:9:")
    assert "agent 'wroker' is not in the roster" in message
    assert "did you mean 'worker'?" in message


def test_expectations_must_name_roster_tools(tiny: RosterContent) -> None:
    scenario = load_scenario(scenario_text("task: x\nexpect: {tools_called: [mial]}\n"))
    with pytest.raises(ScenarioError, match="did you mean 'mail'"):
        check_against(scenario, tiny)


def test_a_scenario_holding_a_secret_is_refused_without_echoing_it() -> None:
    from tests.conftest import make_anthropic_key

    key = make_anthropic_key()
    text = scenario_text(f"task: x\nexpect: {{}}\ntools:\n  crm: {{output: '{key}'}}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(text)
    message = str(caught.value)
    assert "must hold no secret" in message and "<scenario>:7:" in message
    assert key not in message
