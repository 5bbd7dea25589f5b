"""MCP stdio servers die with the process that started them, even when it is SIGKILLed.

A real Python process (the "host") starts our adder server over stdio through the MCP
server pool, hung (`--hang-initialize`: it never reads stdin, like a server stuck in
work, so it cannot notice its host's end by EOF), prints the server's pid and waits. The
test SIGKILLs the host, so no shutdown code runs, and asserts that the server process is
gone within a few seconds
(before the fix it was started with start_new_session=True and simply lived on,
re-parented to init). The server's environment stays the scrubbed one: the host's
secret is not in it, and the parent-death launcher passes exactly the environment it was
given (no LC_CTYPE from Python's locale coercion). Linux only: it reads /proc and relies
on PR_SET_PDEATHSIG.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime.engine.processes import start_time
from runtime.engine.tools.mcp_stdio import server_argv
from tests.conftest import make_anthropic_key

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="PR_SET_PDEATHSIG and /proc are Linux")

REPO = Path(__file__).resolve().parents[3]
HOST = """
import asyncio, sys, threading
from pathlib import Path
from runtime.engine.tools.mcp_pool import McpServerPool
from runtime.roster import model as m

# A hung server: it never reads stdin, so it does not notice the host's end by EOF.
srv = m.McpServer("adder", command=sys.executable, trust="trusted",
                  args=("-m", "tests.mcp_servers.adder_server", "--hang-initialize"))

async def main() -> None:
    pool = McpServerPool({"adder": srv}, log_dir=Path(sys.argv[1]), cwd=sys.argv[2],
                         allow_unpinned=True, init_timeout=600)
    starting = asyncio.create_task(pool.listing("adder"))
    while not pool.pids():
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)  # let it reach the hang (past its imports)
    print(pool.pids()[0], flush=True)
    await starting

def in_thread() -> None:
    asyncio.run(main())

if sys.argv[3] == "thread":  # the loop (and so the fork) on a thread other than the main one
    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join()
else:
    asyncio.run(main())
"""


def alive(pid: int, started: int | None) -> bool:
    """The process `pid` (started at `started`) still exists and is not a zombie."""
    if start_time(pid) != started:
        return False
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    return False


def start_host(tmp_path: Path, where: str) -> tuple[subprocess.Popen[str], int]:
    env = dict(os.environ)
    env["ANTHROPIC_API_KEY"] = make_anthropic_key()
    env["PYTHONPATH"] = str(REPO)
    host = subprocess.Popen([sys.executable, "-c", HOST, str(tmp_path / "logs"), str(REPO),
                             where], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    assert host.stdout is not None
    line = host.stdout.readline()
    assert line.strip().isdigit(), f"the host did not report a server pid: {line!r}"
    return host, int(line)


@pytest.mark.parametrize("where", ["main", "thread"])
def test_the_server_dies_when_its_host_is_sigkilled(tmp_path: Path, where: str) -> None:
    host, server = start_host(tmp_path, where)
    started = start_time(server)
    try:
        assert alive(server, started), "the server should be running"
        environ = Path(f"/proc/{server}/environ").read_bytes().split(b"\0")
        names = {item.split(b"=", 1)[0].decode() for item in environ if item}
        assert "ANTHROPIC_API_KEY" not in names, "the host's secret reached the server"
        assert "PYTHONPATH" not in names

        host.send_signal(signal.SIGKILL)
        host.wait(5)
        deadline = time.monotonic() + 5.0
        while alive(server, started):
            assert time.monotonic() < deadline, f"MCP server {server} outlived its host"
            time.sleep(0.05)
    finally:
        if alive(server, started):  # never leave one behind, even when the test fails
            os.kill(server, signal.SIGKILL)
        if host.poll() is None:
            host.kill()
            host.wait()
        if host.stdout is not None:
            host.stdout.close()


@pytest.mark.parametrize("given", [{"A": "1"}, {"A": "1", "LC_CTYPE": "C"}, {}])
def test_the_launcher_passes_exactly_the_environment_it_was_given(given: dict[str, str]
                                                                  ) -> None:
    env = shutil.which("env")
    assert env is not None
    out = subprocess.run([*server_argv(env, [], given)], env=given, capture_output=True,
                         text=True, timeout=30, check=True).stdout
    assert sorted(out.splitlines()) == sorted(f"{k}={v}" for k, v in given.items())


def test_a_command_missing_from_the_servers_path_is_a_file_not_found_error() -> None:
    with pytest.raises(FileNotFoundError):
        server_argv("no-such-mcp-server-command", [], {"PATH": "/nonexistent"})
