"""Fork and join for the discrete-event engine: a visit's delegations, `parallel` at a time.

When some visit of a forecast hands work to several delegates that may run
at once, a task is no longer a chain of steps but a tree: a visit's first
stretch and human requests run in sequence, then up to `parallel` of its
delegate visits start together (in edge order, the next starting when one
ends, like the engine's delegation slots), and its final answer starts when
the last of them ends. `Tree` answers the event loop's one question: step s
just ended at t, which steps are ready now? Built once per run from the
plan's sorted steps (positions in `Plan` order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runtime.forecast.folding import Plan
from runtime.forecast.sampler import FINAL, Work


@dataclass(slots=True)
class Tree:
    """Per step (plan order) and per visit, plain lists for the event loop."""

    visit: list[int]
    is_final: list[bool]
    next_pre: list[int]
    """The visit's next first-stretch or request step, or -1."""
    first: list[int]
    """Per visit: its first step."""
    final: list[int]
    """Per visit: its final step, or -1."""
    child_lo: list[int]
    child_hi: list[int]
    parent: list[int]
    bound: list[int]
    next_child: list[int]
    pending: list[int]

    @classmethod
    def build(cls, work: Work, plan: Plan) -> Tree:
        visits = work.visits
        assert visits is not None and work.visit is not None and work.phase is not None
        assert work.parallel is not None
        n = visits.task.size
        visit = work.visit[plan.order]
        phase = work.phase[plan.order]
        final = phase == FINAL
        pos = np.arange(visit.size)
        by_visit = np.lexsort((pos, final, visit))  # a visit's pre steps in order, then final
        nxt = np.full(visit.size, -1, np.int64)
        same = (visit[by_visit[1:]] == visit[by_visit[:-1]]) & ~final[by_visit[1:]]
        nxt[by_visit[:-1][same]] = by_visit[1:][same]
        first = np.full(n, -1, np.int64)
        first[visit[by_visit[::-1]]] = by_visit[::-1]  # the earliest position wins
        fin = np.full(n, -1, np.int64)
        fin[visit[final]] = pos[final]
        parent = visits.parent
        has_parent = np.flatnonzero(parent >= 0)
        counts = np.bincount(parent[has_parent], minlength=n)
        # children of a visit are contiguous: the first child's id is the lowest
        lo_of = np.full(n, np.iinfo(np.int64).max, np.int64)
        np.minimum.at(lo_of, parent[has_parent], has_parent)
        lo = np.where(counts > 0, lo_of, 0)
        return cls(visit.tolist(), final.tolist(), nxt.tolist(), first.tolist(), fin.tolist(),
                   lo.tolist(), (lo + counts).tolist(), parent.tolist(),
                   work.parallel[visits.agent].tolist(), [0] * n, [0] * n)

    def after(self, s: int) -> list[int]:
        """Steps that become ready when step s ends."""
        v = self.visit[s]
        if self.is_final[s]:
            return self._done(v)
        nxt = self.next_pre[s]
        if nxt >= 0:
            return [nxt]
        lo, hi = self.child_lo[v], self.child_hi[v]
        if lo == hi:
            f = self.final[v]
            return [f] if f >= 0 else self._done(v)
        k = min(self.bound[v], hi - lo)
        self.next_child[v] = lo + k
        self.pending[v] = hi - lo
        return [self.first[c] for c in range(lo, lo + k)]

    def _done(self, v: int) -> list[int]:
        p = self.parent[v]
        if p < 0:
            return []
        self.pending[p] -= 1
        c = self.next_child[p]
        if c < self.child_hi[p]:
            self.next_child[p] = c + 1
            return [self.first[c]]
        if self.pending[p] == 0:
            return [self.final[p]]
        return []


__all__ = ["Tree"]
