"""The sums a forecast reports: per task (cost, steps back to back) and per resource.

The Monte Carlo engine needs only sums of the sampled steps when no visit
runs delegations in parallel and no human keeps working hours: per task, the
cost and the latency (its steps one after another); per agent, busy time,
spend, model calls and output tokens (utilisation, spend shares, rate-limit
use). `sum_walk` computes them straight from the sampler's decided visits
(`sampler.Walk`), with the same draws in the same order as `Walk.work`, but
without materialising the per-step columns that only the discrete-event
engine and the visit-tree layout need (order keys, visits, phases, and a
resource per row). `Totals.of_work` computes the same sums from a full
`Work`, so both paths report through one type and agree to the last bit on
cost (the same values added in the same order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runtime.forecast.dists import FloatArray, sum_by
from runtime.forecast.rows import Asks, IntArray
from runtime.forecast.sampler import Walk, Work


@dataclass(frozen=True, slots=True)
class Totals:
    """Per-task and per-resource sums of a forecast's steps (resources: agents, then humans)."""

    tasks: int
    agents: tuple[str, ...]
    humans: tuple[str, ...]
    cost: FloatArray
    """USD per task."""
    duration: FloatArray
    """Seconds per task with its steps back to back (the latency when nothing overlaps)."""
    busy: FloatArray
    """Seconds of work per resource: agents, then humans (the timeout waits are left out)."""
    spend: FloatArray
    """USD per agent."""
    calls: FloatArray
    """Model calls per agent."""
    output_tokens: FloatArray
    """Output tokens per agent."""
    ask_resource: IntArray
    """Per human request (a step on a human or a timeout wait): its resource."""
    ask_duration: FloatArray
    """Per human request: working seconds it needs (or the timeout it waited)."""
    asks: Asks
    levels: int
    depth_limited: int
    depth_cut: int

    @classmethod
    def of_work(cls, work: Work) -> Totals:
        """The sums of every step of `work` (its rows in order)."""
        assert work.asks is not None
        n_agents = len(work.agents)
        resources = n_agents + len(work.humans)
        asked = work.resource >= n_agents
        return cls(work.tasks, work.agents, work.humans,
                   sum_by(work.task, work.cost, work.tasks),
                   sum_by(work.task, work.duration, work.tasks),
                   sum_by(work.resource, work.duration, resources + 1)[:resources],
                   sum_by(work.resource, work.cost, n_agents)[:n_agents],
                   sum_by(work.resource, work.calls.astype(np.float64), n_agents)[:n_agents],
                   sum_by(work.resource, work.output_tokens, n_agents)[:n_agents],
                   work.resource[asked], work.duration[asked], work.asks, work.levels,
                   work.depth_limited, work.depth_cut)


def sum_walk(walk: Walk, rng: np.random.Generator) -> Totals:
    """The sums of the walk's steps, drawing its agent steps' calls as `Walk.work` would.

    Only the agent steps' task, agent and call count are laid out (first
    stretches by visit, then final answers); their seconds, output tokens and
    USD are drawn into three columns and added up. Human requests keep their
    own short columns (about one per thirty steps on typical workloads).
    """
    workload = walk.workload
    agents, humans = tuple(workload.agents), tuple(workload.humans)
    n_agents = len(agents)
    h_task, h_res, h_dur, *_ = walk.humans_asked.arrays()
    fin = walk.plan.final_visits()
    size = sum(part.size for part in walk.v_task) + fin.size
    task = np.empty(size, np.int64)
    agent = np.empty(size, np.int64)
    calls = np.empty(size, np.int64)
    walk.plan.rows(walk.v_task, walk.v_agent, fin, task, agent, calls)
    seconds, output, cost = np.empty(size), np.empty(size), np.empty(size)
    walk.plan.draw(walk.table, agent, calls, rng, seconds, output, cost)
    tasks = walk.tasks
    # the rows' order (human requests first, at zero cost) is Work's, so sums agree to the bit
    per_task_cost = sum_by(task, cost, tasks)
    duration = sum_by(h_task, h_dur, tasks)
    duration += sum_by(task, seconds, tasks)
    resources = n_agents + len(humans)
    busy = np.zeros(resources)
    busy[:n_agents] = sum_by(agent, seconds, n_agents)
    busy[n_agents:] = sum_by(h_res - n_agents, h_dur, len(humans) + 1)[:len(humans)]
    return Totals(tasks, agents, humans, per_task_cost, duration, busy,
                  sum_by(agent, cost, n_agents),
                  np.bincount(agent, calls, n_agents).astype(np.float64),
                  sum_by(agent, output, n_agents), h_res, h_dur, walk.asks, walk.levels,
                  walk.depth_limited, walk.depth_cut)


__all__ = ["Totals", "sum_walk"]
