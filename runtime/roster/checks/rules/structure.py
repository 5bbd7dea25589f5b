"""Graph structure: R03 bounded delegation, R04 fan-out bound (R02 reachability: reach.py).

All three are roster scope and run on every full check, so they stay linear:
plain breadth-first search and Kahn's algorithm over the context's adjacency
index, with a longest-path and a fan-out dynamic programme in topological
order. When the delegation graph has a cycle, the longest path and the
fan-out are taken over its strongly connected components (Tarjan's algorithm,
computed once per analysis), and networkx's `simple_cycles` enumerates (at
most 50) cycles of the edges without `max_rounds`, if there are any.
`delegation(ctx)` (delegation.py) is shared with R20 and the budget arithmetic
(limits.py); an incremental checker keeps it until a delegation edge, a node, an
agent's parallelism or the settings change, and then updates it from the edit.
"""

from __future__ import annotations

import itertools
from collections import deque
from typing import Final

from runtime.roster import effective as fx
from runtime.roster.checks import base as b
from runtime.roster.checks.base import RULES, Finding, Path, Severity, roster_rule
from runtime.roster.checks.context import TRIGGER_AGENT_PARALLEL, CheckContext
from runtime.roster.checks.rules import reach  # noqa: F401  (registers R02 first)
from runtime.roster.checks.rules.delegation import Delegation, delegation
from runtime.roster.checks.rules.delegation import kahn as _kahn
from runtime.roster.checks.rules.delegation import (  # noqa: F401  (tests import it here)
    strongly_connected as _strongly_connected,
)
from runtime.roster.checks.rules.gates import list_edge_path

MAX_CYCLES: Final = 50


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
    if not _loose_inside(info):
        return []
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


def _loose_inside(info: Delegation) -> bool:
    """Whether the edges without max_rounds close a cycle. Every cycle lies inside one
    strongly connected component, so each component with more than one member is
    peeled (Kahn's algorithm over its own loose edges) instead of the whole graph:
    when none keeps a member, no cycle is unbounded (the common case)."""
    if info.components is None:
        return True
    comp, members, _ = info.components
    for c, group in enumerate(members):
        if len(group) < 2:
            continue
        inner = {x: [e for e in info.children[x] if e.max_rounds is None and comp[e.target] == c]
                 for x in group}
        if len(_kahn(group, inner)) < len(group):
            return True
    return False


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
    get = best.get
    for c in info.comp_order:  # every delegation edit at L: kept tight
        out = dag[c]
        if not out:
            continue
        after = get(c, 0) + len(members[c])
        for d in out:
            if after > get(d, 0):
                best[d], prev[d] = after, c
    ends = [get(c, 0) + len(group) - 1 for c, group in enumerate(members)]
    top = max(ends)  # the longest, ties broken by the largest member list
    c = max((x for x, end in enumerate(ends) if end == top), key=members.__getitem__)
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
    (b.TRIGGER_DELEGATION, b.TRIGGER_NODES, b.TRIGGER_META, TRIGGER_AGENT_PARALLEL),
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
