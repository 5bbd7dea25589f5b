"""The sampler's steps as rows: human requests as they are decided, agent steps at the end.

`Steps` collects the human requests level by level (concatenated once);
`AskLog` logs every request's outcome; `AgentSteps` keeps what the levels
decided about agent work (calls per first stretch, tool time, which visits
answer at the end) and lays it out as rows: all step columns for `Work`
(`AgentSteps.columns`), or only the task, agent and calls of the agent steps
for the Monte Carlo sums (`AgentSteps.rows`), drawing their model calls
the same way in both (`AgentSteps.draw`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from runtime.forecast.dists import FloatArray
from runtime.forecast.draws import fill_calls
from runtime.forecast.tables import Tables

IntArray = NDArray[np.int64]
PhaseArray = NDArray[np.int8]
FIRST, ASK, FINAL = 0, 1, 2
"""Step phases within a visit: first stretch, a human request (or its timeout wait), answer."""


@dataclass(frozen=True, slots=True)
class Asks:
    """Every human request: its task, human (by index) and outcome (APPROVED, DENIED, TIMED_OUT)."""

    task: IntArray
    human: IntArray
    outcome: IntArray


_Columns = tuple[IntArray, IntArray, FloatArray, IntArray, FloatArray, FloatArray, IntArray,
                 IntArray, PhaseArray]


class Steps:
    """Growing lists of step-array pieces, concatenated once at the end."""

    def __init__(self) -> None:
        self.parts: list[_Columns] = []

    def add(self, task: IntArray, resource: IntArray, duration: FloatArray, calls: IntArray,
            output: FloatArray, cost: FloatArray, key: IntArray, visit: IntArray,
            phase: int) -> None:
        if task.size:
            self.parts.append((task, resource, duration, calls, output, cost, key, visit,
                               np.full(task.size, phase, np.int8)))

    def arrays(self) -> _Columns:
        if not self.parts:
            i, f = np.zeros(0, np.int64), np.zeros(0)
            return i, i, f, i, f, f, i, i, np.zeros(0, np.int8)
        c = [np.concatenate(col) for col in zip(*self.parts, strict=True)]
        return c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]


class AskLog:
    def __init__(self) -> None:
        self.parts: list[tuple[IntArray, IntArray, IntArray]] = []

    def add(self, task: IntArray, human: IntArray, outcome: IntArray) -> None:
        if task.size:
            self.parts.append((task, human, outcome))

    def arrays(self) -> Asks:
        if not self.parts:
            empty = np.zeros(0, np.int64)
            return Asks(empty, empty, empty)
        cols = [np.concatenate(col) for col in zip(*self.parts, strict=True)]
        return Asks(cols[0], cols[1], cols[2])


class AgentSteps:
    """What the levels decided about agent steps, turned into step columns at the end.

    Every visit has a first stretch (`first[i]` model calls, plus its tool
    time); visits that asked a human or delegated also have a final answer
    (one call), listed by visit id with its order key.
    """

    def __init__(self) -> None:
        self.first: list[IntArray] = []
        self.tool: list[FloatArray | None] = []
        self.final_visit: list[IntArray] = []
        self.final_key: list[IntArray] = []

    def final_visits(self) -> IntArray:
        """Visit ids of the final answers, in row order."""
        return np.concatenate(self.final_visit) if self.final_visit else np.zeros(0, np.int64)

    def rows(self, v_task: list[IntArray], v_agent: list[IntArray], fin: IntArray,
             task: IntArray, agent: IntArray, calls: IntArray) -> None:
        """Fill task, agent and calls of the agent steps: first stretches by visit, then answers.

        `v_task` and `v_agent` are per level (one part each) or already joined (one part).
        """
        v = sum(part.size for part in v_task)
        np.concatenate(v_task, out=task[:v])
        np.take(task[:v], fin, out=task[v:])
        np.concatenate(v_agent, out=agent[:v])
        np.take(agent[:v], fin, out=agent[v:])
        np.concatenate(self.first, out=calls[:v])
        calls[v:] = 1

    def draw(self, table: Tables, agent: IntArray, calls: IntArray, rng: np.random.Generator,
             seconds: FloatArray, output: FloatArray, cost: FloatArray) -> None:
        """Draw the agent steps' model calls (`fill_calls`); add the first stretches' tool time."""
        fill_calls(table, agent, calls, rng, seconds, output, cost)
        if any(t is not None for t in self.tool):
            seconds[:sum(f.size for f in self.first)] += np.concatenate(
                [np.zeros(f.size) if t is None else t
                 for f, t in zip(self.first, self.tool, strict=True)])

    def columns(self, table: Tables, humans: Steps, visit_task: IntArray,
                visit_agent: IntArray, v_key: list[IntArray], rng: np.random.Generator
                ) -> _Columns:
        """All step columns: human requests, then first stretches (by visit), then answers."""
        h_task, h_res, h_dur, _, _, _, h_key, h_visit, _ = humans.arrays()
        fin = self.final_visits()
        a = h_task.size
        b = a + visit_task.size
        size = b + fin.size
        task = np.empty(size, np.int64)
        resource = np.empty(size, np.int64)
        calls = np.empty(size, np.int64)
        task[:a], resource[:a], calls[:a] = h_task, h_res, 0
        self.rows([visit_task], [visit_agent], fin, task[a:], resource[a:], calls[a:])
        order = np.empty(size, np.int64)
        order[:a] = h_key
        np.concatenate(v_key, out=order[a:b])
        if fin.size:
            np.concatenate(self.final_key, out=order[b:])
        visit = np.empty(size, np.int64)
        visit[:a] = h_visit
        visit[a:b] = np.arange(b - a)
        visit[b:] = fin
        phase = np.empty(size, np.int8)
        phase[:a], phase[a:b], phase[b:] = ASK, FIRST, FINAL
        duration, output, cost = np.empty(size), np.empty(size), np.empty(size)
        duration[:a], output[:a], cost[:a] = h_dur, 0.0, 0.0
        self.draw(table, resource[a:], calls[a:], rng, duration[a:], output[a:], cost[a:])
        return task, resource, duration, calls, output, cost, order, visit, phase


__all__ = ["ASK", "FINAL", "FIRST", "AgentSteps", "AskLog", "Asks", "IntArray", "PhaseArray",
           "Steps"]
