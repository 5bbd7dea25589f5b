"""Human gates and read-by-default: R06 (high-impact tool needs a human gate) and R11.

Both rules are node scope on agents: they read the agent's grants, the tools at
their other ends (and, for MCP tools, the tool's server, whose trust decides
whether annotations count) and the humans it escalates to. This module also
holds the small memoised helpers the other rule modules share: a tool's
effective facts (capabilities, impact, modes, after defaults and worst-case
MCP handling from effective.py), live grants, YAML paths of list edges, and a
capped "x, y and 3 more" formatter. Messages name ids and capability tags only,
never config values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from runtime.roster import effective as fx
from runtime.roster import model as m
from runtime.roster.checks import base as b
from runtime.roster.checks.base import RULES, Finding, Path, Severity, node_rule
from runtime.roster.checks.context import CheckContext, keyed

# Per node: a tool's facts change only with the tool or its server (a server edit touches
# the tools it serves), an agent's live grants only with its grants or their tools (an
# edit of a tool touches the agents that hold it).
_FACTS_KEY: Final = keyed("rules.tool_facts", (b.TRIGGER_META,))
_GRANTS_KEY: Final = keyed("rules.live_grants", (b.TRIGGER_META,))
# per agent: the list position of each delegation and escalation target (its edges)
_ORDER_KEY: Final = keyed("rules.edge_order", (b.TRIGGER_NODES,))


@dataclass(frozen=True, slots=True)
class ToolFacts:
    tool: m.Tool
    server: m.McpServer | None
    caps: frozenset[str]
    high_impact: bool
    modes: tuple[str, ...]


def agent_of(ctx: CheckContext, node_id: str) -> m.Agent | None:
    """`ctx.agent`, inlined for the node-rule guard every rule runs on every node."""
    node = ctx.nodes.get(node_id)
    return node if node.__class__ is m.Agent else None


def tool_facts(ctx: CheckContext, tool_id: str) -> ToolFacts | None:
    """Effective facts of the tool `tool_id` (None when it is missing or a placeholder)."""
    memo: dict[str, ToolFacts | None] | None = ctx.cache.get(_FACTS_KEY)
    if memo is None:
        memo = ctx.cache[_FACTS_KEY] = {}
    elif tool_id in memo:
        return memo[tool_id]
    tool = ctx.nodes.get(tool_id)
    facts = None
    if isinstance(tool, m.Tool):
        server = ctx.server(tool.server) if tool.server else None
        facts = ToolFacts(tool, server, fx.tool_capabilities(tool, server),
                          fx.is_high_impact(tool, server), fx.tool_modes(tool))
    memo[tool_id] = facts
    return facts


def live_grants(ctx: CheckContext, agent_id: str) -> list[tuple[m.Edge, ToolFacts]]:
    """The agent's grants that are not `approval: deny`, with their tools' facts (memoised)."""
    memo: dict[str, list[tuple[m.Edge, ToolFacts]]] | None = ctx.cache.get(_GRANTS_KEY)
    if memo is None:
        memo = ctx.cache[_GRANTS_KEY] = {}
    else:
        hit = memo.get(agent_id)
        if hit is not None:
            return hit
    out = []
    for edge in ctx.index.outgoing(agent_id, m.EdgeKind.TOOL_ACCESS):
        if edge.approval == "deny":
            continue
        facts = tool_facts(ctx, edge.target)
        if facts is not None:
            out.append((edge, facts))
    memo[agent_id] = out
    return out


def list_edge_path(ctx: CheckContext, edge: m.Edge) -> Path:
    """YAML path of an edge: the grant's key, or the list item of a delegation/escalation.

    The item index is the edge's position among the agent's edges of that kind in
    document order (which is file order). The adjacency index keeps each agent's edges
    in document order too (the incremental checker puts an edge an undo re-inserts back
    in its place, `AdjacencyIndex.restore_order`), so the positions come from there, per
    agent, and an edit recomputes only the agents it touched.
    """
    if edge.kind is m.EdgeKind.TOOL_ACCESS:
        return ("agents", edge.source, "uses", edge.target)
    memo: dict[str, dict[m.EdgeKind, dict[str, int]]] | None = ctx.cache.get(_ORDER_KEY)
    if memo is None:
        memo = ctx.cache[_ORDER_KEY] = {}
    order = memo.get(edge.source)
    if order is None:
        order = memo[edge.source] = {}
        for kind in (m.EdgeKind.DELEGATION, m.EdgeKind.ESCALATION):
            slot: dict[str, int] = {}
            for other in ctx.index.outgoing(edge.source, kind):
                slot.setdefault(other.target, len(slot))
            order[kind] = slot
    index = order.get(edge.kind, {}).get(edge.target)
    if index is None:
        return ("agents", edge.source, edge.kind.value)
    return ("agents", edge.source, edge.kind.value, index)


def some(ids: Iterable[str], limit: int = 8) -> str:
    """'a', 'b' and 3 more: a short quoted list for messages."""
    items = sorted(ids)
    shown = ", ".join(f"'{x}'" for x in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def gated_humans(ctx: CheckContext, agent_id: str) -> list[str]:
    """Humans the agent escalates to whose unanswered requests end in a denial.

    `on_timeout: deny` qualifies directly; `escalate` with a `backup` qualifies
    too, because R19 checks that every backup chain ends at a human and never
    loops (the chain itself is R19's business, not this rule's).
    """
    out = []
    for edge in ctx.escalations(agent_id):
        human = ctx.human(edge.target)
        if human is None:
            continue
        if human.on_timeout == "deny" or (human.on_timeout == "escalate" and human.backup):
            out.append(human.id)
    return out


def impact_tags(facts: ToolFacts) -> str:
    tags = sorted(facts.caps & (fx.HIGH_IMPACT_CAPS | {"state_change"}))
    if not tags and facts.tool.kind == "mcp":
        tags = ["destructive (MCP default)"]
    return ", ".join(tags) or fx.tool_risk(facts.tool) + " risk"


# ---------------------------------------------------------------- R06

R06_EXPLAIN = """
Checks every tool grant with mode write or execute to a high-impact tool: one
tagged irreversible or financial, one that changes state at risk high or
critical, or an MCP tool that is (or, from an untrusted or unannotated server,
is assumed to be) destructive. Such a grant must say `approval: ask`, and the
agent must escalate to a human whose `on_timeout` is deny (or escalate to a
backup), so an unanswered request fails closed.

