"""`forecast()`: sample the work, run one engine, summarise with confidence intervals.

This is the entry point the CLI and the designer use. It resolves models in
the catalog, draws the steps of `tasks` tasks with a seeded generator
(sampler.py), runs the Monte Carlo sum ("mc") or the discrete-event queues
("des"), and builds a `Forecast`. The same seed gives the same numbers.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final, Literal

import numpy as np

from runtime.forecast import montecarlo as mc
from runtime.forecast import stats
from runtime.forecast.defaults import default_workload, model_info, rate_limit_for
from runtime.forecast.des import simulate
from runtime.forecast.dists import FloatArray
from runtime.forecast.result import Forecast
from runtime.forecast.sampler import DENIED, TIMED_OUT, Work, walk
from runtime.forecast.timeline import task_latency
from runtime.forecast.totals import Totals, sum_walk
from runtime.forecast.workload import Workload
from runtime.roster.catalog import Catalog, load_catalog
from runtime.roster.codec import RosterContent

Engine = Literal["mc", "des"]
ENGINES: Final = ("mc", "des")
DEFAULT_TASKS: Final = 100_000
DEPTH_WARNING: Final = "delegation depth: "
"""Prefix of the notes that warn that delegation depth cut work off (the CLI repeats them)."""
WARMUP_SHARE: Final = 0.02
"""Share of the earliest tasks left out of discrete-event statistics (queues start empty)."""


def forecast(
    content: RosterContent,
    workload: Workload | None = None,
    *,
    engine: Engine = "mc",
    tasks: int = DEFAULT_TASKS,
    seed: int = 0,
    catalog: Catalog | None = None,
) -> Forecast:
    """Forecast cost, latency and human load of `content` under `workload` (default: derived)."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if tasks < 2 * stats.BATCHES:
        raise ValueError(f"tasks must be at least {2 * stats.BATCHES}, got {tasks}")
    catalog = catalog or load_catalog()
    workload = workload or default_workload(content, catalog)
    if not workload.mix:
        raise ValueError("the roster has no agent for tasks to enter at; add an agent first")
    rng = np.random.default_rng(seed)
    hours = [load.hours for load in workload.humans.values()]
    # Monte Carlo needs only sums (totals.py) unless some visit may run delegations in
    # parallel or some human keeps hours: then each task's visit tree is laid out
    sums_only = (engine == "mc" and all(h.always for h in hours)
                 and all(load.parallel <= 1 for load in workload.agents.values()))
    walked = walk(workload, catalog, tasks, rng, keys=not sums_only)
    notes: list[str] = []
    keep = slice(None)
    if sums_only:
        totals = sum_walk(walked, rng)
        arrival = mc.arrival_times(workload, tasks, rng)
        latency, ask_wall = totals.duration, totals.ask_duration
        utilisation = mc.utilisation(workload, totals)
        wait = dict.fromkeys((*totals.agents, *totals.humans), 0.0)
    else:
        work = walked.work(rng)
        arrival = mc.arrival_times(workload, tasks, rng)
        totals = Totals.of_work(work)
        asked = work.resource >= len(work.agents)
        if engine == "mc":
            latency, wall, _ = task_latency(work, arrival, hours)
            utilisation = mc.utilisation(workload, totals)
            wait = dict.fromkeys((*work.agents, *work.humans), 0.0)
        else:
            limits = [rate_limit_for(workload, model_info(catalog, workload.agents[a].model))
                      for a in work.agents]
            sim = simulate(workload, work, arrival, limits)
            latency = sim.latency
            wall = sim.wall if sim.wall is not None else work.duration
            utilisation = _measured_utilisation(workload, work, arrival, sim.busy)
            wait = {name: float(sim.wait[i] / sim.steps[i]) if sim.steps[i] else 0.0
                    for i, name in enumerate((*work.agents, *work.humans))}
            keep = slice(int(tasks * WARMUP_SHARE), None)
            queued = ", ".join(sim.queued) or "none"
            notes.append(f"agents that reached a limit and were simulated as queues: {queued}")
        ask_wall = wall[asked]
    cost = totals.cost
    notes.extend(_depth_notes(workload, totals))
    notes.extend(_late_notes(totals, mc.late_answers(workload, totals, ask_wall), engine))
    per_month = workload.tasks_per_day * workload.days_per_month
    human_counts = _human_requests(totals)
    asked_any = np.zeros(tasks)
    for counts in human_counts.values():
        asked_any += counts
    spend = totals.spend
    total = float(spend.sum())
    use = _rate_limit_use(workload, totals, catalog)
    notes.extend(f"rate limit of {model} is at {share:.0%} at the arrival peak: calls will wait"
                 + ("" if engine == "des" else " (only the 'des' engine models that wait)")
                 for model, share in use.items() if share > 1.0)
    cost_mean, cost_p50, cost_p95 = stats.summary(cost)
    lat_mean, lat_p50, lat_p95 = stats.summary(latency[keep])
    return Forecast(
        engine=engine,
        tasks=tasks,
        seed=seed,
        workload=workload,
        cost=cost,
        latency=latency,
        cost_mean=cost_mean,
        cost_p50=cost_p50,
        cost_p95=cost_p95,
        cost_per_month=cost_mean.scaled(per_month),
        latency_mean=lat_mean,
        latency_p50=lat_p50,
        latency_p95=lat_p95,
        escalation_rate=stats.estimate((asked_any > 0).astype(np.float64), stats.mean),
        approvals_per_day=MappingProxyType({
            h: stats.estimate(c, stats.mean).scaled(workload.tasks_per_day)
            for h, c in human_counts.items()
        }),
        utilisation=MappingProxyType(utilisation),
        spend_share=MappingProxyType({a: float(spend[i] / total) if total else 0.0
                                      for i, a in enumerate(totals.agents)}),
        rate_limit_use=MappingProxyType(use),
        mean_wait=MappingProxyType(wait),
        notes=tuple(notes),
        timeout_rate=MappingProxyType(_outcome_share(totals, TIMED_OUT)),
        denial_rate=MappingProxyType(_outcome_share(totals, DENIED)),
    )


