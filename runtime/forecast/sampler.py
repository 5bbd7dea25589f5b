"""Vectorised sampling of the work tasks need: every agent stretch and human request, as arrays.

Both engines start here. For `n` tasks, `sample_work` draws which entry agent
each task reaches, then walks the delegation tree level by level with NumPy:
all visits of a level at once, whatever their agent, with each visit's
parameters gathered from per-agent tables (tables.py): model calls, token
counts, call times, tool calls, escalations, approvals, delegations. The result is a
flat table of steps (`Work`): one row per stretch of agent work (holding one
of the agent's concurrency slots) or per human request, with its task, its
resource, its duration, its model calls and output tokens (for rate limits),
its cost at catalog prices, and an order key that sorts a task's steps into
the depth-first order they happen in. The Monte Carlo engine only sums rows
per task; the discrete-event engine sorts them and runs them through queues.

Order keys give each delegation level 8 bits: within a visit, slot 0 is the
first stretch, 1 its human requests, 2+j the j-th delegate's subtree and 255
the final answer; a child visit's key is its slot in the parent, so a whole
subtree sorts between the parent's requests and its answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from runtime.forecast.dists import FloatArray, sum_by
from runtime.forecast.tables import Tables
from runtime.forecast.workload import Workload
from runtime.roster.catalog import Catalog

IntArray = NDArray[np.int64]
MAX_LEVELS: Final = 7
FINAL_SLOT: Final = 255
HUMAN_SLOT: Final = 1
FIRST_DELEGATE_SLOT: Final = 2


@dataclass(frozen=True, slots=True)
class Work:
    """The sampled steps of `tasks` tasks; resources are agents, then humans, by index."""

    tasks: int
    agents: tuple[str, ...]
    humans: tuple[str, ...]
    entry: IntArray
    task: IntArray
    resource: IntArray
    duration: FloatArray
    """Seconds of agent work, or working seconds a human needs for the request."""
    calls: IntArray
    output_tokens: FloatArray
    cost: FloatArray
    key: IntArray
    models: tuple[str, ...]
    """Model id of each agent (by index)."""

    def is_human(self) -> NDArray[np.bool_]:
        return self.resource >= len(self.agents)


class _Steps:
    """Growing lists of step-array pieces, concatenated once at the end."""

    def __init__(self) -> None:
        self.parts: list[tuple[IntArray, IntArray, FloatArray, IntArray, FloatArray, FloatArray,
                               IntArray]] = []

    def add(self, task: IntArray, resource: IntArray, duration: FloatArray, calls: IntArray,
            output: FloatArray, cost: FloatArray, key: IntArray) -> None:
        if task.size:
            self.parts.append((task, resource, duration, calls, output, cost, key))

    def arrays(self) -> tuple[IntArray, IntArray, FloatArray, IntArray, FloatArray, FloatArray,
                              IntArray]:
        if not self.parts:
            empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0)
            return empty_i, empty_i, empty_f, empty_i, empty_f, empty_f, empty_i
        cols = [np.concatenate(col) for col in zip(*self.parts, strict=True)]
        return cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6]


def sample_work(workload: Workload, catalog: Catalog, tasks: int,
                rng: np.random.Generator) -> Work:
    """Draw the steps of `tasks` tasks (see the module docstring)."""
    agents = tuple(workload.agents)
    humans = tuple(workload.humans)
    index = {a: i for i, a in enumerate(agents)}
    table = Tables.build(workload, catalog)
    mix = list(workload.mix)
    weights = np.array([workload.mix[a] for a in mix], dtype=np.float64)
    entry_choice = rng.choice(len(mix), size=tasks, p=weights / weights.sum())
    entry = np.array([index[a] for a in mix], dtype=np.int64)[entry_choice]
    steps = _Steps()
    v_task = np.arange(tasks, dtype=np.int64)
    v_agent = entry.copy()
    v_key = np.zeros(tasks, dtype=np.int64)
    levels = min(workload.max_depth + 1, MAX_LEVELS)
    for depth in range(levels):
        if not v_task.size:
            break
        shift = 8 * (MAX_LEVELS - 1 - depth)
        v_task, v_agent, v_key = _level(workload, table, v_task, v_agent, v_key, shift,
                                        depth + 1 < levels, steps, rng)
    task, resource, duration, calls, output, cost, key = steps.arrays()
    return Work(tasks, agents, humans, entry, task, resource, duration, calls, output, cost,
                key, tuple(workload.agents[a].model for a in agents))


def _level(
    workload: Workload, table: Tables, task: IntArray, agent: IntArray, key: IntArray,
    shift: int, may_delegate: bool, steps: _Steps, rng: np.random.Generator,
) -> tuple[IntArray, IntArray, IntArray]:
    """All visits of one delegation level: adds their steps, returns the next level's visits."""
    n = task.size
    calls = 1 + rng.poisson(table.extra_calls[agent])
    tool_time = np.zeros(n)
    has_children = np.zeros(n, dtype=bool)
    asks: list[tuple[IntArray, IntArray]] = []  # (visit rows, human index)
    if table.tool_rate.size and table.tool_rate.any():
        counts = rng.poisson(table.tool_rate[agent])
        for j, tool_id in enumerate(workload.tools):
            column = counts[:, j]
            total = int(column.sum())
            if not total:
                continue
            owner = np.repeat(np.arange(n), column)
            tool_time += sum_by(owner, workload.tools[tool_id].seconds.sample(rng, total), n)
            asking = owner[table.tool_asks[agent[owner], j]]
            if asking.size:
                asks.append((asking, table.approver[agent[asking]]))
                has_children[asking] = True
    askers = np.flatnonzero(table.escalates[agent])
    if askers.size:
        asked = rng.random((askers.size, table.escalate_p.shape[1])) < table.escalate_p[
            agent[askers]]
        rows, human = np.nonzero(asked)
        rows = askers[rows]
        asks.append((rows, human))
        has_children[rows] = True
    children = (np.zeros(0, np.int64),) * 3
    senders = np.flatnonzero(table.delegates[agent]) if may_delegate else np.zeros(0, np.int64)
    if senders.size:
        sent = rng.random((senders.size, table.delegate_p.shape[1])) < table.delegate_p[
            agent[senders]]
        rows, slot = np.nonzero(sent)
        rows = senders[rows]
        has_children[rows] = True
        slot_bits = np.minimum(FIRST_DELEGATE_SLOT + slot, FINAL_SLOT - 1) << shift
        children = (task[rows], table.delegate_to[agent[rows], slot], key[rows] | slot_bits)
    first = np.where(has_children, np.maximum(calls - 1, 1), calls)
    dur, out, cost = _calls(table, agent, first, rng)
    steps.add(task, agent, dur + tool_time, first, out, cost, key)
    if has_children.any():
        final = np.flatnonzero(has_children)
        ones = np.ones(final.size, np.int64)
        dur, out, cost = _calls(table, agent[final], ones, rng)
        steps.add(task[final], agent[final], dur, ones, out, cost,
                  key[final] | (FINAL_SLOT << shift))
    for rows, human in asks:
        _human_steps(workload, task[rows], key[rows] | (HUMAN_SLOT << shift), human, steps, rng)
    return children


