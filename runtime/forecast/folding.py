"""Folding uncontended agents into delays for the discrete-event engine, and proving it exact.

`Plan` holds a forecast's steps sorted into the order each task performs
them. Given which resources are simulated as queues, `events` lists only
their steps, each with the `gap` of folded agent work between the previous
event of its task (or its arrival) and itself. After a run, `timeline`
rebuilds every step's start and end with a segmented cumulative sum, and
`violations` finds the folded agents whose slots were ever over-subscribed
and the folded token buckets that ever ran short (the generic cell rate
algorithm's recurrence is a running maximum, so this is vectorised too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import NDArray

from runtime.forecast.dists import FloatArray
from runtime.forecast.sampler import IntArray, Work
from runtime.forecast.workload import RateLimit

BoolArray = NDArray[np.bool_]
_EPS = 1e-9


def task_order(task: IntArray, key: IntArray) -> IntArray:
    """The stable order of steps by task, then order key (`np.lexsort((key, task))`).

    When task and key fit in one 63-bit integer together (the key's unused
    low bits dropped), that integer is sorted instead: a stable sort of one key
    (timsort, which also profits from the sampler's steps coming in a few
    sorted runs) instead of two.
    """
    if not task.size:
        return np.zeros(0, np.int64)
    used = int(np.bitwise_or.reduce(key))
    low = (used & -used).bit_length() - 1 if used else 0
    key_bits = (used >> low).bit_length()
    if int(task.max()).bit_length() + key_bits > 63 or int(key.min()) < 0:
        return np.asarray(np.lexsort((key, task)), dtype=np.int64)
    combined = task << key_bits
    combined |= key >> low
    return np.asarray(np.argsort(combined, kind="stable"), dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Events:
    """The steps of simulated resources, in task order, with the folded work before each."""

    resource: IntArray
    duration: FloatArray
    calls: IntArray
    output: FloatArray
    gap: FloatArray
    next: IntArray
    """Index of the task's next event, or -1 after its last."""
    first: IntArray
    """Per task: index of its first event, or -1 when it has none."""
    arrival: FloatArray


