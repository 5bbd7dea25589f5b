"""The discrete-event engine: the sampled steps run through queues, limits and working hours.

Resources: each agent has `concurrency` slots (a stretch of work holds one
from start to end), each model a token bucket for requests and output tokens
per minute (a stretch that finds the bucket short waits while holding its
slot, as a real agent waiting out a 429 does), and each human `reviewers` who
answer first come, first served, only within their working hours.

Written for speed rather than generality (no SimPy):

- **Proven-idle resources are folded away.** A resource that never reaches
  its limit never makes anyone wait, so its steps are plain delays. The
  engine queues the humans and the agents that come near a limit even when
  nothing waits, simulates only those with the other agents' work folded into
  the gaps between events, then rebuilds every folded step's start and end (a
  segmented cumulative sum) and checks, vectorised, that no folded agent ever
  had more steps in flight than slots and no folded token bucket ever ran
  short. Any that did (and any that came near) become real queues and the run
  is repeated. The answer is exact: the same trajectory a full simulation
  produces (a test checks it).
- **Parallel delegations fork and join.** When a visit may run several
  delegations at once (des_tree.py), every resource is simulated (no
  folding) and a step's end readies whatever the visit tree says comes next.
- **Timed-out human requests are plain waits** on a pseudo-resource with no
  limit (the request never reached a reviewer in time).
- **The event loop is flat.** Presorted Python lists, arrivals merged from a
  sorted array, a step that becomes ready started inline; token buckets use
  the generic cell rate algorithm (no events for waiting on tokens); humans
  queue in working time.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from runtime.forecast import folding
from runtime.forecast.des_tree import Tree
from runtime.forecast.dists import FloatArray, sum_by
from runtime.forecast.sampler import Work
from runtime.forecast.workload import RateLimit, Workload

NEAR: Final = 0.8
"""Agents whose peak in-flight steps reach this share of their slots are queued up front."""


@dataclass(frozen=True, slots=True)
class Simulated:
    """What one discrete-event run measured."""

    latency: FloatArray
    """Per task, in arrival order: finish of its last step minus its arrival (s)."""
    busy: FloatArray
    """Per resource (agents, then humans): seconds of slot (or reviewer working) time used."""
    wait: FloatArray
    """Per resource: total wall-clock seconds steps waited for a slot, a reviewer or the rate
    limit (for humans this includes nights and weekends spent in the queue)."""
    steps: FloatArray
    """Per resource: number of steps served."""
    queued: tuple[str, ...]
    """Agents that had to be simulated as queues (the others never reached a limit)."""
    rounds: int
    wall: FloatArray | None = None
    """Per step (work order): wall-clock seconds from ready to done, for humans' requests."""


def simulate(workload: Workload, work: Work, arrival: FloatArray,
             limits: list[RateLimit | None], *, fold: bool = True) -> Simulated:
    """Run the steps through the queues; `limits[a]` is agent a's model bucket (or None).

    With `fold=False` every agent is simulated as a queue from the start (the
    reference the folding is tested against).
    """
    plan = folding.Plan.build(work, arrival, limits)
    n_agents = len(work.agents)
    capacity = [workload.agents[a].concurrency for a in work.agents]
    queued = np.zeros(work.wait_resource + 1, dtype=bool)
    fans_out = work.fans_out  # a visit may run delegations at once: fork/join, no folding
    if fold and not fans_out:
        # first guess: agents that come near a limit even if nothing ever waited
        none = np.zeros(0)
        _, start0, end0 = plan.timeline(queued, none, none)
        must, close = plan.violations(queued, start0, end0, capacity, NEAR)
        queued |= must | close
        queued[n_agents:] = True
    else:
        queued[:] = True
    rounds = 0
    while True:
        rounds += 1
        tree = Tree.build(work, plan) if fans_out else None  # fresh per run (it keeps state)
        ready, slot, begin, done = _run(workload, work, plan, queued, tree)
        finish, start_all, end_all = plan.timeline(queued, begin, done)
        must, close = plan.violations(queued, start_all, end_all, capacity, NEAR)
        if not must.any():
            break
        queued |= must | close
    events = queued[plan.resource]
    res = plan.resource[events]
    human = res >= n_agents
    # agents are busy from taking a slot to the end (rate-limit waits hold the slot);
    # humans for the working time their answers need
    held = np.where(human, plan.duration[events], done - slot)
    waited = np.where(human, slot - ready, begin - ready)
    busy = sum_by(plan.resource, end_all - start_all, queued.size)
    busy[queued] = sum_by(res, held, queued.size)[queued]
    wait = sum_by(res, waited, queued.size)
    steps = np.bincount(plan.resource, minlength=queued.size).astype(np.float64)
    wall = np.zeros(plan.resource.size)
    wall[plan.order[np.flatnonzero(events)]] = done - ready
    return Simulated(finish - arrival, busy, wait, steps,
                     tuple(a for i, a in enumerate(work.agents) if queued[i]), rounds, wall)


