"""Schema hygiene: R00 (a node of a kind nothing provides) and R01 (referential integrity).

R00 is node scope: a `Placeholder` is a tool whose kind no installed plugin
registers; it is kept verbatim so the file round-trips, but it cannot run.
R01 is roster scope because a reference can break from either end: an edge
to an unknown id or to a node of the wrong type (`uses` must name a tool,
`delegates_to` an agent, `escalates_to` a human), an `entry` that is not an
agent, a tool's `server` that is not an MCP server, a human's `backup` that is
not a human, and an acknowledgement of an unknown rule or subject. Each
message lists what does exist and suggests the closest id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from runtime.roster import model as m
from runtime.roster.checks import base as b
from runtime.roster.checks.base import RULES, Finding, Path, Severity, node_rule, roster_rule
from runtime.roster.checks.context import CheckContext
from runtime.roster.checks.rules.gates import list_edge_path, some
from runtime.roster.fields import did_you_mean

# ---------------------------------------------------------------- R00

R00_EXPLAIN = """
A tool's `kind` names its implementation: one of the built-in kinds (fs_read,
fs_write, http_fetch, sqlite, shell, mcp, memory, email_send) or a kind that an
installed plugin registers under the `agent_roster.tool_kinds` entry point.
A tool of any other kind is kept in the file exactly as written, so nothing is
lost, but none of its properties can be checked and it cannot run.

Why: a node whose meaning nobody knows cannot be governed; every other rule
would have to guess. Treat it like a failed import.

Fix: correct a misspelt kind, or install the plugin that provides it:

    tools:
      crm:
        kind: mcp
"""


@node_rule("R00", "Unknown node kind", Severity.ERROR, R00_EXPLAIN, ("schema hygiene",),
           applies_to=(m.Placeholder,), reads=())
def unknown_kind(ctx: CheckContext, node_id: str) -> list[Finding]:
    node = ctx.nodes.get(node_id)
    if not isinstance(node, m.Placeholder):
        return []
    what = node.section[:-1] if node.section.endswith("s") else node.section
    return [RULE_R00.finding(
        f"{what} '{node_id}' has kind '{node.kind}' that no installed plugin provides",
        "fix the kind or install the plugin",
        (node_id,), (node.section, node_id, "kind"),
    )]


RULE_R00: Final = RULES["R00"]

# ---------------------------------------------------------------- R01

R01_EXPLAIN = """
Every reference in the roster must name an existing node of the right type:
`uses` names tools, `delegates_to` names agents, `escalates_to` names humans,
`entry` names agents, an MCP tool's `server` names an entry of `mcp_servers`,
a human's `backup` names another human, and each `acknowledged` entry names a
known rule and an existing node or edge. A dangling or mistyped reference is
almost always a typo or a rename that missed a spot, and the rules that follow
edges would silently skip it.

Why: schema hygiene. Every other governance rule reasons over these edges;
an edge to nowhere is a check that never runs.

Fix: correct the id (the message suggests the closest one) or define the node:

    agents:
      seo:
        uses:
          crm-readonly: {mode: read}
    tools:
      crm-readonly: {kind: mcp, server: crm-mcp, tool: lookup}