def _human_requests(work: Totals) -> dict[str, FloatArray]:
    """Per human, the number of requests each task sent them (timed out or escalated too)."""
    asks = work.asks
    out: dict[str, FloatArray] = {}
    for h, human in enumerate(work.humans):
        rows = asks.human == h
        out[human] = np.bincount(asks.task[rows], minlength=work.tasks).astype(np.float64)
    return out


def _outcome_share(work: Totals, outcome: int) -> dict[str, float]:
    """Per human, the share of their requests that ended with `outcome` (0 when none came)."""
    asks = work.asks
    sent = np.bincount(asks.human, minlength=len(work.humans))
    hit = np.bincount(asks.human[asks.outcome == outcome], minlength=len(work.humans))
    return {h: float(hit[i] / sent[i]) if sent[i] else 0.0 for i, h in enumerate(work.humans)}


def _late_notes(work: Totals, late: FloatArray, engine: str) -> list[str]:
    asks = work.asks
    answered = np.bincount(asks.human[asks.outcome != TIMED_OUT], minlength=len(work.humans))
    return [f"{engine}: {late[h] / answered[h]:.1%} of the requests {human} answered took "
            "longer than their timeout_s on the wall clock (overnight, or waiting in the "
            "queue): the engine would time those out, the forecast counts them answered"
            for h, human in enumerate(work.humans) if late[h] and answered[h]]


def _depth_notes(workload: Workload, work: Totals) -> list[str]:
    """Warnings when delegation depth cut work off: the policy's limit, or the forecast's cap."""
    notes = []
    if workload.max_depth + 1 > work.levels and work.depth_cut:
        notes.append(
            f"{DEPTH_WARNING}the policy allows delegation depth {workload.max_depth}, but this "
            f"forecast models at most {work.levels - 1} levels below the entry agent: "
            f"{work.depth_cut / work.tasks:.2%} of tasks would delegate deeper and that work "
            "is not counted (costs and latencies are low)")
    elif workload.max_depth + 1 > work.levels:
        notes.append(f"{DEPTH_WARNING}the policy allows delegation depth {workload.max_depth}; "
                     f"this forecast models {work.levels - 1} levels below the entry agent "
                     "(no task reached that cap)")
    if work.depth_limited:
        notes.append(f"{DEPTH_WARNING}{work.depth_limited / work.tasks:.2%} of tasks reach the "
                     f"policy's delegation depth {workload.max_depth} and would delegate "
                     "further: the engine refuses those hand-offs, and so does the forecast")
    return notes


def _measured_utilisation(workload: Workload, work: Work, arrival: FloatArray,
                          busy: FloatArray) -> dict[str, float]:
    """Busy share over the open time of the arrival window (agents) or working time (humans)."""
    first, last = float(arrival[0]), float(arrival[-1])
    hours = workload.arrival.hours
    open_s = max(hours.to_work_scalar(last) - hours.to_work_scalar(first), 1e-9)
    out: dict[str, float] = {}
    for a, agent in enumerate(work.agents):
        out[agent] = float(busy[a] / (open_s * workload.agents[agent].concurrency))
    for h, human in enumerate(work.humans):
        load = workload.humans[human]
        working = max(load.hours.to_work_scalar(last) - load.hours.to_work_scalar(first), 1e-9)
        out[human] = float(busy[len(work.agents) + h] / (working * load.reviewers))
    return out


def _rate_limit_use(workload: Workload, work: Totals, catalog: Catalog) -> dict[str, float]:
    """Per model, peak-hour requests and output tokens per minute over its limits (the larger)."""
    per_minute = workload.tasks_per_day / workload.arrival.hours.seconds_per_day * 60.0 / work.tasks
    calls, tokens = work.calls, work.output_tokens
    demand: dict[str, tuple[float, float]] = {}
    for a, agent in enumerate(work.agents):
        model = workload.agents[agent].model
        c, t = demand.get(model, (0.0, 0.0))
        demand[model] = (c + float(calls[a]), t + float(tokens[a]))
    out: dict[str, float] = {}
    for model, (c, t) in demand.items():
        limit = rate_limit_for(workload, model_info(catalog, model))
        if limit is not None:
            out[model] = max(c * per_minute / limit.requests_per_minute,
                             t * per_minute / limit.output_tokens_per_minute)
    return out


def ensure_models(workload: Workload, catalog: Catalog) -> None:
    """Fail with a clear message when an agent's model is not in the catalog."""
    for agent, load in workload.agents.items():
        try:
            model_info(catalog, load.model)
        except ValueError as error:
            raise ValueError(f"agent {agent!r}: {error}") from None


__all__: Final = ["DEFAULT_TASKS", "DEPTH_WARNING", "ENGINES", "Engine", "ensure_models",
                  "forecast"]

