"""CrewAI import (classic YAML + crew.py, JSONC) and classic export, with round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.interop.claude_export import write_files
from runtime.interop.crewai_export import export_crewai
from runtime.interop.crewai_import import import_crewai
from runtime.interop.diff import diff
from runtime.interop.report import InteropError
from runtime.roster import codec, io
from runtime.roster import model as m

from .conftest import CREW_PROJECTS, CREWAI, SAMPLES


def delegates(content: codec.RosterContent, source: str) -> set[str]:
    return {e.target for e in content.edges.values()
            if e.source == source and e.kind is m.EdgeKind.DELEGATION}


def test_the_corpus_has_at_least_ten_crewai_projects() -> None:
    assert len(CREW_PROJECTS) >= 10
    layouts = {"jsonc" if any(p.rglob("crew.json*")) else "classic" for p in CREW_PROJECTS}
    assert layouts == {"classic", "jsonc"}


@pytest.mark.parametrize("project", CREW_PROJECTS, ids=lambda p: p.name)
def test_every_project_imports_and_round_trips_through_classic_yaml(
    project: Path, tmp_path: Path
) -> None:
    content, report = import_crewai(project)
    assert not report.errors
    io.loads(io.dumps(content))  # a valid roster
    files, _ = export_crewai(content)
    write_files(files, tmp_path)
    again, _ = import_crewai(tmp_path)
    assert diff(content, again) == []


def test_classic_agents_map_role_goal_backstory_and_llm() -> None:
    content, _ = import_crewai(CREWAI / "classic_sequential")
    researcher = content.nodes["researcher"]
    assert isinstance(researcher, m.Agent)
    assert researcher.name == "{topic} Senior Data Researcher"
    assert researcher.role == "Uncover cutting-edge developments in {topic}"
    assert researcher.instructions.startswith("You are {topic} Senior Data Researcher.\n\nGoal: ")
    assert researcher.model == "claude-sonnet-4-6"
    assert researcher.tasks == ("research_task",)
    assert content.meta.name == "LatestAiDevelopment crew"  # the @CrewBase docstring


def test_task_context_becomes_delegation_and_sequential_entry_is_the_first_task() -> None:
    content, _ = import_crewai(CREWAI / "classic_no_crewpy")
    assert delegates(content, "reporting-analyst") == {"researcher"}
    assert content.meta.entry == ("researcher",)
    assert content.meta.extensions["x-crewai"]["process"] == "sequential"


def test_hierarchical_with_manager_llm_adds_an_orchestrator() -> None:
    content, report = import_crewai(CREWAI / "classic_hierarchical_llm")
    manager = content.nodes["crew-manager"]
    assert isinstance(manager, m.Agent) and manager.model == "claude-opus-4-6"
    assert content.meta.entry == ("crew-manager",)
    assert delegates(content, "crew-manager") == {"researcher", "reporting-analyst"}
    assert "read, not run" in report.text()


def test_hierarchical_with_a_manager_agent_makes_it_the_entry() -> None:
    content, _ = import_crewai(CREWAI / "classic_hierarchical_agent")
    assert content.meta.entry == ("manager",)
    assert delegates(content, "manager") == {"researcher", "reporting-analyst"}


def test_manager_llm_given_as_an_llm_call_is_read_without_running_crew_py() -> None:
    content, report = import_crewai(CREWAI / "classic_other_llm")
    manager = content.nodes["crew-manager"]
    assert isinstance(manager, m.Agent) and manager.model == "claude-sonnet-5-5"
    analyst = content.nodes["analyst"]
    assert isinstance(analyst, m.Agent) and analyst.model is None
    assert analyst.extensions["x-crewai"]["llm"] == "openai/gpt-4o"
    assert "not a Claude model" in report.text()


def test_human_input_becomes_an_escalation_to_a_reviewer() -> None:
    content, _ = import_crewai(CREWAI / "classic_human_review")
    assert isinstance(content.nodes["crew-reviewer"], m.Human)
    assert m.edge_id(m.EdgeKind.ESCALATION, "editor", "crew-reviewer") in content.edges


def test_tools_map_to_kinds_and_unknown_tools_stay_placeholders() -> None:
    content, report = import_crewai(CREWAI / "classic_tools")
    interpreter = content.nodes["code-interpreter"]
    assert isinstance(interpreter, m.Tool) and interpreter.kind == "shell"
    assert isinstance(content.nodes["my-custom"], m.Placeholder)
    assert delegates(content, "coder") == {"reviewer"}  # allow_delegation
    coder = content.nodes["coder"]
    assert isinstance(coder, m.Agent)
    assert coder.extensions["x-crewai"]["keys"]["code_execution_mode"] == "safe"
    assert "not a known CrewAI tool" in report.text()


def test_jsonc_comments_trailing_commas_and_settings_are_read() -> None:
    content, _ = import_crewai(CREWAI / "jsonc_basic")
    assert content.meta.name == "Research crew"
    researcher = content.nodes["researcher"]
    assert isinstance(researcher, m.Agent) and researcher.max_turns == 10
    assert "// not a comment" in researcher.instructions
    assert delegates(content, "writer") == {"researcher"}  # context only: settings said no


def test_jsonc_hierarchical_and_jsonc_beats_json() -> None:
    content, _ = import_crewai(CREWAI / "jsonc_hierarchical")
    assert content.meta.entry == ("crew-manager",)
    fallback, _ = import_crewai(CREWAI / "jsonc_json_fallback")
    alpha = fallback.nodes["alpha"]
    assert isinstance(alpha, m.Agent) and alpha.name == "Alpha"


@pytest.mark.parametrize(
    ("project", "location", "words"),
    [
        ("yaml_error", "config/agents.yaml:4:12", "invalid YAML"),
        ("unknown_agent", "config/tasks.yaml:4:3", "names agent 'editor'"),
        ("missing_goal", "config/agents.yaml:1:1", "needs a text 'goal'"),
        ("jsonc_error", "crew.jsonc:4:3", "not valid JSONC"),
        ("empty", "empty:1:1", "no CrewAI project here"),
    ],
)
def test_broken_projects_get_located_errors(project: str, location: str, words: str) -> None:
    with pytest.raises(InteropError) as caught:
        import_crewai(CREWAI / "bad" / project)
    assert str(caught.value).split(": ", 1)[0].endswith(location)
    assert words in caught.value.message


def test_a_crew_py_syntax_error_is_reported_and_the_rest_imports() -> None:
    content, report = import_crewai(CREWAI / "bad" / "crewpy_syntax")
    assert "writer" in content.nodes
    assert [e.line for e in report.errors] == [1]


def test_a_native_roster_exports_to_a_crew_that_imports_back(tmp_path: Path) -> None:
    content = io.load_roster(next(p for p in SAMPLES if "support" in p.name)).content
    files, report = export_crewai(content)
    write_files(files, tmp_path)
    text = (tmp_path / "config" / "agents.yaml").read_text()
    assert "triage:" in text and "llm: anthropic/claude-sonnet-5-5" in text
    again, _ = import_crewai(tmp_path)
    assert {n for n in again.nodes if isinstance(again.nodes[n], m.Agent)} >= {"triage",
                                                                               "refunds"}
    assert "CrewAI has no people" in report.text()
