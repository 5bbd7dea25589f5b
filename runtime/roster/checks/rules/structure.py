"""Graph structure: R02 reachability, R03 bounded delegation, R04 fan-out bound.

All three are roster scope and run on every full check, so they stay linear:
plain breadth-first search and Kahn's algorithm over the context's adjacency
index, with a longest-path and a fan-out dynamic programme in topological
order. When the delegation graph has a cycle, the longest path and the
fan-out are taken over its strongly connected components (Tarjan's algorithm,
computed once per analysis), and networkx's `simple_cycles` enumerates (at
most 50) cycles of the edges without `max_rounds`, if there are any.
`delegation(ctx)` is shared with R20 and the budget arithmetic (limits.py)
and is a derived structure: an incremental checker keeps it until a
delegation edge, a node, an agent or the settings change.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass
from typing import Final

from runtime.roster import effective as fx
from runtime.roster import model as m
from runtime.roster.checks import base as b
from runtime.roster.checks.base import RULES, Finding, Path, Severity, roster_rule
from runtime.roster.checks.context import CheckContext, derived
from runtime.roster.checks.rules.gates import list_edge_path, some

MAX_CYCLES: Final = 50
WIDTH_CAP: Final = 10**9
_KEY: Final = derived(
    "rules.delegation", (b.TRIGGER_DELEGATION, b.TRIGGER_NODES, b.TRIGGER_META, b.TRIGGER_AGENT))


@dataclass(slots=True)
class Delegation:
    """The delegation subgraph over existing agents, analysed once per check run."""

    children: dict[str, list[m.Edge]]
    order: list[str]  # Kahn order of the acyclic part (all agents when `cyclic` is False)
    cyclic: bool
    width: dict[str, int]  # worst-case concurrent instances, from the entry agents
    parent: dict[str, str]  # where each agent's worst width came from
    components: Components | None = None  # strongly connected components, when cyclic


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


def delegation(ctx: CheckContext) -> Delegation:
    cached = ctx.cache.get(_KEY)
    if isinstance(cached, Delegation):
        return cached
    agents = {a.id: a for a in ctx.agents()}
    children = {
        a: [e for e in ctx.delegates(a) if e.target in agents and e.target != a] for a in agents
    }
    order = _kahn(list(agents), children)
    cyclic = len(order) != len(agents)
    width: dict[str, int] = {}
    parent: dict[str, str] = {}
    entries = [x for x in ctx.meta.entry if x in agents]
    if not cyclic:
        for x in entries:
            width[x] = 1
        for node in order:
            here = width.get(node, 0)
            if not here:
                continue
            spread = min(here * fx.agent_parallel(agents[node], ctx.meta), WIDTH_CAP)
            for edge in children[node]:
                best = width.get(edge.target, 0)
                if spread > best or (spread == best and node < parent.get(edge.target, node)):
                    width[edge.target], parent[edge.target] = spread, node
    components = None
    if cyclic:
        components = _components(children)
        width, parent = _cyclic_width(ctx, agents, children, components, entries)
    result = Delegation(children, order, cyclic, width, parent, components)
    ctx.cache[_KEY] = result
    return result


def _cyclic_width(
    ctx: CheckContext, agents: dict[str, m.Agent], children: dict[str, list[m.Edge]],
    components: Components, entries: list[str],
) -> tuple[dict[str, int], dict[str, str]]:
    """Fan-out over strongly connected components; a component multiplies by all its members."""
    comp, members, dag = components
    scc_width: dict[int, int] = {comp[x]: 1 for x in entries}
    came: dict[int, str] = {}
    for c in _kahn_ints(len(members), dag):
        here = scc_width.get(c, 0)
        if not here:
            continue
        factor = 1
        for x in members[c]:
            factor = min(factor * fx.agent_parallel(agents[x], ctx.meta), WIDTH_CAP)
        for d, via in sorted(dag[c].items()):
            spread = min(here * factor, WIDTH_CAP)
            if spread > scc_width.get(d, 0):
                scc_width[d], came[d] = spread, via
    width = {x: scc_width.get(comp[x], 0) for x in agents}
    # Each agent's parent is a real delegator of it, chosen by id so that the witness path
    # does not depend on the order nodes are listed in: one from the component the width
    # came through when there is one, else a delegator inside its own cycle.
    delegators: dict[str, list[str]] = {}
    for es in children.values():
        for e in es:
            delegators.setdefault(e.target, []).append(e.source)
    parent: dict[str, str] = {}
    for x in agents:
        if comp[x] not in came:
            continue
        upstream = comp[came[comp[x]]]
        direct = [d for d in delegators.get(x, []) if comp[d] == upstream]
        inside = [d for d in delegators.get(x, []) if comp[d] == comp[x]]
        chosen = min(direct) if direct else (min(inside) if inside else came[comp[x]])
        parent[x] = chosen
    return {x: w for x, w in width.items() if w}, parent


Components = tuple[dict[str, int], list[list[str]], list[dict[int, str]]]


def _strongly_connected(children: dict[str, list[m.Edge]]) -> list[list[str]]:
    """Strongly connected components (Tarjan's algorithm, iterative), each sorted."""
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
    members = sorted(_strongly_connected(children))
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


# ---------------------------------------------------------------- R02

R02_EXPLAIN = """
Checks that the roster names at least one entry agent (`entry:`), and that
every agent, tool, human and MCP server can be reached from an entry: through
delegation, tool grants and escalation, from a tool to its server and from a
human to their backup. Anything else can never run: dead configuration that
still has to be reviewed, and hidden attack surface if someone wires it up.

Why: OWASP LLM06 Excessive Agency, excessive functionality: tools and agents
the task does not need should not exist.

Fix: connect the node, add its agent to `entry`, or delete it:

    entry: [lead]
    agents:
      lead:
        delegates_to: [orphan]
"""


@roster_rule(
    "R02", "Everything is reachable from an entry agent", Severity.WARNING, R02_EXPLAIN,
    (b.TRIGGER_DELEGATION, b.TRIGGER_TOOL_ACCESS, b.TRIGGER_ESCALATION, b.TRIGGER_NODES,
     b.TRIGGER_META, b.TRIGGER_TOOL, b.TRIGGER_HUMAN),
    ("OWASP LLM06 excessive functionality",),
)
def reachability(ctx: CheckContext) -> list[Finding]:
    entries = [x for x in ctx.meta.entry if ctx.agent(x) is not None]
    if not entries:
        agents = sorted(a.id for a in ctx.agents())
        if not agents:
            return []
        return [RULE_R02.finding(
            "the roster has no entry agent, so no agent can ever receive a task",
            f"add `entry: [{agents[0]}]` (the agents that accept tasks from outside).",
            (), ("entry",),
        )]
    seen = set(entries)
    queue = deque(entries)
    nodes, out = ctx.nodes, ctx.index.out
    empty: dict[m.EdgeKind, list[m.Edge]] = {}
    while queue:
        node_id = queue.popleft()
        for bucket in out.get(node_id, empty).values():
            for edge in bucket:
                x = edge.target
                if x not in seen and x in nodes:
                    seen.add(x)
                    queue.append(x)
        node = nodes.get(node_id)
        ref = (node.server if node.__class__ is m.Tool else
               node.backup if node.__class__ is m.Human else None)
        if ref and ref not in seen and ref in nodes:
            seen.add(ref)
            queue.append(ref)
    found = []
    for node in nodes.values():
        if node.id in seen or isinstance(node, m.Placeholder):
            continue
        what = node.node_type.value.replace("_", " ")
        found.append(RULE_R02.finding(
            f"{what} '{node.id}' cannot be reached from the entry agents ({some(entries)})",
            f"connect '{node.id}' to an agent reachable from an entry, add it to `entry` if it is "
            "an agent that takes outside tasks, or delete it.",
            (node.id,), (m.section_of(node), node.id),
        ))
    return found


RULE_R02: Final = RULES["R02"]

# ---------------------------------------------------------------- R03

R03_EXPLAIN = """
Delegation must terminate. Every cycle of delegation edges needs
`max_rounds` on at least one of its edges; and the longest delegation chain
must be at most `policy.max_delegation_depth` (default 4) hops. Cycles are
searched only among edges without `max_rounds` (at most 50 are reported);
inside a bounded cycle the depth counts each member once.

Why: OWASP LLM10 Unbounded Consumption, Agentic T4 Resource Overload and
ASI08 Cascading Failures; LangGraph's `recursion_limit` is the same guard.
A reviewer-writer loop with no bound can spend the whole budget going round.

Fix: bound the back-edge, or flatten the chain:

    agents:
      reviewer:
        delegates_to:
          - writer: {max_rounds: 3}
"""


@roster_rule(
    "R03", "Delegation is bounded", Severity.ERROR, R03_EXPLAIN,
    (b.TRIGGER_DELEGATION, b.TRIGGER_NODES, b.TRIGGER_META),
    ("OWASP LLM10", "OWASP Agentic T4", "OWASP ASI08", "LangGraph recursion_limit"),
)
def bounded_delegation(ctx: CheckContext) -> list[Finding]:
    info = delegation(ctx)
    out: list[Finding] = []
    if info.cyclic:
        out.extend(_unbounded_cycles(ctx, info))
    chain = _longest_chain(info)
    limit = fx.policy_depth(ctx.meta)
    if len(chain) - 1 > limit:
        edge = next((e for e in info.children[chain[limit]] if e.target == chain[limit + 1]),
                    None)
        out.append(RULE_R03.finding(
            f"the delegation chain {' → '.join(chain)} is {len(chain) - 1} hops deep; the "
            f"policy allows {limit} (policy.max_delegation_depth)",
            f"let an earlier agent delegate to '{chain[limit + 1]}' directly, or raise "
            "policy.max_delegation_depth.",
            (*chain, *([edge.id] if edge else [])),
            list_edge_path(ctx, edge) if edge else ("agents", chain[limit], "delegates_to"),
        ))
    return out


def _unbounded_cycles(ctx: CheckContext, info: Delegation) -> list[Finding]:
    loose = {a: [e for e in es if e.max_rounds is None] for a, es in info.children.items()}
    left = set(loose) - set(_kahn(list(loose), loose))
    if not left:
        return []
    import networkx as nx

    graph: nx.DiGraph = nx.DiGraph()
    graph.add_edges_from((e.source, e.target) for a in left for e in loose[a] if e.target in left)
    depth = _depths(ctx, info)
    out = []
    for cycle in itertools.islice(nx.simple_cycles(graph), MAX_CYCLES):
        # start at the member closest to an entry: the edge back to it is the back-edge
        start = cycle.index(min(cycle, key=lambda x: (depth.get(x, len(depth)), x)))
        cycle = cycle[start:] + cycle[:start]
        back = next(e for e in loose[cycle[-1]] if e.target == cycle[0])
        edges = [next(e for e in loose[u] if e.target == v)
                 for u, v in zip(cycle, cycle[1:] + cycle[:1], strict=True)]
        out.append(RULE_R03.finding(
            f"delegation cycle {' → '.join([*cycle, cycle[0]])} has no max_rounds on any edge, "
            "so it may never stop",
            f"add max_rounds to one edge, e.g. agents.{cycle[-1]}.delegates_to: "
            f"[{{{cycle[0]}: {{max_rounds: 3}}}}], or remove that delegation.",
            (*cycle, *(e.id for e in edges)),
            list_edge_path(ctx, back),
        ))
    return out


def _depths(ctx: CheckContext, info: Delegation) -> dict[str, int]:
    """Delegation hops from the nearest entry agent (breadth first)."""
    depth = {x: 0 for x in ctx.meta.entry if x in info.children}
    queue = deque(depth)
    while queue:
        node = queue.popleft()
        for edge in info.children[node]:
            if edge.target not in depth:
                depth[edge.target] = depth[node] + 1
                queue.append(edge.target)
    return depth


def _longest_chain(info: Delegation) -> list[str]:
    """The agents of a longest delegation path (each cycle member counted once)."""
    if info.cyclic:
        return _longest_chain_cyclic(info)
    dist: dict[str, int] = {}
    prev: dict[str, str] = {}
    for node in info.order:
        here = dist.get(node, 0)
        for edge in info.children[node]:
            best = dist.get(edge.target, 0)
            if here + 1 > best or (here + 1 == best and node < prev.get(edge.target, node)):
                dist[edge.target], prev[edge.target] = here + 1, node
    if not dist:
        return []
    node = min(dist, key=lambda x: (-dist[x], x))
    chain = [node]
    while chain[-1] in prev:
        chain.append(prev[chain[-1]])
    return chain[::-1]


def _longest_chain_cyclic(info: Delegation) -> list[str]:
    assert info.components is not None
    _, members, dag = info.components
    best: dict[int, int] = {}
    prev: dict[int, int] = {}
    for c in _kahn_ints(len(members), dag):
        here = best.get(c, 0) + len(members[c]) - 1
        for d in dag[c]:
            if here + 1 > best.get(d, 0):
                best[d], prev[d] = here + 1, c
    ends = {c: best.get(c, 0) + len(members[c]) - 1 for c in range(len(members))}
    c = max(ends, key=lambda x: (ends[x], members[x]))
    order = [c]
    while order[-1] in prev:
        order.append(prev[order[-1]])
    chain: list[str] = []
    for x in reversed(order):
        chain.extend(members[x])  # members sorted; the path inside is not reconstructed
    return chain if len(chain) > 1 else []


RULE_R03: Final = RULES["R03"]

# ---------------------------------------------------------------- R04

R04_EXPLAIN = """
Estimates the worst-case number of agent instances that can run at once: along
each delegation path from an entry agent, the product of the delegators'
`max_parallel_delegations` (default 1), reported at the agent where it is
largest. That number must not exceed `policy.max_parallel_agents` (default
16). In a bounded cycle every member multiplies once.

Why: OWASP LLM10 Unbounded Consumption ("limit queued actions") and ASI08
Cascading Failures: three levels of 4-way fan-out are 64 concurrent agents,
64 times the API rate and spend.

Fix: lower `max_parallel_delegations` on the agent named, or raise the policy
limit if the machine and the budget allow it:

    agents:
      lead: {max_parallel_delegations: 2}
    policy: {max_parallel_agents: 8}
"""


@roster_rule(
    "R04", "Fan-out is bounded", Severity.WARNING, R04_EXPLAIN,
    (b.TRIGGER_DELEGATION, b.TRIGGER_NODES, b.TRIGGER_META, b.TRIGGER_AGENT),
    ("OWASP LLM10", "OWASP ASI08"),
)
def fan_out(ctx: CheckContext) -> list[Finding]:
    info = delegation(ctx)
    limit = fx.policy_parallel(ctx.meta)
    if not info.width:
        return []
    worst = min(info.width, key=lambda x: (-info.width[x], x))
    if info.width[worst] <= limit:
        return []
    path = [worst]
    while path[-1] in info.parent and len(path) <= len(info.width):
        path.append(info.parent[path[-1]])
    path.reverse()
    factors = {x: fx.agent_parallel(a, ctx.meta) for x in path[:-1]
               if (a := ctx.agent(x)) is not None}
    knob = min(factors, key=lambda x: (-factors[x], x)) if factors else worst
    steps = " → ".join(f"{x} ×{factors[x]}" if x in factors else x for x in path)
    return [RULE_R04.finding(
        f"up to {info.width[worst]} instances of '{worst}' may run at once ({steps}); the "
        f"policy allows {limit} agents (policy.max_parallel_agents)",
        f"lower max_parallel_delegations on '{knob}', or raise policy.max_parallel_agents.",
        (knob, *path),
        _parallel_path(ctx, knob),
    )]


def _parallel_path(ctx: CheckContext, agent_id: str) -> Path:
    agent = ctx.agent(agent_id)
    if agent is not None and agent.max_parallel_delegations is not None:
        return ("agents", agent_id, "max_parallel_delegations")
    if ctx.meta.defaults.max_parallel_delegations is not None:
        return ("defaults", "max_parallel_delegations")
    return ("agents", agent_id)


RULE_R04: Final = RULES["R04"]
