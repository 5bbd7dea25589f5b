"""Working-hours time warp and the distributions' parameterisation."""

from __future__ import annotations

import numpy as np
import pytest

from runtime.forecast.calendar import DAY, Hours
from runtime.forecast.dists import Dist, Exponential, Fixed, LogNormal
from runtime.forecast.tables import DistTable

OFFICE = Hours(9.0, 17.0, (0, 1, 2, 3, 4))
HOUR = 3600.0


def test_a_request_late_on_friday_is_answered_on_monday_morning() -> None:
    friday_1650 = 4 * DAY + 16 * HOUR + 50 * 60
    to_work, to_wall = OFFICE.scalar()
    answered = to_wall(to_work(friday_1650) + 30 * 60)
    assert answered == pytest.approx(7 * DAY + 9 * HOUR + 20 * 60)


def test_work_and_wall_time_convert_back_and_forth_inside_working_hours() -> None:
    rng = np.random.default_rng(0)
    work = rng.uniform(0, 10 * OFFICE.seconds_per_week, 1000)
    np.testing.assert_allclose(OFFICE.to_work(OFFICE.to_wall(work)), work, atol=1e-6)


def test_scalar_and_vector_conversions_agree() -> None:
    to_work, _ = OFFICE.scalar()
    wall = np.random.default_rng(1).uniform(0, 4 * 7 * DAY, 500)
    np.testing.assert_allclose([to_work(t) for t in wall], OFFICE.to_work(wall))


def test_lognormal_is_given_by_its_median_and_95th_percentile() -> None:
    d = LogNormal(4.0, 12.0)
    x = d.sample(np.random.default_rng(0), 400_000)
    assert np.percentile(x, 50) == pytest.approx(4.0, rel=0.01)
    assert np.percentile(x, 95) == pytest.approx(12.0, rel=0.02)
    assert x.mean() == pytest.approx(d.mean, rel=0.01)


@pytest.mark.parametrize("dist", [LogNormal(300.0, 1500.0), Exponential(5.0), Fixed(2.0)])
def test_sums_of_several_draws_keep_the_exact_mean_and_variance(dist: Dist) -> None:
    rng = np.random.default_rng(2)
    table = DistTable.of([Fixed(1.0), dist])  # the second agent's distribution
    counts = np.full(300_000, 4, dtype=np.int64)
    sums = table.sums(rng, np.ones(counts.size, dtype=np.int64), counts)
    direct = dist.sample(rng, 4 * 300_000).reshape(-1, 4).sum(axis=1)
    assert sums.mean() == pytest.approx(direct.mean(), rel=0.01)
    assert sums.std() == pytest.approx(direct.std(), rel=0.03, abs=1e-9)


def test_a_single_draw_is_the_distribution_itself() -> None:
    rng = np.random.default_rng(3)
    table = DistTable.of([LogNormal(4.0, 12.0)])
    ones = np.ones(400_000, dtype=np.int64)
    x = table.sums(rng, np.zeros(ones.size, dtype=np.int64), ones)
    assert np.percentile(x, 50) == pytest.approx(4.0, rel=0.01)
    assert np.percentile(x, 95) == pytest.approx(12.0, rel=0.02)
