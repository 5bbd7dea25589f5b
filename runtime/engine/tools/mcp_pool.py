"""The MCP server pool: lazy stdio servers with a scrubbed environment, pinned tools, timeouts
and a restart budget.

`McpServerPool` starts each declared MCP server the first time it is needed, as an
`mcp.Client` over the `mcp_stdio` transport (the server's stderr goes to a log file). The
child gets `scrubbed_env` plus only the server's declared `env` entries, each a
`keyring:`/`env:` reference resolved through the pool's resolver; a literal value, or any
`ANTHROPIC_*` name, is refused. Every start must answer initialize and tools/list within
`init_timeout`. The listing is hashed (`tools_sha256`; `canonical_tools` says what is
covered); a hash different from the roster's pin is a rug pull (`ToolsChanged`), and a server
without a pin is refused (`NotPinned`, which reports the hash to pin) unless the pool allows
unpinned servers. Either refusal holds for the pool's lifetime and no tool of that server is
called. A server that dies is restarted on the next call, at most `max_restarts` times per
pool (one pool per run). Each server lives in an owner task of its own, because the SDK's
task groups must be exited by the task that entered them; `aclose()` stops every owner and
makes sure no server process remains.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import anyio
import mcp.types as mt
from anyio.abc import Process
from mcp import Client, MCPError

from runtime.engine.tools.mcp_approval import (
    Listing,
    McpServerError,
    NotPinned,
    ServerFailed,
    ToolsChanged,
    tools_sha256,
)
from runtime.engine.tools.mcp_stdio import MAX_MESSAGE_BYTES, signal_group, stdio_transport
from runtime.roster import model as m
from runtime.secrets.keystore import scrubbed_env
from runtime.secrets.refs import EnvRef, ReferenceSyntaxError, parse_ref

DEFAULT_INIT_TIMEOUT = 15.0
DEFAULT_CALL_TIMEOUT = 60.0
DEFAULT_MAX_RESTARTS = 2
_CLOSE_TIMEOUT = 10.0
_TAIL_CHARS = 1500
_PAGE_CAP = 100
_SAFE = re.compile(r"[^A-Za-z0-9._-]")

Resolver = Callable[[str], str]
"""Turns a `keyring:`/`env:` reference into its value (runs on a worker thread)."""
Connector = Callable[[m.McpServer, dict[str, str], TextIO], Any]
"""Returns what `mcp.Client` connects to (a transport, or an in-process server in tests)."""


@dataclass(eq=False)
class _Conn:
    server: m.McpServer
    log_path: Path | None
    log: TextIO | None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Future[tuple[Client, Listing]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())
    task: asyncio.Task[None] | None = None
    client: Client | None = None
    listing: Listing | None = None
    process: Process | None = None
    dead: bool = False

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def running(self) -> bool:
        """Whether the server process (if there is one) has not exited."""
        return self.process is not None and self.process.returncode is None

    def alive(self) -> bool:
        if self.dead or self.task is None or self.task.done():
            return False
        return self.process is None or self.running()

    def kill(self) -> None:
        """SIGKILL the server's process group (it leads its own session)."""
        if self.running():
            assert self.process is not None
            signal_group(self.process.pid, signal.SIGKILL)

    def tail(self) -> str:
        """The end of the server's stderr, for error messages."""
        if self.log_path is None:
            return ""
        with contextlib.suppress(OSError, ValueError):  # ValueError: the log is closed
            if self.log is not None and not self.log.closed:
                self.log.flush()
            text = self.log_path.read_text(encoding="utf-8", errors="replace").strip()
            if text:
                return f"\nLast lines of its stderr ({self.log_path}):\n{text[-_TAIL_CHARS:]}"
        return ""


def default_resolver(base_env: Mapping[str, str]) -> Resolver:
    def resolver(ref: str) -> str:
        from runtime.secrets.keystore import KeyStore, resolve

        return resolve(ref, KeyStore(), base_env)

    return resolver


