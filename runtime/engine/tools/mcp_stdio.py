"""A stdio transport for MCP servers: the SDK's wire format, with a linear reader, a message
cap and the server's pid.

`stdio_transport` starts the server (an argument list, never a shell) in a session of its own
with the given environment, working folder and stderr file, reports its pid, and yields the
(read, write) stream pair `mcp.Client` accepts as a transport. It replaces the SDK's
`stdio_client` (mcp 2.3.0) for three reasons: that reader concatenates every chunk onto the
pending line, which is quadratic (a 50 MB answer takes minutes of CPU), it has no size limit,
and it does not expose the pid the kill switch needs. Here a line is collected as a list of
chunks and joined once; a message over `max_message_bytes` is dropped, and when its JSON-RPC
id can be read from its start the waiting request gets an error answer naming the size.
Shutdown follows the MCP spec and the SDK: close stdin, wait, SIGTERM the process group,
wait, SIGKILL it, all bounded and shielded from cancellation. On Linux the server is started
through `_pdeathsig_exec` (PR_SET_PDEATHSIG), so it dies with this process even when this
process is SIGKILLed and no shutdown runs; the fork happens on the event loop's thread,
which outlives every server the loop started.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import signal
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

import anyio
import mcp.types as mt
from anyio.abc import Process
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
STDIN_GRACE_S = 2.0
SIGNAL_GRACE_S = 2.0
_ID = re.compile(rb'^\s*\{.*?"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)', re.DOTALL)

LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_pdeathsig_exec.py")
USE_LAUNCHER = sys.platform.startswith("linux") and not getattr(sys, "frozen", False)

Streams = tuple[MemoryObjectReceiveStream[SessionMessage | Exception],
                MemoryObjectSendStream[SessionMessage]]


def _parse(line: bytes) -> SessionMessage | Exception | None:
    line = line.rstrip(b"\r")
    if not line.strip():
        return None
    try:
        return SessionMessage(mt.jsonrpc_message_adapter.validate_json(line, by_name=False))
    except ValueError as exc:  # handed on, as the SDK does; the session logs and skips it
        return exc


def _too_large(head: bytes, size: int, limit: int) -> SessionMessage | Exception:
    note = (f"the MCP server sent a message of {size} bytes, over the client's limit of "
            f"{limit} bytes; it was dropped")
    found = _ID.match(head)
    if found is None or b'"method"' in head:  # only a response may answer a waiting request
        return ValueError(note)
    request_id: Any = json.loads(found.group(1))
    return SessionMessage(mt.JSONRPCError(jsonrpc="2.0", id=request_id,
                                          error=mt.ErrorData(code=mt.INTERNAL_ERROR,
                                                             message=note)))


def _head(parts: list[bytes], size: int = 4096) -> bytes:
    out = bytearray()
    for part in parts:
        out += part[:size - len(out)]
        if len(out) >= size:
            break
    return bytes(out)


def signal_group(pid: int, sig: int) -> None:
    """Signal the process group `pid` leads, or the process alone if it leads none."""
    with contextlib.suppress(OSError):
        os.killpg(pid, sig)  # start_new_session: the server leads its own process group
        return
    with contextlib.suppress(OSError):
        os.kill(pid, sig)


async def _exited(process: Process, timeout: float) -> bool:
    """Poll returncode (not wait(): on 3.11 it also waits for the pipes to close)."""
    with anyio.move_on_after(timeout):
        while process.returncode is None:
            await anyio.sleep(0.01)
    return process.returncode is not None


async def _stop(process: Process) -> None:
    if process.stdin is not None:
        with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError,
                                 anyio.BusyResourceError):
            await process.stdin.aclose()
    if not await _exited(process, STDIN_GRACE_S):
        signal_group(process.pid, signal.SIGTERM)
        if not await _exited(process, SIGNAL_GRACE_S):
            signal_group(process.pid, signal.SIGKILL)
            await _exited(process, SIGNAL_GRACE_S)
    with anyio.move_on_after(1.0), contextlib.suppress(OSError, anyio.BrokenResourceError):
        await process.aclose()


def server_argv(command: str, args: list[str], env: Mapping[str, str]) -> list[str]:
    """The argument list that starts `command args` with `env`: through the parent-death
    launcher where there is one. The command is looked up on `env`'s PATH here (as
    subprocess would), so a missing command is a FileNotFoundError, not a launcher exit."""
    if not USE_LAUNCHER:
        return [command, *args]
    exe = command  # a path (a relative one is relative to the server's cwd)
    if os.sep not in command:
        found = shutil.which(command, path=env.get("PATH", os.defpath))
        if found is None:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), command)
        exe = found
    elif os.path.isabs(command) and not os.path.isfile(command):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), command)
    elif os.path.isabs(command) and not os.access(command, os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), command)
    return [sys.executable, "-I", "-S", LAUNCHER, str(os.getpid()),
            "=" + env["LC_CTYPE"] if "LC_CTYPE" in env else "-", exe, command, *args]


@contextlib.asynccontextmanager
async def stdio_transport(command: str, args: list[str], *, env: Mapping[str, str],
                          cwd: str | Path | None, errlog: TextIO,
                          on_spawn: Callable[[Process], None] | None = None,
                          max_message_bytes: int = MAX_MESSAGE_BYTES) -> AsyncIterator[Streams]:
    """Start `command args` and yield its (read, write) streams; the child gets exactly `env`."""
    process = await anyio.open_process(server_argv(command, args, env), env=dict(env),
                                       stderr=errlog, cwd=cwd, start_new_session=True)
    if on_spawn is not None:
        on_spawn(process)
    to_session, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, from_session = anyio.create_memory_object_stream[SessionMessage](0)

    async def reader() -> None:
        assert process.stdout is not None
        chunks: list[bytes] = []
        size = 0
        head = b""
        try:
            async with to_session:
                async for data in process.stdout:
                    start = 0
                    while True:
                        end = data.find(b"\n", start)
                        piece = data[start:] if end < 0 else data[start:end]
                        size += len(piece)
                        if size <= max_message_bytes:
                            chunks.append(piece)
                        elif not head:  # just went over: keep the start for the id, drop the rest
                            head, chunks = _head([*chunks, piece]), []
                        if end < 0:
                            break
                        message = _parse(b"".join(chunks)) if size <= max_message_bytes \
                            else _too_large(head, size, max_message_bytes)
                        chunks, size, head, start = [], 0, b"", end + 1
                        if message is not None:
                            await to_session.send(message)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream,
                OSError):
            pass

    async def writer() -> None:
        assert process.stdin is not None
        try:
            async with from_session:
                async for message in from_session:
                    data = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                    await process.stdin.send((data + "\n").encode("utf-8"))
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            await to_session.aclose()  # the session sees the connection end, not a hang

    async with anyio.create_task_group() as tg:
        tg.start_soon(reader)
        tg.start_soon(writer)
        try:
            yield read_stream, write_stream
        finally:
            with anyio.CancelScope(shield=True):
                await write_stream.aclose()
                await read_stream.aclose()
                await _stop(process)
            tg.cancel_scope.cancel()