Why: OWASP LLM06 Excessive Agency names excessive autonomy (no human check
before a high-impact action) as a root cause and user approval as the
mitigation; NIST AI RMF MANAGE 2.4 asks for a way to supersede the system;
Anthropic's agent framework keeps humans in control, and Claude Code's `ask`
rules are enforced by the harness, not by the model.

Fix: put the grant behind `ask` and name a human checkpoint:

    agents:
      billing:
        uses:
          payments: {mode: write, approval: ask}
        escalates_to: [ops-lead]
    humans:
      ops-lead: {timeout_s: 3600, on_timeout: deny}
"""


@node_rule(
    "R06", "High-impact tool needs a human gate", Severity.ERROR, R06_EXPLAIN,
    ("OWASP LLM06", "NIST AI RMF MANAGE 2.4", "Anthropic: keep humans in control",
     "Claude Code ask rules"),
    applies_to=(m.Agent,),
)
def high_impact_gate(ctx: CheckContext, node_id: str) -> list[Finding]:
    if agent_of(ctx, node_id) is None:
        return []
    out: list[Finding] = []
    humans: list[str] | None = None
    for edge, facts in live_grants(ctx, node_id):
        mode = fx.grant_mode(edge)
        if mode == "read" or not facts.high_impact:
            continue
        if humans is None:
            humans = gated_humans(ctx, node_id)
        asks = fx.grant_approval(edge) == "ask"
        if asks and humans:
            continue
        problems = []
        if not asks:
            problems.append("does not ask a human first (approval is allow)")
        if not humans:
            problems.append("has no escalates_to a human whose on_timeout is deny")
        fixes = []
        if not asks:
            fixes.append(f"set `approval: ask` on agents.{node_id}.uses.{edge.target}")
        if not humans:
            fixes.append(f"add `escalates_to: [HUMAN]` to '{node_id}', naming a human with "
                         "`on_timeout: deny`")
        out.append(RULE_R06.finding(
            f"agent '{node_id}' may {mode} high-impact tool '{edge.target}' "
            f"({impact_tags(facts)}) but " + " and ".join(problems),
            "; ".join(fixes) + ".",
            (node_id, edge.target, edge.id),
            list_edge_path(ctx, edge),
        ))
    return out


RULE_R06: Final = RULES["R06"]

# ---------------------------------------------------------------- R11

R11_EXPLAIN = """
Checks that a grant with mode write or execute points to a tool that supports
that mode. A tool's modes are its `modes:` list, or its kind's (a file-read or
web-fetch tool only reads; a shell only executes). A grant that asks for more
than the tool offers is either a mistake or a request for power the tool was
never reviewed for.

Why: Claude Code is read-only by default and asks before changing anything;
OWASP LLM06 lists excessive permissions ("write where read would do") as a
root cause of excessive agency. New grants in the designer default to
`mode: read, approval: ask`.

Fix: lower the grant to a mode the tool has, or use a tool made for writing:

    agents:
      billing:
        uses:
          order-files: {mode: read, approval: allow}
"""


@node_rule(
    "R11", "Read by default: grant mode the tool supports", Severity.ERROR, R11_EXPLAIN,
    ("OWASP LLM06 excessive permissions", "Claude Code read-only default"),
    applies_to=(m.Agent,),
)
def read_by_default(ctx: CheckContext, node_id: str) -> list[Finding]:
    if agent_of(ctx, node_id) is None:
        return []
    out: list[Finding] = []
    for edge in ctx.grants(node_id):
        mode = fx.grant_mode(edge)
        if mode == "read":
            continue
        facts = tool_facts(ctx, edge.target)
        if facts is None or mode in facts.modes:
            continue
        out.append(RULE_R11.finding(
            f"agent '{node_id}' has {mode} access to tool '{edge.target}', which only supports "
            f"{_modes(facts.modes)}",
            f"set `mode: {_best(facts.modes)}` on agents.{node_id}.uses.{edge.target}, or grant "
            f"a tool that supports {mode}.",
            (node_id, edge.target, edge.id),
            list_edge_path(ctx, edge),
        ))
    return out


def _modes(modes: Sequence[str]) -> str:
    return " and ".join(modes) if modes else "no mode"


def _best(modes: Sequence[str]) -> str:
    return "read" if "read" in modes or not modes else modes[0]


RULE_R11: Final = RULES["R11"]
