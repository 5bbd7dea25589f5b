"""The two engines against each other and against queueing theory (PERFORMANCE.md B7 gate)."""

from __future__ import annotations

import math

import numpy as np

from runtime.forecast import forecast
from runtime.forecast import montecarlo as mc
from runtime.forecast.defaults import rate_limit_for
from runtime.forecast.des import simulate
from runtime.forecast.sampler import sample_work
from runtime.roster.catalog import load_catalog
from tests.runtime.forecast.conftest import CHAIN, SINGLE_AGENT, SINGLE_HUMAN_GATE, roster, workload

UNCONTENDED = """\
tasks_per_day: 500
arrival: {hours: always}
api_tier: null
agents:
  lead: {concurrency: 1000, calls: 2}
  writer: {concurrency: 1000, tools: {publish: 1}}
  checker: {concurrency: 1000}
humans:
  boss: {reviewers: 1000, response_s: {p50: 60, p95: 300}, hours: always}
"""


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean time in queue of an M/M/c queue (Erlang C)."""
    a = lam / mu
    rho = a / c
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / (math.factorial(c) * (1 - rho))
    p_wait = tail / (head + tail)
    return p_wait / (c * mu - lam)


def test_monte_carlo_and_discrete_event_means_agree_within_1pct_when_uncontended() -> None:
    """Independent seeds, so the agreement is statistical, not by construction."""
    content = roster(CHAIN)
    w = workload(content, UNCONTENDED)
    a = forecast(content, w, engine="mc", tasks=200_000, seed=1)
    b = forecast(content, w, engine="des", tasks=200_000, seed=2)
    assert abs(b.cost_mean.value / a.cost_mean.value - 1) < 0.01
    assert abs(float(b.latency.mean()) / float(a.latency.mean()) - 1) < 0.01
    assert all(wait == 0.0 for wait in b.mean_wait.values())


def test_discrete_event_equals_monte_carlo_task_by_task_when_nothing_waits() -> None:
    content = roster(CHAIN)
    w = workload(content, UNCONTENDED)
    a = forecast(content, w, engine="mc", tasks=5_000, seed=3)
    b = forecast(content, w, engine="des", tasks=5_000, seed=3)
    np.testing.assert_allclose(b.latency, a.latency, rtol=1e-9)
    np.testing.assert_array_equal(b.cost, a.cost)


def _mmc(content_text: str, spec: str, *, tasks: int, seed: int) -> tuple[float, float]:
    content = roster(content_text)
    w = workload(content, spec)
    catalog = load_catalog()
    rng = np.random.default_rng(seed)
    work = sample_work(w, catalog, tasks, rng)
    arrival = mc.arrival_times(w, tasks, rng)
    limits = [rate_limit_for(w, catalog.get(w.agents[a].model)) for a in work.agents]  # type: ignore[arg-type]
    sim = simulate(w, work, arrival, limits)
    return float(sim.wait.sum() / sim.steps[sim.steps > 0].sum()), float(sim.steps.sum())


def test_agent_queue_reproduces_the_erlang_c_waiting_time_within_2pct() -> None:
    """One agent, c=3 slots, Poisson arrivals, exponential service: an M/M/3 queue at rho 0.6.

    Eight independent runs of 200,000 tasks: the mean's standard error is about 0.6%.
    """
    lam, mu, c = 1.8, 1.0, 3
    spec = (f"tasks_per_day: {lam * 86_400}\narrival: {{hours: always}}\napi_tier: null\n"
            f"agents:\n  solo: {{calls: 1, seconds_per_call: {{mean: {1 / mu}}}, "
            f"concurrency: {c}}}\n")
    waits = [_mmc(SINGLE_AGENT, spec, tasks=200_000, seed=s)[0] for s in range(8)]
    expected = erlang_c_wait(lam, mu, c)
    assert abs(float(np.mean(waits)) / expected - 1) < 0.02


def test_human_queue_reproduces_the_erlang_c_waiting_time_within_2pct() -> None:
    """Every task asks one human of 2 reviewers: an M/M/2 queue at rho 0.6 in working time."""
    lam, mu, c = 1.2, 1.0, 2
    spec = (f"tasks_per_day: {lam * 86_400}\narrival: {{hours: always}}\napi_tier: null\n"
            "agents:\n  solo: {calls: 1, seconds_per_call: 0.000001, concurrency: 100000, "
            "escalates: {reviewer: 1}}\n"
            f"humans:\n  reviewer: {{response_s: {{mean: {1 / mu}}}, reviewers: {c}, "
            "hours: always}\n")
    content = roster(SINGLE_HUMAN_GATE)
    w = workload(content, spec)
    catalog = load_catalog()
    waits = []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        work = sample_work(w, catalog, 200_000, rng)
        arrival = mc.arrival_times(w, 200_000, rng)
        sim = simulate(w, work, arrival, [None])
        waits.append(float(sim.wait[1] / sim.steps[1]))
    assert abs(float(np.mean(waits)) / erlang_c_wait(lam, mu, c) - 1) < 0.02


def test_folding_idle_agents_gives_exactly_the_full_simulation() -> None:
    """A contended roster: the folded run equals simulating every agent as a queue."""
    content = roster(CHAIN)
    w = workload(content, """\
tasks_per_day: 20000
arrival: {hours: always}
rate_limits:
  claude-sonnet-5-5: {requests_per_minute: 600, output_tokens_per_minute: 300000}
agents:
  lead: {concurrency: 4, calls: 2, seconds_per_call: {p50: 2, p95: 6}}
  writer: {concurrency: 50, seconds_per_call: {p50: 2, p95: 6}}
  checker: {concurrency: 2, seconds_per_call: {mean: 1}}
humans:
  boss: {reviewers: 3, response_s: {mean: 30}, hours: {start: 9, end: 17}}
""")
    catalog = load_catalog()
    rng = np.random.default_rng(7)
    work = sample_work(w, catalog, 20_000, rng)
    arrival = mc.arrival_times(w, 20_000, rng)
    limits = [rate_limit_for(w, catalog.get(w.agents[a].model)) for a in work.agents]  # type: ignore[arg-type]
    folded = simulate(w, work, arrival, limits)
    full = simulate(w, work, arrival, limits, fold=False)
    assert folded.queued  # something really was contended
    assert float(full.wait.sum()) > 0
    np.testing.assert_allclose(folded.latency, full.latency, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(folded.wait, full.wait, rtol=1e-9, atol=1e-6)


def test_queues_make_discrete_event_latency_longer_than_monte_carlo_under_load() -> None:
    content = roster(SINGLE_AGENT)
    w = workload(content, "tasks_per_day: 150000\narrival: {hours: always}\napi_tier: null\n"
                 "agents:\n  solo: {calls: 1, seconds_per_call: {mean: 1}, concurrency: 2}\n")
    a = forecast(content, w, engine="mc", tasks=20_000, seed=0)
    b = forecast(content, w, engine="des", tasks=20_000, seed=0)
    assert b.latency_mean.value > 1.5 * a.latency_mean.value
    assert b.mean_wait["solo"] > 0
    assert b.utilisation["solo"] > 0.8
