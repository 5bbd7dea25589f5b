"""Runtime implementations of the built-in tool kinds, built from a roster's tool nodes.

`build_tools(content)` returns a `ToolSet`: a read-only mapping of tool id →
implementation that `Run` takes as its `tools`, plus `unavailable` (tool id →
why it will not work in this run) and `notes` (tool id → what is enforced less
strictly than declared, e.g. no network namespace on this machine). A built-in
tool the roster configured so that it cannot run safely (a shell without a
sandbox, a file tool without fs_roots, a root at `$HOME`) is kept as a tool
that refuses every call with the reason, so the model is told why, and is also
listed in `unavailable`. MCP tools come from `runtime.engine.tools.mcp`, imported
only when `mcp` is given: either a mapping of tool id → implementation already
built, or a host object passed to that module's
`build_mcp_tools(content, host, resolver=...)` (returning a mapping, or a
ToolSet whose `unavailable` is merged). Grants decide who may write: the engine
does not tell a tool the mode a call came through, so each writing tool gets the
set of agents whose grant on it is `write`/`execute`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from runtime.engine.protocols import Tool
from runtime.engine.tools._common import Refused, Roots, Unusable
from runtime.roster import effective as eff
from runtime.roster import model as m
from runtime.roster.codec import RosterContent

BUILTIN_KINDS = ("fs_read", "fs_write", "http_fetch", "sqlite", "shell", "email_send", "memory")


class ToolSet(Mapping[str, Tool]):
    """Tool implementations by id, with the reasons for the ones that will not work."""

    def __init__(self, tools: dict[str, Tool], unavailable: dict[str, str] | None = None,
                 notes: dict[str, str] | None = None) -> None:
        self.tools = tools
        self.unavailable = unavailable or {}
        self.notes = notes or {}

    def __getitem__(self, key: str) -> Tool:
        return self.tools[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tools)

    def __len__(self) -> int:
        return len(self.tools)

    def __repr__(self) -> str:
        return (f"ToolSet(tools={sorted(self.tools)}, unavailable={self.unavailable}, "
                f"notes={self.notes})")


def writers_of(content: RosterContent, tool: m.Tool) -> frozenset[str]:
    """Agents whose (non-deny) grant on `tool` is write or execute, in a mode it supports."""
    modes = eff.tool_modes(tool)
    return frozenset(
        e.source for e in content.edges.values()
        if e.kind is m.EdgeKind.TOOL_ACCESS and e.target == tool.id
        and eff.grant_mode(e) in ("write", "execute") and eff.grant_mode(e) in modes
        and eff.grant_approval(e) != "deny")


def _build_one(tool: m.Tool, content: RosterContent, *, resolver: Callable[[str], str] | None,
               http_transport: Any, base_dir: str | None, allow_loopback: bool,
               email_transport: Any) -> Tool:
    writers = writers_of(content, tool)
    if tool.kind in ("fs_read", "fs_write"):
        from runtime.engine.tools.fs import FileTool

        return FileTool(tool, Roots(tool.fs_roots, base_dir), writable=tool.kind == "fs_write",
                        writers=writers)
    if tool.kind == "http_fetch":
        from runtime.engine.tools.http import HttpFetch

        if tool.network == "none":
            raise Refused("its network is 'none', so it cannot fetch anything")
        return HttpFetch(tool, transport=http_transport, allow_loopback=allow_loopback)
    if tool.kind == "sqlite":
        from runtime.engine.tools.sqlite import SqliteTool

        return SqliteTool(tool, Roots(tool.fs_roots, base_dir), writers=writers)
    if tool.kind == "shell":
        from runtime.engine.tools.shell import ShellTool

        return ShellTool(tool, resolver=resolver, base_dir=base_dir)
    if tool.kind == "email_send":
        from runtime.engine.tools.email import EmailSend

        return EmailSend(tool, Roots(tool.fs_roots, base_dir), transport=email_transport,
                         writers=writers)
    from runtime.engine.tools.memory import MemoryTool

    return MemoryTool(tool, Roots(tool.fs_roots, base_dir), writers=writers)


def _mcp_tools(content: RosterContent, nodes: list[m.Tool], mcp: Any,
               resolver: Callable[[str], str] | None, out: ToolSet) -> None:
    if not nodes:
        return
    built: Mapping[str, Tool] = {}
    reason = "MCP servers are not started in this run"
    if isinstance(mcp, Mapping):
        built, reason = mcp, "the MCP host did not provide it"
    elif mcp is not None:
        try:
            module = importlib.import_module("runtime.engine.tools.mcp")
            built = module.build_mcp_tools(content, mcp, resolver=resolver)
            out.unavailable.update(getattr(built, "unavailable", {}))
            reason = "the MCP host did not provide it"
        except ImportError:
            reason = "this build has no MCP client (runtime.engine.tools.mcp)"
        except Exception as exc:  # a broken MCP host disables MCP tools, not the run
            reason = f"the MCP tools could not be started: {type(exc).__name__}: {exc}"
    for node in nodes:
        impl = built.get(node.id)
        if impl is not None:
            out.tools[node.id] = impl
        else:
            out.unavailable.setdefault(node.id, reason)


def build_tools(
    content: RosterContent,
    *,
    resolver: Callable[[str], str] | None = None,
    http_transport: Any = None,
    mcp: Any = None,
    base_dir: str | None = None,
    allow_loopback: bool = False,
    email_transport: Any = None,
) -> ToolSet:
    """Implementations for the roster's tools.

    `resolver` turns a credential reference into its value (e.g.
    `functools.partial(keystore.resolve, store=...)`); `http_transport` is an httpx2
    transport for http_fetch; `base_dir` anchors relative fs roots (the roster's
    folder); `allow_loopback` lets http_fetch reach loopback addresses (tests only);
    `email_transport` replaces the offline outbox.
    """
    out = ToolSet({})
    mcp_nodes: list[m.Tool] = []
    for node in content.nodes.values():
        if not isinstance(node, m.Tool):
            continue
        if node.kind == "mcp":
            mcp_nodes.append(node)
            continue
        if node.kind not in BUILTIN_KINDS:
            out.unavailable[node.id] = f"no runtime implementation for tool kind {node.kind!r}"
            continue
        try:
            impl = _build_one(node, content, resolver=resolver, http_transport=http_transport,
                              base_dir=base_dir, allow_loopback=allow_loopback,
                              email_transport=email_transport)
        except (Refused, OSError) as exc:
            reason = str(exc) if isinstance(exc, Refused) else f"{exc.strerror or exc}"
            out.tools[node.id] = Unusable(node, reason)
            out.unavailable[node.id] = reason
            continue
        out.tools[node.id] = impl
        note = getattr(impl, "note", "")
        if note:
            out.notes[node.id] = note
    _mcp_tools(content, mcp_nodes, mcp, resolver, out)
    return out


__all__ = ["BUILTIN_KINDS", "ToolSet", "build_tools", "writers_of"]
