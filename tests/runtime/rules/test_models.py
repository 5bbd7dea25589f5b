"""Model governance: R24 known and allowed, R25 deprecated, R26 tiers, R27 budget, R28 cost."""

from __future__ import annotations

from typing import Any

from runtime.roster.catalog import load_catalog
from runtime.roster.costs import min_call_cost
from tests.runtime.rules.conftest import codes, mutate
from tests.runtime.rules.helpers import of


def test_r24_unknown_model_with_suggestion() -> None:
    text = mutate(lambda d: d["agents"]["researcher"].update(model="claude-haiku-5.5"))
    assert codes(text) == {"R24"}
    (f,) = of(text, "R24")
    assert f.path == ("agents", "researcher", "model")
    assert "did you mean 'claude-haiku-5-5'" in f.message  # best match first


def test_r24_model_outside_the_allowlist() -> None:
    text = mutate(lambda d: d["policy"].update(allowed_models=["claude-haiku-5-5"]))
    assert codes(text) == {"R24"}
    found = of(text, "R24")
    assert {f.subject for f in found} == {"lead", "billing"}
    assert {f.path for f in found} == {("defaults", "model")}


def test_r24_aliases_count_as_their_model() -> None:
    text = mutate(lambda d: d["agents"]["researcher"].update(model="haiku"))
    assert "R24" not in codes(text)


def test_r24_no_model_at_all() -> None:
    def change(d: dict[str, Any]) -> None:
        del d["defaults"]["model"]

    text = mutate(change)
    assert codes(text) == {"R24"}
    found = of(text, "R24")
    assert {f.subject for f in found} == {"lead", "billing"}
    assert {f.path for f in found} == {("agents", "lead"), ("agents", "billing")}


def test_r24_quiet_on_the_base(base: str) -> None:
    assert "R24" not in codes(base)


def test_r25_deprecated_model() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agents"]["billing"]["model"] = "claude-sonnet-5"
        d["policy"]["allowed_models"].append("claude-sonnet-5")

    text = mutate(change)
    assert codes(text) == {"R25"}
    (f,) = of(text, "R25")
    assert f.path == ("agents", "billing", "model")
    assert "claude-sonnet-5-5" in f.fix


def test_r26_orchestrator_below_a_free_text_delegate() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agents"]["lead"]["model"] = "claude-haiku-5-5"
        d["agents"]["researcher"]["model"] = "claude-sonnet-5-5"
        d["agents"]["researcher"].pop("output")  # free text: the lead must judge it

    text = mutate(change)
    assert codes(text) == {"R26"}
    (f,) = of(text, "R26")
    assert f.subjects == ("lead", "researcher")
    assert f.path == ("agents", "lead", "model")


def test_r26_quiet_for_a_router_in_front_of_structured_delegates() -> None:
    assert "R26" not in codes(mutate(lambda d: d["agents"]["lead"].update(
        model="claude-haiku-5-5")))


def test_r27_budget_below_one_call() -> None:
    text = mutate(lambda d: d["agents"]["billing"].update(budget_usd=0.001))
    assert codes(text) == {"R27"}
    (f,) = of(text, "R27")
    assert f.path == ("agents", "billing", "budget_usd")
    sonnet = load_catalog().get("claude-sonnet-5-5")
    assert sonnet is not None
    assert min_call_cost(sonnet, 1000, 2048) > 0.001


def test_r27_quiet_when_one_call_fits() -> None:
    # one sonnet call of 1000 in + 2048 out tokens costs about $0.0225
    assert "R27" not in codes(mutate(lambda d: d["agents"]["billing"].update(budget_usd=0.03)))


def test_r28_premium_model_on_a_read_only_agent() -> None:
    text = mutate(lambda d: d["agents"]["researcher"].update(model="claude-opus-5-5"))
    assert codes(text) == {"R28"}
    (f,) = of(text, "R28")
    assert f.path == ("agents", "researcher", "model")
    assert "claude-sonnet-5-5" in f.message and "$10.00 less per 1M output tokens" in f.message


def test_r28_quiet_when_the_agent_writes_or_delegates() -> None:
    assert "R28" not in codes(mutate(lambda d: d["agents"]["billing"].update(
        model="claude-opus-5-5")))
    assert "R28" not in codes(mutate(lambda d: d["agents"]["lead"].update(
        model="claude-opus-5-5")))
