"""A run forgets tool processes that exited, and never signals a pid that is not ours.

Reported: `Run` kept every pid a tool registered for the whole run, so a later kill
could signal a recycled pid (someone else's process). Now a tool unregisters a
process when it is done; exited handles are dropped at the next registration; a bare
pid is remembered with its start time and dropped, not signalled, when the pid is gone
or names a different process. Linux: start times come from /proc.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from runtime.engine import events as ev
from runtime.engine.approvals import ScriptedChannel
from runtime.engine.processes import ProcessRegistry, start_time
from runtime.engine.protocols import ToolContext, ToolResult, ToolSpec
from runtime.engine.providers.scripted import ScriptedProvider
from runtime.engine.run import Run, RunConfig
from runtime.roster.io import loads
from tests.runtime.engine.tools import group_members

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

ROSTER = """\
format: agent-roster
version: 1
name: Processes
entry: [worker]
defaults: {model: claude-haiku-4-5, max_turns: 30, budget_usd: 5.0}
policy: {max_model_calls_per_run: 100}
agents:
  worker:
    name: Worker
    role: Runs jobs.
    instructions: Run the jobs.
    uses:
      job: {mode: write, approval: allow}
tools:
  job:
    name: Job
    kind: memory
    description: Runs a short job in a child process.
    fs_roots: [/tmp]
"""


class ShortJob:
    """Starts a process that exits at once. `mode` says how it tells the run: a handle it
    unregisters, a handle it forgets to unregister, or a bare pid it never unregisters."""

    spec = ToolSpec("job", "Runs a short job.", {"type": "object"})

    def __init__(self, run_of: list[Run], mode: str) -> None:
        self.run_of, self.mode = run_of, mode
        self.registered_sizes: list[int] = []

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        proc = await asyncio.create_subprocess_exec("true", start_new_session=True)
        ctx.register_process(proc.pid if self.mode == "pid" else proc)
        self.registered_sizes.append(len(self.run_of[0].processes))
        await proc.wait()
        if self.mode == "unregister":
            ctx.unregister_process(proc)
        return ToolResult(f"exit {proc.returncode}")


@pytest.mark.parametrize("mode", ["unregister", "forgotten handle", "pid"])
def test_a_run_does_not_keep_processes_that_exited(mode: str) -> None:
    runs: list[Run] = []
    job = ShortJob(runs, mode)
    turns: list[Any] = [[("tool", "job", {})] for _ in range(20)] + ["done"]
    events: list[ev.EngineEvent] = []
    run = Run(loads(ROSTER).content, RunConfig(task="jobs"), ScriptedProvider({"worker": turns}),
              {"job": job}, ScriptedChannel({"*": "approve"}), listeners=(events.append,))
    runs.append(run)
    asyncio.run(run.execute())
    assert run.status == "completed"
    assert len(job.registered_sizes) == 20
    assert max(job.registered_sizes) == 1, (
        f"exited processes piled up in the run: {job.registered_sizes}")
    assert len(run.processes) == 0


def sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sleep", "30"], start_new_session=True)


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except OSError:
        return False


def test_a_pid_that_now_names_another_process_is_never_signalled() -> None:
    """The pid was recycled: the process living under it started at another time."""
    other = sleeper()
    try:
        registry = ProcessRegistry()
        registry.register(other.pid, "call-1")
        entry = registry._entries[other.pid]  # what was recorded: the original's start time
        entry.started = (entry.started or 0) - 1  # ...which was not this process's
        assert registry.kill() == []
        time.sleep(0.05)
        assert running(other.pid), "someone else's process was killed"
        assert len(registry) == 0
    finally:
        other.kill()
        other.wait()


def test_an_exited_handle_is_never_signalled_and_a_live_one_is_killed() -> None:
    done = subprocess.Popen(["true"], start_new_session=True)
    done.wait()
    live = sleeper()
    try:
        registry = ProcessRegistry()
        registry.register(done, "a")
        registry.register(live, "b")
        assert registry.pids() == [live.pid], "the exited handle was dropped at registration"
        assert registry.kill() == [live.pid]
        assert live.wait(2) == -signal.SIGKILL
    finally:
        if live.poll() is None:
            live.kill()
            live.wait()


def test_a_bare_pid_that_is_still_ours_is_killed_with_its_group() -> None:
    leader = subprocess.Popen(["sh", "-c", "sleep 30 & wait"], start_new_session=True)
    try:
        time.sleep(0.2)
        registry = ProcessRegistry()
        registry.register(leader.pid, "call")
        assert start_time(leader.pid) is not None
        assert registry.kill("someone-else") == [] and len(registry) == 1
        assert registry.kill("call") == [leader.pid]
        assert leader.wait(2) == -signal.SIGKILL
        deadline = time.monotonic() + 2.0  # the background sleep of its group dies too
        while any(running(pid) for pid in group_members(leader.pid)):
            assert time.monotonic() < deadline, "a member of the group survived"
            time.sleep(0.02)
    finally:
        if leader.poll() is None:
            leader.kill()
            leader.wait()


def test_unregistering_forgets_a_process() -> None:
    live = sleeper()
    try:
        registry = ProcessRegistry()
        registry.register(live, "a")
        registry.unregister(live)
        assert registry.kill() == [] and live.poll() is None
    finally:
        live.kill()
        live.wait()
