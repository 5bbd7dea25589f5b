"""Data-flow rules R29–R31, and the taint and data-level helpers other rules share.

Tools say how sensitive their data is (`data`: public < internal < confidential <
restricted, default internal) and whether they were reviewed (`vetted`); agents say
what they may see (`clearance`, default internal). An agent *sees* a tool's data
through a live read grant (a write grant sends data to the tool instead), and a
delegator sees what its delegate saw, because results flow back along
`delegates_to`, unless the delegate is a quarantine agent (R08's test,
`trifecta.is_quarantine`). R29 keeps confidential data away from unvetted sinks, R30
keeps data away from agents below its class, R31 finds exfiltration paths to outbound
tools no human approves. All three are roster scope, read the flow closure (kept while
its inputs hold, closures.py) and keep their findings per owner (a delegate, a grant)
across incremental runs, rebuilding only the owners an edit reached (memo.by_owner).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from runtime.roster import effective as fx
from runtime.roster import model as m
from runtime.roster.checks import base
from runtime.roster.checks.base import Finding, Rule, Severity, roster_rule
from runtime.roster.checks.context import CheckContext, derived, keyed
from runtime.roster.checks.memo import Built, by_owner, changed_keys, owners_memo
from runtime.roster.checks.rules.closures import closure
from runtime.roster.checks.rules.gates import ToolFacts, list_edge_path, live_grants, tool_facts
from runtime.roster.checks.rules.trifecta import quarantine_memo, quarantined

SENSITIVE: Final = fx.CLASS_ORDER["confidential"]
FLOW_TRIGGERS: Final = frozenset({
    base.TRIGGER_TOOL_ACCESS, base.TRIGGER_DELEGATION, base.TRIGGER_NODES, base.TRIGGER_AGENT,
    base.TRIGGER_TOOL, base.TRIGGER_SERVER, base.TRIGGER_META,
})

_FACTS: Final = derived("flow.facts", (base.TRIGGER_TOOL, base.TRIGGER_SERVER, base.TRIGGER_NODES))
_HOLDERS: Final = keyed("flow.holders", (base.TRIGGER_META,))

# ---------------------------------------------------------------- shared helpers


def all_facts(ctx: CheckContext) -> list[ToolFacts]:
    """Effective facts of every tool, once per check run."""
    found: list[ToolFacts] | None = ctx.cache.get(_FACTS)
    if found is None:
        found = [f for t in ctx.tools() if (f := tool_facts(ctx, t.id)) is not None]
        ctx.cache[_FACTS] = found
    return found


def holders(ctx: CheckContext, tool_id: str) -> tuple[m.Edge, ...]:
    """Live (not denied) grants on a tool, from agents that exist (a derived structure)."""
    memo: dict[str, tuple[m.Edge, ...]] | None = ctx.cache.get(_HOLDERS)
    if memo is None:
        memo = ctx.cache[_HOLDERS] = {}
    found = memo.get(tool_id)
    if found is None:
        nodes = ctx.nodes
        found = memo[tool_id] = tuple(
            edge for edge in ctx.index.incoming(tool_id, m.EdgeKind.TOOL_ACCESS)
            if edge.approval != "deny" and isinstance(nodes.get(edge.source), m.Agent))
    return found


def _spread(ctx: CheckContext, sources: Iterable[str]) -> set[str]:
    """`sources` plus every agent their results reach (up the delegation edges), not
    passing through quarantine agents."""
    seen = set(sources)
    queue = list(seen)
    memo = quarantine_memo(ctx)
    inc, nodes, kind, agent = ctx.index.inc, ctx.nodes, m.EdgeKind.DELEGATION, m.Agent
    empty: dict[m.EdgeKind, list[m.Edge]] = {}
    while queue:  # the loop of every re-check that moves the taint: kept tight
        current = queue.pop()
        stop = memo.get(current)
        if stop is None:
            stop = quarantined(ctx, current)
        if stop:
            continue
        for edge in inc.get(current, empty).get(kind, ()):
            source = edge.source
            if source not in seen and nodes.get(source).__class__ is agent:
                seen.add(source)
                queue.append(source)
    return seen


def tainted(ctx: CheckContext) -> frozenset[str]:
    """Agents holding a live untrusted_input tool, plus every agent that receives results
    from a tainted delegate that is not a quarantine agent (the same taint as R08's)."""
    return closure(ctx, "taint", "tainted", _tainted)


def _tainted(ctx: CheckContext) -> frozenset[str]:
    sources = {e.source for f in all_facts(ctx) if "untrusted_input" in f.caps
               for e in holders(ctx, f.tool.id)}
    return frozenset(_spread(ctx, sources))


@dataclass(slots=True)
class Flow:
    """Who sees which data class, from where. Only ranks above the lowest clearance
    in the roster are tracked: nothing at or below it can break a rule."""

    clearance: dict[str, int]  # agent -> clearance rank
    direct: dict[str, tuple[int, str]]  # agent -> (rank, tool) of its most sensitive read
    level: dict[str, tuple[int, str]]  # agent -> (rank, next hop: tool or delegate)
    paths: dict[str, tuple[str, ...]] = field(default_factory=dict)  # flow_path's memo


def flow(ctx: CheckContext) -> Flow:
    """Who sees which data class (a closure kept while its inputs hold)."""
    return closure(ctx, "flow", "flow", _flow)


def flow_changes(old: Flow, new: Flow) -> set[str]:
    """Agents whose clearance, own most sensitive read or flow level (rank or hop)
    differs between two flows: what an edit moved, for the per-owner memos."""
    out = changed_keys(old.clearance, new.clearance)
    out |= changed_keys(old.direct, new.direct)
    out |= changed_keys(old.level, new.level)
    return out


def _flow(ctx: CheckContext) -> Flow:
    meta = ctx.meta
    order, agent = fx.CLASS_ORDER, m.Agent
    clearance = {n.id: order[fx.agent_clearance(n, meta)]
                 for n in ctx.nodes.values() if n.__class__ is agent}
    floor = min(clearance.values(), default=len(m.CLASSIFICATIONS))
    direct: dict[str, tuple[int, str]] = {}
    for facts in all_facts(ctx):
        rank = fx.CLASS_ORDER[fx.tool_data(facts.tool)]
        if rank <= floor:
            continue
        for edge in holders(ctx, facts.tool.id):
            if (edge.mode or "read") == "read" and direct.get(edge.source, (-1, ""))[0] < rank:
                direct[edge.source] = (rank, facts.tool.id)
    level = dict(direct)
    queue = list(level)
    memo = quarantine_memo(ctx)
    inc, kind = ctx.index.inc, m.EdgeKind.DELEGATION
    empty: dict[m.EdgeKind, list[m.Edge]] = {}
    while queue:  # ranks only grow, at most three times per agent: ends on cycles too
        agent_id = queue.pop()
        stop = memo.get(agent_id)
        if stop is None:
            stop = quarantined(ctx, agent_id)
        if stop:
            continue
        rank = level[agent_id][0]
        for edge in inc.get(agent_id, empty).get(kind, ()):
            source = edge.source
            if source in clearance:
                now = level.get(source)
                if now is None or now[0] < rank:
                    level[source] = (rank, agent_id)
                    queue.append(source)
    return Flow(clearance, direct, level)


def flow_path(ctx: CheckContext, agent_id: str, info: Flow | None = None) -> list[str]:
    """Node ids from the data's source tool to `agent_id`, following the recorded hops."""
    info = info if info is not None else flow(ctx)
    found = info.paths.get(agent_id)
    if found is None:
        level = info.level
        path = [agent_id]
        while path[-1] in level and len(path) <= len(level) + 1:
            hop = level[path[-1]][1]
            path.append(hop)
            if hop not in level:
                break
        found = info.paths[agent_id] = tuple(path[::-1])
    return list(found)


def describe(ctx: CheckContext, path: Iterable[str], sink: str = "") -> str:
    """"crm (confidential) → billing → pastebin (unvetted)": tools in `path` show their data
    class, except the last one when `sink` names what it is instead."""
    ids = list(path)
    words = []
    for i, node_id in enumerate(ids):
        tool = ctx.tool(node_id)
        if sink and i == len(ids) - 1:
            words.append(f"{node_id} ({sink})")
        elif tool is not None:
            words.append(f"{node_id} ({fx.tool_data(tool)})")
        else:
            words.append(node_id)
    return " → ".join(words)


def _name(rank: int) -> str:
    return m.CLASSIFICATIONS[rank]


# ---------------------------------------------------------------- R29


@roster_rule(
    "R29", "Sensitive data reaches an unvetted tool", Severity.ERROR,
    """What: an agent that reads confidential or restricted data (a read grant on a tool whose
`data` is confidential+) must not also hold a grant on an unvetted tool (`vetted` unset or
false) that it writes or executes with, or that communicates externally. Reading the
unvetted tool's own data does not count: that data is already there.

Why: whatever the agent reads can end up in the arguments of any tool it calls; a tool
nobody reviewed is an unknown destination (OWASP LLM02 Sensitive Information Disclosure,
ASI04 Agentic Supply Chain, NIST AI 600-1 Data Privacy).

Fix: review the tool and set `vetted: true`, lower the grant to `mode: read` on a tool
without external_comm, or move the tool to an agent that does not read the data:

    tools:
      pastebin: {kind: mcp, server: paste-mcp, tool: create_paste, vetted: true}
""",
    FLOW_TRIGGERS, ("LLM02", "ASI04", "NIST AI 600-1 Data Privacy"),
)
def check_sensitive_to_unvetted(ctx: CheckContext) -> Iterable[Finding]:
    info = flow(ctx)
    return by_owner(ctx, _R29_OWNERS, lambda: _grant_ids(ctx),
                    lambda edge_id: _sink(ctx, edge_id, info), info, flow_changes,
                    fine=True, expand=lambda node_id: _grant_ids_of(ctx, node_id))


def _grant_ids(ctx: CheckContext) -> list[str]:
    """Every grant, by edge id, in the order of the tools' holders (a full check's)."""
    return [edge.id for f in all_facts(ctx) for edge in holders(ctx, f.tool.id)]


def _grant_ids_of(ctx: CheckContext, node_id: str) -> list[str]:
    """The grants of an agent and on a tool (the owners an edit of the node may create)."""
    index, kind = ctx.index, m.EdgeKind.TOOL_ACCESS
    return [e.id for e in (*index.outgoing(node_id, kind), *index.incoming(node_id, kind))]


def _holding(ctx: CheckContext, edge_id: str) -> tuple[m.Edge, ToolFacts] | None:
    """The live grant `edge_id` (one `holders` lists) with its tool's facts."""
    edge = ctx.edges.get(edge_id)
    if edge is None or edge.kind is not m.EdgeKind.TOOL_ACCESS or edge.approval == "deny":
        return None
    facts = tool_facts(ctx, edge.target)
    if facts is None or ctx.agent(edge.source) is None:
        return None
    return edge, facts


def _sink(ctx: CheckContext, edge_id: str, info: Flow) -> Built:
    """R29 for one grant on an unvetted tool: its finding reads the holder's reads (its
    flow entry, its grants' tools) and the source tool's data class."""
    held = _holding(ctx, edge_id)
    if held is None or fx.tool_vetted(held[1].tool):
        return None
    edge, facts = held
    tool_id = facts.tool.id
    deps = (edge.source, tool_id)
    if info.direct.get(edge.source, (-1, ""))[0] < SENSITIVE:
        return deps, []
    writes = fx.grant_mode(edge) in ("write", "execute")
    if not (writes or "external_comm" in facts.caps):
        return deps, []
    source = direct_source(ctx, edge.source, tool_id, info)
    if source is None or source[0] < SENSITIVE:
        return (*deps, *_read_tools(ctx, (edge.source,))), []
    return ((*deps, source[1], *_read_tools(ctx, (edge.source,))),
            _leaks(ctx, tool_id, [(edge, writes, source)]))


def _read_tools(ctx: CheckContext, agent_ids: Iterable[str]) -> list[str]:
    """The tools the agents hold grants on (`direct_source` reads their data classes)."""
    return [edge.target for agent_id in agent_ids for edge in ctx.grants(agent_id)]


def _leaks(ctx: CheckContext, tool_id: str,
           found: list[tuple[m.Edge, bool, tuple[int, str]]]) -> list[Finding]:
    rule = base.RULES["R29"]
    out = []
    for edge, writes, source in found:
        how = f"{fx.grant_mode(edge)}s to it" if writes else "it communicates externally"
        path = (source[1], edge.source, tool_id)
        out.append(rule.finding(
            f"{describe(ctx, path, 'unvetted')}: agent '{edge.source}' reads "
            f"{_name(source[0])} data and holds unvetted tool '{tool_id}' ({how})",
            f"review tool '{tool_id}' and set vetted: true, or remove the grant from "
            f"'{edge.source}'", path, ctx.edge_path(edge),
        ))
    return out


_R29_OWNERS: Final = owners_memo("R29")


# ---------------------------------------------------------------- R30


R30_EXPLAIN: Final = """\
What: an agent may see data up to its `clearance` (default internal). It sees a tool's
`data` class through a read grant, and everything its delegates saw, because their results
flow back to it, unless the delegate is a quarantine agent (an `output: {schema: ...}`
that admits no free text: every string an enum, const, pattern or format).

Why: access control on data sources is the first defence against disclosure (OWASP LLM02,
LLM06 excessive permissions; NIST AI 600-1 Data Privacy).

Fix: raise the agent's clearance if it is entitled to the data, take the read grant away,
or make the delegate return a bounded result:

    agents:
      billing:
        clearance: confidential
      lookup:
        output: {schema: {type: object, properties: {status: {type: string, enum: [ok, late]}}}}
"""


def clearance_reads(ctx: CheckContext, node_id: str) -> list[Finding]:
    """R30 for one agent's own read grants: node scope, so an edit re-checks only the
    agents it touches (the delegation half below is roster scope)."""
    agent = ctx.agent(node_id)
    if agent is None:
        return []
    have = fx.CLASS_ORDER[fx.agent_clearance(agent, ctx.meta)]
    out = []
    for edge, facts in live_grants(ctx, node_id):
        rank = fx.CLASS_ORDER[fx.tool_data(facts.tool)]
        if (edge.mode or "read") == "read" and rank > have:
            out.append(RULE_R30.finding(
                f"{describe(ctx, [facts.tool.id, node_id])}: agent '{node_id}' has "
                f"clearance {_name(have)} but reads {_name(rank)} data from "
                f"'{facts.tool.id}'",
                f"set clearance: {_name(rank)} on '{node_id}' if it may see that data, "
                f"or remove its grant on '{facts.tool.id}'",
                (facts.tool.id, node_id), ctx.edge_path(edge),
            ))
    return out


def check_clearance(ctx: CheckContext) -> Iterable[Finding]:
    """R30 for data flowing back along delegations (roster scope: the flow levels)."""
    info = flow(ctx)
    return by_owner(ctx, _R30_OWNERS, lambda: list(info.level),
                    lambda delegate: _delegate(ctx, delegate, info), info, flow_changes,
                    fine=True)


def _delegate(ctx: CheckContext, delegate: str, info: Flow) -> Built:
    """R30 for the delegators of one delegate: the findings read the delegators' flow
    entries and the path the data took (the hops' flow entries, the tools' classes)."""
    level = info.level.get(delegate)
    if level is None or quarantined(ctx, delegate):
        return None
    rank = level[0]
    found = []
    back: tuple[str, ...] | None = None
    callers = ctx.delegators(delegate)
    for edge in callers:
        cleared = info.clearance.get(edge.source)
        if cleared is None or rank <= cleared:
            continue
        if info.direct.get(edge.source, (-1, ""))[0] >= rank:
            continue  # it reads that class itself: reported by clearance_reads
        if back is None:
            back = tuple(flow_path(ctx, delegate, info))
        if edge.source in back:
            continue  # its own data coming back round a delegation cycle
        found.append((edge, cleared))
    deps = [edge.source for edge in callers]
    if back is not None:
        deps.extend(back)
    if not found or back is None:
        return deps, []
    return deps, _carried_back(ctx, delegate, rank, back, found)


def _carried_back(ctx: CheckContext, delegate: str, rank: int, back: tuple[str, ...],
                  found: list[tuple[m.Edge, int]]) -> list[Finding]:
    out = []
    for edge, cleared in found:
        path = [*back, edge.source]
        out.append(RULE_R30.finding(
            f"{describe(ctx, path)}: results of '{delegate}' carry {_name(rank)} data back "
            f"to '{edge.source}', whose clearance is {_name(cleared)}",
            f"give '{delegate}' an output schema without free text (a quarantine agent), "
            f"or set clearance: {_name(rank)} on '{edge.source}'",
            path, list_edge_path(ctx, edge),
        ))
    return out


_R30_OWNERS: Final = owners_memo("R30")


RULE_R30: Final = base.register(Rule(
    "R30", "Agent below its data's clearance", Severity.ERROR, R30_EXPLAIN,
    ("LLM02", "LLM06", "NIST AI 600-1 Data Privacy"),
    check_node=clearance_reads, check=check_clearance, triggers=FLOW_TRIGGERS,
    applies_to=(m.Agent,),
))


# ---------------------------------------------------------------- R31


def direct_source(ctx: CheckContext, agent_id: str, exclude: str,
                  info: Flow | None = None) -> tuple[int, str] | None:
    """The agent's most sensitive own read, not counting tool `exclude` (data already in
    that tool does not leak by flowing back into it)."""
    own = (info if info is not None else flow(ctx)).direct.get(agent_id)
    if own is None or own[1] != exclude:
        return own
    best: tuple[int, str] | None = None
    for edge in ctx.grants(agent_id):
        tool = ctx.tool(edge.target)
        if (tool is None or tool.id == exclude or edge.approval == "deny"
                or (edge.mode or "read") != "read"):
            continue
        rank = fx.CLASS_ORDER[fx.tool_data(tool)]
        if best is None or rank > best[0]:
            best = (rank, tool.id)
    return best


def _best_source(ctx: CheckContext, agent_id: str, exclude: str) -> tuple[int, list[str]]:
    """The most sensitive data reaching `agent_id` (own reads other than of `exclude`, or
    results of delegates), with the path it takes."""
    info = flow(ctx)
    own = direct_source(ctx, agent_id, exclude, info)
    best: tuple[int, list[str]] = (own[0], [own[1], agent_id]) if own else (-1, [])
    for edge in ctx.delegates(agent_id):
        hop = info.level.get(edge.target)
        if hop is not None and hop[0] > best[0] and not quarantined(ctx, edge.target):
            best = (hop[0], [*flow_path(ctx, edge.target, info), agent_id])
    return best


@roster_rule(
    "R31", "Exfiltration path without approval", Severity.ERROR,
    """What: confidential or restricted data must not reach a tool that communicates
externally (`external_comm`) without a person approving each call. The data reaches an
agent through its own read grants or through results flowing back from delegates (a
quarantine delegate stops it); the outbound grant of that agent must say `approval: ask`.
Reading the outbound tool's own data does not count: that data is already there.

Why: private data plus an outbound channel is how an injected agent leaks data (the lethal
trifecta; OWASP LLM02, ASI01 goal hijack; Meta's Agents Rule of Two asks for a human in
the loop).

Fix: set `approval: ask` on the outbound grant, or keep the data away from that agent:

    agents:
      billing:
        uses:
          email: {mode: write, approval: ask}
""",
    FLOW_TRIGGERS, ("LLM02", "ASI01", "Lethal trifecta", "Agents Rule of Two"),
)
def check_exfiltration(ctx: CheckContext) -> Iterable[Finding]:
    info = flow(ctx)
    return by_owner(ctx, _R31_OWNERS, lambda: _grant_ids(ctx),
                    lambda edge_id: _outbound(ctx, edge_id, info), info, flow_changes,
                    fine=True, expand=lambda node_id: _grant_ids_of(ctx, node_id))


def _outbound(ctx: CheckContext, edge_id: str, info: Flow) -> Built:
    """R31 for one grant on an external tool: the finding reads the holder's flow level,
    and when that is sensitive, its delegates' levels, its grants' tools and the path."""
    held = _holding(ctx, edge_id)
    if held is None or "external_comm" not in held[1].caps:
        return None
    edge, facts = held
    tool_id = facts.tool.id
    deps: list[str] = [edge.source, tool_id]
    reach = info.level.get(edge.source)
    if reach is None or reach[0] < SENSITIVE or fx.grant_approval(edge) == "ask":
        return deps, []
    deps.extend(e.target for e in ctx.delegates(edge.source))
    deps.extend(_read_tools(ctx, (edge.source,)))
    rank, path = _best_source(ctx, edge.source, tool_id)
    deps.extend(path)
    if rank < SENSITIVE:
        return deps, []
    return deps, _exfiltrations(ctx, tool_id, [(edge, rank, tuple(path))])


def _exfiltrations(ctx: CheckContext, tool_id: str,
                   found: list[tuple[m.Edge, int, tuple[str, ...]]]) -> list[Finding]:
    rule = base.RULES["R31"]
    return [rule.finding(
        f"{describe(ctx, [*path, tool_id], 'external')}: {_name(rank)} data can leave "
        f"through external tool '{tool_id}' of '{edge.source}' without approval",
        f"set approval: ask on the grant of '{tool_id}' to '{edge.source}', or keep "
        "the data away from this agent (a quarantine delegate returns only bounded "
        "values)", (*path, tool_id), ctx.edge_path(edge),
    ) for edge, rank, path in found]


_R31_OWNERS: Final = owners_memo("R31")
