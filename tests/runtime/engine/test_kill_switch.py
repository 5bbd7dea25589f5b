"""The kill switch with work in flight (RELIABILITY fault: "kill switch pressed with 3
concurrent calls and 1 running tool").

The entry agent's first reply holds three delegations, whose callees' model calls
never return, and one call to a tool that starts a real child process (`sleep 30`
in its own session) and registers its pid. The switch is pressed from another
task about 0.3 s in. Everything must be cancelled within 2 s, the child must be
gone, the events must show the press, and nothing may start after it: neither a
model call nor the state-changing tool the entry agent's next turn would call.
Qt-free; runs on Linux (it reads /proc).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from runtime.engine import events as ev
from runtime.engine.approvals import ScriptedChannel
from runtime.engine.protocols import (
    ModelRequest,
    ModelResponse,
    Tool,
    ToolContext,
    ToolResult,
    ToolSpec,
)
from runtime.engine.run import DELEGATE_PREFIX, Run, RunConfig
from runtime.roster.costs import Usage
from runtime.roster.io import loads

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

ROSTER = """\
format: agent-roster
version: 1
name: Kill switch
entry: [lead]
defaults: {model: claude-haiku-5-5, max_turns: 6, max_tokens_per_call: 512, timeout_s: 60,
           budget_usd: 1.0, max_parallel_delegations: 4}
policy: {budget_usd_per_run: 2.0, max_model_calls_per_run: 20, max_parallel_agents: 8}
agents:
  lead:
    name: Lead
    role: Splits the work.
    instructions: Hand the parts out, run the job, then write the result.
    delegates_to: [w1, w2, w3]
    uses:
      job: {mode: write, approval: allow, purpose: run the long job}
      writer: {mode: write, approval: allow, purpose: write the result}
  w1: {name: W1, role: Worker., instructions: Do your part.}
  w2: {name: W2, role: Worker., instructions: Do your part.}
  w3: {name: W3, role: Worker., instructions: Do your part.}
tools:
  job:
    name: Job
    kind: memory
    description: Runs a long job in a child process.
    capabilities: [state_change]
    risk: medium
    vetted: true
    modes: [write]
    input_schema: {type: object, properties: {}}
  writer:
    name: Writer
    kind: memory
    description: Writes the result.
    capabilities: [state_change]
    risk: medium
    vetted: true
    modes: [write]
    input_schema: {type: object, properties: {text: {type: string}}}
"""
USAGE = Usage(input_tokens=50, output_tokens=10)
PRESS_AFTER_S = 0.3


class Hanging:
    """The lead's first turn: three delegations and the job; its next turn would call the
    writer. Every worker's model call waits forever. Records when each call starts."""

    def __init__(self) -> None:
        self.started: list[tuple[str, float]] = []
        self.hanging = 0

    async def create(self, request: ModelRequest) -> ModelResponse:
        self.started.append((request.agent, time.monotonic()))
        if request.agent != "lead":
            self.hanging += 1
            await asyncio.Event().wait()
        if len(request.messages) == 1:
            blocks: list[dict[str, Any]] = [
                {"type": "tool_use", "id": f"toolu_d{i}", "name": f"{DELEGATE_PREFIX}w{i}",
                 "input": {"task": f"part {i}"}} for i in (1, 2, 3)]
            blocks.append({"type": "tool_use", "id": "toolu_job", "name": "job", "input": {}})
            return ModelResponse(blocks, "tool_use", USAGE, request.model)
        return ModelResponse([{"type": "tool_use", "id": "toolu_write", "name": "writer",
                               "input": {"text": "result"}}], "tool_use", USAGE, request.model)


class Job:
    spec = ToolSpec("job", "Runs a long job in a child process.",
                    {"type": "object", "properties": {}})

    def __init__(self) -> None:
        self.pid: int | None = None
        self.running = asyncio.Event()

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        proc = await asyncio.create_subprocess_exec("sleep", "30", start_new_session=True)
        self.pid = proc.pid
        ctx.register_process(proc.pid)
        self.running.set()
        code = await proc.wait()
        return ToolResult(f"exit {code}", is_error=code != 0)


class Writer:
    spec = ToolSpec("writer", "Writes the result.",
                    {"type": "object", "properties": {"text": {"type": "string"}}})

    def __init__(self) -> None:
        self.started: list[float] = []

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        self.started.append(time.monotonic())
        return ToolResult("written")


def process_gone(pid: int) -> bool:
    """True when /proc has no such process, or only a zombie (which is then reaped if it is
    ours)."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        fields = stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return True
    if fields[0] != "Z":
        return False
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    return True


def test_kill_switch_cancels_calls_and_tool_and_kills_the_child_process() -> None:
    content = loads(ROSTER).content
    provider, job, writer = Hanging(), Job(), Writer()
    tools: dict[str, Tool] = {"job": job, "writer": writer}
    events: list[ev.EngineEvent] = []
    run = Run(content, RunConfig(task="do the job"), provider, tools,
              ScriptedChannel({"*": "approve"}), listeners=(events.append,))
    pressed: list[float] = []

    async def press() -> None:
        await asyncio.sleep(PRESS_AFTER_S)
        await asyncio.wait_for(job.running.wait(), 2)
        pressed.append(time.monotonic())
        run.kill("test")

    async def main() -> float:
        presser = asyncio.create_task(press())
        await asyncio.wait_for(run.execute(), 10)
        done = time.monotonic()
        await presser
        return done

    finished = asyncio.run(main())

    # the situation the fault describes was reached before the press
    assert provider.hanging == 3, "three callee model calls should have been in flight"
    assert job.pid is not None
    press_at = pressed[0]
    assert finished - press_at < 2.0, f"the run took {finished - press_at:.2f} s to stop"

    # status and audit trail
    final = [e for e in events if isinstance(e, ev.RunFinished)]
    assert len(final) == 1 and final[0].status == "stopped"
    assert final[0].error == "test"
    kills = [e for e in events if isinstance(e, ev.KillSwitchPressed)]
    assert [k.reason for k in kills] == ["test"]
    assert kills[0].seq < final[0].seq
    stopped = {e.agent: e.status for e in events if isinstance(e, ev.AgentFinished)}
    assert stopped == {"lead": "stopped", "w1": "stopped", "w2": "stopped", "w3": "stopped"}

    # the child process is gone (killed, then reaped)
    deadline = time.monotonic() + 2.0
    while not process_gone(job.pid):
        assert time.monotonic() < deadline, f"child process {job.pid} still alive"
        time.sleep(0.02)

    # nothing started after the press: no model call, no state-changing tool
    assert not writer.started, "the writer tool started after the kill switch"
    assert all(at <= press_at for _, at in provider.started), provider.started
    assert [(a, n) for a, n in ((a, sum(1 for x, _ in provider.started if x == a))
                                for a in ("lead", "w1", "w2", "w3"))] == [
        ("lead", 1), ("w1", 1), ("w2", 1), ("w3", 1)]
    assert not [e for e in events if isinstance(e, ev.ToolCalled) and e.tool == "writer"]
    assert not [e for e in events if isinstance(e, ev.ToolFinished) and e.tool == "job"]
    assert not [e for e in events if e.seq > kills[0].seq and isinstance(
        e, ev.ToolCalled | ev.ModelCalled | ev.Delegated | ev.AgentStarted)]