@dataclass(frozen=True, slots=True)
class Plan:
    """Sorted steps of one forecast plus the rate-limit buckets of its agents."""

    task: IntArray
    resource: IntArray
    duration: FloatArray
    calls: IntArray
    output: FloatArray
    task_first: IntArray
    task_last: IntArray
    arrival: FloatArray
    n_agents: int
    buckets: tuple[list[int], list[float], list[float]]
    """Bucket index per agent (-1: unlimited), requests and output tokens per minute per bucket."""
    order: IntArray
    """Sorted position -> index into the work's step arrays."""
    memo: dict[bytes, tuple[BoolArray, IntArray, FloatArray]] = field(
        default_factory=dict, compare=False, repr=False)
    """The last `_segments` result, by queued mask (a run's events and timeline share it)."""

    @classmethod
    def build(cls, work: Work, arrival: FloatArray, limits: list[RateLimit | None]) -> Plan:
        order = task_order(work.task, work.key)
        task = work.task[order]
        first = np.searchsorted(task, np.arange(work.tasks))
        last = np.append(first[1:], task.size) - 1
        ids: dict[tuple[float, float, str], int] = {}
        bucket: list[int] = []
        for a, limit in enumerate(limits):
            if limit is None:
                bucket.append(-1)
                continue
            ident = (limit.requests_per_minute, limit.output_tokens_per_minute, work.models[a])
            bucket.append(ids.setdefault(ident, len(ids)))
        cap_r = [k[0] for k in ids]
        cap_t = [k[1] for k in ids]
        return cls(task, work.resource[order], work.duration[order], work.calls[order],
                   work.output_tokens[order], first, last, arrival, len(work.agents),
                   (bucket, cap_r, cap_t), order)

    def _segments(self, queued: BoolArray) -> tuple[BoolArray, IntArray, FloatArray]:
        """Event mask, segment id per step, and folded work before each step in its segment."""
        mask = queued.tobytes()
        if mask in self.memo:
            return self.memo[mask]
        event = queued[self.resource]
        head = np.zeros(self.task.size, dtype=bool)
        head[self.task_first] = True
        head[1:] |= event[:-1]
        head[self.task_first] = True
        seg = np.cumsum(head) - 1
        folded = np.where(event, 0.0, self.duration)
        before = np.cumsum(folded) - folded
        local = before - before[head][seg]
        self.memo.clear()
        self.memo[mask] = (event, seg, local)
        return event, seg, local

    def events(self, queued: BoolArray) -> Events:
        event, _, local = self._segments(queued)
        idx = np.flatnonzero(event)
        ev_task = self.task[idx]
        nxt = np.arange(1, idx.size + 1, dtype=np.int64)
        if idx.size:
            nxt[np.append(ev_task[1:] != ev_task[:-1], True)] = -1
        tasks = self.task_first.size
        pos = np.searchsorted(ev_task, np.arange(tasks))
        has = pos < idx.size
        has[has] = ev_task[pos[has]] == np.arange(tasks)[has]
        first = np.where(has, pos, -1)
        return Events(self.resource[idx], self.duration[idx], self.calls[idx], self.output[idx],
                      local[idx], nxt, first, self.arrival)

    def timeline(self, queued: BoolArray, begin: FloatArray, done: FloatArray
                 ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Per task finish time; per sorted step start and end (events from the run)."""
        event, seg, local = self._segments(queued)
        idx = np.flatnonzero(event)
        head = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
        anchor = self.arrival[self.task[head]]
        # a segment that starts right after an event is anchored at that event's end
        after_event = head[head > 0]
        prev_is_event = event[after_event - 1]
        ordinal = np.cumsum(event) - 1
        anchors_from_events = done[ordinal[after_event[prev_is_event] - 1]]
        anchor_idx = np.flatnonzero(head > 0)[prev_is_event]
        anchor[anchor_idx] = anchors_from_events
        start = anchor[seg] + local
        start[idx] = begin
        end = start + self.duration
        end[idx] = done
        return end[self.task_last], start, end

    def violations(self, queued: BoolArray, start: FloatArray, end: FloatArray,
                   capacity: list[int], near: float = 1.0) -> tuple[BoolArray, BoolArray]:
        """Folded agents that must be queued, and those that came within `near` of a limit.

        Must: ever more steps in flight than slots, or a member of a token bucket
        that ran short. Near: peak in-flight steps at least `near` × slots (worth
        queueing up front, since queueing others can push them over).

        A bucket first gets a cheap sufficient check over minute bins (no
        sorting); only a bucket that fails it gets the exact one.
        """
        bad = np.zeros(queued.size, dtype=bool)
        close = np.zeros(queued.size, dtype=bool)
        agent_steps = self.resource < self.n_agents
        folded = agent_steps & ~queued[self.resource]
        if not folded.any():
            return bad, close
        rows = np.flatnonzero(folded)
        res = self.resource[rows]
        suspects = np.flatnonzero(np.bincount(res, minlength=self.n_agents)
                                  >= near * np.asarray(capacity, dtype=np.float64))
        if suspects.size:
            by_res = rows[np.argsort(res.astype(np.uint16), kind="stable")]  # a radix sort
            bounds = np.searchsorted(self.resource[by_res], np.arange(self.n_agents + 1))
            for a in suspects.tolist():
                lo, hi = int(bounds[a]), int(bounds[a + 1])
                s = np.sort(start[by_res[lo:hi]])
                e = np.sort(end[by_res[lo:hi]])
                peak = int((np.arange(1, s.size + 1) - np.searchsorted(e, s, side="right")).max())
                bad[a] = peak > capacity[a]
                close[a] = peak >= near * capacity[a]
        bucket, cap_r, cap_t = self.buckets
        agent_bucket = np.array(bucket + [-1] * (queued.size - len(bucket)), dtype=np.int64)
        for b in range(len(cap_r)):
            members = agent_bucket == b
            if queued[members].all():
                continue  # the event loop ran this bucket exactly
            # Folded members drew tokens the loop did not see. If the whole bucket never
            # ran short, nobody waited for it and the run stands; otherwise simulate it whole.
            rows_b = np.flatnonzero(members[self.resource])
            t = start[rows_b]
            calls = self.calls[rows_b].astype(np.float64)
            output = self.output[rows_b]
            if _clearly_conforms(t, calls, cap_r[b]) and _clearly_conforms(t, output, cap_t[b]):
                continue
            order = np.argsort(t, kind="stable")
            t = t[order]
            if not (_conforms(t, calls[order], cap_r[b]) and _conforms(t, output[order], cap_t[b])):
                bad |= members
        return bad & ~queued, close & ~queued


BIN_S: Final = 60.0
"""Width of the time bins of the cheap bucket check (one token-bucket refill period)."""


def _clearly_conforms(t: FloatArray, weight: FloatArray, per_minute: float) -> bool:
    """A sufficient condition for `_conforms`, without sorting.

    A window of L seconds touches at most L / 60 + 2 aligned minute bins; if
    no bin holds more than half a minute's tokens, no window holds more than
    the bucket's burst plus its refill (L × per_minute / 60), so the bucket
    never runs short.
    """
    if not t.size:
        return True
    minute = ((t - float(t.min())) * (1.0 / BIN_S)).astype(np.int64)  # t >= min: truncation floors
    return bool(np.bincount(minute, weight).max() <= per_minute / 2)


def _conforms(t: FloatArray, weight: FloatArray, per_minute: float) -> bool:
    """Whether requests at sorted times `t` never find a token bucket short (GCRA, vectorised)."""
    if not t.size:
        return True
    rate = per_minute / 60.0
    cum = np.cumsum(weight) / rate
    tat = np.maximum.accumulate(t - (cum - weight / rate)) + cum
    tat_before = np.r_[-np.inf, tat[:-1]]
    allowed = tat_before - np.maximum(per_minute - weight, 0.0) / rate
    return bool(np.all(t >= allowed - _EPS))
