"""Forecast fidelity: parallel delegations, denials and timeouts, working hours, depth warnings.

Each test checks a direction and a magnitude against a case small enough to
compute by hand (fixed call times and token counts make latencies exact).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from runtime.forecast import Forecast, forecast
from runtime.forecast.des import simulate
from runtime.forecast.dists import Z95
from runtime.forecast.sampler import sample_work
from runtime.forecast.timeline import task_latency
from runtime.roster.catalog import load_catalog
from runtime.roster.errors import RosterLoadError
from tests.runtime.forecast.conftest import roster, workload

FAN = """\
format: agent-roster
version: 1
name: fan
entry: [lead]
defaults: {model: claude-sonnet-5-5}
agents:
  lead: {delegates_to: [a, b, c], max_parallel_delegations: PARALLEL}
  a: {}
  b: {}
  c: {}
"""

FAN_LOAD = """\
tasks_per_day: 500
arrival: {hours: always}
api_tier: null
agents:
  lead: {concurrency: 1000, calls: 1, seconds_per_call: 10, delegates: {a: 1, b: 1, c: 1}}
  a: {concurrency: 1000, calls: 1, seconds_per_call: 5}
  b: {concurrency: 1000, calls: 1, seconds_per_call: 7}
  c: {concurrency: 1000, calls: 1, seconds_per_call: 3}
"""

GATED = """\
format: agent-roster
version: 1
name: gated
entry: [lead]
defaults: {model: claude-sonnet-5-5}
agents:
  lead: {delegates_to: [writer], escalates_to: [boss]}
  writer: {}
humans:
  boss: {name: Boss, timeout_s: 300, on_timeout: escalate, backup: deputy}
  deputy: {name: Deputy}
"""

FIXED_WORK = """\
tasks_per_day: 500
arrival: {hours: always}
api_tier: null
agents:
  lead: {calls: 1, seconds_per_call: 10, input_tokens: 1000, output_tokens: 100,
         concurrency: 1000, delegates: {writer: 1}, escalates: {boss: 1}}
  writer: {calls: 1, seconds_per_call: 20, input_tokens: 1000, output_tokens: 100,
           concurrency: 1000}
