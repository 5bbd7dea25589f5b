"""The engine gives every tool call a time limit and stops a call that overruns it.

`ToolContext.timeout_s` is the tool's configured timeout (`config.timeout_s`, the
sandbox's `timeout_s`, or its kind's default), or the calling agent's remaining time
when that is shorter. A tool that ignores the limit (here a custom tool that starts a
real child process and waits for it) is stopped shortly after it: the model gets the
tool error "timed out after N s", the child process is killed, and the agent goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from runtime.engine import events as ev
from runtime.engine.approvals import ScriptedChannel
from runtime.engine.processes import start_time
from runtime.engine.protocols import ToolContext, ToolResult, ToolSpec
from runtime.engine.providers.scripted import ScriptedProvider
from runtime.engine.run import Run, RunConfig
from runtime.engine.tool_limits import (
    DEFAULT_TOOL_TIMEOUT_S,
    GRACE_S,
    KIND_DEFAULT_S,
    configured_timeout,
)
from runtime.roster import model as m
from runtime.roster.io import loads

ROSTER = """\
format: agent-roster
version: 1
name: Tool limits
entry: [worker]
defaults: {{model: claude-haiku-4-5, max_turns: 4, budget_usd: 1.0{agent_timeout}}}
agents:
  worker:
    name: Worker
    role: Uses the tools.
    instructions: Use the tools.
    uses:
      fetch: {{mode: read, approval: allow}}
      sh: {{mode: execute, approval: allow}}
      notes: {{mode: read, approval: allow}}
tools:
  fetch:
    name: Fetch
    kind: http_fetch
    description: Fetches pages.
    network: allowlist
    config: {{allow_domains: [example.com], timeout_s: {fetch_timeout}}}
  sh:
    name: Shell
    kind: shell
    description: Runs commands.
    vetted: true
    sandbox: {{network: none, fs_roots: [/tmp], timeout_s: 7}}
    config: {{allow_commands: [sleep]}}
  notes:
    name: Notes
    kind: memory
    description: Team notes.
    fs_roots: [/tmp]
"""


def content(fetch_timeout: float = 2.5, agent_timeout: float | None = None) -> Any:
    text = ROSTER.format(fetch_timeout=fetch_timeout, agent_timeout=(
        f", timeout_s: {agent_timeout}" if agent_timeout is not None else ""))
    return loads(text).content


class Stuck:
    """A custom tool that ignores its time limit: it starts a child process (in a session
    of its own) and waits for it, recording the context it was given."""

    def __init__(self, name: str) -> None:
        self.spec = ToolSpec(name, "Waits for a long job.", {"type": "object"})
        self.contexts: list[ToolContext] = []
        self.pids: list[int] = []

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        self.contexts.append(ctx)
        proc = await asyncio.create_subprocess_exec("sleep", "60", start_new_session=True)
        self.pids.append(proc.pid)
        ctx.register_process(proc)
        try:
            await proc.wait()
        finally:
            ctx.unregister_process(proc)
        return ToolResult("done")


class Quick:
    def __init__(self, name: str) -> None:
        self.spec = ToolSpec(name, "Answers at once.", {"type": "object"})
        self.contexts: list[ToolContext] = []

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        self.contexts.append(ctx)
        return ToolResult("ok")


def run_with(roster: Any, tools: dict[str, Any], turns: list[Any]
             ) -> tuple[Run, list[ev.EngineEvent], float]:
    events: list[ev.EngineEvent] = []
    run = Run(roster, RunConfig(task="go"), ScriptedProvider({"worker": turns}), tools,
              ScriptedChannel({"*": "approve"}), listeners=(events.append,))
    started = time.monotonic()
    asyncio.run(run.execute())
    return run, events, time.monotonic() - started


def test_the_context_carries_the_configured_timeout_of_each_tool() -> None:
    tools = {"fetch": Quick("fetch"), "sh": Quick("sh"), "notes": Quick("notes")}
    run_with(content(), tools, [[("tool", "fetch", {}), ("tool", "sh", {}),
                                 ("tool", "notes", {})], "done"])
    assert [c.timeout_s for c in tools["fetch"].contexts] == [2.5]  # config.timeout_s
    assert [c.timeout_s for c in tools["sh"].contexts] == [7.0]  # sandbox.timeout_s
    assert [c.timeout_s for c in tools["notes"].contexts] == [DEFAULT_TOOL_TIMEOUT_S]


def test_the_agents_remaining_time_caps_the_tools_timeout() -> None:
    tools = {"fetch": Quick("fetch"), "sh": Quick("sh"), "notes": Quick("notes")}
    run_with(content(fetch_timeout=100, agent_timeout=3), tools,
             [[("tool", "fetch", {})], "done"])
    (ctx,) = tools["fetch"].contexts
    assert ctx.timeout_s is not None and 2.0 < ctx.timeout_s <= 3.0


def test_a_tool_that_overruns_gets_a_timed_out_error_and_its_process_is_killed() -> None:
    stuck = Stuck("fetch")
    run, events, elapsed = run_with(content(fetch_timeout=0.5), {"fetch": stuck},
                                    [[("tool", "fetch", {})], "I will report the timeout."])
    assert elapsed < 0.5 + GRACE_S + 2.0, f"the run took {elapsed:.2f} s"
    (finished,) = [e for e in events if isinstance(e, ev.ToolFinished)]
    assert not finished.ok and "timed out after 0.5 s" in finished.output
    assert run.status == "completed", "the agent goes on after a tool timed out"
    (pid,) = stuck.pids
    deadline = time.monotonic() + 2.0
    while start_time(pid) is not None and not _zombie(pid):
        assert time.monotonic() < deadline, f"the tool's process {pid} was not killed"
        time.sleep(0.02)
    assert len(run.processes) == 0


def _zombie(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    return False


@pytest.mark.parametrize(("tool", "expected"), [
    (m.Tool("a", "http_fetch", config=m.freeze({"timeout_s": 4})), 4.0),
    (m.Tool("b", "sqlite"), KIND_DEFAULT_S["sqlite"]),
    (m.Tool("c", "shell", sandbox=m.Sandbox(timeout_s=9)), 9.0),
    (m.Tool("d", "shell"), KIND_DEFAULT_S["shell"]),
    (m.Tool("e", "mcp"), KIND_DEFAULT_S["mcp"]),
    (m.Tool("f", "fs_read"), DEFAULT_TOOL_TIMEOUT_S),
    (None, DEFAULT_TOOL_TIMEOUT_S),
])
def test_configured_timeouts(tool: m.Tool | None, expected: float) -> None:
    assert configured_timeout(tool) == expected


@pytest.fixture(autouse=True)
def _no_leftovers() -> Any:
    yield
    if sys.platform.startswith("linux"):
        for name in os.listdir("/proc"):
            if name.isdigit():
                with contextlib.suppress(OSError):
                    fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
                    if int(fields[1]) == os.getpid() and fields[0] != "Z":
                        cmd = Path(f"/proc/{name}/cmdline").read_bytes()
                        if cmd.startswith(b"sleep\x0060"):
                            os.kill(int(name), signal.SIGKILL)
