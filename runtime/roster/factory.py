"""New nodes for the palette and for paste: fresh unique ids and sensible defaults.

A palette entry is a key (`agent`, `human`, `mcp_server` or `tool:KIND`) with a
label and description. `new_node` builds a node of that entry with an id
derived from its label that no other node has yet, and defaults a reviewer
would accept: a tool carries its kind's modes, capabilities and risk; a human
denies on timeout; an agent inherits its model and limits from `defaults`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from runtime.roster import model as m
from runtime.roster.fields import slugify
from runtime.roster.kinds import tool_kinds


@dataclass(frozen=True, slots=True)
class PaletteEntry:
    key: str
    label: str
    description: str
    icon: str
    group: str


def palette_entries() -> list[PaletteEntry]:
    entries = [
        PaletteEntry("agent", "Agent", "A model with instructions, tools and delegates.",
                     "agent", "Agents"),
        PaletteEntry("human", "Human checkpoint", "A person who approves or denies requests.",
                     "human", "People"),
        PaletteEntry("mcp_server", "MCP server", "A process serving tools over MCP.",
                     "server", "Tools"),
    ]
    for kind in tool_kinds().values():
        entries.append(PaletteEntry(f"tool:{kind.id}", kind.label, kind.description,
                                    kind.icon, "Tools"))
    return entries


def unique_id(base: str, taken: Collection[str]) -> str:
    stem = slugify(base) or "node"
    stem = stem[:56]
    if stem not in taken:
        return stem
    n = 2
    while f"{stem}-{n}" in taken:
        n += 1
    return f"{stem}-{n}"


def new_node(key: str, taken: Collection[str], name: str | None = None) -> m.Node:
    if key == "agent":
        label = name or "New agent"
        return m.Agent(id=unique_id(label, taken), name=label,
                       role="Describe what this agent is for.")
    if key == "human":
        label = name or "Approver"
        return m.Human(id=unique_id(label, taken), name=label,
                       role="Approves requests from the agents that escalate to them.",
                       timeout_s=3600, on_timeout="deny")
    if key == "mcp_server":
        label = name or "MCP server"
        return m.McpServer(id=unique_id(label, taken), name=label, command="", trust="untrusted")
    if key.startswith("tool:"):
        kind = tool_kinds().get(key.removeprefix("tool:"))
        if kind is None:
            raise KeyError(f"unknown tool kind {key!r}")
        label = name or kind.label
        return m.Tool(id=unique_id(label, taken), kind=kind.id, name=label,
                      description=kind.description, capabilities=kind.capabilities,
                      risk=kind.risk, modes=kind.modes)
    raise KeyError(f"unknown palette entry {key!r}")