"""


def _both(content_text: str, spec: str, tasks: int = 2_000) -> tuple[Forecast, Forecast]:
    content = roster(content_text)
    w = workload(content, spec)
    return (forecast(content, w, engine="mc", tasks=tasks, seed=4),
            forecast(content, w, engine="des", tasks=tasks, seed=4))


# --- parallel delegations ---------------------------------------------------------------


@pytest.mark.parametrize(("parallel", "expected"), [(1, 35.0), (2, 28.0), (3, 27.0), (8, 27.0)])
def test_parallel_delegations_overlap_up_to_the_agents_bound(parallel: int,
                                                             expected: float) -> None:
    """lead: 10 s, then delegates of 5, 7 and 3 s, then a 10 s answer.

    One at a time: 10 + 15 + 10. Two at once: 5 and 7 start together, 3 starts when
    5 ends (at 5, ends 8), so the block is 8 s. Three or more at once: the block is 7 s.
    """
    for f in _both(FAN.replace("PARALLEL", str(parallel)), FAN_LOAD):
        np.testing.assert_allclose(f.latency, expected, rtol=1e-9)
        assert f.cost_mean.value > 0


def test_parallel_delegations_change_latency_but_not_cost() -> None:
    one = _both(FAN.replace("PARALLEL", "1"), FAN_LOAD)[0]
    three = _both(FAN.replace("PARALLEL", "3"), FAN_LOAD)[0]
    assert three.cost_mean.value == pytest.approx(one.cost_mean.value, rel=1e-12)
    assert three.latency_mean.value < one.latency_mean.value


def test_the_workload_file_can_override_the_rosters_parallel_bound() -> None:
    spec = FAN_LOAD.replace("delegates: {a: 1, b: 1, c: 1}",
                            "delegates: {a: 1, b: 1, c: 1}, max_parallel_delegations: 3")
    for f in _both(FAN.replace("PARALLEL", "1"), spec):
        np.testing.assert_allclose(f.latency, 27.0, rtol=1e-9)


def test_engines_agree_on_a_random_uncontended_fan_out() -> None:
    """Random delegations and call times, two at a time: same seed gives the same tasks."""
    spec = FAN_LOAD.replace("delegates: {a: 1, b: 1, c: 1}", "delegates: {a: 0.7, b: 0.5, c: 0.6}")
    spec = spec.replace("seconds_per_call: 5", "seconds_per_call: {p50: 5, p95: 20}")
    spec = spec.replace("seconds_per_call: 7", "seconds_per_call: {mean: 7}")
    a, b = _both(FAN.replace("PARALLEL", "2"), spec, tasks=20_000)
    np.testing.assert_allclose(b.latency, a.latency, rtol=1e-9)
    one = _both(FAN.replace("PARALLEL", "1"), spec, tasks=20_000)[0]
    assert a.latency_mean.value < one.latency_mean.value


def test_parallel_children_queue_for_a_busy_delegate_in_the_discrete_event_engine() -> None:
    """All three delegates share one slot: running them 'in parallel' gains nothing there."""
    text = FAN.replace("PARALLEL", "3").replace("  a: {}\n  b: {}\n  c: {}\n",
                                                 "  a: {}\n  b: {}\n  c: {}\n")
    spec = FAN_LOAD.replace("delegates: {a: 1, b: 1, c: 1}", "delegates: {a: 1}")
    spec = spec.replace("tasks_per_day: 500", "tasks_per_day: 2")
    mc_f, des_f = _both(text, spec, tasks=400)
    np.testing.assert_allclose(des_f.latency, mc_f.latency, rtol=1e-9)  # one child: no overlap


# --- denials and timeouts ----------------------------------------------------------------


def _mean_cost(spec: str) -> float:
    content = roster(GATED)
    return forecast(content, workload(content, spec), engine="mc", tasks=20_000,
                    seed=1).cost_mean.value


def test_a_denial_ends_the_branch_so_downstream_cost_falls_in_proportion() -> None:
    """Every visit asks boss, then delegates to writer: deny 0.5 halves the writer's cost."""
    approve = _mean_cost(FIXED_WORK + "humans:\n  boss: {response_s: 10, deny: 0}\n")
    deny_all = _mean_cost(FIXED_WORK + "humans:\n  boss: {response_s: 10, deny: 1}\n")
    half = _mean_cost(FIXED_WORK + "humans:\n  boss: {response_s: 10, deny: 0.5}\n")
    assert deny_all < approve
    assert half == pytest.approx((approve + deny_all) / 2, rel=0.01)


def test_a_gate_denial_on_the_agent_overrides_the_humans_own() -> None:
    spec = FIXED_WORK.replace("escalates: {boss: 1}}", "escalates: {boss: 1}, deny: {boss: 1}}")
    gate = _mean_cost(spec + "humans:\n  boss: {response_s: 10, deny: 0}\n")
    deny_all = _mean_cost(FIXED_WORK + "humans:\n  boss: {response_s: 10, deny: 1}\n")
    assert gate == pytest.approx(deny_all, rel=1e-12)


def test_a_timeout_costs_its_timeout_then_escalates_to_the_backup() -> None:
    """boss needs 600 s > timeout 300 s: 300 s lost, then deputy answers in 60 s.

    Latency: lead 10 + 300 + 60 + writer 20 + answer 10 = 400 s. Every task's request
    reaches both humans, so each gets 500 requests a day; all of boss's time out.
    """
    spec = FIXED_WORK + ("humans:\n  boss: {response_s: 600, hours: always}\n"
                         "  deputy: {response_s: 60, hours: always, reviewers: 1000}\n")
    for f in _both(GATED, spec):
        np.testing.assert_allclose(f.latency, 400.0, rtol=1e-9)
        assert f.approvals_per_day["boss"].value == pytest.approx(500)
        assert f.approvals_per_day["deputy"].value == pytest.approx(500)
        assert f.timeout_rate == {"boss": 1.0, "deputy": 0.0}
        assert f.utilisation["boss"] == 0.0  # a timed-out request takes no reviewer time


