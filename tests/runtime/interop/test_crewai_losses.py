"""A CrewAI export never drops a roster fact silently.

CrewAI cannot express approvals, denials, escalations to named people, budgets,
people or policy. What it can say (`human_input: true` on the tasks of an agent a
person must look at) is written; everything else is listed in the export report as
`not expressible in CrewAI: ...`, and `roster export crewai --strict` refuses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from runtime.cli.main import main
from runtime.interop.claude_export import write_files
from runtime.interop.crewai_export import crewai_losses, export_crewai
from runtime.interop.crewai_import import import_crewai
from runtime.interop.diff import diff
from runtime.roster import io
from runtime.roster import model as m

from .conftest import CREW_PROJECTS, SAMPLES

SUPPORT = next(p for p in SAMPLES if p.name.startswith("support-triage"))
STUDIO = next(p for p in SAMPLES if p.name.startswith("content-studio"))


def test_an_agent_whose_tool_needs_approval_gets_human_input_on_its_tasks(
        tmp_path: Path) -> None:
    files, _ = export_crewai(io.load_roster(SUPPORT).content)
    write_files(files, tmp_path)
    tasks = yaml.safe_load((tmp_path / "config" / "tasks.yaml").read_text("utf-8"))
    refunds = [t for t in tasks.values() if t["agent"] == "refunds"]
    assert refunds and all(t.get("human_input") is True for t in refunds)


def test_support_triage_lists_the_approval_and_escalations_it_cannot_express() -> None:
    _, report = export_crewai(io.load_roster(SUPPORT).content)
    lost = "\n".join(crewai_losses(report))
    assert "refunds may use payments (write) only after a person approves" in lost
    assert "triage escalates to support-lead" in lost
    assert "person support-lead" in lost
    assert "roster policy (budget_usd_per_run" in lost
    assert all(line.startswith("not expressible in CrewAI: ") for line in crewai_losses(report))
    assert "warning: not expressible in CrewAI: refunds may use payments" in report.text()


def test_content_studio_lists_the_client_email_approval() -> None:
    _, report = export_crewai(io.load_roster(STUDIO).content)
    assert any(line.startswith("not expressible in CrewAI: client-success may use client-email"
                               " (write) only after") for line in crewai_losses(report))


_PERMISSION = re.compile(r"^(\S+) now uses (\S+) ")
_ESCALATION = re.compile(r"^(\S+) no longer escalates to (\S+):")


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_high_risk_change_of_the_round_trip_was_reported_as_a_loss(
        path: Path, tmp_path: Path) -> None:
    """Whatever `roster diff` flags HIGH after export + import was announced by the export."""
    content = io.load_roster(path).content
    files, report = export_crewai(content)
    write_files(files, tmp_path)
    again, _ = import_crewai(tmp_path)
    lost = crewai_losses(report)
    high = [c for c in diff(content, again) if c.risk == "high"]
    for change in high:
        permission, escalation = _PERMISSION.match(change.message), \
            _ESCALATION.match(change.message)
        if permission:
            agent, tool = permission.groups()
            wanted = f"{agent} may use {tool} "
        elif escalation:
            agent, target = escalation.groups()
            wanted = f"{agent} escalates to {target}"
        else:
            pytest.fail(f"unexpected high-risk change: {change.message}")
        assert any(wanted in line for line in lost), f"not reported: {change.message}"


def test_a_denied_grant_and_partial_delegation_are_reported() -> None:
    """A third agent makes triage's delegation partial: CrewAI can only say all or none."""
    content = io.load_roster(SUPPORT).content
    deny = m.Edge(m.EdgeKind.TOOL_ACCESS, "triage", "payments", mode="read", approval="deny")
    content.edges[deny.id] = deny
    content.nodes["helper"] = m.Agent("helper", name="Helper", role="helps")
    _, report = export_crewai(content)
    lost = "\n".join(crewai_losses(report))
    assert "triage is denied payments" in lost
    assert "triage delegates to refunds but not to every coworker" in lost


@pytest.mark.parametrize("project", CREW_PROJECTS, ids=lambda p: p.name)
def test_a_crew_imported_from_crewai_exports_without_losses(project: Path) -> None:
    content, _ = import_crewai(project)
    _, report = export_crewai(content)
    assert crewai_losses(report) == []


def test_cli_prints_the_losses_and_exits_0_but_strict_writes_nothing_and_exits_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "crew"
    assert main(["export", "crewai", str(SUPPORT), "-o", str(out)]) == 0
    assert "not expressible in CrewAI: refunds may use payments" in capsys.readouterr().out
    strict = tmp_path / "strict"
    assert main(["export", "crewai", str(SUPPORT), "-o", str(strict), "--strict"]) == 1
    printed = capsys.readouterr()
    assert "not expressible in CrewAI" in printed.out
    assert "--strict" in printed.err and "nothing was written" in printed.err
    assert not strict.exists()
    crew = tmp_path / "crew.roster.yaml"
    assert main(["import", "crewai", str(CREW_PROJECTS[0]), "-o", str(crew)]) == 0
    assert main(["export", "crewai", str(crew), "-o", str(tmp_path / "c2"), "--strict",
                 "--force"]) == 0
