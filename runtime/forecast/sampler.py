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
the depth-first order they happen in. The discrete-event engine sorts them
and runs them through queues. The Monte Carlo engine only needs sums: it
takes the decided visits (`walk`) to `totals.sum_walk`, which draws the same
calls without laying out the columns it would only add up.

Order keys give each delegation level `bits` bits (enough for the roster's
widest fan-out: 4 bits, so 15 levels, for up to 13 delegation edges per
agent): within a visit, slot 0 is the first stretch, 1 its human requests,
2+j the j-th delegate's subtree and the all-ones slot the final answer; a
child visit's key is its slot in the parent, so a whole subtree sorts between
the parent's requests and its answer. Besides the keys, every step names its
visit and every visit its parent and rank among its siblings, so the engines
can run a visit's delegations in parallel (up to the agent's `parallel`
bound).

Human requests are answered (approved, or denied with the gate's denial
probability) or time out when the answer needs longer than the human's
`timeout_s`: a timed-out request is a plain wait of `timeout_s` (on the
pseudo-resource `Work.wait_resource`, never queued) and then is approved,
denied or asked again of the human's backup. A denial ends that branch: the
visit delegates nothing (its final call reports the denial).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from runtime.forecast.dists import FloatArray, sum_by
from runtime.forecast.draws import bernoulli_pairs, poisson
from runtime.forecast.rows import ASK as ASK
from runtime.forecast.rows import FINAL as FINAL
from runtime.forecast.rows import FIRST as FIRST
from runtime.forecast.rows import AgentSteps, AskLog, Asks, Steps
from runtime.forecast.rows import IntArray as IntArray
from runtime.forecast.rows import PhaseArray as PhaseArray
from runtime.forecast.tables import Tables
from runtime.forecast.workload import Workload
from runtime.roster.catalog import Catalog

KEY_BITS_TOTAL: Final = 62
HUMAN_SLOT: Final = 1
FIRST_DELEGATE_SLOT: Final = 2
APPROVED, DENIED, TIMED_OUT = 0, 1, 2
"""Outcomes of a human request."""
ON_APPROVE, ON_DENY, ON_ESCALATE = 0, 1, 2
"""Indexes of workload.ON_TIMEOUT."""


def key_bits(slots: int) -> int:
    """Bits per level for agents with at most `slots` delegation edges."""
    return max(2, int(slots + FIRST_DELEGATE_SLOT).bit_length())


def level_cap(slots: int) -> int:
    """How many levels (entry plus delegation depths) the order keys can tell apart."""
    return KEY_BITS_TOTAL // key_bits(slots)


@dataclass(frozen=True, slots=True)
class Visits:
    """The visits of all tasks, level by level (`bounds[d]` is where depth d starts)."""

    task: IntArray
    agent: IntArray
    parent: IntArray
    """Parent visit, or -1 for a task's entry visit (visit i < tasks is task i's)."""
    rank: IntArray
    """Order among its siblings (the parent's delegation edge index)."""
    bounds: tuple[int, ...]


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
    visit: IntArray | None = None
    """Per step: its visit (index into `visits`)."""
    phase: PhaseArray | None = None
    """Per step: FIRST, ASK or FINAL."""
    visits: Visits | None = None
    parallel: IntArray | None = None
    """Per agent: delegations of one visit that run at once."""
    asks: Asks | None = None
    depth_limited: int = 0
    """Visits at the policy's delegation depth that would have delegated further."""
    depth_cut: int = 0
    """Visits at the forecast's level cap (below the policy's depth) that would have delegated."""
    levels: int = 0
    """Levels modelled: the entry agent plus this many minus one delegation depths."""
    fans_out: bool = False
    """Whether some visit has several delegations that may run at once."""

    def is_human(self) -> NDArray[np.bool_]:
        return (self.resource >= len(self.agents)) & (self.resource < self.wait_resource)

    @property
    def wait_resource(self) -> int:
        """The pseudo-resource of timed-out requests: plain waits, never queued."""
        return len(self.agents) + len(self.humans)



