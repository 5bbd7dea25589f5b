"""R05 (per-agent caps) and R32 (budget arithmetic): fires, stays quiet, points right."""

from __future__ import annotations

from typing import Any

from runtime.roster.checks.engine import load_rules
from tests.runtime.rules.conftest import codes, mutate
from tests.runtime.rules.helpers import of


def test_r05_missing_caps_after_defaults() -> None:
    def change(d: dict[str, Any]) -> None:
        del d["defaults"]["timeout_s"]
        d["agents"]["lead"]["timeout_s"] = 120
        d["agents"]["billing"]["timeout_s"] = 120

    text = mutate(change)
    assert codes(text) == {"R05"}
    (f,) = of(text, "R05")
    assert f.subjects == ("researcher",)
    assert f.path == ("agents", "researcher")
    assert "no timeout_s" in f.message


def test_r05_max_turns_out_of_range_on_the_agent() -> None:
    text = mutate(lambda d: d["agents"]["researcher"].update(max_turns=150))
    assert codes(text) == {"R05"}
    (f,) = of(text, "R05")
    assert f.path == ("agents", "researcher", "max_turns")
    assert "150 turns" in f.message


def test_r05_max_turns_out_of_range_from_defaults_points_at_defaults() -> None:
    text = mutate(lambda d: d["defaults"].update(max_turns=101))
    assert codes(text) == {"R05", "R20"}  # R20: 101 turns of payment approvals
    found = of(text, "R05")
    assert {f.subject for f in found} == {"lead", "researcher", "billing"}
    assert {f.path for f in found} == {("defaults", "max_turns")}


def test_r05_quiet_on_the_base(base: str) -> None:
    assert "R05" not in codes(base)


def test_r32_run_budget_below_an_agent_budget_and_the_fan_out() -> None:
    text = mutate(lambda d: d["policy"].update(budget_usd_per_run=0.4))
    assert codes(text) == {"R32"}
    found = {f.path: f for f in of(text, "R32")}
    assert set(found) == {("defaults", "budget_usd"), ("policy", "budget_usd_per_run")}
    assert found[("defaults", "budget_usd")].subject == "billing"  # largest budget, by id


def test_r32_worst_case_spend_over_budget() -> None:
    # lead $0.50 + 2 x researcher $0.50 + 2 x billing $0.50 = $2.50
    text = mutate(lambda d: d["policy"].update(budget_usd_per_run=2.0))
    assert codes(text) == {"R32"}
    (f,) = of(text, "R32")
    assert "$2.50" in f.message and "$2.00" in f.message
    assert f.subject == "lead"
    assert f.path == ("policy", "budget_usd_per_run")


def test_r32_no_run_budget() -> None:
    text = mutate(lambda d: d["policy"].pop("budget_usd_per_run"))
    assert codes(text) == {"R32"}


def test_r32_quiet_when_the_budget_covers_the_fan_out() -> None:
    assert "R32" not in codes(mutate(lambda d: d["policy"].update(budget_usd_per_run=2.5)))


def test_r05_explain_names_the_r32_split() -> None:
    rules = load_rules()
    assert "R32" in rules["R05"].explain
    assert "R05" in rules["R32"].explain
    assert rules["R05"].scope == "node" and rules["R32"].scope == "roster"
