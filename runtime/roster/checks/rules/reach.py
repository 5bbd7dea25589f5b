"""What the entry agents reach (R02), kept across incremental runs and brought up to date.

R02 walks from the entry agents along every edge (delegation, grants, escalation), from a
tool to its server and from a human to their backup. The walk is order-free: only the set
of reached nodes matters. So an incremental checker keeps it, with the tree the walk
reached each node through (which node first pointed at it), and after an edit looks only
at the reached nodes that changed (`CheckContext.changed`: edited nodes and both ends of
every changed edge):

- one that points at a node not reached yet adds it: the walk goes on from there;
- one that no longer points at a node it did (a removed edge, another server or backup)
  cuts nothing off unless the tree reached that node through it: the tree still reaches
  every reached node. If the tree lost a pointer, the walk is redone from the entries.

Nodes that are not reached do not matter until a reached node points at them, which makes
that node a changed one. Adding or removing a node, or editing the settings (the entries),
drops the kept walk.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from runtime.roster import model as m
from runtime.roster.checks import base as b
from runtime.roster.checks.base import RULES, Finding, Severity, roster_rule
from runtime.roster.checks.context import CheckContext, derived
from runtime.roster.checks.rules.gates import some

_KEY: Final = derived("rules.reach", (b.TRIGGER_NODES, b.TRIGGER_META))


@dataclass(slots=True)
class Reach:
    """The nodes reached from the entries, and the tree the walk reached them through."""

    seen: set[str]
    kids: dict[str, list[str]] = field(default_factory=dict)  # first reached from the key
    found: list[Finding] | None = None  # R02's findings for this `seen`, once built


def _points(ctx: CheckContext, node_id: str) -> list[str]:
    """Every edge target of the node, then its server (a tool) or backup (a human)."""
    out = [edge.target for bucket in ctx.index.out.get(node_id, {}).values() for edge in bucket]
    node = ctx.nodes.get(node_id)
    ref = (node.server if node.__class__ is m.Tool else
           node.backup if node.__class__ is m.Human else None)
    if ref:
        out.append(ref)
    return out


def _walk(ctx: CheckContext, reach: Reach, start: Iterable[str]) -> None:
    nodes, seen, kids = ctx.nodes, reach.seen, reach.kids
    queue = deque(start)
    while queue:
        node_id = queue.popleft()
        for x in _points(ctx, node_id):
            if x not in seen and x in nodes:
                seen.add(x)
                kids.setdefault(node_id, []).append(x)
                queue.append(x)


def reached(ctx: CheckContext, entries: list[str]) -> Reach:
    """The nodes `entries` reach (kept across incremental runs, see above)."""
    kept: Reach | None = ctx.cache.get(_KEY)
    changed = ctx.changed
    if kept is not None and changed is not None and _extend(ctx, kept, changed):
        return kept
    reach = Reach(set(entries))
    _walk(ctx, reach, entries)
    ctx.cache[_KEY] = reach
    return reach


def _extend(ctx: CheckContext, reach: Reach, changed: Iterable[str]) -> bool:
    """Bring `reach` up to date after edits of `changed`; False when something reached
    may have been cut off (then the walk must be redone)."""
    seen, nodes = reach.seen, ctx.nodes
    start: list[str] = []
    for node_id in changed:
        if node_id not in seen:
            continue
        now = _points(ctx, node_id)
        kids = reach.kids.get(node_id)
        if kids and not set(kids) <= set(now):
            return False  # a tree pointer is gone: what hung from it may be cut off
        for x in now:
            if x not in seen and x in nodes:
                seen.add(x)
                reach.kids.setdefault(node_id, []).append(x)
                start.append(x)
    if start:
        reach.found = None
        _walk(ctx, reach, start)
    return True


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
    reach = reached(ctx, entries)
    if reach.found is not None:
        return reach.found
    found = []
    for node in ctx.nodes.values():
        if node.id in reach.seen or isinstance(node, m.Placeholder):
            continue
        what = node.node_type.value.replace("_", " ")
        found.append(RULE_R02.finding(
            f"{what} '{node.id}' cannot be reached from the entry agents ({some(entries)})",
            f"connect '{node.id}' to an agent reachable from an entry, add it to `entry` if it is "
            "an agent that takes outside tasks, or delete it.",
            (node.id,), (m.section_of(node), node.id),
        ))
    reach.found = found
    return found


RULE_R02: Final = RULES["R02"]
