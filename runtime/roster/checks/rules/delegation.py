"""The delegation analysis R03, R04, R20 and the budget rule share, kept across edits.

`delegation(ctx)` builds, over the `delegates_to` edges between existing agents: each
agent's delegations (`children`), whether they close a cycle, and the worst-case number
of concurrent instances of each agent (`width`, the product of `max_parallel_delegations`
along the widest path from an entry agent) with the delegator it came through
(`parent`). When the graph has a cycle the widths are taken over its strongly connected
components (Tarjan's algorithm) and their condensation (a DAG of components, each edge
labelled with the smallest delegating id, so witnesses do not depend on file order).

A full build costs about 25 ms at L (2,000 agents). An incremental checker keeps the last
analysis (`_BASE`, dropped only by a node or settings change) and, on the next run,
updates it from the agents an edit changed (`CheckContext.changed`: both ends of every
changed edge, agents whose own value changed):

- only the changed agents' delegation lists are rebuilt;
- the components stay as they were unless an added edge closes a cycle between two
  components (a search of the condensation from its target) or a removed edge inside a
  component breaks it (Tarjan's algorithm over that component's members only); either
  case, a graph that was acyclic, or an agent added or retyped, falls back to the full
  build (bounded: the same pass a full check runs);
- the condensation's edges are rebuilt for the changed components only, in the order a
  full build inserts them (members in node order, edges in list order), which the
  topological order and so every tie-break downstream depends on;
- the per-component parallelism product is recomputed for changed components only; the
  width pass over the condensation (linear in components) runs again, and an agent's
  parent is recomputed only when the component its width came through moved, or it or
  its delegators changed.

The result equals a full build's field by field and in dict order
(tests/runtime/rules/test_incremental_delegation.py compares them after random edits).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from runtime.roster import effective as fx
from runtime.roster import model as m
from runtime.roster.checks import base as b
from runtime.roster.checks.context import TRIGGER_AGENT_PARALLEL, CheckContext, derived

WIDTH_CAP: Final = 10**9
_DELEGATION: Final = m.EdgeKind.DELEGATION
# of an agent, the analysis reads only max_parallel_delegations (TRIGGER_AGENT_PARALLEL)
KEY: Final = derived(
    "rules.delegation",
    (b.TRIGGER_DELEGATION, b.TRIGGER_NODES, b.TRIGGER_META, TRIGGER_AGENT_PARALLEL))
# the previous run's analysis, the base of an incremental update: it survives delegation
# and parallelism edits (the update reads `CheckContext.changed`), not node or settings ones
_BASE: Final = derived("rules.delegation.base", (b.TRIGGER_NODES, b.TRIGGER_META))

# component of each agent, the members of each (sorted; components in member order), and
# the condensation: per component, the components it delegates to with the smallest
# delegating id, in the order a full build meets them
Components = tuple[dict[str, int], list[list[str]], list[dict[int, str]]]


@dataclass(slots=True)
class Delegation:
    """The delegation subgraph over existing agents, analysed once per check run."""

    children: dict[str, list[m.Edge]]  # per agent in node order: delegations to other agents
    order: list[str]  # Kahn order of all agents when acyclic; empty when `cyclic`
    cyclic: bool
    width: dict[str, int]  # worst-case concurrent instances, from the entry agents
    parent: dict[str, str]  # where each agent's worst width came from
    components: Components | None = None  # strongly connected components, when cyclic
    comp_order: list[int] = field(default_factory=list)  # Kahn order of the condensation
    factors: list[int] = field(default_factory=list)  # per component: product of parallelism
    came: dict[int, str] = field(default_factory=dict)  # per component: its width came via
    scc_width: dict[int, int] = field(default_factory=dict)  # per component: its width


def delegation(ctx: CheckContext) -> Delegation:
    """The analysis for `ctx`, reused or updated from the previous incremental run."""
    cached = ctx.cache.get(KEY)
    if isinstance(cached, Delegation):
        return cached
    base = ctx.cache.get(_BASE)
    result = None
    if isinstance(base, Delegation) and ctx.changed is not None:
        result = _update(ctx, base, ctx.changed)
    if result is None:
        result = _build(ctx)
    ctx.cache[KEY] = result
    if ctx.touched is not None:
        ctx.cache[_BASE] = result
    return result


def _children_of(ctx: CheckContext, agent_id: str, agents: Iterable[str] | dict[str, object]
                 ) -> list[m.Edge]:
    return [e for e in ctx.index.outgoing(agent_id, _DELEGATION)
            if e.target in agents and e.target != agent_id]


def _build(ctx: CheckContext) -> Delegation:
    agents = {a.id: a for a in ctx.agents()}
    children = {a: _children_of(ctx, a, agents) for a in agents}
    order = _kahn(list(agents), children)
    entries = [x for x in ctx.meta.entry if x in agents]
    if len(order) == len(agents):
        width, parent = _acyclic_width(ctx, agents, children, order, entries)
        return Delegation(children, order, False, width, parent)
    components = _components(children)
    result = Delegation(children, [], True, {}, {}, components,
                        _kahn_ints(len(components[1]), components[2]),
                        [_factor(ctx, group) for group in components[1]])
    _cyclic_width(ctx, result, entries, None, ())
    return result


def _acyclic_width(
    ctx: CheckContext, agents: dict[str, m.Agent], children: dict[str, list[m.Edge]],
    order: list[str], entries: list[str],
) -> tuple[dict[str, int], dict[str, str]]:
    width: dict[str, int] = dict.fromkeys(entries, 1)
    parent: dict[str, str] = {}
    for node in order:
        here = width.get(node, 0)
        if not here:
            continue
        spread = min(here * fx.agent_parallel(agents[node], ctx.meta), WIDTH_CAP)
        for edge in children[node]:
            best = width.get(edge.target, 0)
            if spread > best or (spread == best and node < parent.get(edge.target, node)):
                width[edge.target], parent[edge.target] = spread, node
    return width, parent


def _factor(ctx: CheckContext, group: list[str]) -> int:
    """The product of the members' parallelism, capped after each step."""
    factor, meta, nodes = 1, ctx.meta, ctx.nodes
    for x in group:
        agent = nodes[x]
        assert isinstance(agent, m.Agent)
        factor *= fx.agent_parallel(agent, meta)
        if factor > WIDTH_CAP:
            factor = WIDTH_CAP
    return factor


