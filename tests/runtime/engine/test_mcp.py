"""MCP tools through the real `mcp` SDK: our adder server in-process and over stdio, and the
published `mcp-server-time` from PyPI through a roster and the engine.

In-process (`mcp.Client(MCPServer)`, no subprocess) for speed: the tools/list hash, calls and
result flattening, unpinned servers refused with the hash reported, literal or Anthropic env
entries refused, and a poisoned description from an untrusted server that never reaches the
model. Over stdio, the faults of RELIABILITY.md: a rug pull (tools/list changed since the pin:
refused, the tool never runs), a crash mid-call (error result, restart within the budget,
then no more), a server that never answers initialize (timeout error within the configured
time), a 50 MB answer (truncated) and one over the message cap (an error, fast), and the
child environment (no ANTHROPIC_API_KEY even when the parent has one; declared references
resolved and passed). After every test no server process may remain (checked in /proc).
`mcp-server-time==2026.10.19` is installed once per machine into its own venv under the temp
folder; when PyPI cannot be reached that test is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import mcp.types as mt
import pytest
from mcp import Client

from runtime.engine import events as ev
from runtime.engine.approvals import ScriptedChannel
from runtime.engine.protocols import ToolContext
from runtime.engine.providers.scripted import ScriptedProvider
from runtime.engine.run import Run, RunConfig
from runtime.engine.tools import build_tools
from runtime.engine.tools.mcp import (
    McpServerPool,
    McpTool,
    canonical_tools,
    flatten,
    mcp_tools,
    tool_annotations,
    tool_spec,
    tools_sha256,
)
from runtime.roster import model as m
from runtime.roster.io import loads
from runtime.secrets.keystore import SAFE_ENV_NAMES
from tests.conftest import make_anthropic_key
from tests.mcp_servers.adder_server import HUGE_BYTES, POISON, build_server

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[3]
ADDER = ("-m", "tests.mcp_servers.adder_server")
TIME_VERSION = "2026.10.19"
CTX = ToolContext("run-1", "worker", "call-1")


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


def server(flags: tuple[str, ...] = (), *, pin: str | None = None, trust: str = "trusted",
           env: dict[str, str] | None = None, sid: str = "adder") -> m.McpServer:
    return m.McpServer(sid, command=sys.executable, args=(*ADDER, *flags), trust=trust,
                       tools_sha256=pin, env=m.freeze(env or {}))


def tool(remote: str, srv: m.McpServer, *, description: str = "",
         schema: dict[str, Any] | None = None) -> m.Tool:
    return m.Tool(f"adder-{remote}", "mcp", description=description, server=srv.id, tool=remote,
                  input_schema=m.freeze(schema) if schema is not None else None)


async def inproc_sha(**options: Any) -> str:
    async with Client(build_server(**options), cache=None) as client:
        return tools_sha256((await client.list_tools()).tools)


def inproc_pool(srv: m.McpServer, tmp_path: Path, **options: Any) -> McpServerPool:
    build = options.pop("build", {})
    return McpServerPool({srv.id: srv}, log_dir=tmp_path / "mcp-logs",
                         connect=lambda s, env, log: build_server(**build), **options)


def stdio_pool(srv: m.McpServer, tmp_path: Path, **options: Any) -> McpServerPool:
    return McpServerPool({srv.id: srv}, log_dir=tmp_path / "mcp-logs", cwd=REPO, **options)


def live_children() -> list[tuple[int, str]]:
    """Our child processes that are still running (not zombies), with their command lines."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid() and fields[0] not in ("Z", "X"):
                cmd = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                out.append((int(name), cmd))
        except (OSError, ValueError, IndexError):
            continue
    return out


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


@pytest.fixture(autouse=True)
def no_server_survives() -> Iterator[None]:
    yield
    left = [c for c in live_children() if "adder_server" in c[1] or "mcp_server_time" in c[1]]
    assert not left, f"MCP server processes survived the test: {left}"


# ----------------------------------------------------------------------------- in-process