@pytest.mark.parametrize(("on_timeout", "writer_runs"), [("deny", False), ("approve", True)])
def test_on_timeout_deny_ends_the_branch_and_approve_continues(on_timeout: str,
                                                                writer_runs: bool) -> None:
    spec = FIXED_WORK + ("humans:\n  boss: {response_s: 600, hours: always, on_timeout: "
                         f"{on_timeout}}}\n")
    for f in _both(GATED, spec):
        expected = 10 + 300 + (20 if writer_runs else 0) + 10
        np.testing.assert_allclose(f.latency, expected, rtol=1e-9)
        assert f.approvals_per_day["deputy"].value == 0.0


def test_the_timeout_rate_matches_the_answer_time_distribution() -> None:
    """Answers lognormal (p50 100 s, p95 400 s), timeout 300 s: P(timeout) = 1 - Phi(ln 3 / s)."""
    spec = FIXED_WORK + ("humans:\n  boss: {response_s: {p50: 100, p95: 400}, timeout_s: 300, "
                         "on_timeout: deny, hours: always}\n")
    content = roster(GATED)
    f = forecast(content, workload(content, spec), engine="mc", tasks=40_000, seed=2)
    sigma = math.log(4) / Z95
    expected = 0.5 * math.erfc(math.log(3) / sigma / math.sqrt(2))
    assert f.timeout_rate["boss"] == pytest.approx(expected, abs=0.006)
    assert f.denial_rate["boss"] == 0.0


def test_timeouts_on_timeout_and_backup_default_from_the_roster() -> None:
    content = roster(GATED)
    w = workload(content, "api_tier: null\n")
    boss = w.humans["boss"]
    assert (boss.timeout_s, boss.on_timeout, boss.backup, boss.deny) == (300.0, "escalate",
                                                                          "deputy", 0.0)
    assert w.humans["deputy"].timeout_s is None
    assert w.agents["lead"].parallel == 1


@pytest.mark.parametrize(("spec", "message"), [
    ("humans:\n  deputy: {on_timeout: escalate}\n", "has no backup"),
    ("humans:\n  boss: {backup: nobody}\n", "no other human 'nobody'"),
    ("agents:\n  lead: {deny: {writer: 0.5}}\n", "not a gate of 'lead'"),
    ("humans:\n  boss: {deny: 1.5}\n", "at most 1"),
])
def test_bad_denial_and_timeout_settings_are_located_errors(spec: str, message: str) -> None:
    with pytest.raises(RosterLoadError) as caught:
        workload(roster(GATED), spec)
    assert message in str(caught.value)
    assert caught.value.line is not None


# --- working hours at the time of each request -------------------------------------------


HOURS = """\
tasks_per_day: 500
arrival: {hours: always}
api_tier: null
agents:
  lead: {calls: 1, seconds_per_call: 3600, concurrency: 1000, delegates: {writer: 0},
         escalates: {boss: 1}}
humans:
  boss: {response_s: 60, hours: {start: 9, end: 17}, timeout_s: null}
"""


def test_monte_carlo_answers_requests_within_working_hours_from_when_they_are_made() -> None:
    """A task arriving Monday 07:30 asks boss after an hour of work, at 08:30 (closed).

    boss answers at 09:01; the 1-hour answer call ends at 10:01: 2 h 31 min after arrival.
    Counting hours from arrival instead would give 3 h 31 min. Arriving Friday 16:30 the
    request is made at 17:30 and answered Monday 09:01; the answer ends Monday 10:01.
    """
    content = roster(GATED)
    w = workload(content, HOURS)
    work = sample_work(w, load_catalog(), 2, np.random.default_rng(0))
    hour = 3600.0
    monday_0730 = 7.5 * hour
    friday_1630 = 4 * 86_400 + 16.5 * hour
    arrival = np.array([monday_0730, friday_1630])
    latency, _, passes = task_latency(work, arrival, [w.humans[h].hours for h in work.humans])
    monday_1001 = 7 * 86_400 + 10 * hour + 60
    np.testing.assert_allclose(latency, [2.5 * hour + 60, monday_1001 - friday_1630])
    assert passes >= 2
    sim = simulate(w, work, arrival, [None, None])
    np.testing.assert_allclose(sim.latency, latency, rtol=1e-9)


