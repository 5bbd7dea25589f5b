"""How long one tool call may take, and the engine's stop for a call that overruns it.

A call's limit (`ToolContext.timeout_s`) is the shorter of the tool's own time limit
and the calling agent's remaining time. The tool's own limit is its configured
`config.timeout_s` (http_fetch, sqlite), its sandbox's `timeout_s` (shell), or the
kind's default (the same defaults the built-in tools apply). Built-in tools stop
themselves at the limit with a specific message; `call_bounded` is the backstop for
any tool that does not (a custom tool, a blocked thread): shortly after the limit it
cancels the call, kills the processes the call registered and returns the error
"timed out after N s".
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, Final

from runtime.engine.protocols import Tool, ToolContext, ToolResult
from runtime.roster import model as m

# The built-in tools' own defaults (tools/http.py, sqlite.py, shell.py, mcp_pool.py).
KIND_DEFAULT_S: Final[Mapping[str, float]] = {
    "http_fetch": 15.0, "sqlite": 10.0, "shell": 30.0, "mcp": 60.0}
DEFAULT_TOOL_TIMEOUT_S: Final = 60.0  # fs, memory, email and any other kind
GRACE_S: Final = 0.5  # a tool that honours its limit reports first; the backstop follows


def configured_timeout(tool: m.Node | None) -> float:
    """The tool's own time limit in seconds (configured, or its kind's default)."""
    if not isinstance(tool, m.Tool):
        return DEFAULT_TOOL_TIMEOUT_S
    value = tool.config.get("timeout_s")
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    if tool.sandbox is not None and tool.sandbox.timeout_s:
        return float(tool.sandbox.timeout_s)
    return KIND_DEFAULT_S.get(tool.kind, DEFAULT_TOOL_TIMEOUT_S)


class ToolLimits:
    """Per-tool limits of one roster, computed once per tool."""

    __slots__ = ("_known", "_nodes")

    def __init__(self, nodes: Mapping[str, m.Node]) -> None:
        self._nodes = nodes
        self._known: dict[str, float] = {}

    def limit(self, tool_id: str, deadline: float | None) -> float:
        """The call's limit: the tool's own, or the agent's time left before `deadline`
        (a loop time) when that is shorter."""
        own = self._known.get(tool_id)
        if own is None:
            own = self._known[tool_id] = configured_timeout(self._nodes.get(tool_id))
        if deadline is None:
            return own
        return max(0.001, min(own, deadline - asyncio.get_running_loop().time()))


def timed_out(limit: float) -> ToolResult:
    return ToolResult(f"timed out after {limit:g} s: the tool was stopped (its time limit)",
                      is_error=True)


async def call_bounded(impl: Tool, arguments: dict[str, Any], ctx: ToolContext,
                       kill: Callable[[], Any]) -> ToolResult:
    """`impl.call(arguments, ctx)`, stopped `GRACE_S` after `ctx.timeout_s` if it overruns:
    the call's processes are killed first (so a tool that unregisters them when cancelled
    cannot save them), then the call is cancelled, and the result is the error
    "timed out after N s". Like `asyncio.timeout` (one timer, no extra task), and like it a
    cancellation from elsewhere (the kill switch, the agent's timeout) passes through."""
    limit = ctx.timeout_s
    task = asyncio.current_task()
    if limit is None or task is None:
        return await impl.call(arguments, ctx)
    loop = asyncio.get_running_loop()
    cancelling = task.cancelling()
    fired = False

    def expire() -> None:
        nonlocal fired
        fired = True
        kill()
        task.cancel()

    timer = loop.call_at(loop.time() + limit + GRACE_S, expire)
    try:
        result = await impl.call(arguments, ctx)
    except asyncio.CancelledError:
        if fired and task.uncancel() <= cancelling:
            return timed_out(limit)
        raise
    finally:
        timer.cancel()
    if fired and task.uncancel() <= cancelling:  # it swallowed the cancellation and answered
        return timed_out(limit)
    return result


__all__ = ["DEFAULT_TOOL_TIMEOUT_S", "GRACE_S", "KIND_DEFAULT_S", "ToolLimits", "call_bounded",
           "configured_timeout", "timed_out"]