def _run(workload: Workload, work: Work, plan: folding.Plan, queued: NDArray[np.bool_],
         tree: Tree | None = None) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Simulate the queued resources' steps (the others are folded into `gap`s).

    Returns, per event step, when it became ready, when it got its slot (or
    reviewer), when its work began (after any rate-limit wait) and when it ended.
    """
    ev = plan.events(queued)
    n_agents = len(work.agents)
    bucket_of, cap_r, cap_t = plan.buckets
    # Token-bucket arithmetic per step, precomputed: the time its requests and tokens
    # take to refill, and how far ahead of the bucket's "theoretical arrival time" it may go.
    agent = ev.resource < n_agents
    bucket = np.where(agent, np.asarray([*bucket_of, -1], dtype=np.int64)[
        np.minimum(ev.resource, n_agents)], -2)
    has = bucket >= 0
    slot = np.where(has, bucket, len(cap_r))  # the extra last entry stands for "no bucket"
    rate_r = np.asarray([*cap_r, 60.0])[slot] / 60.0
    rate_t = np.asarray([*cap_t, 60.0])[slot] / 60.0
    cap_rs, cap_ts = rate_r * 60.0, rate_t * 60.0
    cost_r = (ev.calls / rate_r).tolist()
    cost_t = (ev.output / rate_t).tolist()
    ahead_r = (np.maximum(cap_rs - ev.calls, 0.0) / rate_r).tolist()
    ahead_t = (np.maximum(cap_ts - ev.output, 0.0) / rate_t).tolist()
    bucket_l = bucket.tolist()
    res_l = ev.resource.tolist()
    dur_l = ev.duration.tolist()
    gap_l = ev.gap.tolist()
    next_l = ev.next.tolist()
    first_l = ev.first.tolist()
    arr_l = ev.arrival.tolist()
    size = len(res_l)
    ready_l = [0.0] * size
    slot_l = [0.0] * size
    begin_l = [0.0] * size
    done_l = [0.0] * size
    free = [workload.agents[a].concurrency for a in work.agents]
    free += [workload.humans[h].reviewers for h in work.humans]
    free.append(len(res_l) + 1)  # timed-out requests: plain waits, never queued
    queues: list[deque[int]] = [deque() for _ in range(queued.size)]
    tat_r = [0.0] * len(cap_r)
    tat_t = [0.0] * len(cap_r)
    to_work: list[Callable[[float], float]] = []
    to_wall: list[Callable[[float], float]] = []
    for human in work.humans:
        fw, fl = workload.humans[human].hours.scalar()
        to_work.append(fw)
        to_wall.append(fl)
    to_work.append(float)
    to_wall.append(float)
    heap: list[tuple[float, int]] = []
    push, pop, replace = heapq.heappush, heapq.heappop, heapq.heapreplace
    inf = float("inf")
    n = len(arr_l)
    ai = 0
    next_arr = arr_l[0] if n else inf

    while True:
        # s: a step that becomes ready at t (or -1); h: a queued step that takes the
        # slot a finished step freed at t (or -1). Both may start at t, h first.
        h = -1
        held = False  # the heap's root is this event, still in place: the first push
        if heap and heap[0][0] < next_arr:  # replaces it (one sift instead of two)
            t, code = heap[0]
            held = True
            s = code >> 1
            if code & 1:  # step s finished at t: free its slot, then its task moves on
                r = res_l[s]
                q = queues[r]
                if q:
                    h = q.popleft()
                else:
                    free[r] += 1
                if tree is not None:  # fork/join: whatever the visit tree readies now
                    for nxt in tree.after(s):
                        if held:
                            replace(heap, (t, nxt + nxt))
                            held = False
                        else:
                            push(heap, (t, nxt + nxt))
                    s = -1
                else:
                    s = next_l[s]
                    if s >= 0 and gap_l[s] > 0.0:
                        replace(heap, (t + gap_l[s], s + s))
                        held = False
                        s = -1
        elif ai < n:
            t = next_arr
            s = first_l[ai]
            ai += 1
            next_arr = arr_l[ai] if ai < n else inf
            if s >= 0 and gap_l[s] > 0.0:
                push(heap, (t + gap_l[s], s + s))
                s = -1
        else:
            break
        if s >= 0:
            ready_l[s] = t
            r = res_l[s]
            if free[r]:
                free[r] -= 1
            else:
                queues[r].append(s)
                s = -1
        if h >= 0:
            s, h = h, s
        while s >= 0:  # step s takes its slot at t
            slot_l[s] = t
            b = bucket_l[s]
            if b >= 0:  # the generic cell rate algorithm, requests and tokens
                at = t
                tr = tat_r[b]
                tt = tat_t[b]
                if tr - ahead_r[s] > at:
                    at = tr - ahead_r[s]
                if tt - ahead_t[s] > at:
                    at = tt - ahead_t[s]
                tat_r[b] = (tr if tr > at else at) + cost_r[s]
                tat_t[b] = (tt if tt > at else at) + cost_t[s]
                begin_l[s] = at
                end = at + dur_l[s]
            elif b == -1:  # an agent without a rate limit
                begin_l[s] = t
                end = t + dur_l[s]
            else:  # a human: answers within working hours
                hu = res_l[s] - n_agents
                begin_l[s] = t
                end = to_wall[hu](to_work[hu](t) + dur_l[s])
            done_l[s] = end
            if held:
                replace(heap, (end, s + s + 1))
                held = False
            else:
                push(heap, (end, s + s + 1))
            s, h = h, -1
        if held:
            pop(heap)
    return _floats(ready_l), _floats(slot_l), _floats(begin_l), _floats(done_l)


def _floats(values: list[float]) -> FloatArray:
    """A list of Python floats as an array (fromiter skips np.asarray's type discovery)."""
    return np.fromiter(values, np.float64, len(values))
