"""MCP tools for the engine: a roster tool of kind `mcp`, called through the server pool.

`McpTool` implements the engine's Tool protocol for one roster tool (`server`, `tool`). What
the model is shown comes from the roster first: its `description` and `input_schema`; only
where the roster has none is the server's listing used, and then only a trusted server's
description. An untrusted server's description is never shown (tool poisoning), its schema
loses every free-text field (`description`, `title`, `examples`, `$comment`), and its
annotations are ignored (the worst case holds). A call goes to `McpServerPool.call` with the
pool's timeout (or the context's, if shorter); refusals (rug pull, unpinned, crashed, timed
out) come back as error results that name the server, and the result content is flattened to
text (text blocks joined, other blocks summarised, structured content added as JSON unless a
text block already says the same), with `is_error` kept and the output capped.
`mcp_tools(nodes, pool)` builds the tools of a roster, starting a server only when one of its
tools needs the server's listing for its spec; `build_mcp_tools(content, pool)` is the
synchronous form `build_tools(content, mcp=pool)` calls, which starts nothing. The pool
lives in `mcp_pool`, its stdio transport in `mcp_stdio`, the hash and the refusals in
`mcp_approval`; the public names are re-exported here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import mcp.types as mt
from mcp import MCPError

from runtime.engine.protocols import ToolContext, ToolResult, ToolSpec
from runtime.engine.tools.mcp_approval import (
    Listing,
    McpServerError,
    NotPinned,
    ServerFailed,
    ToolsChanged,
    canonical_tools,
    tools_sha256,
)
from runtime.engine.tools.mcp_pool import (
    DEFAULT_CALL_TIMEOUT,
    DEFAULT_INIT_TIMEOUT,
    DEFAULT_MAX_RESTARTS,
    McpServerPool,
)
from runtime.roster import model as m

MAX_OUTPUT_CHARS = 256 * 1024
MAX_DESCRIPTION_CHARS = 2000
_FREE_TEXT = frozenset({"description", "title", "examples", "$comment"})


def _plain(schema: Any, *, strip: bool) -> Any:
    """A JSON-ready copy of a (possibly frozen) schema; `strip` drops free-text fields."""
    if isinstance(schema, Mapping):
        return {str(k): _plain(v, strip=strip) for k, v in schema.items()
                if not (strip and k in _FREE_TEXT and not isinstance(v, Mapping))}
    if isinstance(schema, list | tuple):
        return [_plain(v, strip=strip) for v in schema]
    return schema


def tool_spec(tool: m.Tool, server: m.McpServer, listed: mt.Tool | None) -> ToolSpec:
    """How the model sees `tool`: roster text first; a server's only if it is trusted."""
    trusted = server.trust == "trusted"
    remote = tool.tool or tool.id
    description = tool.description.strip()
    if not description and trusted and listed is not None and listed.description:
        description = listed.description.strip()[:MAX_DESCRIPTION_CHARS]
    if not description:
        description = f"Tool '{remote}' of the MCP server '{server.name or server.id}'."
    if tool.input_schema is not None:
        schema = _plain(tool.input_schema, strip=False)
    elif listed is not None:
        schema = _plain(listed.input_schema, strip=not trusted)
    else:
        schema = {"type": "object"}
    return ToolSpec(tool.id, description, schema)


def tool_annotations(tool: m.Tool, server: m.McpServer,
                     listed: mt.Tool | None) -> m.Annotations | None:
    """The roster's annotations, else a trusted server's hints; None means the worst case."""
    if server.trust != "trusted":
        return None  # as effective.tool_annotations: hints of untrusted servers are ignored
    if tool.annotations is not None:
        return tool.annotations
    hints = listed.annotations if listed is not None else None
    if hints is None:
        return None
    return m.Annotations(read_only=hints.read_only_hint, destructive=hints.destructive_hint,
                         idempotent=hints.idempotent_hint, open_world=hints.open_world_hint)


