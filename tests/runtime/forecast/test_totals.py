"""The Monte Carlo engine's sums-only path (totals.py) against the full per-step sample."""

from __future__ import annotations

import numpy as np
import pytest

from runtime.forecast import forecast
from runtime.forecast.defaults import default_workload
from runtime.forecast.draws import bernoulli_pairs
from runtime.forecast.sampler import walk
from runtime.forecast.totals import Totals, sum_walk
from runtime.roster.catalog import load_catalog
from tests.runtime.forecast.conftest import CHAIN, roster, workload

TOOLS_AND_HUMANS = """\
tasks_per_day: 2000
arrival: {hours: always}
agents:
  lead: {calls: 2.5, seconds_per_call: {p50: 2, p95: 6}, escalates: {boss: 0.2}}
  writer: {tools: {publish: 1.5}}
  checker: {calls: 1.5}
humans:
  boss: {response_s: {mean: 120}, reviewers: 2, hours: always, timeout_s: 300}
"""


@pytest.mark.parametrize("spec", [None, TOOLS_AND_HUMANS])
def test_sums_without_step_columns_equal_the_sums_of_every_step(spec: str | None) -> None:
    """Same seed, same draws: cost per task to the bit, everything else to rounding."""
    content = roster(CHAIN)
    catalog = load_catalog()
    w = workload(content, spec) if spec else default_workload(content, catalog)
    full = Totals.of_work(walk(w, catalog, 20_000, np.random.default_rng(5)).work(
        np.random.default_rng(6)))
    fast = sum_walk(walk(w, catalog, 20_000, np.random.default_rng(5)), np.random.default_rng(6))
    np.testing.assert_array_equal(fast.cost, full.cost)
    for name in ("duration", "busy", "spend", "calls", "output_tokens", "ask_duration"):
        np.testing.assert_allclose(getattr(fast, name), getattr(full, name), rtol=1e-12,
                                   err_msg=name)
    np.testing.assert_array_equal(fast.ask_resource, full.ask_resource)
    assert fast.cost.sum() > 0 and fast.busy[: len(fast.agents)].min() > 0


def test_monte_carlo_sums_and_the_discrete_event_steps_share_their_draws() -> None:
    """Monte Carlo (sums only) and discrete-event (every step) draw the same steps from one seed:
    the same cost per task to the bit and the same request counts."""
    content = roster(CHAIN)
    w = workload(content, TOOLS_AND_HUMANS)
    a = forecast(content, w, engine="mc", tasks=5_000, seed=9)
    b = forecast(content, w, engine="des", tasks=5_000, seed=9)
    np.testing.assert_array_equal(a.cost, b.cost)
    assert a.rate_limit_use.keys() == b.rate_limit_use.keys()
    assert a.approvals_per_day["boss"].value == b.approvals_per_day["boss"].value


def test_bernoulli_pairs_draw_no_column_that_no_agent_present_can_fire() -> None:
    """Agents with fewer edges than the widest: the trailing zero columns are never drawn,
    and the edges still fire with their probabilities, in row-major order."""
    p = np.array([[0.25, 0.25, 0.0, 0.0], [0.5, 0.1, 0.4, 0.0]])
    rng = np.random.default_rng(21)
    agent = np.zeros(100_000, np.int64)
    rows, cols = bernoulli_pairs(rng, p, agent)
    assert cols.max() == 1
    assert np.all(np.diff(rows * 4 + cols) > 0)
    np.testing.assert_allclose(np.bincount(cols, minlength=4) / agent.size, p[0], atol=0.005)
    mixed = np.arange(200_000, dtype=np.int64) % 2
    rows, cols = bernoulli_pairs(rng, p, mixed)
    for a in (0, 1):
        hit = cols[mixed[rows] == a]
        np.testing.assert_allclose(np.bincount(hit, minlength=4) / 100_000, p[a], atol=0.006)
    rows, cols = bernoulli_pairs(rng, np.zeros((2, 3)), mixed)
    assert rows.size == cols.size == 0


def test_a_walk_without_order_keys_cannot_lay_out_rows_but_draws_the_same_sums() -> None:
    """`keys=False` (the Monte Carlo sums path) skips only the order keys: same draws."""
    content = roster(CHAIN)
    catalog = load_catalog()
    w = workload(content, TOOLS_AND_HUMANS)
    bare = walk(w, catalog, 3_000, np.random.default_rng(8), keys=False)
    with pytest.raises(ValueError, match="order keys"):
        bare.work(np.random.default_rng(0))
    keyed = walk(w, catalog, 3_000, np.random.default_rng(8))
    a = sum_walk(bare, np.random.default_rng(4))
    b = sum_walk(keyed, np.random.default_rng(4))
    np.testing.assert_array_equal(a.cost, b.cost)
    np.testing.assert_array_equal(a.duration, b.duration)