def _update(ctx: CheckContext, base: Delegation, changed: Iterable[str]) -> Delegation | None:
    """`base` brought up to date with the agents in `changed`, or None when only a full
    build can say (see the module docstring)."""
    if not base.cyclic or base.components is None:
        return None
    children, nodes = base.children, ctx.nodes
    comp, members, dag = base.components
    new_children: dict[str, list[m.Edge]] | None = None
    added: list[tuple[str, str]] = []
    broken: set[int] = set()  # components that lost an inner edge
    redo: set[int] = set()  # components whose condensation edges may have moved
    for x in changed:
        old = children.get(x)
        if (old is not None) != isinstance(nodes.get(x), m.Agent):
            return None  # an agent added, removed or retyped
        if old is None:
            continue
        now = _children_of(ctx, x, children)
        if now == old:
            continue
        if new_children is None:
            new_children = dict(children)
        new_children[x] = now
        redo.add(comp[x])
        before, after = {e.target for e in old}, {e.target for e in now}
        added.extend((x, t) for t in after - before if comp[t] != comp[x])
        broken.update(comp[x] for t in before - after if comp[t] == comp[x])
    kids = new_children if new_children is not None else children
    new_dag = _redo_dag(kids, comp, members, dag, redo)
    if any(_reaches(new_dag, comp[t], comp[s]) for s, t in added):
        return None  # a new cycle merges components
    for c in broken:
        if len(_strongly_connected({x: kids[x] for x in members[c]}, comp, c)) > 1:
            return None  # a component split
    moved = {comp[x] for x in changed if x in kids}
    factors = list(base.factors)
    for c in moved:
        factors[c] = _factor(ctx, members[c])
    components = (comp, members, new_dag)
    order = base.comp_order if new_dag is dag else _kahn_ints(len(members), new_dag)
    result = Delegation(kids, [], True, {}, {}, components, order, factors)
    entries = [x for x in ctx.meta.entry if x in kids]
    _cyclic_width(ctx, result, entries, base, changed)
    return result


def _redo_dag(kids: dict[str, list[m.Edge]], comp: dict[str, int], members: list[list[str]],
              dag: list[dict[int, str]], redo: set[int]) -> list[dict[int, str]]:
    """`dag` with the edges out of the components in `redo` rebuilt as a full build
    meets them: members in node order (the order of `kids`), edges in list order."""
    if not redo:
        return dag
    new_dag = list(dag)
    position: dict[str, int] | None = None
    for c in redo:
        out: dict[int, str] = {}
        group = members[c]
        if len(group) > 1:
            if position is None:
                position = {x: i for i, x in enumerate(kids)}
            group = sorted(group, key=position.__getitem__)
        for x in group:
            for e in kids[x]:
                d = comp[e.target]
                if d != c:
                    current = out.get(d)
                    if current is None or x < current:
                        out[d] = x
        new_dag[c] = out
    return new_dag


def _reaches(dag: list[dict[int, str]], start: int, goal: int) -> bool:
    """Whether `goal` can be reached from `start` along the condensation."""
    seen = {start}
    stack = [start]
    while stack:
        c = stack.pop()
        if c == goal:
            return True
        for d in dag[c]:
            if d not in seen:
                seen.add(d)
                stack.append(d)
    return False


