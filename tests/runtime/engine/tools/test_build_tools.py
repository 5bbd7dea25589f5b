"""build_tools from a roster, and end-to-end runs of real fs_read and shell tools in `Run`."""

from __future__ import annotations

import asyncio
import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from runtime.engine import events as ev
from runtime.engine.approvals import DenyChannel
from runtime.engine.protocols import Tool, ToolContext, ToolResult, ToolSpec
from runtime.engine.providers.scripted import ScriptedProvider
from runtime.engine.run import Run, RunConfig
from runtime.engine.tools import ToolSet, build_tools, writers_of
from runtime.engine.tools._common import Unusable
from runtime.engine.tools.fs import FileTool
from runtime.engine.tools.shell import ShellTool, network_isolation
from runtime.roster import model as m
from runtime.roster.codec import RosterContent
from runtime.roster.io import loads
from tests.runtime.engine.tools import group_members

ROSTER = """\
format: agent-roster
version: 1
name: Tools end to end
entry: [worker]
defaults: {model: claude-haiku-5-5, max_turns: 4, max_tokens_per_call: 512, timeout_s: 60,
           budget_usd: 0.5}
agents:
  worker:
    role: Reads notes and runs allowed commands.
    uses:
      notes: {mode: read, approval: allow}
      scratch: {mode: read, approval: allow}
      sh: {mode: execute, approval: allow}
      boom: {mode: read, approval: allow}
  editor:
    role: Edits scratch files.
    uses:
      scratch: {mode: write, approval: allow}
tools:
  notes: {kind: fs_read, fs_roots: [ROOT]}
  scratch: {kind: fs_write, fs_roots: [ROOT]}
  boom: {kind: memory, fs_roots: [ROOT]}
  sh:
    kind: shell
    sandbox: {network: none, fs_roots: [ROOT], timeout_s: 20, cpu_s: 5, memory_mb: 512}
    config: {allow_commands: [echo, cat, sleep]}
  unsafe-sh:
    kind: shell
    config: {allow_commands: [echo]}
  home-files: {kind: fs_read, fs_roots: ["~"]}
  crm:
    kind: mcp
    server: crm-mcp
    tool: lookup
mcp_servers:
  crm-mcp: {command: /opt/crm/bin/crm-1.0}
"""


@pytest.fixture
def roster(tmp_path: Path) -> tuple[RosterContent, Path]:
    root = tmp_path / "work"
    root.mkdir()
    (root / "hello.txt").write_text("hello from a real file")
    return loads(ROSTER.replace("ROOT", str(root))).content, root


class Raising:
    spec = ToolSpec("boom", "always fails", {"type": "object"})

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        raise RuntimeError("the tool blew up")


def test_build_tools_builds_every_builtin_and_explains_the_rest(
        roster: tuple[RosterContent, Path]) -> None:
    content, _root = roster
    tools = build_tools(content)
    assert isinstance(tools, ToolSet)
    assert isinstance(tools["notes"], FileTool) and isinstance(tools["sh"], ShellTool)
    assert isinstance(tools["unsafe-sh"], Unusable) and "sandbox" in tools.unavailable["unsafe-sh"]
    assert isinstance(tools["home-files"], Unusable) and "home" in tools.unavailable["home-files"]
    assert "crm" not in tools and "not started" in tools.unavailable["crm"]
    assert set(tools) == {"notes", "scratch", "boom", "sh", "unsafe-sh", "home-files"}
    if not network_isolation():
        assert "network" in tools.notes["sh"]
    refusal = asyncio.run(tools["unsafe-sh"].call({}, ToolContext("r", "worker", "c")))
    assert refusal.is_error and "sandbox" in refusal.content


def test_writers_come_from_the_grants(roster: tuple[RosterContent, Path]) -> None:
    content, _root = roster
    scratch = content.nodes["scratch"]
    assert isinstance(scratch, m.Tool)
    assert writers_of(content, scratch) == frozenset({"editor"})


