"""Summary statistics with confidence intervals by batch means.

A forecast's per-task samples are split, in arrival order, into `BATCHES`
consecutive batches; a statistic (mean, p50, p95) is computed on each batch
and the 95% interval is the overall value ± t(0.975, B−1) × the batches'
standard error. For the independent samples of the Monte Carlo engine this is
an ordinary interval; for the discrete-event engine, whose neighbouring tasks
share queues, batch means is the standard way to account for that
correlation (each batch holds thousands of tasks, far longer than a busy
period). Cheap: B small percentile calls on views, no resampling.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np

from runtime.forecast.dists import FloatArray

BATCHES: Final = 20
T_975: Final = 2.093
"""Student's t, 97.5th percentile, 19 degrees of freedom (BATCHES - 1)."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """A value with its 95% confidence interval [low, high]."""

    value: float
    low: float
    high: float

    def scaled(self, factor: float) -> Estimate:
        return Estimate(self.value * factor, self.low * factor, self.high * factor)

    def to_json(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}


def estimate(samples: FloatArray, statistic: Callable[[FloatArray], float]) -> Estimate:
    """`statistic` of the samples, with a batch-means 95% interval."""
    value = float(statistic(samples))
    if samples.size < BATCHES * 2:
        return Estimate(value, math.nan, math.nan)
    size = samples.size // BATCHES
    batches = np.array([statistic(samples[i * size:(i + 1) * size]) for i in range(BATCHES)])
    return _interval(value, batches)


def summary(samples: FloatArray) -> tuple[Estimate, Estimate, Estimate]:
    """Mean, p50 and p95 with batch-means intervals, in two vectorised passes."""
    if samples.size < BATCHES * 2:
        nan = Estimate(math.nan, math.nan, math.nan)
        return nan, nan, nan
    size = samples.size // BATCHES
    batches = samples[: size * BATCHES].reshape(BATCHES, size)
    q50, q95 = np.percentile(samples, [50, 95])
    b50, b95 = np.percentile(batches, [50, 95], axis=1)
    return (_interval(float(samples.mean()), batches.mean(axis=1)),
            _interval(float(q50), b50), _interval(float(q95), b95))


def _interval(value: float, batches: FloatArray) -> Estimate:
    half = T_975 * float(batches.std(ddof=1)) / math.sqrt(BATCHES)
    return Estimate(value, value - half, value + half)


def mean(x: FloatArray) -> float:
    return float(x.mean()) if x.size else math.nan