def test_engines_agree_task_by_task_with_working_hours_when_uncontended() -> None:
    spec = HOURS.replace("response_s: 60", "response_s: {p50: 600, p95: 3000}, reviewers: 100000")
    spec = spec.replace("seconds_per_call: 3600", "seconds_per_call: {p50: 600, p95: 4000}")
    a, b = _both(GATED, spec, tasks=5_000)
    np.testing.assert_allclose(b.latency, a.latency, rtol=1e-9)


def test_only_tasks_that_ask_a_human_are_re_laid_out_and_the_rest_stay_exact() -> None:
    """A third of the visits ask; the engines still agree task by task."""
    spec = HOURS.replace("response_s: 60", "response_s: {p50: 600, p95: 3000}, reviewers: 100000")
    spec = spec.replace("seconds_per_call: 3600", "seconds_per_call: {p50: 600, p95: 4000}")
    spec = spec.replace("escalates: {boss: 1}", "escalates: {boss: 0.3}")
    a, b = _both(GATED, spec, tasks=5_000)
    np.testing.assert_allclose(b.latency, a.latency, rtol=1e-9)


def test_answers_later_than_the_timeout_on_the_wall_clock_are_reported() -> None:
    """Requests left overnight exceed a 1-hour timeout on the wall clock: a note says how many.

    Around-the-clock arrivals, reviewers working 40 of 168 hours a week: about three
    quarters of the requests arrive outside them and most of those wait more than an
    hour; the answers themselves need only 60 s of work.
    """
    spec = HOURS.replace("timeout_s: null", "timeout_s: 3600, reviewers: 50")
    spec = spec.replace("seconds_per_call: 3600", "seconds_per_call: 10")
    for f in _both(GATED, spec, tasks=4_000):
        late = [n for n in f.notes if "took longer than their timeout_s on the wall clock" in n]
        assert late and late[0].startswith(f"{f.engine}: ")
        share = float(late[0].split("% of the requests")[0].split(": ")[1]) / 100
        assert 0.65 < share < 0.8
        assert f.timeout_rate["boss"] == 0.0  # decided on working time (documented)


# --- delegation depth -------------------------------------------------------------------


LOOP = """\
format: agent-roster
version: 1
name: loop
entry: [a]
defaults: {model: claude-haiku-5-5}
policy: {max_delegation_depth: DEPTH}
agents:
  a: {delegates_to: [b]}
  b: {delegates_to: [a]}
"""

LOOP_LOAD = """\
api_tier: null
agents:
  a: {delegates: {b: 1}}
  b: {delegates: {a: 1}}
"""


def test_a_policy_deeper_than_the_forecast_models_is_warned_about() -> None:
    """Depth 64 is allowed; the order keys tell 31 levels apart (2 bits each)."""
    content = roster(LOOP.replace("DEPTH", "64"))
    f = forecast(content, workload(content, LOOP_LOAD), tasks=100)
    warning = [n for n in f.notes if "policy allows delegation depth 64" in n]
    assert warning and "100.00% of tasks would delegate deeper" in warning[0]


def test_the_policy_depth_limit_is_reported_when_tasks_reach_it() -> None:
    content = roster(LOOP.replace("DEPTH", "3"))
    f = forecast(content, workload(content, LOOP_LOAD), tasks=100)
    assert any("reach the policy's delegation depth 3" in n for n in f.notes)
    assert not any("models at most" in n for n in f.notes)