def test_mcp_tools_come_from_the_host(roster: tuple[RosterContent, Path],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    content, _root = roster
    given = build_tools(content, mcp={"crm": Raising()})
    assert isinstance(given["crm"], Raising) and "crm" not in given.unavailable
    module = types.ModuleType("runtime.engine.tools.mcp")
    seen: list[Any] = []

    def build_mcp_tools(content: RosterContent, host: Any, *, resolver: Any) -> ToolSet:
        seen.append(host)
        return ToolSet({}, {"crm": "the server failed to start"})

    module.build_mcp_tools = build_mcp_tools  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "runtime.engine.tools.mcp", module)
    hosted = build_tools(content, mcp="host")
    assert seen == ["host"] and hosted.unavailable["crm"] == "the server failed to start"


def _run(content: RosterContent, tools: Any, turns: list[Any]) -> tuple[Run, list[Any],
                                                                         ScriptedProvider]:
    events: list[Any] = []
    provider = ScriptedProvider({"worker": turns})
    run = Run(content, RunConfig("use your tools"), provider, tools, DenyChannel(),
              listeners=(events.append,))
    asyncio.run(run.execute())
    return run, events, provider


def test_a_run_uses_real_fs_and_shell_tools(roster: tuple[RosterContent, Path]) -> None:
    content, root = roster
    tools = {**build_tools(content), "boom": Raising()}
    run, events, provider = _run(content, tools, [
        [("tool", "notes", {"path": "hello.txt"}),
         ("tool", "sh", {"command": "echo", "args": ["$(cat /etc/passwd)", "; rm -rf ~"]}),
         ("tool", "notes", {"path": "../../.ssh/id_rsa"}),
         ("tool", "scratch", {"operation": "write_file", "path": "x.txt", "content": "no"}),
         ("tool", "boom", {})],
        "All done."])
    assert run.status == "completed" and run.output == "All done."
    finished = {e.call_id: e for e in events if isinstance(e, ev.ToolFinished)}
    results = provider.requests[1].messages[-1]["content"]
    by_id = {r["tool_use_id"]: r for r in results}
    outputs = [by_id[c]["content"] for c in sorted(by_id)]
    errors = [by_id[c]["is_error"] for c in sorted(by_id)]
    assert outputs[0] == "hello from a real file" and not errors[0]
    assert "$(cat /etc/passwd) ; rm -rf ~" in outputs[1] and not errors[1]
    assert "root:" not in outputs[1]
    assert errors[2:] == [True, True, True]
    assert "outside the folders" in outputs[2]
    assert "grant is not write" in outputs[3] and not (root / "x.txt").exists()
    assert "the tool failed: RuntimeError" in outputs[4]
    assert len(finished) == 5
    specs = {s.name for s in provider.requests[0].tools}
    assert specs == {"notes", "scratch", "sh", "boom"}


class Recording:
    """Wraps a tool and records the pids it registers."""

    def __init__(self, inner: Tool) -> None:
        self.inner = inner
        self.spec = inner.spec
        self.pids: list[int] = []

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        register = ctx.register_process

        def record(pid: int) -> None:
            self.pids.append(pid)
            register(pid)

        ctx.register_process = record
        return await self.inner.call(arguments, ctx)


def test_the_kill_switch_ends_a_running_shell_tool(roster: tuple[RosterContent, Path]) -> None:
    content, _root = roster
    built = build_tools(content)
    sh = Recording(built["sh"])
    provider = ScriptedProvider({"worker": [[("tool", "sh", {"command": "sleep",
                                                             "args": ["60"]})]]})
    run = Run(content, RunConfig("sleep"), provider, {**built, "sh": sh}, DenyChannel())

    async def scenario() -> float:
        task = asyncio.create_task(run.execute())
        while not sh.pids:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        pressed = asyncio.get_running_loop().time()
        run.kill("test")
        await task
        return asyncio.get_running_loop().time() - pressed

    assert asyncio.run(scenario()) < 2
    assert run.status == "stopped"
    (pid,) = sh.pids
    assert not os.path.exists(f"/proc/{pid}") and not group_members(pid)
