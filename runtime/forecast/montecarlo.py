"""The Monte Carlo engine: per-task cost and latency with no queueing, fully vectorised.

Every task is independent: its latency is laid out over its visit tree
(timeline.py: a visit's work and human requests back to back, its
delegations up to the agent's parallel bound at once, human requests answered
within the reviewers' working hours counted from when each is made), with no
waiting for a free slot, a rate-limit token or a busy reviewer. That is the right answer for
an uncontended roster and a lower bound otherwise; utilisations (computed
analytically from the same samples) say how far from uncontended a roster is,
and the discrete-event engine measures the waiting itself.
"""

from __future__ import annotations

import numpy as np

from runtime.forecast.calendar import Hours
from runtime.forecast.dists import FloatArray
from runtime.forecast.sampler import Work
from runtime.forecast.timeline import task_latency
from runtime.forecast.totals import Totals
from runtime.forecast.workload import Workload


def arrival_times(workload: Workload, tasks: int, rng: np.random.Generator) -> FloatArray:
    """Wall-clock arrival times (s) of a Poisson stream within the arrival hours."""
    hours = workload.arrival.hours
    rate = workload.tasks_per_day / hours.seconds_per_day  # tasks per open second
    gaps = rng.exponential(1.0 / rate, tasks)
    return hours.to_wall(np.cumsum(gaps))


def human_wall_seconds(hours: Hours, start: FloatArray, work_seconds: FloatArray) -> FloatArray:
    """Wall seconds from `start` until `work_seconds` of working time have passed."""
    if hours.always:
        return work_seconds
    return hours.to_wall(hours.to_work(start) + work_seconds) - start


def latency(workload: Workload, work: Work, arrival: FloatArray) -> FloatArray:
    """Per-task latency with no queueing (see the module docstring)."""
    hours = [workload.humans[h].hours for h in work.humans]
    return task_latency(work, arrival, hours)[0]


def late_answers(workload: Workload, totals: Totals, wall: FloatArray) -> FloatArray:
    """Per human: answered requests whose wall-clock answer time exceeded the human's timeout_s.

    `wall` is every human request's wall-clock duration, in the order of
    `totals.ask_resource` (from `timeline.task_latency`, or a discrete-event
    run's wait plus answer). The engine would have timed those out; the
    forecast decides timeouts on the working time an answer needs, so they
    count as answered (see docs/workloads.md).
    """
    out = np.zeros(len(totals.humans))
    for h, human_id in enumerate(totals.humans):
        limit = workload.humans[human_id].timeout_s
        if limit is None:
            continue
        rows = totals.ask_resource == len(totals.agents) + h
        out[h] = float(np.count_nonzero(wall[rows] > limit))
    return out


def utilisation(workload: Workload, totals: Totals) -> dict[str, float]:
    """Busy share of each agent's slots and each human's reviewers at the arrival peak."""
    per_task = totals.busy / max(totals.tasks, 1)
    arrival = workload.arrival.hours
    tasks_per_open_second = workload.tasks_per_day / arrival.seconds_per_day
    tasks_per_week = workload.tasks_per_day * len(set(arrival.days))
    out: dict[str, float] = {}
    n_agents = len(totals.agents)
    for a, agent_id in enumerate(totals.agents):
        out[agent_id] = float(per_task[a] * tasks_per_open_second
                              / workload.agents[agent_id].concurrency)
    for h, human_id in enumerate(totals.humans):
        human = workload.humans[human_id]
        demand = per_task[n_agents + h] * tasks_per_week
        out[human_id] = float(demand / (human.hours.seconds_per_week * human.reviewers))
    return out


__all__ = ["arrival_times", "human_wall_seconds", "late_answers", "latency", "utilisation"]
