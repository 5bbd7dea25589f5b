"""Tests of the built-in tool implementations (runtime/engine/tools), with shared helpers.

`node()` builds a roster tool node, `call()` runs one tool call to completion on a
fresh event loop, and `Ctx` records the pids a tool registers with the kill switch.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Any

from runtime.engine.protocols import Tool, ToolContext, ToolResult
from runtime.roster import model as m


def node(kind: str, tool_id: str = "t", **fields: Any) -> m.Tool:
    config = fields.pop("config", {})
    return m.Tool(id=tool_id, kind=kind, config=m.freeze(config), **fields)


class Ctx(ToolContext):
    def __init__(self, agent: str = "a", call_id: str = "toolu_1", run_id: str = "run1",
                 timeout_s: float | None = None) -> None:
        self.pids: list[int] = []
        super().__init__(run_id, agent, call_id, self.pids.append, timeout_s)


def call(tool: Tool, arguments: Mapping[str, Any], ctx: ToolContext | None = None) -> ToolResult:
    return asyncio.run(tool.call(dict(arguments), ctx or Ctx()))


def group_members(pgid: int) -> list[int]:
    """Processes (zombies included) whose process group is `pgid`, from /proc."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            found.append(int(name))
    return found
