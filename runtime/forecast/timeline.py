"""Task latency without queueing: the visit tree, parallel delegations and working hours.

The Monte Carlo engine's latency of a task. One visit takes its first stretch
and its human requests one after another (`pre`), then its delegations, then
its final answer. The delegations of a visit run at most `parallel` at once,
in edge order, each starting when an earlier one ends (greedy list
scheduling, as the engine's delegation slots do), so the block takes the sum
of the children's latencies with a bound of 1 and their maximum when the
bound is at least their number. Computed bottom-up, level by level, with
NumPy (the loop is over sibling ranks, not visits).

Human requests are answered in their reviewers' working hours *from the time
they are made*. Those times depend on the latencies before them, so the
timeline is iterated: lay it out, recompute every request's wall-clock
answer time from its start, repeat until nothing changes. Each pass fixes at
least the earliest request still wrong in every task, so a task with k
requests in sequence needs at most k + 1 passes. Only the tasks that ask a
human who keeps hours take part (cut out with their visits, renumbered), so
the iteration costs in proportion to the tasks needing a human.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

import numpy as np
from numpy.typing import NDArray

from runtime.forecast.calendar import Hours
from runtime.forecast.dists import FloatArray, sum_by
from runtime.forecast.sampler import FINAL, IntArray, Visits, Work

MAX_PASSES: Final = 64


@dataclass(frozen=True, slots=True)
class Layout:
    """Per visit: its latency and start; per step: its start (wall-clock seconds)."""

    visit_latency: FloatArray
    visit_start: FloatArray
    step_start: FloatArray


def task_latency(work: Work, arrival: FloatArray, hours: list[Hours]
                 ) -> tuple[FloatArray, FloatArray, int]:
    """Per-task latency with no queueing (`hours[h]`: human h's working hours).

    Also returns every step's wall-clock duration (a human's answer counted
    from when the request was made) and the passes it took. Plain per-task
    sums when nothing runs in parallel and nobody keeps hours.
    """
    assert work.visits is not None and work.visit is not None and work.phase is not None
    keeps_hours = [not h.always for h in hours]
    if not work.fans_out and not any(keeps_hours):
        return sum_by(work.task, work.duration, work.tasks), work.duration, 1
    base = (lay_out(work, work.duration, arrival, starts=False).visit_latency[: work.tasks]
            if work.fans_out
            else sum_by(work.task, work.duration, work.tasks))
    kept = np.asarray(keeps_hours, dtype=bool)
    human = work.is_human()
    asks_hours = human.copy()
    asks_hours[human] = kept[work.resource[human] - len(work.agents)]
    if not asks_hours.any():
        return base, work.duration, 1
    # only tasks that ask a human who keeps hours need the iteration
    chosen = np.zeros(work.tasks, dtype=bool)
    chosen[work.task[asks_hours]] = True
    sub, rows = _subset(work, chosen)
    start_arrival = arrival[chosen]
    timed = np.flatnonzero(asks_hours[rows])
    duration = sub.duration.copy()
    layout = lay_out(sub, duration, start_arrival)
    passes = 1
    while passes < MAX_PASSES:
        wall = duration.copy()
        start = layout.step_start[timed]
        for h, hrs in enumerate(hours):
            if not keeps_hours[h]:
                continue
            at = sub.resource[timed] == len(work.agents) + h
            wall[timed[at]] = hrs.to_wall(hrs.to_work(start[at]) + sub.duration[timed[at]]) \
                - start[at]
        if np.allclose(wall[timed], duration[timed], rtol=1e-12, atol=1e-6):
            break
        duration = wall
        layout = lay_out(sub, duration, start_arrival)
        passes += 1
    latency = base.copy()
    latency[chosen] = layout.visit_latency[: sub.tasks]
    full = work.duration.copy()
    full[rows] = duration
    return latency, full, passes


def _subset(work: Work, chosen: NDArray[np.bool_]) -> tuple[Work, IntArray]:
    """The steps and visits of the chosen tasks, renumbered; and the chosen step rows."""
    visits = work.visits
    assert visits is not None and work.visit is not None and work.phase is not None
    rows = np.flatnonzero(chosen[work.task])
    keep = chosen[visits.task]
    new_visit = np.cumsum(keep) - 1
    new_task = np.cumsum(chosen) - 1
    kept_ids = np.flatnonzero(keep)
    parent = visits.parent[keep]
    sub_visits = Visits(new_task[visits.task[keep]], visits.agent[keep],
                        np.where(parent >= 0, new_visit[np.maximum(parent, 0)], -1),
                        visits.rank[keep],
                        tuple(int(b) for b in np.searchsorted(kept_ids, visits.bounds)))
    sub = replace(work, tasks=int(chosen.sum()), task=new_task[work.task[rows]],
                  resource=work.resource[rows], duration=work.duration[rows],
                  calls=work.calls[rows], output_tokens=work.output_tokens[rows],
                  cost=work.cost[rows], key=work.key[rows], visit=new_visit[work.visit[rows]],
                  phase=work.phase[rows], visits=sub_visits)
    return sub, rows


def lay_out(work: Work, duration: FloatArray, arrival: FloatArray, *,
            starts: bool = True) -> Layout:
    """Latency and start of every visit, start of every step, for the given step durations.

    With `starts=False` only the latencies are computed (the starts are left empty).
    """
    visits = work.visits
    assert visits is not None and work.visit is not None and work.phase is not None
    assert work.parallel is not None
    n = visits.task.size
    final = work.phase == FINAL
    pre = sum_by(work.visit[~final], duration[~final], n)
    fin = sum_by(work.visit[final], duration[final], n)
    latency = pre + fin
    offset = np.zeros(n)  # a child's start within its parent's delegation block
    bounds = visits.bounds
    for depth in range(len(bounds) - 2, 0, -1):
        lo, hi = bounds[depth], bounds[depth + 1]
        if hi > lo:
            parents, block = _schedule(visits, latency, offset, lo, hi, work.parallel)
            latency[parents] += block
    if not starts:
        return Layout(latency, np.empty(0), np.empty(0))
    start = np.empty(n)
    start[: bounds[1]] = arrival[visits.task[: bounds[1]]]
    for depth in range(1, len(bounds) - 1):
        lo, hi = bounds[depth], bounds[depth + 1]
        parent = visits.parent[lo:hi]
        start[lo:hi] = start[parent] + pre[parent] + offset[lo:hi]
    # steps: pre-phase steps one after another from the visit's start, the final at the end
    order = np.lexsort((work.phase, work.visit))
    v = work.visit[order]
    d = np.where(final[order], 0.0, duration[order])
    before = np.cumsum(d) - d
    head = np.r_[True, v[1:] != v[:-1]]
    seg = np.cumsum(head) - 1
    local = before - before[head][seg]
    step_start = np.empty(work.visit.size)
    step_start[order] = start[v] + local
    fin_rows = np.flatnonzero(final)
    step_start[fin_rows] = start[work.visit[fin_rows]] + latency[work.visit[fin_rows]] \
        - duration[fin_rows]
    return Layout(latency, start, step_start)


def _schedule(visits: Visits, latency: FloatArray, offset: FloatArray, lo: int, hi: int,
              parallel: IntArray) -> tuple[IntArray, FloatArray]:
    """Delegation block length per parent of children lo:hi; sets the children's offsets.

    Children of one parent are contiguous and in rank order. Greedy list
    scheduling: the next child takes the slot that frees first. A parent whose
    children all fit in its bound takes their maximum; a bound of 1 their sum;
    only the rest loop over sibling ranks.
    """
    parent = visits.parent[lo:hi]
    child = latency[lo:hi]
    head = np.r_[True, parent[1:] != parent[:-1]]
    first = np.flatnonzero(head)
    group = np.cumsum(head) - 1
    counts = np.diff(np.r_[first, hi - lo])
    bound = parallel[visits.agent[parent[first]]]
    block = np.maximum.reduceat(child, first)  # all at once
    offset[lo:hi] = 0.0
    serial = (bound == 1) & (counts > 1)
    if serial.any():  # one at a time: running sums
        before = np.cumsum(child) - child
        rows = np.flatnonzero(serial[group])
        offset[lo + rows] = (before - before[first][group])[rows]
        block[serial] = np.add.reduceat(child, first)[serial]
    hard = (bound > 1) & (counts > bound)
    if hard.any():
        rows = np.flatnonzero(hard[group])
        g_of = np.cumsum(hard) - 1  # group -> row of the slot matrix
        rank = rows - first[group[rows]]
        width = int(bound[hard].max())
        free = np.zeros((int(hard.sum()), width))
        free[np.arange(width)[None, :] >= bound[hard][:, None]] = np.inf
        by_rank = rows[np.argsort(rank, kind="stable")]
        edges = np.r_[0, np.cumsum(np.bincount(rank))]
        for k in range(edges.size - 1):
            r = by_rank[edges[k]:edges[k + 1]]
            g = g_of[group[r]]
            slot = np.argmin(free[g], axis=1)
            begin = free[g, slot]
            offset[lo + r] = begin
            free[g, slot] = begin + child[r]
        free[np.isinf(free)] = 0.0
        block[hard] = free.max(axis=1)
    return parent[first], block


__all__ = ["Layout", "lay_out", "task_latency"]