class McpServerPool:
    def __init__(self, servers: Mapping[str, m.McpServer], *, resolver: Resolver | None = None,
                 base_env: Mapping[str, str] | None = None, allow_unpinned: bool = False,
                 init_timeout: float = DEFAULT_INIT_TIMEOUT,
                 call_timeout: float = DEFAULT_CALL_TIMEOUT,
                 max_restarts: int = DEFAULT_MAX_RESTARTS, log_dir: Path | None = None,
                 cwd: str | Path | None = None, connect: Connector | None = None,
                 max_message_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.servers = dict(servers)
        self.base_env = dict(os.environ if base_env is None else base_env)
        self.resolver = resolver or default_resolver(self.base_env)
        self.allow_unpinned = allow_unpinned
        self.init_timeout, self.call_timeout = init_timeout, call_timeout
        self.max_restarts = max_restarts
        self._own_dir = Path(tempfile.mkdtemp(prefix="roster-mcp-")) if log_dir is None else None
        self.log_dir = Path(log_dir or self._own_dir or ".").resolve()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.cwd = Path(cwd) if cwd is not None else self.log_dir / "cwd"
        self.cwd.mkdir(parents=True, exist_ok=True)
        self._connect = connect
        self.max_message_bytes = max_message_bytes
        self.hashes: dict[str, str] = {}  # server -> tools_sha256 seen at its last start
        self._conns: dict[str, _Conn] = {}
        self._all: list[_Conn] = []
        self._starts: dict[str, int] = {}
        self._refused: dict[str, McpServerError] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._closed = False

    @classmethod
    def from_nodes(cls, nodes: Mapping[str, object], **options: Any) -> McpServerPool:
        """A pool for every MCP server among a roster's nodes (`content.nodes`)."""
        return cls({k: v for k, v in nodes.items() if isinstance(v, m.McpServer)}, **options)

    # ------------------------------------------------------------------ public

    async def listing(self, server_id: str) -> Listing:
        """The approved listing of a server, starting it if needed; raises McpServerError."""
        conn = await self._ensure(server_id)
        assert conn.listing is not None
        return conn.listing

    async def call(self, server_id: str, tool: str, arguments: dict[str, Any], *,
                   timeout: float | None = None,
                   register_process: Callable[[int], None] | None = None,
                   unregister_process: Callable[[int], None] | None = None,
                   ) -> mt.CallToolResult:
        """Call one tool of an approved server; raises McpServerError when the server cannot
        serve it and MCPError for a protocol error answer. The server's pid is registered
        (for the kill switch) for the duration of the call only: the pool owns the server."""
        conn = await self._ensure(server_id)
        assert conn.listing is not None and conn.client is not None
        if tool not in conn.listing.tools:
            raise McpServerError(server_id, (
                f"MCP server '{server_id}' has no tool '{tool}'; it lists "
                f"{', '.join(sorted(conn.listing.tools)) or 'no tools'}."))
        pid = conn.pid
        if register_process is not None and pid is not None:
            register_process(pid)
        try:
            return await self._call(conn, server_id, tool, arguments, timeout)
        finally:
            if unregister_process is not None and pid is not None:
                unregister_process(pid)

    async def _call(self, conn: _Conn, server_id: str, tool: str, arguments: dict[str, Any],
                    timeout: float | None) -> mt.CallToolResult:
        assert conn.client is not None
        limit = min(timeout, self.call_timeout) if timeout else self.call_timeout
        try:
            async with asyncio.timeout(limit + 2.0):  # backstop for the SDK's own timeout
                return await conn.client.session.call_tool(tool, arguments,
                                                            read_timeout_seconds=limit)
        except TimeoutError:
            raise self._timed_out(server_id, tool, limit) from None
        except MCPError as exc:
            if exc.code == mt.REQUEST_TIMEOUT:
                raise self._timed_out(server_id, tool, limit) from None
            if exc.code != mt.CONNECTION_CLOSED:
                raise
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream,
                BrokenPipeError, ConnectionError):
            pass
        self._retire(conn, kill=True)
        left = self.max_restarts - (self._starts.get(server_id, 1) - 1)
        raise ServerFailed(server_id, (
            f"MCP server '{server_id}' stopped during the call to '{tool}' (it crashed or "
            "closed its connection); the call's outcome is unknown. "
            + (f"It is restarted on the next call ({left} restart{'s' * (left != 1)} left "
               "in this run)." if left > 0 else "It is not restarted again in this run.")
            + conn.tail()))

    async def pin(self, server_id: str) -> str:
        """Start the server once, ignoring any pin, and return its `tools_sha256`."""
        conn = await self._start(self._server(server_id))
        try:
            assert conn.listing is not None
            return conn.listing.sha256
        finally:
            self._retire(conn)
            await self._settle([conn])

    def pids(self) -> list[int]:
        return [c.pid for c in self._all if c.pid is not None]

    def log_path(self, server_id: str) -> Path | None:
        conn = self._conns.get(server_id)
        return conn.log_path if conn is not None else None

    def kill(self) -> None:
        """SIGKILL every server process group now (synchronous, for the kill switch)."""
        for conn in self._all:
            conn.dead = True
            conn.kill()

    async def aclose(self) -> None:
        """Stop every server and wait until no server process remains."""
        self._closed = True
        for conn in self._all:
            conn.stop.set()
        await self._settle(list(self._all))
        for conn in self._all:
            conn.kill()  # only if one survived its owner's shutdown
        self._conns.clear()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)

    # ------------------------------------------------------------------ starting

    def _server(self, server_id: str) -> m.McpServer:
        server = self.servers.get(server_id)
        if server is None:
            raise McpServerError(server_id, f"the roster declares no MCP server '{server_id}'")
        if self._closed:
            raise McpServerError(server_id, f"MCP server '{server_id}': the pool is closed")
        return server

    async def _ensure(self, server_id: str) -> _Conn:
        server = self._server(server_id)
        async with self._locks.setdefault(server_id, asyncio.Lock()):
            if server_id in self._refused:
                raise self._refused[server_id]
            conn = self._conns.get(server_id)
            if conn is not None and conn.alive():
                return conn
            if conn is not None:
                self._retire(conn, kill=True)
            starts = self._starts.get(server_id, 0)
            if starts > self.max_restarts:
                self._refused[server_id] = ServerFailed(server_id, (
                    f"MCP server '{server_id}' failed {starts} times in this run (restart "
                    f"budget {self.max_restarts}); it is not started again."
                    + (conn.tail() if conn is not None else "")))
                raise self._refused[server_id]
            self._starts[server_id] = starts + 1
            try:
                conn = await self._start(server)
            except (ServerFailed, asyncio.CancelledError):
                raise
            except McpServerError as exc:  # a configuration problem: no point retrying
                self._refused[server_id] = exc
                raise
            assert conn.listing is not None
            self.hashes[server_id] = actual = conn.listing.sha256
            pinned = (server.tools_sha256 or "").lower()
            if pinned != actual and (pinned or not self.allow_unpinned):
                self._retire(conn)
                refusal = ToolsChanged(server_id, pinned, actual) if pinned \
                    else NotPinned(server_id, actual)
                self._refused[server_id] = refusal
                raise refusal
            self._conns[server_id] = conn
            return conn

    async def _child_env(self, server: m.McpServer) -> dict[str, str]:
        env = scrubbed_env(self.base_env)
        for name, ref in server.env.items():
            where = f"MCP server '{server.id}', env {name}"
            try:
                parsed = parse_ref(ref)
            except ReferenceSyntaxError:
                raise McpServerError(server.id, (
                    f"{where} is not a keyring:/env: reference; literal values are refused. "
                    f"Store the value with `roster keys set NAME` and write "
                    "keyring:agent-roster/NAME instead.")) from None
            if name.upper().startswith("ANTHROPIC_") or (
                    isinstance(parsed, EnvRef) and parsed.var.upper().startswith("ANTHROPIC_")):
                raise McpServerError(server.id, (
                    f"{where}: the Anthropic key is never passed to an MCP server."))
            try:
                env[name] = await asyncio.to_thread(self.resolver, ref)
            except Exception as exc:
                raise McpServerError(server.id, f"{where} ({ref}) cannot be resolved: {exc}") \
                    from None
        return env

    async def _start(self, server: m.McpServer) -> _Conn:
        env = await self._child_env(server)
        number = sum(1 for c in self._all if c.server.id == server.id) + 1
        log_path = self.log_dir / f"{_SAFE.sub('_', server.id)}.{number}.stderr.log"
        log = open(log_path, "w", encoding="utf-8")  # closed by the owner task
        conn = _Conn(server, log_path, log)
        try:
            if self._connect is not None:
                target: Any = self._connect(server, env, log)
            else:
                target = stdio_transport(server.command, list(server.args), env=env,
                                         cwd=self.cwd, errlog=log,
                                         on_spawn=lambda proc: setattr(conn, "process", proc),
                                         max_message_bytes=self.max_message_bytes)
        except BaseException:
            log.close()
            raise
        conn.task = asyncio.create_task(self._own(conn, target), name=f"mcp server {server.id}")
        self._all.append(conn)
        try:
            async with asyncio.timeout(self.init_timeout):
                conn.client, conn.listing = await asyncio.shield(conn.ready)
        except TimeoutError:
            conn.ready.cancel()
            self._retire(conn, kill=True)
            raise ServerFailed(server.id, (
                f"MCP server '{server.id}' did not answer initialize and tools/list within "
                f"{self.init_timeout:g} s; it was stopped." + conn.tail())) from None
        except asyncio.CancelledError:
            conn.ready.cancel()
            self._retire(conn, kill=True)
            raise
        except Exception as exc:
            self._retire(conn, kill=True)
            raise ServerFailed(server.id, (
                f"MCP server '{server.id}' could not be started ({server.command}): "
                f"{_describe(exc)}." + conn.tail())) from None
        return conn

    async def _own(self, conn: _Conn, target: Any) -> None:
        """The server's owner task: enter the client, list the tools, wait for stop, exit."""
        try:
            async with Client(target, cache=None, read_timeout_seconds=self.call_timeout) as c:
                tools: list[mt.Tool] = []
                cursor: str | None = None
                for _ in range(_PAGE_CAP):
                    page = await c.list_tools(cursor=cursor)
                    tools.extend(page.tools)
                    cursor = page.next_cursor
                    if cursor is None:
                        break
                listing = Listing(conn.server.id, {t.name: t for t in tools}, tools_sha256(tools))
                if not conn.ready.done():
                    conn.ready.set_result((c, listing))
                await conn.stop.wait()
        except asyncio.CancelledError:
            if not conn.ready.done():
                conn.ready.cancel()
        except BaseException as exc:  # handed to the starter, or ends a dead connection
            if not conn.ready.done():
                conn.ready.set_exception(_leaf(exc))
        finally:
            conn.dead = True
            if conn.log is not None:
                conn.log.close()

    def _retire(self, conn: _Conn, *, kill: bool = False) -> None:
        conn.dead = True
        if kill:
            conn.kill()
            if conn.task is not None and conn.process is None:
                conn.task.cancel()
        conn.stop.set()
        if self._conns.get(conn.server.id) is conn:
            del self._conns[conn.server.id]

    async def _settle(self, conns: list[_Conn]) -> None:
        tasks = [c.task for c in conns if c.task is not None and not c.task.done()]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=_CLOSE_TIMEOUT)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=2.0)

    def _timed_out(self, server_id: str, tool: str, limit: float) -> ServerFailed:
        return ServerFailed(server_id, (
            f"MCP server '{server_id}' did not answer the call to '{tool}' within {limit:g} s; "
            "the call was abandoned."))


# ---------------------------------------------------------------------- processes


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _describe(exc: BaseException) -> str:
    exc = _leaf(exc)
    if isinstance(exc, MCPError) and exc.code == mt.CONNECTION_CLOSED:
        return "it exited or closed its connection during the handshake"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
