"""What approving an MCP server covers: the `tools_sha256` of its tools/list, and the
refusals the pool answers with.

`canonical_tools` says exactly what is hashed and `tools_sha256` hashes it, so `roster`
commands, the pool and tests agree on one value. `McpServerError` and its subclasses are the
pool's refusals: `ToolsChanged` (a rug pull: the hash differs from the pin), `NotPinned` (no
pin, and unpinned servers are not allowed; the message carries the hash to pin) and
`ServerFailed` (could not start, timed out, crashed, or used up its restarts). Each message
names the server and says what to do, because it is what the model and the user read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mcp.types as mt


class McpServerError(Exception):
    """A server cannot serve calls; the message names the server and says what to do."""

    def __init__(self, server: str, message: str) -> None:
        super().__init__(message)
        self.server = server


class ToolsChanged(McpServerError):
    """Rug pull: the server's tools/list no longer matches the pinned `tools_sha256`."""

    def __init__(self, server: str, pinned: str, actual: str) -> None:
        super().__init__(server, (
            f"MCP server '{server}' changed its tools since it was approved: tools_sha256 is "
            f"pinned to {pinned} but its tools/list now hashes to {actual}. None of its tools "
            "is called until it is reviewed and approved again (update tools_sha256)."))
        self.pinned, self.actual = pinned, actual


class NotPinned(McpServerError):
    """The roster pins no `tools_sha256` for the server and unpinned servers are not allowed."""

    def __init__(self, server: str, actual: str) -> None:
        super().__init__(server, (
            f"MCP server '{server}' has no tools_sha256, so its tools were never approved; its "
            f"tools/list hashes to {actual}. Review its tools, then add `tools_sha256: {actual}` "
            "to the server to approve them."))
        self.actual = actual


class ServerFailed(McpServerError):
    """The server could not be started, timed out, crashed, or used up its restarts."""


def canonical_tools(tools: Sequence[mt.Tool]) -> list[dict[str, Any]]:
    """What `tools_sha256` covers: per tool, sorted by name, the MCP wire fields `name`,
    `title`, `description`, `inputSchema`, `outputSchema` and `annotations` (absent or null
    fields and an empty `annotations` left out). `_meta`, `icons` and `execution` are not
    hashed: they do not change what the model is told or what the tool accepts."""
    out = []
    for tool in sorted(tools, key=lambda t: t.name):
        item = {"name": tool.name, "title": tool.title, "description": tool.description,
                "inputSchema": tool.input_schema, "outputSchema": tool.output_schema,
                "annotations": tool.annotations.model_dump(by_alias=True, exclude_none=True,
                                                           mode="json")
                if tool.annotations is not None else None}
        out.append({k: v for k, v in item.items() if v is not None and v != {}})
    return out


def tools_sha256(tools: Sequence[mt.Tool]) -> str:
    """sha256 (hex) of the UTF-8 JSON of `canonical_tools`, keys sorted, no whitespace."""
    text = json.dumps(canonical_tools(tools), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Listing:
    server: str
    tools: Mapping[str, mt.Tool]
    sha256: str