def fans_out(visits: Visits, parallel: IntArray) -> bool:
    """Whether some visit has several delegations that may run at once."""
    if not (parallel > 1).any():
        return False
    parent = visits.parent[visits.parent >= 0]
    if not parent.size:
        return False
    wide = np.flatnonzero(np.bincount(parent) > 1)
    return bool((parallel[visits.agent[wide]] > 1).any())


def sample_work(workload: Workload, catalog: Catalog, tasks: int,
                rng: np.random.Generator) -> Work:
    """Draw the steps of `tasks` tasks (see the module docstring).

    Two phases: the levels of the delegation tree decide every visit
    (`walk`); then every agent step's model calls are drawn at once
    (`draws.fill_calls`) straight into the step columns, allocated once at
    their final size (`Walk.work`).
    """
    return walk(workload, catalog, tasks, rng).work(rng)


@dataclass(frozen=True, slots=True)
class Walk:
    """The decided visits of `tasks` tasks, before their agent steps' model calls are drawn.

    Both `Walk.work` (every step as a row) and `totals.sum_walk` (per-task and
    per-resource sums only, for the Monte Carlo engine) draw the calls from
    here, with the same draws in the same order.
    """

    workload: Workload
    tasks: int
    table: Tables
    entry: IntArray
    humans_asked: Steps
    asks: Asks
    plan: AgentSteps
    v_key: list[IntArray] | None
    """Order keys per level, or None when walked with `keys=False`."""
    v_task: list[IntArray]
    """Per level, its visits' tasks (visits are numbered level by level)."""
    v_agent: list[IntArray]
    v_parent: list[IntArray]
    v_rank: list[IntArray]
    bounds: tuple[int, ...]
    levels: int
    depth_limited: int
    depth_cut: int

    def visits(self) -> Visits:
        """The visits with their parents and ranks (joined from the levels on each call)."""
        return Visits(_joined(self.v_task), _joined(self.v_agent), np.concatenate(self.v_parent),
                      np.concatenate(self.v_rank), self.bounds)

    @property
    def fans_out(self) -> bool:
        """Whether some visit has several delegations that may run at once."""
        parallel = self.table.parallel
        return bool((parallel > 1).any()) and fans_out(self.visits(), parallel)

    def work(self, rng: np.random.Generator) -> Work:
        """Every step as a row: draws the agent steps' model calls into the step columns."""
        if self.v_key is None:
            raise ValueError("this walk has no order keys: walk(..., keys=True) for Work")
        visits = self.visits()
        columns = self.plan.columns(self.table, self.humans_asked, visits.task, visits.agent,
                                    self.v_key, rng)
        workload = self.workload
        agents = tuple(workload.agents)
        return Work(self.tasks, agents, tuple(workload.humans), self.entry, *columns[:7],
                    tuple(workload.agents[a].model for a in agents), columns[7], columns[8],
                    visits, self.table.parallel, self.asks, self.depth_limited,
                    self.depth_cut, self.levels, fans_out(visits, self.table.parallel))


