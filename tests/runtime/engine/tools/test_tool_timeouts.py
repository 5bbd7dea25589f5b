"""Every built-in tool honours `ToolContext.timeout_s`, the time the engine gives a call.

Each tool is made to overrun in a way that really happens: a shell command that hangs,
a runaway SQL query, a memory store whose lock another process holds, an email
transport whose server never answers, a file tool subclass whose work is slow. With a
context limit far below the tool's own configured one, the call returns the error
"timed out after N s" promptly and leaves nothing running.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from runtime.engine.protocols import Tool, ToolContext, ToolResult
from runtime.engine.tools._common import Roots
from runtime.engine.tools.email import EmailSend
from runtime.engine.tools.fs import FileTool
from runtime.engine.tools.memory import MemoryTool
from runtime.engine.tools.shell import ShellTool
from runtime.engine.tools.sqlite import SqliteTool
from runtime.roster import model as m
from tests.runtime.engine.tools import Ctx, call, node

LIMIT = 0.4
SLOW = 3.0  # what a call would take without the limit; every check is well below it


def timed(tool: Tool, arguments: dict[str, Any], ctx: ToolContext) -> tuple[ToolResult, float]:
    """The result and how long the call took, measured inside the loop (`asyncio.run` itself
    then waits for a worker thread the call left behind, still asleep)."""
    async def scenario() -> tuple[ToolResult, float]:
        started = time.monotonic()
        result = await tool.call(arguments, ctx)
        return result, time.monotonic() - started

    return asyncio.run(scenario())


def assert_timed_out(result: ToolResult, elapsed: float) -> None:
    assert result.is_error, result.content
    assert f"timed out after {LIMIT:g} s" in result.content, result.content
    assert elapsed < SLOW - 1.0, f"the call took {elapsed:.2f} s"


def test_shell_stops_a_hanging_command_at_the_context_limit(tmp_path: Path) -> None:
    box = m.Sandbox(network="none", fs_roots=(str(tmp_path),), timeout_s=30)
    tool = ShellTool(node("shell", sandbox=box, config={"allow_commands": ["sleep"]}))
    ctx = Ctx(timeout_s=LIMIT)
    assert_timed_out(*timed(tool, {"command": "sleep", "args": [str(SLOW * 10)]}, ctx))
    assert ctx.pids and all(not os.path.exists(f"/proc/{pid}") for pid in ctx.pids)


def test_sqlite_interrupts_a_runaway_query_at_the_context_limit(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "app.db").close()
    tool = SqliteTool(node("sqlite", fs_roots=(str(tmp_path),),
                           config={"database": "app.db", "raw_sql": True, "timeout_s": 30}),
                      Roots([str(tmp_path)]))
    sql = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
           "SELECT count(*) FROM n")
    assert_timed_out(*timed(tool, {"sql": sql}, Ctx(timeout_s=LIMIT)))


def test_memory_gives_up_on_a_lock_another_holder_keeps(tmp_path: Path) -> None:
    tool = MemoryTool(node("memory", fs_roots=(str(tmp_path),)), Roots([str(tmp_path)]))
    store = tmp_path / "memory.jsonl"
    store.write_text("")
    with open(store, "rb") as held:  # another open file description: flock conflicts
        fcntl.flock(held, fcntl.LOCK_EX)
        for arguments in ({"operation": "append", "note": "hello"}, {"operation": "read"}):
            assert_timed_out(*timed(tool, arguments, Ctx(timeout_s=LIMIT)))
    assert store.read_text() == "", "a timed-out append wrote nothing"
    assert not call(tool, {"operation": "append", "note": "hello"}, Ctx()).is_error


class SilentServer:
    """An email transport whose server accepts the connection and never answers."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, message: EmailMessage, key: str) -> str:
        time.sleep(SLOW)
        self.sent.append(key)
        return "sent"


def test_email_stops_waiting_for_a_silent_server(tmp_path: Path) -> None:
    tool = EmailSend(node("email_send", fs_roots=(str(tmp_path),),
                          config={"allow_recipients": ["ops@corp.example"]}),
                     Roots([str(tmp_path)]), transport=SilentServer())
    assert_timed_out(*timed(tool, {"to": ["ops@corp.example"], "subject": "s", "body": "b"},
                            Ctx(timeout_s=LIMIT)))


class SlowDisk(FileTool):
    """A file tool on a disk that takes seconds to answer (a hung network mount)."""

    def read_file(self, path: Any, offset: Any = 0) -> ToolResult:
        time.sleep(SLOW)
        return super().read_file(path, offset)


def test_file_tools_return_at_the_limit_and_never_block_the_event_loop(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    tool = SlowDisk(node("fs_read", fs_roots=(str(tmp_path),)), Roots([str(tmp_path)]),
                    writable=False)
    ticks: list[float] = []

    async def scenario() -> tuple[ToolResult, float]:
        async def ticker() -> None:
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.05)

        beat = asyncio.create_task(ticker())
        started = time.monotonic()
        try:
            result = await tool.call({"path": "a.txt"}, Ctx(timeout_s=LIMIT))
            return result, time.monotonic() - started
        finally:
            beat.cancel()

    assert_timed_out(*asyncio.run(scenario()))
    assert len(ticks) >= 4, "the event loop was blocked while the file was read"


def test_without_a_limit_a_tool_runs_to_completion(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    tool = FileTool(node("fs_read", fs_roots=(str(tmp_path),)), Roots([str(tmp_path)]),
                    writable=False)
    assert call(tool, {"path": "a.txt"}, ToolContext("r", "a", "c")).content == "hello"
