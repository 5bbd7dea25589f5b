"""shell: no shell, allowlisted programs, scrubbed env, limits, timeouts, and no survivors."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from runtime.engine.tools._common import Refused
from runtime.engine.tools.shell import ShellTool, network_isolation
from runtime.roster import model as m
from tests.conftest import make_anthropic_key
from tests.runtime.engine.tools import Ctx, call, group_members, node

PY = sys.executable
ALLOWED = ["echo", "env", "cat", "sleep", "head", "yes", "pwd", PY]


def shell(root: Path, *, timeout_s: float = 5, cpu_s: float | None = None,
          memory_mb: int | None = None, network: str | None = "none", **fields: Any) -> ShellTool:
    box = m.Sandbox(network=network, fs_roots=(str(root),), cpu_s=cpu_s, memory_mb=memory_mb,
                    timeout_s=timeout_s)
    config = {"allow_commands": ALLOWED, **fields.pop("config", {})}
    return ShellTool(node("shell", sandbox=box, config=config, **fields), **fields.pop("kw", {}))


def gone(pid: int) -> bool:
    return not os.path.exists(f"/proc/{pid}")


def py(code: str) -> dict[str, Any]:
    return {"command": PY, "args": ["-c", code]}


def test_metacharacters_are_plain_arguments(tmp_path: Path) -> None:
    hostile = ["; rm -rf /", "$(touch pwned)", "`touch pwned`", "a && b | c > pwned", "*", "~"]
    result = call(shell(tmp_path), {"command": "echo", "args": hostile})
    assert not result.is_error, result.content
    assert " ".join(hostile) in result.content
    assert not (tmp_path / "pwned").exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["rm", "echo; rm -rf /", "/bin/echo", "../echo", "ECHO",
                                     " echo", "sh", "bash -c id"])
def test_only_allowlisted_commands_run(tmp_path: Path, command: str) -> None:
    result = call(shell(tmp_path), {"command": command, "args": ["x"]})
    assert result.is_error and "not an allowed command" in result.content


@pytest.mark.parametrize("arguments", [
    {"command": "echo", "args": "a b"}, {"command": "echo", "args": [1]},
    {"command": "echo", "args": ["a\0b"]}, {"command": "echo", "args": ["x"] * 300},
    {"command": "pwd", "cwd": "../"}, {"command": "pwd", "cwd": "/etc"}, {"args": ["x"]},
])
def test_bad_arguments_are_refused(tmp_path: Path, arguments: dict[str, Any]) -> None:
    assert call(shell(tmp_path), arguments).content.startswith("refused:")


def test_it_refuses_to_exist_without_a_safe_sandbox(tmp_path: Path) -> None:
    with pytest.raises(Refused, match="sandbox"):
        ShellTool(node("shell", config={"allow_commands": ["echo"]}))
    with pytest.raises(Refused, match="any"):
        shell(tmp_path, network="any")
    with pytest.raises(Refused, match="allow_commands"):
        shell(tmp_path, config={"allow_commands": []})
    with pytest.raises(Refused):
        ShellTool(node("shell", sandbox=m.Sandbox(fs_roots=("/",)),
                       config={"allow_commands": ["echo"]}))


def test_the_child_env_holds_no_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = make_anthropic_key()
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-like-value-for-test")
    tool = shell(tmp_path)
    for arguments in ({"command": "env"}, {"command": "cat", "args": ["/proc/self/environ"]}):
        result = call(tool, arguments)
        assert not result.is_error, result.content
        assert key not in result.content and "ANTHROPIC_API_KEY" not in result.content
        assert "GITHUB_TOKEN" not in result.content
        assert f"HOME={tmp_path}" in result.content.replace("\0", "\n")


def test_only_the_declared_credential_is_passed_and_masked(tmp_path: Path) -> None:
    value = secrets.token_hex(16)
    seen: list[str] = []

    def resolver(ref: str) -> str:
        seen.append(ref)
        return value

    box = m.Sandbox(network="none", fs_roots=(str(tmp_path),), timeout_s=5)
    tool = ShellTool(node("shell", sandbox=box, credential="env:SERVICE_TOKEN_REF",
                          config={"allow_commands": ["env"], "credential_env": "SERVICE_TOKEN"}),
                     resolver=resolver)
    result = call(tool, {"command": "env"})
    assert seen == ["env:SERVICE_TOKEN_REF"]
    assert "SERVICE_TOKEN=[redacted]" in result.content and value not in result.content


def test_50_mb_of_output_is_truncated_with_memory_bounded(tmp_path: Path) -> None:
    tracemalloc.start()
    result = call(shell(tmp_path), {"command": "head", "args": ["-c", "52428800", "/dev/zero"]})
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert not result.is_error
    assert "52428800 bytes written, the first 262144 kept" in result.content
    assert len(result.content) < 300_000 and peak < 8 << 20, peak


def test_an_endless_flood_is_stopped(tmp_path: Path) -> None:
    ctx = Ctx()
    result = call(shell(tmp_path, timeout_s=20), {"command": "yes"}, ctx)
    assert result.is_error and "stopped: it wrote more than" in result.content
    assert gone(ctx.pids[0]) and not group_members(ctx.pids[0])


def test_a_hanging_command_is_killed_at_the_timeout_with_no_zombie(tmp_path: Path) -> None:
    ctx = Ctx()
    started = time.monotonic()
    result = call(shell(tmp_path, timeout_s=1), {"command": "sleep", "args": ["60"]}, ctx)
    assert result.is_error and "longer than the 1 s time limit" in result.content
    assert time.monotonic() - started < 4
    (pid,) = ctx.pids
    assert gone(pid) and not group_members(pid)


def test_descendants_that_leave_the_group_are_killed_and_reaped(tmp_path: Path) -> None:
    code = ("import subprocess, sys, time\n"
            "p = subprocess.Popen(['sleep', '60'], start_new_session=True)\n"
            "print('escaper', p.pid, flush=True)\n"
            "time.sleep(60 if sys.argv[1] == 'hang' else 0)\n")
    for mode in ("hang", "exit"):
        ctx = Ctx()
        result = call(shell(tmp_path, timeout_s=1), {"command": PY,
                                                       "args": ["-c", code, mode]}, ctx)
        escaper = int(result.content.split("escaper ")[1].split()[0])
        assert gone(escaper), f"{mode}: pid {escaper} survived (or is a zombie)"
        assert gone(ctx.pids[0]) and not group_members(ctx.pids[0])


def test_the_kill_switch_ends_the_registered_group(tmp_path: Path) -> None:
    async def scenario() -> tuple[str, float]:
        ctx = Ctx()
        task = asyncio.create_task(shell(tmp_path, timeout_s=30).call(
            {"command": "sleep", "args": ["60"]}, ctx))
        while not ctx.pids:
            await asyncio.sleep(0.01)
        pressed = time.monotonic()
        os.killpg(ctx.pids[0], signal.SIGKILL)  # what Run._kill_processes does
        result = await task
        assert gone(ctx.pids[0])
        return result.content, time.monotonic() - pressed

    content, delay = asyncio.run(scenario())
    assert "killed by SIGKILL" in content and delay < 2


def test_cpu_and_memory_limits_apply(tmp_path: Path) -> None:
    cpu = call(shell(tmp_path, timeout_s=10, cpu_s=1), py("while True: pass"))
    assert cpu.is_error and "CPU time limit" in cpu.content
    memory = call(shell(tmp_path, memory_mb=256), py("b = bytearray(1 << 30)"))
    assert memory.is_error and "MemoryError" in memory.content


def test_cwd_is_confined_to_the_sandbox_roots(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    assert call(shell(tmp_path), {"command": "pwd"}).content.split("\n")[3] == str(tmp_path)
    inner = call(shell(tmp_path), {"command": "pwd", "cwd": "sub"})
    assert inner.content.split("\n")[3] == str(tmp_path / "sub")


@pytest.mark.skipif(not network_isolation(), reason="no network namespaces on this machine")
def test_network_none_means_no_network(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        code = (f"import socket\ntry:\n socket.create_connection(('127.0.0.1', {port}), 2)\n"
                " print('connected')\nexcept OSError as e:\n print('blocked', e.errno)")
        result = call(shell(tmp_path), py(code))
    stdout = result.content.split("--- stdout ---\n")[1]
    assert stdout.startswith("blocked") and "connected" not in stdout
    assert not shell(tmp_path).note
    assert "allowlist" in shell(tmp_path, network="allowlist").note