def walk(workload: Workload, catalog: Catalog, tasks: int, rng: np.random.Generator, *,
         keys: bool = True) -> Walk:
    """Walk the delegation tree level by level: decide every visit's calls, requests, hand-offs.

    With `keys=False` the steps' order keys are not built (the same draws
    otherwise): enough for `totals.sum_walk`, not for `Walk.work`.
    """
    index = {a: i for i, a in enumerate(workload.agents)}
    table = Tables.build(workload, catalog)
    mix = list(workload.mix)
    weights = np.array([workload.mix[a] for a in mix], dtype=np.float64)
    entry_choice = rng.choice(len(mix), size=tasks, p=weights / weights.sum())
    entry = np.array([index[a] for a in mix], dtype=np.int64)[entry_choice]
    steps = Steps()
    asks = AskLog()
    plan = AgentSteps()
    level = _Level(np.arange(tasks, dtype=np.int64), entry.copy(),
                   np.zeros(tasks, dtype=np.int64) if keys else None,
                   np.arange(tasks, dtype=np.int64))
    bits = key_bits(table.delegate_p.shape[1])
    cap = KEY_BITS_TOTAL // bits
    levels = min(workload.max_depth + 1, cap)
    v_task, v_agent, v_key = [level.task], [level.agent], [_key(level)]
    v_parent, v_rank = [np.full(tasks, -1, np.int64)], [np.zeros(tasks, np.int64)]
    bounds = [0]
    wanted = 0
    for depth in range(levels):
        if not level.task.size:
            break
        shift = bits * (cap - 1 - depth)
        level, parent, rank, wanted = _level(workload, table, level, shift, bits,
                                             depth + 1 < levels, steps, asks, plan, rng)
        bounds.append(bounds[-1] + v_task[-1].size)
        v_task.append(level.task)
        v_agent.append(level.agent)
        v_key.append(_key(level))
        v_parent.append(parent)
        v_rank.append(rank)
    policy_bound = levels == workload.max_depth + 1
    return Walk(workload, tasks, table, entry, steps, asks.arrays(), plan,
                v_key[:-1] if keys else None,
                v_task[:-1], v_agent[:-1], v_parent[:-1], v_rank[:-1],
                tuple(bounds), levels, wanted if policy_bound else 0,
                0 if policy_bound else wanted)


def _key(level: _Level) -> IntArray:
    return level.key if level.key is not None else np.zeros(0, np.int64)


def _joined(parts: list[IntArray]) -> IntArray:
    """One array of the levels' parts (the first level alone is returned as it is)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


@dataclass(frozen=True, slots=True)
class _Level:
    """The visits of one delegation level: task, agent, order key and global visit id."""

    task: IntArray
    agent: IntArray
    key: IntArray | None
    """Order keys, or None when the walk builds none."""
    visit: IntArray


def _level(
    workload: Workload, table: Tables, v: _Level, shift: int, bits: int, may_delegate: bool,
    steps: Steps, asks: AskLog, plan: AgentSteps, rng: np.random.Generator,
) -> tuple[_Level, IntArray, IntArray, int]:
    """All visits of one delegation level: decides their steps, returns the next level's visits.

    Human requests become steps at once (`steps`); the agent steps are
    recorded in `plan` (their calls are drawn for all levels together).
    Also returns the children's parent visits and ranks, and, when this level
    may not delegate, how many of its visits would have.
    """
    task, agent, key = v.task, v.agent, v.key
    n = task.size
    calls = poisson(rng, table.extra_calls, agent)
    calls += 1
    tool_time: FloatArray | None = None
    has_children = np.zeros(n, dtype=bool)
    req_rows: list[IntArray] = []
    req_human: list[IntArray] = []
    req_deny: list[FloatArray] = []
    if table.tool_rate.size and table.tool_rate.any():
        tool_time = np.zeros(n)
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
                req_rows.append(asking)
                req_human.append(table.approver[agent[asking]])
                req_deny.append(table.deny_tool[agent[asking], j])
    askers = np.flatnonzero(table.escalates[agent])
    if askers.size:
        rows, human = bernoulli_pairs(rng, table.escalate_p, agent[askers])
        rows = askers[rows]
        req_rows.append(rows)
        req_human.append(human)
        req_deny.append(table.deny_escalate[agent[rows], human])
    denied = np.zeros(n, dtype=bool)
    if req_rows:
        rows = np.concatenate(req_rows)
        has_children[rows] = True
        refused = _human_steps(workload, table, rows, v, (HUMAN_SLOT << shift),
                               np.concatenate(req_human), np.concatenate(req_deny), steps, asks,
                               rng)
        denied[rows[refused]] = True
    empty = np.zeros(0, np.int64)
    children = _Level(empty, empty, empty, empty)
    parent, rank = empty, empty
    wanted = 0
    senders = np.flatnonzero(table.delegates[agent] & ~denied)
    if senders.size:
        rows, slot = bernoulli_pairs(rng, table.delegate_p, agent[senders])
        rows = senders[rows]
        if may_delegate:
            has_children[rows] = True
            start = _next_visit(v)
            children = _Level(task[rows], table.delegate_to[agent[rows], slot],
                              None if key is None
                              else key[rows] | ((FIRST_DELEGATE_SLOT + slot) << shift),
                              np.arange(start, start + rows.size, dtype=np.int64))
            parent, rank = v.visit[rows], slot
        else:
            wanted = int(np.unique(task[rows]).size)
    calls -= has_children  # the final answer is a call of its own ...
    np.maximum(calls, 1, out=calls)  # ... but the first stretch makes at least one
    plan.first.append(calls)
    plan.tool.append(tool_time)
    final = np.flatnonzero(has_children)
    if final.size:
        plan.final_visit.append(v.visit[final])
        if key is not None:
            plan.final_key.append(key[final] | (((1 << bits) - 1) << shift))
    return children, parent, rank, wanted


def _next_visit(v: _Level) -> int:
    """The first free visit id after this level's (levels are numbered consecutively)."""
    return int(v.visit[-1]) + 1 if v.visit.size else 0