def flatten(result: mt.CallToolResult, limit: int = MAX_OUTPUT_CHARS) -> str:
    """The result as text for the model: text blocks joined, other blocks summarised,
    structured content as JSON (unless a text block holds the same JSON), capped."""
    parts: list[str] = []
    texts: list[str] = []
    for block in result.content:
        if isinstance(block, mt.TextContent):
            parts.append(block.text)
            texts.append(block.text)
        elif isinstance(block, mt.ImageContent | mt.AudioContent):
            kind = "image" if isinstance(block, mt.ImageContent) else "audio"
            parts.append(f"[{kind}: {block.mime_type}, about {len(block.data) * 3 // 4} bytes]")
        elif isinstance(block, mt.ResourceLink):
            parts.append(f"[resource link: {block.uri}" + (f" ({block.name})]" if block.name
                                                             else "]"))
        elif isinstance(block, mt.EmbeddedResource):
            res = block.resource
            if isinstance(res, mt.TextResourceContents):
                parts.append(res.text)
            else:
                parts.append(f"[resource: {res.uri}, {res.mime_type or 'binary'}, about "
                             f"{len(res.blob) * 3 // 4} bytes]")
    structured = result.structured_content
    if structured is not None and not any(_same_json(t, structured) for t in texts):
        parts.append(json.dumps(structured, ensure_ascii=False))
    text = "\n".join(parts)
    if len(text) > limit:
        return (text[:limit] + f"\n[truncated: the tool returned {len(text)} characters; "
                f"the first {limit} are shown]")
    return text


def _same_json(text: str, value: Any) -> bool:
    if len(text) > MAX_OUTPUT_CHARS:
        return False
    try:
        return bool(json.loads(text) == value)
    except ValueError:
        return False


class McpTool:
    """A roster tool of kind `mcp` as an engine Tool."""

    def __init__(self, pool: McpServerPool, tool: m.Tool, server: m.McpServer,
                 listed: mt.Tool | None = None, *, max_output: int = MAX_OUTPUT_CHARS) -> None:
        if tool.kind != "mcp" or tool.server != server.id:
            raise ValueError(f"tool '{tool.id}' is not an MCP tool of server '{server.id}'")
        self.pool, self.tool, self.server = pool, tool, server
        self.remote_name = tool.tool or tool.id
        self.spec = tool_spec(tool, server, listed)
        self.annotations = tool_annotations(tool, server, listed)
        self.max_output = max_output

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        try:
            result = await self.pool.call(self.server.id, self.remote_name, arguments,
                                          timeout=ctx.timeout_s,
                                          register_process=ctx.register_process,
                                          unregister_process=ctx.unregister_process)
        except McpServerError as exc:
            return ToolResult(str(exc), is_error=True)
        except MCPError as exc:
            return ToolResult(f"MCP server '{self.server.id}' answered the call to "
                              f"'{self.remote_name}' with an error: {exc.message}", is_error=True)
        return ToolResult(flatten(result, self.max_output), is_error=result.is_error)


def _mcp_nodes(nodes: Mapping[str, object]) -> Iterator[tuple[m.Tool, m.McpServer]]:
    for node in nodes.values():
        if isinstance(node, m.Tool) and node.kind == "mcp" and node.server is not None:
            server = nodes.get(node.server)
            if isinstance(server, m.McpServer):
                yield node, server


async def mcp_tools(nodes: Mapping[str, object], pool: McpServerPool) -> dict[str, McpTool]:
    """Engine tools for every `mcp` tool of a roster (`content.nodes`) whose server is
    declared. A server is started here only if a tool lacks a roster description or schema;
    if it is refused (changed, unpinned, failing), the spec falls back to roster text."""
    out: dict[str, McpTool] = {}
    listings: dict[str, Listing | None] = {}
    for node, server in _mcp_nodes(nodes):
        listed = None
        if not node.description.strip() or node.input_schema is None:
            if server.id not in listings:
                try:
                    listings[server.id] = await pool.listing(server.id)
                except McpServerError:
                    listings[server.id] = None
            listing = listings[server.id]
            listed = listing.tools.get(node.tool or node.id) if listing is not None else None
        out[node.id] = McpTool(pool, node, server, listed)
    return out


def build_mcp_tools(content: Any, host: McpServerPool, *,
                    resolver: Callable[[str], str] | None = None) -> dict[str, McpTool]:
    """The synchronous hook `runtime.engine.tools.build_tools(content, mcp=pool)` calls: tools
    specified from the roster alone, starting no server (each starts on its first call).
    `resolver` is not used: the pool resolves env references with its own."""
    if not isinstance(host, McpServerPool):
        raise TypeError(f"the MCP host must be an McpServerPool, not {type(host).__name__}")
    return {node.id: McpTool(host, node, server) for node, server in _mcp_nodes(content.nodes)}


__all__ = [
    "DEFAULT_CALL_TIMEOUT",
    "DEFAULT_INIT_TIMEOUT",
    "DEFAULT_MAX_RESTARTS",
    "MAX_OUTPUT_CHARS",
    "Listing",
    "McpServerError",
    "McpServerPool",
    "McpTool",
    "NotPinned",
    "ServerFailed",
    "ToolsChanged",
    "build_mcp_tools",
    "canonical_tools",
    "flatten",
    "mcp_tools",
    "tool_annotations",
    "tool_spec",
    "tools_sha256",
]