def test_hash_covers_the_listing_and_is_stable() -> None:
    plain = run(inproc_sha())
    assert plain == run(inproc_sha())
    assert plain != run(inproc_sha(poisoned_description=True))
    assert plain != run(inproc_sha(huge_output=True))  # echo's output schema differs

    async def listed() -> list[mt.Tool]:
        async with Client(build_server(), cache=None) as client:
            return (await client.list_tools()).tools

    tools = run(listed())
    canon = canonical_tools(tools)
    assert [t["name"] for t in canon] == ["add", "echo", "env_hash", "env_keys", "sleep"]
    assert set(canon[0]) == {"name", "description", "inputSchema", "outputSchema"}
    text = json.dumps(canon, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(text.encode()).hexdigest() == plain
    assert tools_sha256(list(reversed(tools))) == plain  # order of the listing does not matter


def test_pinned_call_flattens_text_and_structured_content(tmp_path: Path) -> None:
    pin = run(inproc_sha())
    srv = server(pin=pin)

    async def scenario() -> tuple[Any, ...]:
        pool = inproc_pool(srv, tmp_path)
        try:
            add = McpTool(pool, tool("add", srv, description="Add.", schema={"type": "object"}),
                          srv)
            ok = await add.call({"a": 2, "b": 3}, CTX)
            bad = await add.call({"a": "two", "b": 3}, CTX)
            return ok, bad, await pool.pin("adder"), pool.hashes
        finally:
            await pool.aclose()

    ok, bad, pinned, hashes = run(scenario())
    assert (ok.content, ok.is_error) == ('5\n{"result": 5}', False)
    assert bad.is_error and "valid integer" in bad.content
    assert pinned == pin == hashes["adder"]


def test_a_call_that_takes_too_long_times_out(tmp_path: Path) -> None:
    srv = server(pin=run(inproc_sha()))

    async def scenario() -> tuple[Any, float, Any]:
        pool = inproc_pool(srv, tmp_path, call_timeout=0.3)
        try:
            started = time.monotonic()
            slow = await McpTool(pool, tool("sleep", srv), srv).call({"seconds": 5}, CTX)
            elapsed = time.monotonic() - started
            return slow, elapsed, await McpTool(pool, tool("add", srv), srv).call(
                {"a": 1, "b": 1}, CTX)
        finally:
            await pool.aclose()

    slow, elapsed, after = run(scenario())
    assert slow.is_error and elapsed < 2
    assert "did not answer the call to 'sleep' within 0.3 s" in slow.content
    assert not after.is_error  # the server itself is kept


def test_unpinned_server_is_refused_and_its_hash_reported(tmp_path: Path) -> None:
    sha = run(inproc_sha())
    srv = server()

    async def scenario(allow: bool) -> Any:
        pool = inproc_pool(srv, tmp_path, allow_unpinned=allow)
        try:
            return await McpTool(pool, tool("add", srv), srv).call({"a": 1, "b": 1}, CTX)
        finally:
            await pool.aclose()

    refused = run(scenario(False))
    assert refused.is_error
    assert "'adder' has no tools_sha256" in refused.content
    assert f"tools_sha256: {sha}" in refused.content
    allowed = run(scenario(True))  # dry runs and tests may opt in
    assert not allowed.is_error and allowed.content.startswith("2")


def test_env_literals_and_the_anthropic_key_are_refused(tmp_path: Path) -> None:
    literal = "plain-text-value-in-roster"

    async def scenario(env: dict[str, str]) -> str:
        srv = server(pin="0" * 64, env=env)
        pool = inproc_pool(srv, tmp_path)
        try:
            result = await McpTool(pool, tool("add", srv), srv).call({"a": 1, "b": 1}, CTX)
            assert result.is_error
            return result.content
        finally:
            await pool.aclose()

    message = run(scenario({"TOKEN": literal}))
    assert "env TOKEN is not a keyring:/env: reference" in message and literal not in message
    for env in ({"ANTHROPIC_API_KEY": "env:SOMETHING"}, {"KEY": "env:ANTHROPIC_API_KEY"}):
        assert "the Anthropic key is never passed to an MCP server" in run(scenario(env))


def adder_roster(pin: str, trust: str = "untrusted") -> str:
    """A roster whose one agent may call the adder's `add` (no roster description/schema)."""
    return f"""\
format: agent-roster
version: 1
name: adder
entry: [worker]
defaults: {{model: claude-haiku-5-5}}
agents:
  worker:
    instructions: Add numbers.
    uses:
      adder-add: {{mode: read, approval: allow}}
tools:
  adder-add: {{kind: mcp, server: adder, tool: add, modes: [read]}}
mcp_servers:
  adder: {{command: unused, trust: {trust}, tools_sha256: {pin}}}
"""


def test_build_tools_hook_builds_mcp_tools_without_starting_servers(tmp_path: Path) -> None:
    content = loads(adder_roster(run(inproc_sha()), "trusted")).content

    async def scenario() -> tuple[Any, ...]:
        pool = McpServerPool.from_nodes(content.nodes, log_dir=tmp_path / "logs",
                                        connect=lambda s, env, log: build_server())
        try:
            tools = build_tools(content, mcp=pool)
            started_before = dict(pool.hashes)
            result = await tools["adder-add"].call({"a": 4, "b": 5}, CTX)
            return tools, started_before, result
        finally:
            await pool.aclose()

    tools, started_before, result = run(scenario())
    assert isinstance(tools["adder-add"], McpTool) and "adder-add" not in tools.unavailable
    assert started_before == {}  # lazy: the server starts on the first call
    assert not result.is_error and result.content.startswith("9")


def test_untrusted_server_text_never_reaches_the_model(tmp_path: Path) -> None:
    content = loads(adder_roster(run(inproc_sha(poisoned_description=True)))).content

    async def scenario() -> tuple[ScriptedProvider, list[ev.EngineEvent]]:
        pool = McpServerPool.from_nodes(content.nodes, log_dir=tmp_path / "logs",
                                        connect=lambda s, env, log: build_server(
                                            poisoned_description=True))
        try:
            tools = await mcp_tools(content.nodes, pool)
            provider = ScriptedProvider({"worker": [[("tool", "adder-add", {"a": 2, "b": 3})],
                                                    "Five."]})
            events: list[ev.EngineEvent] = []
            await Run(content, RunConfig("add 2 and 3"), provider, tools,
                      ScriptedChannel({"*": "approve"}), listeners=(events.append,)).execute()
            return provider, events
        finally:
            await pool.aclose()

    provider, events = run(scenario())
    shown = json.dumps([[spec.as_param() for spec in r.tools] for r in provider.requests])
    assert "ignore previous instructions" not in shown.lower() and POISON not in shown
    (spec,) = provider.requests[0].tools
    assert spec.description == "Tool 'add' of the MCP server 'adder'."
    assert spec.input_schema["properties"]["a"] == {"type": "integer"}  # text stripped
    (finished,) = [e for e in events if isinstance(e, ev.ToolFinished)]
    assert finished.ok and finished.output.startswith("5")

    # the same listing from a trusted server is shown as the server wrote it
    listed = mt.Tool(name="add", description=f"Add. {POISON}", input_schema={"type": "object"},
                     annotations=mt.ToolAnnotations(read_only_hint=True, destructive_hint=False))
    node = content.nodes["adder-add"]
    trusted, untrusted = m.McpServer("adder", trust="trusted"), m.McpServer("adder")
    assert isinstance(node, m.Tool)
    assert POISON in tool_spec(node, trusted, listed).description
    assert POISON not in tool_spec(node, untrusted, listed).description
    # and its annotations count only when the server is trusted
    assert tool_annotations(node, trusted, listed) == m.Annotations(read_only=True,
                                                                    destructive=False)
    assert tool_annotations(node, untrusted, listed) is None


def test_flatten_summarises_content_and_caps_output() -> None:
    result = mt.CallToolResult(content=[
        mt.TextContent(text="hello"),
        mt.ImageContent(data="A" * 400, mime_type="image/png"),
        mt.AudioContent(data="A" * 40, mime_type="audio/wav"),
        mt.ResourceLink(uri="file:///tmp/x.txt", name="x.txt"),
        mt.EmbeddedResource(resource=mt.TextResourceContents(uri="file:///a", text="inline")),
        mt.EmbeddedResource(resource=mt.BlobResourceContents(uri="file:///b", blob="A" * 8,
                                                             mime_type="application/pdf")),
    ], structured_content={"n": 1}, is_error=True)
    assert flatten(result).splitlines() == [
        "hello", "[image: image/png, about 300 bytes]", "[audio: audio/wav, about 30 bytes]",
        "[resource link: file:///tmp/x.txt (x.txt)]", "inline",
        "[resource: file:///b, application/pdf, about 6 bytes]", '{"n": 1}']
    same = mt.CallToolResult(content=[mt.TextContent(text='{"n": 1}')], structured_content={"n": 1})
    assert flatten(same) == '{"n": 1}'  # structured content said once
    capped = flatten(mt.CallToolResult(content=[mt.TextContent(text="y" * 1000)]), 100)
    assert capped.startswith("y" * 100 + "\n[truncated: the tool returned 1000 characters")


# ----------------------------------------------------------------------------- over stdio


def test_stdio_env_is_scrubbed_and_declared_references_resolved(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = make_anthropic_key()
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    monkeypatch.setenv("ROSTER_TEST_ADDER_TOKEN", "token-for-the-adder")
    monkeypatch.setenv("ROSTER_TEST_UNDECLARED", "not-for-servers")
    srv = server(env={"ADDER_TOKEN": "env:ROSTER_TEST_ADDER_TOKEN"})
    registered: list[int] = []
    ctx = ToolContext("run-1", "worker", "call-1", registered.append)

    async def scenario() -> tuple[Any, ...]:
        pool = stdio_pool(srv, tmp_path, allow_unpinned=True)  # default resolver
        try:
            keys = await McpTool(pool, tool("env_keys", srv), srv).call({}, ctx)
            token = await McpTool(pool, tool("env_hash", srv), srv).call({"name": "ADDER_TOKEN"},
                                                                          ctx)
            add = await McpTool(pool, tool("add", srv), srv).call({"a": 20, "b": 22}, ctx)
            pids = pool.pids()
        finally:
            started = time.monotonic()
            await pool.aclose()
            closing = time.monotonic() - started
        return keys, token, add, pids, closing

    keys, token, add, pids, closing = run(scenario())
    names = json.loads(keys.content.splitlines()[-1])["result"]  # the structured content
    assert "ANTHROPIC_API_KEY" not in names and "ROSTER_TEST_UNDECLARED" not in names
    assert "ROSTER_TEST_ADDER_TOKEN" not in names  # only the declared name is passed
    assert "ADDER_TOKEN" in names
    assert set(names) - {"ADDER_TOKEN"} <= SAFE_ENV_NAMES | {n for n in names
                                                             if n.startswith("LC_")}
    assert token.content.startswith(hashlib.sha256(b"token-for-the-adder").hexdigest())
    assert add.content.startswith("42") and not add.is_error
    assert registered and set(registered) <= set(pids) and all(gone(p) for p in pids)
    assert closing < 5
    for log in (tmp_path / "mcp-logs").glob("*.log"):
        assert key not in log.read_text()


def test_rug_pull_is_refused_and_no_tool_runs(tmp_path: Path) -> None:
    state, calls = tmp_path / "starts", tmp_path / "calls"
    approved = run(inproc_sha(rug_pull=True, state_file=str(state)))  # start 1: approval time
    srv = server(("--rug-pull", "--state-file", str(state), "--call-log", str(calls)),
                 pin=approved)

    async def scenario() -> tuple[Any, ...]:
        pool = stdio_pool(srv, tmp_path)
        try:
            add = McpTool(pool, tool("add", srv, description="Add.", schema={"type": "object"}),
                          srv)
            first = await add.call({"a": 1, "b": 2}, CTX)
            second = await add.call({"a": 1, "b": 2}, CTX)
            return first, second, pool.hashes["adder"], pool.pids()
        finally:
            await pool.aclose()

    first, second, actual, pids = run(scenario())
    assert state.read_text() == "2" and len(pids) == 1  # one start, not restarted
    assert first.is_error and first.content == second.content
    assert "MCP server 'adder' changed its tools since it was approved" in first.content
    assert approved in first.content and actual in first.content and approved != actual
    assert not calls.exists(), "a tool of a changed server must never be called"
    other = str(tmp_path / "other")
    run(inproc_sha(rug_pull=True, state_file=other))
    assert actual == run(inproc_sha(rug_pull=True, state_file=other))  # a second start's list


def test_crash_mid_call_restarts_within_the_budget(tmp_path: Path) -> None:
    srv = server(("--crash-on-call",))

    async def scenario() -> list[Any]:
        pool = stdio_pool(srv, tmp_path, allow_unpinned=True, max_restarts=1)
        add, echo = McpTool(pool, tool("add", srv), srv), McpTool(pool, tool("echo", srv), srv)
        try:
            out = [await add.call({"a": 1, "b": 2}, CTX), await echo.call({"text": "hi"}, CTX),
                   await add.call({"a": 1, "b": 2}, CTX), await echo.call({"text": "hi"}, CTX)]
            out.append(pool.pids())
            return out
        finally:
            await pool.aclose()

    crash1, echoed, crash2, refused, pids = run(scenario())
    assert crash1.is_error and "stopped during the call to 'add'" in crash1.content
    assert "restarted on the next call (1 restart left in this run)" in crash1.content
    assert not echoed.is_error and echoed.content.startswith("hi")  # restarted
    assert crash2.is_error and "not restarted again in this run" in crash2.content
    assert refused.is_error and "restart budget 1" in refused.content
    assert len(pids) == 2 and all(gone(p) for p in pids)


def test_server_that_never_answers_initialize_times_out(tmp_path: Path) -> None:
    srv = server(("--hang-initialize",))

    async def scenario() -> tuple[Any, float, list[int]]:
        pool = stdio_pool(srv, tmp_path, allow_unpinned=True, init_timeout=1.0)
        try:
            started = time.monotonic()
            result = await McpTool(pool, tool("add", srv), srv).call({"a": 1, "b": 2}, CTX)
            return result, time.monotonic() - started, pool.pids()
        finally:
            await pool.aclose()

    result, elapsed, pids = run(scenario())
    assert result.is_error
    assert "did not answer initialize and tools/list within 1 s" in result.content
    assert "adder: hanging before initialize" in result.content  # the stderr tail
    assert 1.0 <= elapsed < 3.0  # the timeout, not the 4 s a graceful stop could take
    assert len(pids) == 1 and gone(pids[0])


def test_a_server_that_cannot_start_is_reported(tmp_path: Path) -> None:
    missing = m.McpServer("gone", command=str(tmp_path / "no-such-server"))
    exits = m.McpServer("exits", command=sys.executable,
                        args=("-c", "import sys; sys.stderr.write('bad config'); sys.exit(2)"))

    async def scenario() -> list[str]:
        pool = McpServerPool({"gone": missing, "exits": exits}, log_dir=tmp_path / "logs",
                             allow_unpinned=True, max_restarts=0)
        try:
            out = []
            for srv in (missing, exits, exits):
                result = await McpTool(pool, m.Tool("t", "mcp", server=srv.id), srv).call({}, CTX)
                assert result.is_error
                out.append(result.content)
            return out
        finally:
            await pool.aclose()

    not_found, exited, refused = run(scenario())
    assert "MCP server 'gone' could not be started" in not_found
    assert "FileNotFoundError" in not_found
    assert "'exits' could not be started" in exited and "bad config" in exited  # stderr tail
    assert "failed 1 times in this run (restart budget 0)" in refused


def test_huge_output_is_truncated_and_oversized_messages_refused(tmp_path: Path) -> None:
    srv = server(("--huge-output",))

    async def scenario(cap: int | None) -> tuple[Any, float]:
        options: dict[str, Any] = {"max_message_bytes": cap} if cap else {}
        pool = stdio_pool(srv, tmp_path / str(cap), allow_unpinned=True, **options)
        try:
            started = time.monotonic()
            result = await McpTool(pool, tool("echo", srv), srv).call({"text": "x"}, CTX)
            return result, time.monotonic() - started
        finally:
            await pool.aclose()

    async def both() -> list[tuple[Any, float]]:  # concurrently: each start takes seconds
        return list(await asyncio.gather(scenario(None), scenario(1024 * 1024)))

    (huge, elapsed), (over, _) = run(both())
    assert not huge.is_error
    assert huge.content.startswith("x" * 1000)
    assert huge.content.endswith(f"[truncated: the tool returned {HUGE_BYTES} characters; "
                                 f"the first {256 * 1024} are shown]")
    assert elapsed < 20
    assert over.is_error and "over the client's limit of 1048576 bytes" in over.content


# ----------------------------------------------------------------------------- mcp-server-time


def _index_url() -> str:
    return os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/").rstrip("/") + "/"


def _pypi_reachable() -> str | None:
    """None when the package index answers, else why not."""
    try:
        with urllib.request.urlopen(_index_url() + "mcp-server-time/", timeout=15) as reply:
            return None if reply.status == 200 else f"HTTP {reply.status}"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.fixture(scope="session")
def time_server_python() -> Path:
    """A venv with mcp-server-time==2026.10.19, installed once per machine and version."""
    base = Path(tempfile.gettempdir()) / "agent-roster-mcp-venvs"
    base.mkdir(exist_ok=True)
    venv = base / f"mcp-server-time-{TIME_VERSION}-py{sys.version_info[0]}{sys.version_info[1]}"
    python, ready = venv / "bin" / "python", venv / ".ready"
    with open(base / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists():
            return python
        why = _pypi_reachable()
        if why is not None:
            message = f"cannot reach the package index {_index_url()} ({why})"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"{message}; CI must install mcp-server-time=={TIME_VERSION}")
            pytest.skip(f"{message}: mcp-server-time=={TIME_VERSION} cannot be installed")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        done = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-"
                               "check", f"mcp-server-time=={TIME_VERSION}"],
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.fail(f"installing mcp-server-time failed:\n{done.stdout}\n{done.stderr}")
        ready.write_text(TIME_VERSION)
    return python


@pytest.mark.slow
def test_published_time_server_through_a_roster(tmp_path: Path,
                                                time_server_python: Path) -> None:
    time_server = m.McpServer("time", command=str(time_server_python),
                              args=("-m", "mcp_server_time", "--local-timezone", "UTC"),
                              trust="trusted")

    async def pin() -> str:
        pool = McpServerPool({"time": time_server}, log_dir=tmp_path / "pin")
        try:
            return await pool.pin("time")
        finally:
            await pool.aclose()

    sha = run(pin())
    roster = f"""\
format: agent-roster
version: 1
name: clock
entry: [worker]
defaults: {{model: claude-haiku-5-5}}
agents:
  worker:
    instructions: Tell the time.
    uses:
      clock: {{mode: read, approval: allow}}
tools:
  clock:
    kind: mcp
    server: time
    tool: get_current_time
    description: The current time in an IANA timezone.
    modes: [read]
mcp_servers:
  time:
    command: {time_server_python}
    args: [-m, mcp_server_time, --local-timezone, UTC]
    trust: trusted
    tools_sha256: {sha}
"""
    content = loads(roster).content

    async def scenario() -> tuple[ScriptedProvider, list[ev.EngineEvent], list[int]]:
        pool = McpServerPool.from_nodes(content.nodes, log_dir=tmp_path / "run")
        try:
            tools = await mcp_tools(content.nodes, pool)
            provider = ScriptedProvider({"worker": [
                [("tool", "clock", {"timezone": "Europe/Paris"})], "It is late."]})
            events: list[ev.EngineEvent] = []
            await Run(content, RunConfig("What time is it in Paris?"), provider, tools,
                      ScriptedChannel({"*": "approve"}), listeners=(events.append,)).execute()
            return provider, events, pool.pids()
        finally:
            await pool.aclose()

    provider, events, pids = run(scenario())
    (spec,) = provider.requests[0].tools
    assert spec.description == "The current time in an IANA timezone."
    assert "timezone" in spec.input_schema["properties"]  # the trusted server's schema
    (finished,) = [e for e in events if isinstance(e, ev.ToolFinished)]
    assert finished.ok, finished.output
    answer = json.loads(finished.output)  # the server's JSON text, said once
    assert answer["timezone"] == "Europe/Paris" and answer["datetime"][:2] == "20"
    assert len(pids) == 1 and gone(pids[0])
