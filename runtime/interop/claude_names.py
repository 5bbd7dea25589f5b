"""The Claude Code tool names a roster tool node stands for.

A tool imported from Claude Code remembers its name (`x-claude-code.name`);
a roster-native tool is named by its kind (fs_read → Read, Grep, Glob; shell
→ Bash; an MCP tool → `mcp__server__tool`). Kinds Claude Code has no tool
for (email, SQLite, shared memory) have no names: their grants live only in
the roster written next to an export.
"""

from __future__ import annotations

import re
from typing import Final

from runtime.interop import claude_tools as ct
from runtime.roster import codec
from runtime.roster import model as m


def cc_name(node: m.Node) -> str | None:
    ext = getattr(node, "extensions", m.EMPTY).get(ct.EXTENSION)
    if ext is not None and isinstance(ext.get("name"), str):
        return str(ext["name"])
    return None


_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_-]")


def server_key(server_id: str, content: codec.RosterContent) -> str:
    """The `.mcp.json` key of an MCP server, which is also the SERVER of `mcp__SERVER__tool`.

    The one naming function for MCP servers: the name the server had in the
    `.mcp.json` it was imported from, else its roster id; characters Claude Code
    does not allow in a server name become `_` (as Claude Code itself does).
    """
    node = content.nodes.get(server_id)
    name = (cc_name(node) if node is not None else None) or server_id
    return _UNSAFE.sub("_", name)


def tool_names(tool: m.Tool, content: codec.RosterContent) -> tuple[str, ...]:
    if tool.kind == "mcp" and tool.server:
        server = server_key(tool.server, content)
        return (f"mcp__{server}" if tool.tool in (None, "*") else f"mcp__{server}__{tool.tool}",)
    own = cc_name(tool)
    if own is not None:
        return (own,)
    return ct.BY_KIND.get(tool.kind, ())


def signature(content: codec.RosterContent, agent_id: str) -> dict[str, list[str]]:
    """What an agent's `tools`/`disallowedTools` mean: granted, denied, delegated ids."""
    uses: list[str] = []
    deny: list[str] = []
    delegates: list[str] = []
    for edge in content.edges.values():
        if edge.source != agent_id:
            continue
        if edge.kind is m.EdgeKind.DELEGATION:
            delegates.append(edge.target)
        elif edge.kind is m.EdgeKind.TOOL_ACCESS:
            tool = content.nodes.get(edge.target)
            if isinstance(tool, m.Tool) and tool_names(tool, content):
                (deny if edge.approval == "deny" else uses).append(edge.target)
    return {"uses": sorted(uses), "deny": sorted(deny), "delegates": sorted(delegates)}