def _human_steps(workload: Workload, table: Tables, rows: IntArray, v: _Level, slot_bits: int,
                 human: IntArray, deny: FloatArray, steps: Steps, asks: AskLog,
                 rng: np.random.Generator) -> NDArray[np.bool_]:
    """Requests of visits `rows` to humans (by index): answers, timeouts, backups.

    Returns, per request, whether it ended denied (an answer "no", or a timeout
    that denies or has no backup left to ask). A request asks each human at most
    once, like the engine's backup chain.
    """
    n_agents = len(workload.agents)
    wait = n_agents + len(workload.humans)
    refused = np.zeros(rows.size, dtype=bool)
    seen = np.zeros((rows.size, max(len(workload.humans), 1)), dtype=bool)
    active = np.arange(rows.size)
    current, p_deny = human.copy(), deny.copy()
    seen[active, current] = True
    while active.size:
        hum = current[active]
        duration = np.empty(active.size)
        for h in np.unique(hum).tolist():
            at = hum == h
            duration[at] = _response(workload, h, rng, int(at.sum()))
        limit = table.timeout_s[hum]
        timed = duration > limit
        said_no = rng.random(active.size) < p_deny[active]
        outcome = np.where(timed, TIMED_OUT, np.where(said_no, DENIED, APPROVED))
        r = rows[active]
        resource = np.where(timed, wait, hum + n_agents)
        zeros = np.zeros(active.size)
        steps.add(v.task[r], resource, np.where(timed, limit, duration),
                  np.zeros(active.size, np.int64), zeros, zeros,
                  np.zeros(r.size, np.int64) if v.key is None else v.key[r] | slot_bits,
                  v.visit[r], ASK)
        asks.add(v.task[r], hum, outcome.astype(np.int64))
        refused[active[~timed & said_no]] = True
        action = table.on_timeout[hum]
        refused[active[timed & (action == ON_DENY)]] = True
        escalating = timed & (action == ON_ESCALATE)
        nxt = table.backup[hum[escalating]]
        esc = active[escalating]
        again = (nxt < 0) | seen[esc, np.maximum(nxt, 0)]
        refused[esc[again]] = True
        esc, nxt = esc[~again], nxt[~again]
        current[esc] = nxt
        p_deny[esc] = table.human_deny[nxt]
        seen[esc, nxt] = True
        active = esc
    return refused


def _response(workload: Workload, h: int, rng: np.random.Generator, size: int) -> FloatArray:
    human_id = list(workload.humans)[h]
    return workload.humans[human_id].response_seconds.sample(rng, size)
