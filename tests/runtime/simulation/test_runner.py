"""Dry runs go through the real engine: gates, approvals, limits and the journal act as in a
real run, results are deterministic, and failures name the expectation and the event."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from runtime.engine import events as ev
from runtime.roster.codec import RosterContent
from runtime.simulation import SimulationResult, load_scenario, run_scenario, run_scenario_sync
from runtime.simulation.scenario import INJECTION_TEXT
from tests.runtime.simulation.conftest import BROKEN, SAMPLE_NAMES, SAMPLES, sample, scenario_text


def _run(content: RosterContent, body: str) -> SimulationResult:
    return run_scenario_sync(content, load_scenario(scenario_text(body)))


def _of(result: SimulationResult, kind: type[ev.EngineEvent]) -> list[ev.EngineEvent]:
    return [e for e in result.events if isinstance(e, kind)]


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.scenario.yaml")), ids=lambda p: p.name)
def test_every_sample_scenario_passes(path: Path) -> None:
    roster = path.name.split(".")[0]
    result = run_scenario_sync(sample(roster), load_scenario(path))
    assert result.passed, "\n".join(x.message for x in result.failures)
    assert result.expectations, "a sample scenario must check something"


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_each_broken_variant_fails_naming_the_expectation_and_the_event(name: str) -> None:
    result = run_scenario_sync(sample(name),
                               load_scenario(BROKEN / f"{name}.broken.scenario.yaml"))
    assert not result.passed
    for failure in result.failures:
        assert failure.message.startswith(failure.name + ":")
        if failure.event_index is not None:
            event = result.events[failure.event_index]
            assert f"event #{event.seq} {type(event).__name__}" in failure.message


def test_the_declined_email_is_reported_at_the_denial() -> None:
    result = run_scenario_sync(sample("content-studio"), load_scenario(
        BROKEN / "content-studio.broken.scenario.yaml"))
    [failure] = result.failures
    assert failure.name == "tools_called: client-email"
    denial = result.events[failure.event_index or 0]
    assert isinstance(denial, ev.ToolDenied) and "denied by client-lead" in denial.reason


def test_the_same_seed_gives_the_same_trace() -> None:
    content = sample("content-studio")
    scenario = load_scenario(SAMPLES / "content-studio.article.scenario.yaml")

    def shape(result: SimulationResult) -> list[tuple[object, ...]]:
        return [tuple(v for k, v in dataclasses.asdict(e).items() if k not in (
            "at", "duration_s")) for e in result.events]

    first, second = (run_scenario_sync(content, scenario) for _ in range(2))
    assert shape(first) == shape(second)
    assert first.cost_usd == second.cost_usd


def test_a_grant_that_asks_goes_to_the_human_and_a_timeout_denies(tiny: RosterContent) -> None:
    result = _run(tiny, "task: x\nagents:\n  boss:\n    turns:\n"
                        "      - {tool: mail, input: {to: a@b.example}}\n"
                        "humans: {lead: timeout}\nexpect: {tools_denied: [mail]}\n")
    assert result.passed
    [answer] = _of(result, ev.ApprovalAnswered)
    assert isinstance(answer, ev.ApprovalAnswered) and answer.decision == "timeout"
    [denied] = _of(result, ev.ToolDenied)
    assert isinstance(denied, ev.ToolDenied) and "timed out" in denied.reason


def test_an_ungranted_tool_is_refused_by_the_policy_gate(tiny: RosterContent) -> None:
    result = _run(tiny, "task: x\nagents:\n  boss:\n    turns:\n"
                        "      - {tool: lookup, input: {id: R001}}\n"
                        "expect: {tools_denied: [lookup], stopped_by: [denied]}\n")
    assert result.passed
    [denied] = _of(result, ev.ToolDenied)
    assert isinstance(denied, ev.ToolDenied) and "no grant" in denied.reason


def test_the_depth_limit_of_the_roster_holds(tiny: RosterContent) -> None:
    text = tiny_text_with_depth(1)
    from runtime.roster.io import loads

    content = loads(text).content
    result = _run(content, "task: x\nagents:\n  boss:\n    turns: [{delegate: worker, "
                           "message: go}]\n  worker:\n    turns: [{delegate: boss, message: "
                           "back}]\nexpect: {stopped_by: [depth, denied]}\n")
    assert result.passed, [x.message for x in result.failures]


def tiny_text_with_depth(depth: int) -> str:
    from tests.runtime.simulation.conftest import TINY

    return TINY.replace("max_delegation_depth: 2", f"max_delegation_depth: {depth}")


def test_a_scripted_model_failure_fails_the_run(tiny: RosterContent) -> None:
    result = _run(tiny, "task: x\nagents:\n  boss: {fail_on_turn: 1}\n"
                        "expect: {status: completed}\n")
    assert result.status == "failed"
    [failure] = result.failures
    assert "it ended failed" in failure.message and "RunFinished" in failure.message


def test_stub_errors_injection_and_schema_checks_reach_the_model(tiny: RosterContent) -> None:
    result = _run(tiny, "task: x\nagents:\n  boss:\n    turns:\n      - actions:\n"
                        "          - {tool: notes, input: {k: v}}\n"
                        "          - {delegate: worker, message: look up R1}\n"
                        "  worker:\n    turns: [{tool: lookup, input: {id: R1}}]\n"
                        "tools:\n  notes: {output: hello, injection: true}\n"
                        "expect: {tools_called: [notes, lookup]}\n")
    assert result.passed
    finished = {e.tool: e for e in _of(result, ev.ToolFinished)
                if isinstance(e, ev.ToolFinished)}
    assert finished["notes"].ok and INJECTION_TEXT[:40] in finished["notes"].output
    assert not finished["lookup"].ok and "does not match" in finished["lookup"].output


def test_a_budget_stops_a_runaway_agent(tiny: RosterContent) -> None:
    result = _run(tiny, "task: x\nmax_usd: 0.005\nagents:\n  boss:\n"
                        "    repeat: {tool: notes, times: 50}\n"
                        "    usage: {output_tokens: 4000}\n"
                        "expect: {stopped_by: [run_budget], max_usd: 0.005}\n")
    assert result.status == "limit"
    assert result.passed, [x.message for x in result.failures]


def test_the_guard_stops_a_run_the_roster_does_not_bound(tiny: RosterContent) -> None:
    result = _run(tiny, "task: x\nagents:\n  boss:\n    repeat: {tool: notes, times: 50}\n"
                        "expect: {max_model_calls: 3}\n")
    assert result.model_calls == 4
    [failure] = result.failures
    assert failure.name == "max_model_calls: 3"
    assert "simulation stopped the run" in failure.message
    assert "simulation guard" in result.error


def test_coverage_and_unused_grants(tiny: RosterContent) -> None:
    result = _run(tiny, "task: x\nagents:\n  boss:\n    turns: [{tool: notes}]\nexpect: {}\n")
    assert result.coverage.agents == {"boss"}
    assert result.coverage.grants == {"boss:uses:notes"}
    assert result.coverage.unused_grants == ["boss:uses:mail", "worker:uses:lookup"]
    assert result.cost_by_agent.keys() == {"boss"}


def test_on_event_sees_every_event_as_it_happens(tiny: RosterContent) -> None:
    seen: list[ev.EngineEvent] = []
    scenario = load_scenario(scenario_text("task: x\nexpect: {}\n"))
    result = asyncio.run(run_scenario(tiny, scenario, on_event=seen.append))
    assert seen == result.events
    assert isinstance(seen[0], ev.RunStarted) and isinstance(seen[-1], ev.RunFinished)


def test_a_journaled_dry_run_records_its_steps(tiny: RosterContent, tmp_path: Path) -> None:
    from runtime.engine.dbos_support import journal_url
    from runtime.engine.journal import Journal

    db = tmp_path / "sim.db"
    scenario = load_scenario(scenario_text(
        "task: x\nagents:\n  boss:\n    turns: [{tool: notes}]\nexpect: {tools_called: "
        "[notes]}\n"))
    result = asyncio.run(run_scenario(tiny, scenario, journal=str(db)))
    assert result.passed
    journal = Journal(journal_url(str(db)))
    try:
        record = journal.get_run(result.events[0].run_id)
        assert record is not None and record.status == "completed"
        assert any(key.endswith("/tool/toolu_000001")
                   for key in journal.load_steps(result.events[0].run_id))
    finally:
        journal.close()


def test_random_stub_outputs_follow_the_seed(tiny: RosterContent) -> None:
    def outputs(seed: int) -> list[str]:
        result = _run(tiny, f"task: x\nseed: {seed}\nagents:\n  boss:\n"
                            "    repeat: {tool: notes, times: 5}\n"
                            "tools:\n  notes: {outputs: [a, b, c, d, e, f, g], pick: random}\n"
                            "expect: {}\n")
        return [e.output for e in result.events if isinstance(e, ev.ToolFinished)]

    assert outputs(1) == outputs(1)
    assert len(outputs(1)) == 5
    assert outputs(1) != outputs(2)


def test_an_unattended_dry_run_denies_what_would_ask(tiny: RosterContent) -> None:
    result = _run(tiny, "task: x\nunattended: true\nagents:\n  boss:\n    turns:\n"
                        "      - {tool: mail, input: {to: a@b.example}}\n"
                        "humans: {lead: approve}\n"
                        "expect: {tools_denied: [mail], stopped_by: [denied]}\n")
    assert result.passed, [x.message for x in result.failures]
    assert not _of(result, ev.ApprovalRequested)


def test_asking_a_human_returns_the_answer_note_to_the_agent(tiny: RosterContent) -> None:
    result = _run(tiny, "task: x\nagents:\n  boss:\n    turns:\n"
                        "      - {ask: lead, question: Ship it?}\n"
                        "humans: {lead: 'approve: yes, ship on Friday'}\n"
                        "expect: {approvals_requested: [lead]}\n")
    assert result.passed
    [answer] = _of(result, ev.ApprovalAnswered)
    assert isinstance(answer, ev.ApprovalAnswered) and answer.note == "yes, ship on Friday"
    assert result.coverage.gates == {"boss:escalates_to:lead"}
