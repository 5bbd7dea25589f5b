"""The sampler's fast exact draws (draws.py) and the event engine's sorting and bucket shortcuts.

Each fast path is checked against the plain NumPy formulation it replaces:
the distribution for random draws (within a few standard errors on large
samples), the exact result for orderings and checks.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from runtime.forecast.draws import _calls_generic, bernoulli_pairs, fill_calls, poisson
from runtime.forecast.folding import _clearly_conforms, _conforms, task_order
from runtime.forecast.tables import Tables
from runtime.roster.catalog import load_catalog
from tests.runtime.forecast.conftest import CHAIN, roster, workload


def poisson_pmf(mean: float, k: int) -> float:
    return math.exp(-mean) * mean**k / math.factorial(k)


@pytest.mark.parametrize("mean", [0.05, 0.5, 1.7, 6.0])
def test_poisson_by_inversion_has_the_poisson_probabilities(mean: float) -> None:
    rng = np.random.default_rng(11)
    n = 400_000
    k = poisson(rng, np.array([mean]), np.zeros(n, np.int64))
    counts = np.bincount(k)
    for value in range(min(counts.size, 12)):
        p = poisson_pmf(mean, value)
        se = math.sqrt(p * (1 - p) / n)
        assert abs(counts[value] / n - p) < 5 * se + 1e-6, value
    assert k.mean() == pytest.approx(mean, rel=0.01)
    assert k.var() == pytest.approx(mean, rel=0.02)


def test_poisson_draws_each_agents_own_mean_in_a_mixed_level() -> None:
    rng = np.random.default_rng(12)
    means = np.array([0.0, 0.5, 3.0])
    agent = rng.integers(0, 3, 600_000)
    k = poisson(rng, means, agent)
    assert not k[agent == 0].any()
    for a in (1, 2):
        assert k[agent == a].mean() == pytest.approx(means[a], rel=0.01)
        assert k[agent == a].var() == pytest.approx(means[a], rel=0.03)


def test_poisson_values_past_the_table_follow_the_tail() -> None:
    """The table covers 99% of the mass; the rest is searched on: P(X >= 3 | mean 0.5) holds."""
    rng = np.random.default_rng(13)
    n = 2_000_000
    k = poisson(rng, np.array([0.5]), np.zeros(n, np.int64))
    tail = 1 - sum(poisson_pmf(0.5, j) for j in range(3))
    assert np.count_nonzero(k >= 3) / n == pytest.approx(tail, rel=0.05)
    assert np.count_nonzero(k >= 5) / n == pytest.approx(
        1 - sum(poisson_pmf(0.5, j) for j in range(5)), rel=0.25)


def test_poisson_with_a_large_mean_falls_back_to_numpy() -> None:
    rng = np.random.default_rng(14)
    k = poisson(rng, np.array([40.0]), np.zeros(200_000, np.int64))
    assert k.mean() == pytest.approx(40.0, rel=0.005)


def test_bernoulli_pairs_fire_each_cell_with_its_probability_in_row_major_order() -> None:
    rng = np.random.default_rng(15)
    p = np.array([[0.3, 0.0, 0.9], [0.3, 0.0, 0.9]])  # identical rows: the broadcast path
    q = np.array([[0.1, 0.5, 0.0], [0.7, 0.0, 0.2]])  # different rows: the gather path
    n = 200_000
    for table in (p, q):
        agent = rng.integers(0, 2, n)
        rows, cols = bernoulli_pairs(rng, table, agent)
        flat = rows * table.shape[1] + cols
        assert np.all(np.diff(flat) > 0)  # by row, then column, like np.nonzero
        fired = np.zeros((n, table.shape[1]))
        fired[rows, cols] = 1
        for a in (0, 1):
            share = fired[agent == a].mean(axis=0)
            np.testing.assert_allclose(share, table[a], atol=0.006)


def test_bernoulli_pairs_of_no_rows_or_no_columns_are_empty() -> None:
    rng = np.random.default_rng(16)
    rows, cols = bernoulli_pairs(rng, np.zeros((3, 0)), np.array([0, 1, 2]))
    assert rows.size == cols.size == 0
    rows, cols = bernoulli_pairs(rng, np.full((3, 2), 0.5), np.zeros(0, np.int64))
    assert rows.size == cols.size == 0


def test_task_order_is_lexsort_by_task_then_key_and_stable_for_equal_keys() -> None:
    rng = np.random.default_rng(17)
    task = rng.integers(0, 5_000, 60_000)
    key = rng.integers(0, 16, 60_000) << 40  # keys use high bits only, like the sampler's
    np.testing.assert_array_equal(task_order(task, key), np.lexsort((key, task)))


def test_task_order_falls_back_to_lexsort_when_task_and_key_do_not_fit_one_integer() -> None:
    rng = np.random.default_rng(18)
    task = rng.integers(0, 1_000, 5_000)
    key = rng.integers(0, 2**62, 5_000)  # 62 significant bits: no room for the task
    np.testing.assert_array_equal(task_order(task, key), np.lexsort((key, task)))


@pytest.mark.parametrize("per_minute", [30.0, 200.0, 1_000.0])
def test_the_cheap_bucket_check_never_clears_a_bucket_that_runs_short(per_minute: float) -> None:
    """`_clearly_conforms` is only a sufficient condition for the exact GCRA check."""
    rng = np.random.default_rng(19)
    cleared = short = 0
    for _ in range(200):
        rate = rng.uniform(0.02, 3.0) * per_minute / 60.0  # requests per second
        n = int(rng.integers(50, 2_000))
        t = np.sort(rng.exponential(1.0 / rate, n).cumsum())
        weight = rng.integers(1, 4, n).astype(np.float64)
        exact = _conforms(t, weight, per_minute)
        if _clearly_conforms(t, weight, per_minute):
            cleared += 1
            assert exact
        short += not exact
    assert cleared and short  # both outcomes were exercised


def test_call_values_of_the_single_precision_path_match_the_generic_path() -> None:
    """Lognormal tokens take the fast path; the generic (float64) path is the reference."""
    content = roster(CHAIN)
    w = workload(content, """\
tasks_per_day: 500
api_tier: null
agents:
  lead: {calls: 3, output_tokens: {p50: 300, p95: 1200}, input_tokens: {p50: 2000, p95: 9000}}
  writer: {output_tokens: {p50: 800, p95: 2000}, seconds_per_call: {p50: 4, p95: 9}}
  checker: {output_tokens: {p50: 100, p95: 400}}
""")
    table = Tables.build(w, load_catalog())
    assert table.input_tokens.all_lognormal and table.output_tokens.all_lognormal
    rng = np.random.default_rng(20)
    n = 300_000
    agent = rng.integers(0, 3, n)
    count = 1 + rng.poisson(1.0, n)
    fast = np.empty((3, n))
    fill_calls(table, agent, count, rng, fast[0], fast[1], fast[2])
    slow = np.array(_calls_generic(table, agent, count, rng))
    for a in range(3):
        rows = agent == a
        np.testing.assert_allclose(fast[:, rows].mean(axis=1), slow[:, rows].mean(axis=1),
                                   rtol=0.02)
        np.testing.assert_allclose(np.median(fast[:, rows], axis=1),
                                   np.median(slow[:, rows], axis=1), rtol=0.02)
