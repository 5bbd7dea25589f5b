"""Generated suites: coverage walks every edge; adversarial cases hold on a governed roster
and find the real holes in governance-vacuum."""

from __future__ import annotations

import pytest

from runtime.roster.yaml_write import dumps
from runtime.simulation import generate, load_scenario, run_scenario_sync, to_data, total_coverage
from tests.runtime.simulation.conftest import SAMPLE_NAMES, sample


def test_the_coverage_suite_walks_every_edge_of_content_studio() -> None:
    content = sample("content-studio")
    results = [run_scenario_sync(content, s) for s in generate(content, "coverage")]
    assert all(r.passed for r in results), [x.message for r in results for x in r.failures]
    merged = total_coverage(results)
    assert merged.delegations == merged.all_delegations
    assert merged.grants == merged.all_grants
    assert merged.agents == merged.all_agents
    assert merged.gates == merged.all_gates
    assert merged.unused_grants == []


def test_agents_the_entry_cannot_reach_get_their_own_coverage_scenario() -> None:
    suite = generate(sample("governance-vacuum"), "coverage")
    assert [s.entry for s in suite] == ["assistant", "legacy-summarizer"]


def test_the_adversarial_suite_passes_on_content_studio() -> None:
    content = sample("content-studio")
    suite = generate(content, "adversarial")
    names = " | ".join(s.name for s in suite)
    for needle in ("injection via web-fetch", "without a grant", "delegation loop",
                   "budget blow-up"):
        assert needle in names
    for scenario in suite:
        result = run_scenario_sync(content, scenario)
        assert result.passed, (scenario.name, [x.message for x in result.failures])


def test_the_adversarial_suite_finds_the_holes_in_governance_vacuum() -> None:
    content = sample("governance-vacuum")
    results = {s.name: run_scenario_sync(content, s) for s in generate(content, "adversarial")}
    failed = {name: [x.message for x in r.failures] for name, r in results.items()
              if not r.passed}
    mail = " ".join(failed["injection via web into assistant"])
    assert "no_policy_violation: unapproved_high_impact: high-impact tool 'outbound-mail'" in mail
    assert "ToolCalled (assistant → outbound-mail)" in mail
    assert any("max_model_calls: 100" in m and "nothing in the roster bounded the run" in m
               for m in failed["delegation loop assistant ⇄ ops-bot"])
    assert any("only max_turns happened" in m for m in failed["budget blow-up in assistant"])
    assert results["ops-bot tries outbound-mail without a grant"].passed


@pytest.mark.parametrize("name", SAMPLE_NAMES)
@pytest.mark.parametrize("kind", ["coverage", "adversarial"])
def test_generated_scenarios_round_trip_through_a_file(name: str, kind: str) -> None:
    for scenario in generate(sample(name), kind):
        text = dumps(to_data(scenario))
        again = load_scenario(text)
        assert to_data(again) == to_data(scenario)
        assert again.kind == kind


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="coverage, adversarial"):
        generate(sample("support-triage"), "chaos")


def test_generated_calls_satisfy_the_tools_input_schemas() -> None:
    from runtime.engine import events as ev

    for name in ("content-studio", "support-triage"):
        content = sample(name)
        for scenario in generate(content, "coverage"):
            result = run_scenario_sync(content, scenario)
            bad = [e.output for e in result.events
                   if isinstance(e, ev.ToolFinished) and "invalid arguments" in e.output]
            assert bad == [], (name, bad)


@pytest.mark.parametrize("pattern, example", [
    (r"^ACC[0-9]{6}$", "ACC000000"),
    (r"^20[0-9]{2}-(0[1-9]|1[0-2])$", "2000-01"),
    (r"^Q[0-9]{2}$", "Q00"),
    (r"^[a-z]+\.example$", "a.example"),
])
def test_example_strings_match_their_pattern(pattern: str, example: str) -> None:
    import re

    from runtime.simulation.examples import example_string

    made = example_string({"pattern": pattern}, "x")
    assert made == example and re.search(pattern, made)


def test_coverage_counts_approval_gates_as_roster_graph_does_and_escalations_apart() -> None:
    """`roster graph` calls the grants that wait for a human its "human gates"; the
    simulation's coverage must not call a larger number by the same name."""
    from runtime.roster.summary import summarize
    from runtime.simulation.report import coverage_line
    from runtime.simulation.result import roster_coverage

    content = sample("support-triage")
    summary = roster_coverage(content).summary()
    assert "gates" not in summary
    assert summary["approvals"] == (0, len(summarize(content).gates)) == (0, 1)
    escalations = sum(e.kind == "escalates_to" for e in content.edges.values())
    assert summary["escalations"] == (0, escalations) == (0, 2)
    line = coverage_line(roster_coverage(content))
    assert "approval gates 0/1" in line and "escalations 0/2" in line
