"""Random distributions of a workload: fixed values, lognormals given by p50/p95, exponentials.

Workload files describe uncertain quantities the way people know them: "a
call takes 4 s typically and 12 s on a bad day" is a lognormal with p50 4 and
p95 12; "a reviewer answers in 15 minutes on average, memorylessly" is an
exponential with that mean; a plain number is a fixed value. Every
distribution samples a whole NumPy array at once (the engines draw millions of
values per forecast) and knows its exact mean, which defaults and tests use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

Z95: Final = 1.6448536269514722
"""The standard normal's 95th percentile: ln(p95/p50) / Z95 is a lognormal's sigma."""

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Fixed:
    """Always the same value."""

    value: float

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return np.full(n, self.value, dtype=np.float64)

    def to_data(self) -> float:
        return self.value


@dataclass(frozen=True, slots=True)
class LogNormal:
    """A lognormal with median `p50` and 95th percentile `p95` (p95 >= p50 > 0)."""

    p50: float
    p95: float

    @property
    def sigma(self) -> float:
        return math.log(self.p95 / self.p50) / Z95

    @property
    def mean(self) -> float:
        return self.p50 * math.exp(self.sigma**2 / 2)

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        if self.p95 == self.p50:
            return np.full(n, self.p50, dtype=np.float64)
        return self.p50 * np.exp(self.sigma * rng.standard_normal(n))

    def to_data(self) -> dict[str, float]:
        return {"p50": self.p50, "p95": self.p95}


@dataclass(frozen=True, slots=True)
class Exponential:
    """An exponential with this mean (memoryless service and response times)."""

    mean: float

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.exponential(self.mean, n)

    def to_data(self) -> dict[str, float]:
        return {"mean": self.mean}


Dist = Fixed | LogNormal | Exponential


def sum_by(index: NDArray[np.int64], weights: FloatArray, size: int) -> FloatArray:
    """`weights` added up per index value (0..size-1): a typed `np.bincount`."""
    return np.asarray(np.bincount(index, weights, size), dtype=np.float64)


def lognormal(p50: float, p95: float) -> Dist:
    """A lognormal, or a fixed value when p95 equals p50."""
    return Fixed(p50) if p95 == p50 else LogNormal(p50, p95)


def dist_from_data(value: float | int | dict[str, float]) -> Dist:
    """Build a distribution from its (already validated) file form."""
    if isinstance(value, dict):
        if "mean" in value:
            return Exponential(float(value["mean"]))
        return lognormal(float(value["p50"]), float(value["p95"]))
    return Fixed(float(value))


def describe(dist: Dist, unit: str = "") -> str:
    """A short text for assumption lists: "p50 4 s, p95 12 s", "mean 900 s", "3"."""
    if isinstance(dist, LogNormal):
        return f"p50 {_num(dist.p50)}{unit}, p95 {_num(dist.p95)}{unit}"
    if isinstance(dist, Exponential):
        return f"exponential, mean {_num(dist.mean)}{unit}"
    return f"{_num(dist.value)}{unit}"


def _num(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 or x == int(x) else f"{x:.3g}"