def _cyclic_width(ctx: CheckContext, info: Delegation, entries: list[str],
                  base: Delegation | None, changed: Iterable[str]) -> None:
    """Fan-out over strongly connected components; a component multiplies by all its
    members. Fills `info.width`, `info.parent` and `info.came`; with a `base`, parents
    are reused for agents whose inputs to them did not move."""
    assert info.components is not None
    comp, _, dag = info.components
    factors = info.factors
    scc_width: dict[int, int] = {comp[x]: 1 for x in entries}
    came: dict[int, str] = {}
    get = scc_width.get
    for c in info.comp_order:  # a re-check of every delegation edit: tight
        out = dag[c]
        if not out:
            continue
        here = get(c, 0)
        if not here:
            continue
        spread = here * factors[c]
        if spread > WIDTH_CAP:
            spread = WIDTH_CAP
        # each target is met once per component, so the order of `out` decides nothing
        for d, via in out.items():
            if spread > get(d, 0):
                scc_width[d], came[d] = spread, via
    info.came, info.scc_width = came, scc_width
    if base is not None and scc_width == base.scc_width:
        info.width = base.width  # the same widths, in node order
    else:
        info.width = {x: w for x in info.children if (w := scc_width.get(comp[x], 0))}
    # Each agent's parent is a real delegator of it, chosen by id so that the witness path
    # does not depend on the order nodes are listed in: one from the component the width
    # came through when there is one, else a delegator inside its own cycle.
    if base is None:
        info.parent = {x: _parent(ctx, comp, x, through, info.children)
                       for x in info.children if (through := came.get(comp[x])) is not None}
        return
    old_came, old_parent = base.came, base.parent
    if came == old_came:  # the same agents have parents; only the changed ones may move
        parent = dict(old_parent)
        for x in changed:
            if x in parent:
                parent[x] = _parent(ctx, comp, x, came[comp[x]], info.children)
        info.parent = parent
        return
    again = set(changed)
    parent = {}
    for x in info.children:
        own = comp[x]
        through = came.get(own)
        if through is None:
            continue
        if x in again or old_came.get(own) != through or x not in old_parent:
            parent[x] = _parent(ctx, comp, x, through, info.children)
        else:
            parent[x] = old_parent[x]
    info.parent = parent


def _parent(ctx: CheckContext, comp: dict[str, int], x: str, through: str,
            agents: dict[str, list[m.Edge]]) -> str:
    own, upstream = comp[x], comp[through]  # upstream: another component than x's own
    direct: str | None = None
    inside: str | None = None
    for e in ctx.index.incoming(x, _DELEGATION):
        caller = e.source
        if caller == x or caller not in agents:
            continue
        theirs = comp[caller]
        if theirs == upstream:
            if direct is None or caller < direct:
                direct = caller
        elif theirs == own and (inside is None or caller < inside):
            inside = caller
    return direct if direct is not None else inside if inside is not None else through


def _kahn(nodes: list[str], children: dict[str, list[m.Edge]]) -> list[str]:
    indegree = dict.fromkeys(nodes, 0)
    for edges in children.values():
        for edge in edges:
            indegree[edge.target] += 1
    queue = deque(n for n in nodes if indegree[n] == 0)
    order = []
    while queue:
        node = queue.popleft()
        order.append(node)
        for edge in children[node]:
            indegree[edge.target] -= 1
            if indegree[edge.target] == 0:
                queue.append(edge.target)
    return order


def strongly_connected(children: dict[str, list[m.Edge]]) -> list[list[str]]:
    """Strongly connected components (Tarjan's algorithm, iterative), each sorted."""
    return _strongly_connected(children, None, 0)


def _strongly_connected(children: dict[str, list[m.Edge]], comp: dict[str, int] | None,
                        within: int) -> list[list[str]]:
    """Tarjan's algorithm over `children`; with `comp`, only edges to agents whose
    component is `within` are followed (the members of one component)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in children:
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(children[root]))]
        while work:
            node, edges = work[-1]
            advanced = False
            for edge in edges:
                child = edge.target
                if comp is not None and comp[child] != within:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(children[child])))
                    advanced = True
                    break
                if child in on_stack and index[child] < low[node]:
                    low[node] = index[child]
            if advanced:
                continue
            work.pop()
            if work and low[node] < low[work[-1][0]]:
                low[work[-1][0]] = low[node]
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(sorted(component))
    return found


def _components(children: dict[str, list[m.Edge]]) -> Components:
    """Component of each agent, the members of each (sorted, components in member order)
    and the condensation: for each component, the components it delegates to, each with
    the smallest delegating id (so witnesses do not depend on the order of the file)."""
    members = sorted(strongly_connected(children))
    comp = {x: i for i, c in enumerate(members) for x in c}
    dag: list[dict[int, str]] = [{} for _ in members]
    for es in children.values():
        for e in es:
            if comp[e.source] != comp[e.target]:
                current = dag[comp[e.source]].get(comp[e.target])
                if current is None or e.source < current:  # by id: independent of order
                    dag[comp[e.source]][comp[e.target]] = e.source
    return comp, members, dag


def _kahn_ints(count: int, dag: list[dict[int, str]]) -> list[int]:
    indegree = [0] * count
    for out in dag:
        for d in out:
            indegree[d] += 1
    queue = deque(i for i in range(count) if indegree[i] == 0)
    order = []
    while queue:
        c = queue.popleft()
        order.append(c)
        for d in dag[c]:
            indegree[d] -= 1
            if indegree[d] == 0:
                queue.append(d)
    return order


def kahn(nodes: list[str], children: dict[str, list[m.Edge]]) -> list[str]:
    """Kahn's algorithm: the nodes in a topological order, those on or after a cycle left out."""
    return _kahn(nodes, children)
