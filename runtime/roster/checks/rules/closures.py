"""Taint and data-flow closures kept across incremental runs while their inputs hold.

R08's taint chains, the tainted set R13 and R14 read and the clearance flow R29–R31 read
are closures over the whole roster (who reaches whom along `delegates_to`), so an edit
anywhere may move them; recomputing them cost about 17 ms per edit at L. Yet many edits
leave them alone: a model, a budget, a risk level, vetting, prose. `closure` keeps the
last results of two groups, each with a snapshot of every node's inputs to it:

- "taint" (R08's chains, the tainted set): an agent's output schema (the quarantine
  test), its live grants on untrusted_input tools and its incoming delegations; a tool's
  untrusted_input capability and, when it has it, its live grants;
- "flow" (the clearance levels): an agent's clearance, output schema, live read grants
  and incoming delegations; a tool's data class and live read grants.

Only the ends of the edges a walk follows count (a write grant, a denied grant, a
grant's purpose or a delegation's max_rounds moves no closure), compared in adjacency
order, the order the walks visit them in, which decides the recorded chains and hops; an
outgoing delegation is its target's incoming one, and both ends of an edited edge are
compared. On each incremental run only the nodes touched since the
previous one are compared with a group's snapshot; when none differs, the group's
closures are reused as they are, otherwise they are recomputed (a bounded fallback: one
pass each, as a full check does). Adding or removing a node, or a settings edit, drops
the snapshots too, since it reorders the walks' starting points.

Sound because every input change marks its node touched (an edge both its ends, a tool
the agents holding it, a server the tools it serves) and fires one of the flow triggers,
so R08 and R30 (which call `closure` for "taint" and "flow" on every run they are
triggered in) compare the touched nodes before anything reads a closure.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Final, TypeVar

from runtime.roster import effective as fx
from runtime.roster import model as m
from runtime.roster.checks import base
from runtime.roster.checks.context import CheckContext, derived
from runtime.roster.checks.rules.gates import tool_facts

T = TypeVar("T")

_DELEGATION: Final = m.EdgeKind.DELEGATION
_GRANT: Final = m.EdgeKind.TOOL_ACCESS


def _untrusted(ctx: CheckContext, tool_id: str) -> bool:
    facts = tool_facts(ctx, tool_id)
    return facts is not None and "untrusted_input" in facts.caps


def taint_inputs(ctx: CheckContext, node_id: str) -> Hashable:
    """What the taint closures read about a node: an agent's output schema, the targets
    of its live grants on untrusted tools and the sources of its incoming delegations
    (in walk order; an outgoing one is its target's incoming one); a tool's
    untrusted_input capability and, when it has it, the sources of its live grants."""
    node = ctx.nodes.get(node_id)
    index = ctx.index
    if isinstance(node, m.Agent):
        return (m.Agent, node.output_schema,
                tuple(e.target for e in index.outgoing(node_id, _GRANT)
                      if e.approval != "deny" and _untrusted(ctx, e.target)),
                tuple(e.source for e in index.incoming(node_id, _DELEGATION)))
    if isinstance(node, m.Tool):
        untrusted = _untrusted(ctx, node_id)
        return (m.Tool, untrusted, tuple(e.source for e in index.incoming(node_id, _GRANT)
                                         if e.approval != "deny") if untrusted else ())
    return (type(node),)


def _reads(edge: m.Edge) -> bool:
    return edge.approval != "deny" and (edge.mode or "read") == "read"


def flow_inputs(ctx: CheckContext, node_id: str) -> Hashable:
    """What the clearance flow reads about a node: an agent's clearance, output schema,
    the targets of its live read grants and the sources of its incoming delegations (in
    walk order); a tool's data class and the sources of its live read grants."""
    node = ctx.nodes.get(node_id)
    index = ctx.index
    if isinstance(node, m.Agent):
        return (m.Agent, fx.agent_clearance(node, ctx.meta), node.output_schema,
                tuple(e.target for e in index.outgoing(node_id, _GRANT) if _reads(e)),
                tuple(e.source for e in index.incoming(node_id, _DELEGATION)))
    if isinstance(node, m.Tool):
        return (m.Tool, fx.tool_data(node),
                tuple(e.source for e in index.incoming(node_id, _GRANT) if _reads(e)))
    return (type(node),)


INPUTS: Final[dict[str, Callable[[CheckContext, str], Hashable]]] = {
    "taint": taint_inputs, "flow": flow_inputs}
_RESETS: Final = (base.TRIGGER_META, base.TRIGGER_NODES)
_SNAPSHOT: Final = {g: derived(f"{g}.snapshot", _RESETS) for g in INPUTS}
_STORE: Final = {g: derived(f"{g}.closures", _RESETS) for g in INPUTS}


def _store(ctx: CheckContext, group: str) -> dict[str, Any]:
    if ctx.touched is None:
        found: dict[str, Any] = ctx.cache.setdefault(f"{group}.one-off", {})
        return found
    compared = f"{group}.compared"  # per run: the touched nodes were compared
    if ctx.cache.get(compared):
        current: dict[str, Any] = ctx.cache[_STORE[group]]
        return current
    ctx.cache[compared] = True
    inputs = INPUTS[group]
    snapshot: dict[str, Hashable] | None = ctx.cache.get(_SNAPSHOT[group])
    store: dict[str, Any] | None = ctx.cache.get(_STORE[group])
    if snapshot is None or store is None:
        ctx.cache[_SNAPSHOT[group]] = {n: inputs(ctx, n) for n in ctx.nodes}
        store = ctx.cache[_STORE[group]] = {}
        return store
    changed = False
    for node_id in ctx.touched:
        now = inputs(ctx, node_id)
        if snapshot.get(node_id) != now:
            snapshot[node_id] = now
            changed = True
    if changed:
        store = ctx.cache[_STORE[group]] = {}
    return store


def closure(ctx: CheckContext, group: str, name: str,
            compute: Callable[[CheckContext], T]) -> T:
    """The closure `name` of `group` ("taint" or "flow"), computed by `compute(ctx)`
    unless still valid from a previous incremental run. Readers must not change it."""
    store = _store(ctx, group)
    if name not in store:
        store[name] = compute(ctx)
    found: T = store[name]
    return found