def _human_steps(workload: Workload, task: IntArray, key: IntArray, human: IntArray,
                 steps: _Steps, rng: np.random.Generator) -> None:
    """Requests to humans (by human index), each with its answer's working time."""
    n_agents = len(workload.agents)
    duration = np.empty(task.size)
    for h, human_id in enumerate(workload.humans):
        rows = human == h
        if rows.any():
            duration[rows] = workload.humans[human_id].response_seconds.sample(
                rng, int(rows.sum()))
    zeros = np.zeros(task.size)
    steps.add(task, human + n_agents, duration, np.zeros(task.size, np.int64), zeros, zeros, key)


def _calls(table: Tables, agent: IntArray, per_step: IntArray,
           rng: np.random.Generator) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Seconds, output tokens and USD of each step's model calls (summed per step).

    Sums of several calls are drawn as one value per step (see
    `tables.DistTable.sums`); the long-context band applies when a step's
    average prompt crosses the model's threshold. Call times derived from the
    model (no `seconds_per_call` in the workload file) are computed from the
    step's output tokens, so long answers take longer.
    """
    inp = table.input_tokens.sums(rng, agent, per_step)
    out = table.output_tokens.sums(rng, agent, per_step)
    # a call time derived from the model follows its own output: first token + tokens / speed
    secs = per_step * table.first_token_s[agent] + out / table.tokens_per_s[agent]
    given = np.isnan(secs)
    if given.all():
        secs = table.seconds.sums(rng, agent, per_step)
    elif given.any():
        secs[given] = table.seconds.sums(rng, agent[given], per_step[given])
    long = inp > table.long_threshold[agent] * per_step
    if long.any():
        price_in = np.where(long, table.long_in[agent], table.price_in[agent])
        price_out = np.where(long, table.long_out[agent], table.price_out[agent])
        return secs, out, inp * price_in + out * price_out
    return secs, out, inp * table.price_in[agent] + out * table.price_out[agent]