"""

_WANT: Final = {
    m.EdgeKind.TOOL_ACCESS: (m.Tool, "tool"),
    m.EdgeKind.DELEGATION: (m.Agent, "agent"),
    m.EdgeKind.ESCALATION: (m.Human, "human"),
}
_HOW: Final = {
    m.Tool: "grant tools under `uses`",
    m.Agent: "delegate to agents under `delegates_to`",
    m.Human: "escalate to humans under `escalates_to`",
}


@roster_rule(
    "R01", "Referential integrity", Severity.ERROR, R01_EXPLAIN,
    (b.TRIGGER_DELEGATION, b.TRIGGER_TOOL_ACCESS, b.TRIGGER_ESCALATION, b.TRIGGER_NODES,
     b.TRIGGER_META, b.TRIGGER_TOOL, b.TRIGGER_HUMAN),
    ("schema hygiene",),
)
def referential_integrity(ctx: CheckContext) -> list[Finding]:
    nodes = ctx.nodes
    ids: dict[type, list[str]] = {}
    for node in nodes.values():
        ids.setdefault(type(node), []).append(node.id)
    ids.setdefault(m.Tool, []).extend(ids.get(m.Placeholder, ()))
    out: list[Finding] = []

    def ref(ref_id: str, want: type, what: str, where: str, path: Path,
            subjects: Iterable[str]) -> None:
        node = nodes.get(ref_id)
        if isinstance(node, want) or (want is m.Tool and isinstance(node, m.Placeholder)):
            return
        have = ids.get(want, [])
        if node is None:
            hint = did_you_mean(ref_id, have)
            listed = f"{what}s defined here: {some(have)}" if have else f"there are no {what}s"
            message = (f"{where}: unknown {what} '{ref_id}'; {listed}"
                       + (f"; {hint}" if hint else ""))
            fix = f"correct the id{' (' + hint + ')' if hint else ''}, or define '{ref_id}'."
        else:
            actual = node.node_type.value.replace("_", " ")
            message = f"{where}: '{ref_id}' is {_a(actual)}, not {_a(what)}"
            fix = (f"{_HOW.get(type(node), 'remove the reference')}; name {_a(what)} here"
                   + (f" ({some(have)})" if have else "") + ".")
        out.append(RULE_R01.finding(message, fix, tuple(subjects), path))

    for edge in ctx.edges.values():
        want, what = _WANT[edge.kind]
        cls = nodes[edge.target].__class__ if edge.target in nodes else None
        if cls is want or (cls is m.Placeholder and want is m.Tool):
            continue
        ref(edge.target, want, what, f"agents.{edge.source}.{edge.kind.value}",
            list_edge_path(ctx, edge), (edge.source, edge.target, edge.id))
    for i, entry in enumerate(ctx.meta.entry):
        ref(entry, m.Agent, "agent", "entry", ("entry", i), (entry,))
    for node in nodes.values():
        if isinstance(node, m.Tool) and node.kind == "mcp" and not node.server:
            out.append(RULE_R01.finding(
                f"MCP tool '{node.id}' names no server",
                f"set `server:` on tools.{node.id} to one of the mcp_servers"
                + (f" ({some(ids.get(m.McpServer, []))})" if ids.get(m.McpServer) else "") + ".",
                (node.id,), ("tools", node.id),
            ))
        elif isinstance(node, m.Tool) and node.server:
            ref(node.server, m.McpServer, "MCP server", f"tools.{node.id}.server",
                ("tools", node.id, "server"), (node.id, node.server))
        elif isinstance(node, m.Human) and node.backup:
            ref(node.backup, m.Human, "human", f"humans.{node.id}.backup",
                ("humans", node.id, "backup"), (node.id, node.backup))
    for i, ack in enumerate(ctx.meta.acknowledged):
        if ack.rule not in RULES:
            hint = did_you_mean(ack.rule, sorted(RULES))
            out.append(RULE_R01.finding(
                f"acknowledged[{i}] names unknown rule '{ack.rule}'"
                + (f"; {hint}" if hint else ""),
                "use a rule code that `roster explain` lists, or remove the acknowledgement.",
                (ack.subject,) if ack.subject else (), ("acknowledged", i, "rule"),
            ))
        if ack.subject and ack.subject not in nodes and ack.subject not in ctx.edges:
            hint = did_you_mean(ack.subject, list(nodes))
            out.append(RULE_R01.finding(
                f"acknowledged[{i}] is about '{ack.subject}', which is no node or edge of this "
                "roster" + (f"; {hint}" if hint else ""),
                "correct the subject or remove the stale acknowledgement.",
                (ack.subject,), ("acknowledged", i, "subject"),
            ))
    return out


RULE_R01: Final = RULES["R01"]


def _a(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" or noun.startswith("MCP") else "a ") + noun
