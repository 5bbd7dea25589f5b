"""Workload forecasts: cost per task and per month, latency, human load and bottlenecks.

A forecast takes a roster and a workload (NAME.workload.yaml, or defaults
derived from the roster and the model catalog) and runs one of two engines
over many sampled tasks: a vectorised Monte Carlo ("mc": every task on its
own, no queueing) or a discrete-event model ("des": per-agent concurrency
limits, token-bucket rate limits per model, human queues within working
hours). Results carry 95% confidence intervals (batch means) and the raw
per-task samples for charts. Qt-free; see docs/workloads.md.

Public API::

    default_workload(content, catalog=None) -> Workload
    load_workload(path, content, catalog=None) -> Workload
    with_models(workload, {agent: model}, catalog=None) -> Workload   # "what if"
    forecast(content, workload=None, *, engine="mc", tasks=100_000, seed=0) -> Forecast
    compare(a, b) -> ForecastDelta
"""

from runtime.forecast.api import DEFAULT_TASKS, ENGINES, Engine, forecast
from runtime.forecast.defaults import default_workload, with_models
from runtime.forecast.loader import load_workload, loads_workload
from runtime.forecast.result import DeltaRow, Forecast, ForecastDelta, compare
from runtime.forecast.stats import Estimate
from runtime.forecast.workload import Workload

__all__ = [
    "DEFAULT_TASKS",
    "ENGINES",
    "DeltaRow",
    "Engine",
    "Estimate",
    "Forecast",
    "ForecastDelta",
    "Workload",
    "compare",
    "default_workload",
    "forecast",
    "load_workload",
    "loads_workload",
    "with_models",
]
