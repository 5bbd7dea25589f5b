"""Which connections a roster allows, decided in one place for the canvas and the core.

Dragging from an agent to another agent means delegation, to a tool means
tool access, to a human means escalation. Everything else is refused with a
reason a person can act on. The designer asks this while an edge is being
dragged, to show legal and illegal targets; `Document.apply` asks it again
before any `Connect` takes effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from runtime.roster.model import Agent, EdgeKind, Human, Node, Placeholder, Tool, edge_id


@dataclass(frozen=True, slots=True)
class Legality:
    kind: EdgeKind | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.kind is not None


_TARGET_KIND: dict[type, EdgeKind] = {
    Agent: EdgeKind.DELEGATION,
    Tool: EdgeKind.TOOL_ACCESS,
    Human: EdgeKind.ESCALATION,
}


def connection(
    nodes: Mapping[str, Node], edges: Mapping[str, object], source: str, target: str
) -> Legality:
    src, dst = nodes.get(source), nodes.get(target)
    if src is None or dst is None:
        missing = source if src is None else target
        return Legality(None, f"there is no node {missing!r}")
    if not isinstance(src, Agent):
        return Legality(None, "only agents hold connections; start the edge from an agent")
    if isinstance(dst, Placeholder):
        return Legality(None, f"{target!r} has an unknown kind {dst.kind!r}; fix its kind first")
    kind = _TARGET_KIND.get(type(dst))
    if kind is None:
        return Legality(
            None,
            "an agent cannot connect to an MCP server; connect it to one of the server's tools",
        )
    if source == target:
        return Legality(None, "an agent cannot delegate to itself")
    if edge_id(kind, source, target) in edges:
        return Legality(None, f"{source!r} is already connected to {target!r}")
    return Legality(kind)
