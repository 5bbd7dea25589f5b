"""What a forecast request is, and how it is computed (off the UI thread, by the panel's
`designer.background.BackgroundRunner`)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from runtime.forecast import Forecast, Workload, forecast, with_models
from runtime.forecast.api import Engine
from runtime.roster.catalog import Catalog
from runtime.roster.codec import RosterContent


@dataclass(frozen=True)
class ForecastRequest:
    content: RosterContent
    workload: Workload | None
    engine: Engine
    tasks: int
    seed: int
    what_if: Mapping[str, str] = field(default_factory=dict)
    """Agent id → model id for the comparison forecast; empty means no comparison."""


@dataclass(frozen=True)
class ForecastOutcome:
    request: ForecastRequest
    base: Forecast
    what_if: Forecast | None
    seconds: float


def run_request(request: ForecastRequest, catalog: Catalog) -> ForecastOutcome:
    """The forecast(s) a request asks for, in the calling thread."""
    started = time.perf_counter()
    base = forecast(request.content, request.workload, engine=request.engine,
                    tasks=request.tasks, seed=request.seed, catalog=catalog)
    other = None
    if request.what_if:
        changed = with_models(base.workload, dict(request.what_if), catalog)
        other = forecast(request.content, changed, engine=request.engine,
                         tasks=request.tasks, seed=request.seed, catalog=catalog)
    return ForecastOutcome(request, base, other, time.perf_counter() - started)
