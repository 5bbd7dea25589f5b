"""Node-kind descriptors: what each kind of node is, its properties and its edges.

Agents, humans and MCP servers are single kinds; tools come in kinds (file
read, file write, web fetch, SQLite, shell, MCP tool, shared memory) with their
own defaults, supported modes and config properties. Third-party tool kinds
register through the `agent_roster.tool_kinds` entry point group, each
pointing at a `ToolKind`. The palette, the loader's validation of `config:`
and the inspector all read these descriptors.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from runtime.plugins import entry_points  # not importlib.metadata's: 3 ms, not 55
from runtime.roster import props as p
from runtime.roster.model import EdgeKind, NodeType

P, T = p.PropSpec, p.PropType


@dataclass(frozen=True, slots=True)
class ToolKind:
    id: str
    label: str
    description: str
    modes: tuple[str, ...]
    capabilities: tuple[str, ...] = ()
    risk: str = "medium"
    config: tuple[p.PropSpec, ...] = ()
    open_ended: bool = False
    filesystem: bool = False
    icon: str = "tool"


@dataclass(frozen=True, slots=True)
class NodeKind:
    """A kind of node in the palette: its type, properties and outgoing edges."""

    type: NodeType
    label: str
    props: tuple[p.PropSpec, ...]
    edges: tuple[EdgeKind, ...]
    icon: str


BUILTIN_TOOL_KINDS: tuple[ToolKind, ...] = (
    ToolKind(
        "fs_read", "Files (read)", "Reads files under declared roots.", ("read",),
        ("reads_private_data",), "medium",
        (P("max_bytes", T.INT, "largest file returned", minimum=1),),
        filesystem=True, icon="file",
    ),
    ToolKind(
        "fs_write", "Files (write)", "Reads and writes files under declared roots.",
        ("read", "write"), ("reads_private_data", "filesystem_write", "state_change"), "high",
        (P("max_bytes", T.INT, "largest file read or written", minimum=1),),
        filesystem=True, icon="file-edit",
    ),
    ToolKind(
        "http_fetch", "Web fetch", "Fetches web pages from allowed domains.", ("read",),
        ("untrusted_input", "external_comm"), "medium",
        (
            P("allow_domains", T.STRING_LIST, "domains it may reach; '*.example.com' wildcards"),
            P("max_bytes", T.INT, "largest response kept", minimum=1),
            P("timeout_s", T.NUMBER, "request timeout", minimum=0, exclusive_minimum=True),
        ),
        icon="globe",
    ),
    ToolKind(
        "sqlite", "SQLite", "Parameterised queries on one SQLite database.", ("read", "write"),
        ("reads_private_data",), "medium",
        (
            P("database", T.STRING, "path of the database file"),
            P("queries", T.OBJECT, "named, parameterised queries: name → SQL"),
            P("raw_sql", T.BOOL, "allow free-form SQL (open-ended; avoid)"),
            P("max_rows", T.INT, "rows returned at most", minimum=1),
            P("max_bytes", T.INT, "bytes returned at most", minimum=1),
            P("timeout_s", T.NUMBER, "query time limit", minimum=0, exclusive_minimum=True),
        ),
        filesystem=True, icon="database",
    ),
    ToolKind(
        "shell", "Shell", "Runs commands in a sandbox.", ("execute",),
        ("code_exec", "state_change"), "critical",
        (
            P("allow_commands", T.STRING_LIST, "programs it may start"),
            P("credential_env", T.STRING, "environment variable that receives the credential"),
            P("max_output_bytes", T.INT, "output kept at most", minimum=1),
        ),
        open_ended=True, icon="terminal",
    ),
    ToolKind(
        "mcp", "MCP tool", "A tool served by an MCP server.", ("read", "write", "execute"),
        (), "medium", (), icon="plug",
    ),
    ToolKind(
        "memory", "Shared memory", "A store agents read and write to share notes.",
        ("read", "write"), ("shared_memory_write",), "medium", (), icon="memory",
    ),
    ToolKind(
        "email_send", "Email (send)", "Sends email from the organisation's account.",
        ("write",), ("external_comm", "irreversible"), "high",
        (
            P("allow_recipients", T.STRING_LIST, "addresses or domains it may write to"),
            P("outbox", T.STRING, "folder the messages are queued in"),
            P("from", T.STRING, "sender address"),
            P("max_bytes", T.INT, "largest message", minimum=1),
        ),
        icon="mail",
    ),
)

AGENT_KIND = NodeKind(
    NodeType.AGENT, "Agent", p.AGENT_PROPS,
    (EdgeKind.DELEGATION, EdgeKind.TOOL_ACCESS, EdgeKind.ESCALATION), "agent",
)
HUMAN_KIND = NodeKind(NodeType.HUMAN, "Human checkpoint", p.HUMAN_PROPS, (), "human")
MCP_SERVER_KIND = NodeKind(NodeType.MCP_SERVER, "MCP server", p.MCP_SERVER_PROPS, (), "server")
TOOL_NODE_KIND = NodeKind(NodeType.TOOL, "Tool", p.TOOL_PROPS, (), "tool")

ENTRY_POINT_GROUP = "agent_roster.tool_kinds"


@functools.lru_cache(maxsize=1)
def tool_kinds() -> Mapping[str, ToolKind]:
    """Built-in tool kinds plus those registered by installed plugins."""
    kinds = {kind.id: kind for kind in BUILTIN_TOOL_KINDS}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            kind = point.load()
        except Exception:  # a broken plugin must not stop the app; its nodes load as placeholders
            continue
        if isinstance(kind, ToolKind) and kind.id not in kinds:
            kinds[kind.id] = kind
    return MappingProxyType(kinds)


def tool_kind(kind_id: str) -> ToolKind | None:
    return tool_kinds().get(kind_id)
