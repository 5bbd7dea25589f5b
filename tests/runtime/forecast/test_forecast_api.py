"""The public API: defaults from the roster, determinism by seed, what-if deltas."""

from __future__ import annotations

import numpy as np
import pytest

from runtime.forecast import compare, default_workload, forecast, with_models
from runtime.roster.io import load_roster
from tests.runtime.forecast.conftest import CHAIN, roster

SAMPLES = ("content-studio", "governance-vacuum", "support-triage")


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_forecasts_from_its_roster_alone(name: str) -> None:
    content = load_roster(f"resources/samples/{name}.roster.yaml").content
    w = default_workload(content)
    f = forecast(content, w, tasks=2_000)
    assert f.cost_mean.value > 0 and f.cost_per_month.value > f.cost_mean.value
    assert f.cost_p50.low <= f.cost_p50.value <= f.cost_p50.high
    assert f.latency_p95.value >= f.latency_p50.value > 0
    assert abs(sum(f.spend_share.values()) - 1) < 1e-9
    assert f.bottleneck in f.utilisation
    assert w.assumptions and all(isinstance(line, str) for line in w.assumptions)


def test_defaults_follow_the_roster_edges_and_approval_modes() -> None:
    w = default_workload(roster(CHAIN))
    assert set(w.agents["lead"].delegates) == {"writer", "checker"}
    assert w.agents["writer"].approval_tools == ("publish",)
    assert w.agents["writer"].approver == "boss"
    assert w.agents["checker"].model == "claude-haiku-5-5"
    assert w.mix == {"lead": 1.0}


def test_same_seed_gives_the_same_forecast_and_another_seed_does_not() -> None:
    content = roster(CHAIN)
    a = forecast(content, engine="des", tasks=3_000, seed=11)
    b = forecast(content, engine="des", tasks=3_000, seed=11)
    c = forecast(content, engine="des", tasks=3_000, seed=12)
    np.testing.assert_array_equal(a.cost, b.cost)
    np.testing.assert_array_equal(a.latency, b.latency)
    assert a.to_json() == b.to_json()
    assert not np.array_equal(a.cost, c.cost)


def test_a_cheaper_model_lowers_cost_and_a_dearer_one_raises_it() -> None:
    content = roster(CHAIN)
    base_w = default_workload(content)
    base = forecast(content, base_w, tasks=5_000, seed=1)
    cheaper = forecast(content, with_models(base_w, {"writer": "claude-haiku-5-5"}),
                       tasks=5_000, seed=1)
    dearer = forecast(content, with_models(base_w, {"writer": "claude-opus-5-5"}),
                      tasks=5_000, seed=1)
    down, up = compare(base, cheaper), compare(base, dearer)
    for metric in ("cost per task mean", "cost per month", "spend per month: writer"):
        assert down.row(metric).delta < 0
        assert up.row(metric).delta > 0
    assert down.row("spend per month: lead").delta == pytest.approx(0.0, abs=1e-9)


def test_what_if_rederives_call_time_from_the_new_model_speed() -> None:
    w = default_workload(roster(CHAIN))
    faster = with_models(w, {"writer": "claude-haiku-5-5"}).agents["writer"]
    assert faster.model == "claude-haiku-5-5"
    assert faster.seconds_per_call.mean < w.agents["writer"].seconds_per_call.mean


def test_what_if_with_an_unknown_model_names_the_closest_one() -> None:
    w = default_workload(roster(CHAIN))
    with pytest.raises(ValueError, match="did you mean 'claude-haiku-5-5'"):
        with_models(w, {"writer": "claude-haiku-5.5"})


def test_forecast_rejects_an_unknown_engine_and_too_few_tasks() -> None:
    content = roster(CHAIN)
    with pytest.raises(ValueError, match="engine"):
        forecast(content, engine="simpy", tasks=1_000)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least"):
        forecast(content, tasks=10)


def test_approvals_per_day_count_ask_grants_and_escalations() -> None:
    content = roster(CHAIN)
    w = default_workload(content)
    f = forecast(content, w, tasks=20_000, seed=2)
    writer = w.agents["writer"]
    lead = w.agents["lead"]
    # lead escalates 5% of visits; writer (visited with p) asks per publish call + escalation
    expected = lead.escalates["boss"] + lead.delegates["writer"] * (
        writer.tools["publish"] + writer.escalates["boss"])
    per_task = f.approvals_per_day["boss"].value / w.tasks_per_day
    assert per_task == pytest.approx(expected, rel=0.05)
