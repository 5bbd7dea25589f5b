"""Forecast results: the per-task samples, the headline estimates, and side-by-side deltas.

`Forecast` keeps the raw per-task cost and latency arrays (for histograms
and percentile charts in the designer) next to the summary numbers with their
95% confidence intervals. `compare(a, b)` lines two forecasts up metric by
metric ("what if the refund agent ran on Haiku?").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from runtime.forecast.dists import FloatArray
from runtime.forecast.stats import Estimate
from runtime.forecast.workload import Workload


def _no_shares() -> Mapping[str, float]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Forecast:
    """One engine's forecast of a roster under a workload."""

    engine: str
    """"mc" (Monte Carlo, no queueing) or "des" (discrete-event, with queues)."""
    tasks: int
    seed: int
    workload: Workload
    cost: FloatArray
    """USD per task, in arrival order (for a cost histogram)."""
    latency: FloatArray
    """Seconds from arrival to the last step, per task, in arrival order."""
    cost_mean: Estimate
    cost_p50: Estimate
    cost_p95: Estimate
    cost_per_month: Estimate
    latency_mean: Estimate
    latency_p50: Estimate
    latency_p95: Estimate
    escalation_rate: Estimate
    """Share of tasks that needed at least one human."""
    approvals_per_day: Mapping[str, Estimate]
    """Requests (escalations and approvals) each human receives per day of arrivals, including
    requests that time out and those escalated to them as a backup."""
    utilisation: Mapping[str, float]
    """Busy share of each agent's slots and each human's reviewers (working time)."""
    spend_share: Mapping[str, float]
    """Share of total spend per agent."""
    rate_limit_use: Mapping[str, float]
    """Peak-hour demand over the limit, per model bucket (above 1: calls will wait)."""
    mean_wait: Mapping[str, float]
    """Mean seconds a step waited at each agent or human (always 0 for Monte Carlo)."""
    notes: tuple[str, ...] = ()
    timeout_rate: Mapping[str, float] = field(default_factory=_no_shares)
    """Share of each human's requests that timed out (then approved, denied or escalated per
    on_timeout)."""
    denial_rate: Mapping[str, float] = field(default_factory=_no_shares)
    """Share of each human's requests they answered with a denial."""

    @property
    def bottleneck(self) -> str | None:
        """The agent or human with the highest utilisation."""
        if not self.utilisation:
            return None
        return max(self.utilisation, key=lambda k: self.utilisation[k])

    def to_json(self) -> dict[str, Any]:
        """Summary numbers only (no per-task arrays), JSON-safe."""
        return {
            "engine": self.engine,
            "tasks": self.tasks,
            "seed": self.seed,
            "tasks_per_day": self.workload.tasks_per_day,
            "cost_per_task_usd": {"mean": self.cost_mean.to_json(),
                                  "p50": self.cost_p50.to_json(),
                                  "p95": self.cost_p95.to_json()},
            "cost_per_month_usd": self.cost_per_month.to_json(),
            "latency_s": {"mean": self.latency_mean.to_json(),
                          "p50": self.latency_p50.to_json(),
                          "p95": self.latency_p95.to_json()},
            "escalation_rate": self.escalation_rate.to_json(),
            "approvals_per_day": {k: v.to_json() for k, v in self.approvals_per_day.items()},
            "utilisation": dict(self.utilisation),
            "bottleneck": self.bottleneck,
            "spend_share": dict(self.spend_share),
            "rate_limit_use": dict(self.rate_limit_use),
            "mean_wait_s": dict(self.mean_wait),
            "timeout_rate": dict(self.timeout_rate),
            "denial_rate": dict(self.denial_rate),
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class DeltaRow:
    metric: str
    unit: str
    """"usd", "s", "per_day" or "share"."""
    a: float
    b: float

    @property
    def delta(self) -> float:
        return self.b - self.a

    @property
    def relative(self) -> float:
        """(b - a) / a, or NaN when a is 0."""
        return self.delta / self.a if self.a else math.nan


@dataclass(frozen=True, slots=True)
class ForecastDelta:
    """Two forecasts side by side, metric by metric (b minus a)."""

    a: Forecast
    b: Forecast
    rows: tuple[DeltaRow, ...]

    def row(self, metric: str) -> DeltaRow:
        return next(r for r in self.rows if r.metric == metric)

    def to_json(self) -> list[dict[str, Any]]:
        return [{"metric": r.metric, "unit": r.unit, "a": r.a, "b": r.b, "delta": r.delta,
                 "relative": None if math.isnan(r.relative) else r.relative} for r in self.rows]


def compare(a: Forecast, b: Forecast) -> ForecastDelta:
    """Line up the headline metrics of two forecasts (per human and per agent too)."""
    rows = [
        DeltaRow("cost per task p50", "usd", a.cost_p50.value, b.cost_p50.value),
        DeltaRow("cost per task p95", "usd", a.cost_p95.value, b.cost_p95.value),
        DeltaRow("cost per task mean", "usd", a.cost_mean.value, b.cost_mean.value),
        DeltaRow("cost per month", "usd", a.cost_per_month.value, b.cost_per_month.value),
        DeltaRow("latency p50", "s", a.latency_p50.value, b.latency_p50.value),
        DeltaRow("latency p95", "s", a.latency_p95.value, b.latency_p95.value),
        DeltaRow("escalation rate", "share", a.escalation_rate.value, b.escalation_rate.value),
    ]
    for human in a.approvals_per_day:
        rows.append(DeltaRow(f"requests per day: {human}", "per_day",
                             a.approvals_per_day[human].value,
                             b.approvals_per_day.get(human, a.approvals_per_day[human]).value))
    for human in a.timeout_rate:
        rows.append(DeltaRow(f"requests timed out: {human}", "share", a.timeout_rate[human],
                             b.timeout_rate.get(human, a.timeout_rate[human])))
    month_a, month_b = a.cost_per_month.value, b.cost_per_month.value
    for agent in a.spend_share:
        rows.append(DeltaRow(f"spend per month: {agent}", "usd", a.spend_share[agent] * month_a,
                             b.spend_share.get(agent, 0.0) * month_b))
    return ForecastDelta(a, b, tuple(rows))
