"""`roster run FILE "TASK"`: run a roster durably, progress on stderr and the answer on stdout.

The run is checked first (blocking governance findings refuse it unless
`--force`), the Anthropic key is resolved from the roster's
`providers.anthropic.api_key` reference (or `ANTHROPIC_API_KEY` when the
roster names no provider), and the run goes through `LocalExecutor`, so it is
journaled and a killed process can be continued with `roster runs resume ID`.
Approvals are asked on the terminal, or denied with `--unattended deny`.
Exit status: 0 completed, 1 failed, hit a limit or stopped, 2 unusable input.
Test hooks, honoured only when set and used by the crash tests to run this
command in a subprocess without a key: `ROSTER_TEST_PROVIDER=module:callable`
replaces the Anthropic provider and `ROSTER_TEST_TOOLS=module:callable` the
tool registry; each callable takes the roster content and returns a
`Provider`, respectively a mapping of tool id to `Tool`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import queue
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from runtime.cli.common import EXIT_OK, EXIT_UNREADABLE, err, journal_arg, load_or_report
from runtime.engine import events as ev
from runtime.engine.budget import usd_cap_arg
from runtime.roster import model as m
from runtime.roster.costs import format_usd

if TYPE_CHECKING:
    from runtime.engine.executor import LocalExecutor, RunFactories
    from runtime.engine.journal import RunSummary
    from runtime.engine.protocols import Provider, Tool
    from runtime.roster.codec import RosterContent

EXIT_FAILED = 1
TEST_PROVIDER_ENV = "ROSTER_TEST_PROVIDER"
TEST_TOOLS_ENV = "ROSTER_TEST_TOOLS"
NO_KEY = ("no Anthropic API key: store one with `roster keys set anthropic` and reference it in "
          "the roster as `providers: {anthropic: {api_key: keyring:agent-roster/anthropic}}`, "
          "or set ANTHROPIC_API_KEY")


class UsageError(Exception):
    """Input the run cannot start with; printed as one line, exit status 2."""


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH|URL", type=journal_arg,
                        help="the run journal: a SQLite file or a postgresql:// URL (default: "
                        "runs.db in $ROSTER_DATA_DIR or $XDG_DATA_HOME/agent-roster)")


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "run", help="run a roster on a task (journaled; resumable after a crash)",
        description="Run a roster on a task. Progress goes to stderr, the final answer to "
        "stdout. Exit status: 0 completed, 1 failed, limit or stopped, 2 unusable input.")
    parser.add_argument("file", metavar="FILE", help="the roster file")
    parser.add_argument("task", metavar="TASK", help="what to do")
    parser.add_argument("--entry", metavar="AGENT", help="start at this agent")
    parser.add_argument("--max-usd", type=usd_cap_arg, metavar="X", help="cap the run's spend")
    parser.add_argument("--unattended", choices=("deny",),
                        help="nobody is watching: deny every approval instead of asking")
    parser.add_argument("--force", action="store_true",
                        help="run even though the roster has blocking governance findings")
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def load_hook(spec: str) -> Callable[..., Any]:
    module, _, name = spec.partition(":")
    if not module or not name:
        raise UsageError(f"{spec!r} is not module:callable")
    hook: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return hook


def provider_for(content: RosterContent) -> tuple[Provider, tuple[str, ...]]:
    """The model provider and the secret values to redact from everything the run records."""
    hook = os.environ.get(TEST_PROVIDER_ENV)
    if hook:
        return load_hook(hook)(content), ()
    from runtime.engine.protocols import ProviderError
    from runtime.secrets.keystore import KeyStore, KeyStoreError, resolve
    from runtime.secrets.refs import ReferenceSyntaxError

    settings = content.meta.providers.get("anthropic")
    if settings is not None and settings.api_key:
        try:
            key = resolve(settings.api_key, KeyStore())
        except (KeyStoreError, ReferenceSyntaxError) as exc:
            raise UsageError(f"cannot read the Anthropic key: {exc}") from None
    else:
        key = os.environ.get("ANTHROPIC_API_KEY", "")
    if not key:
        raise UsageError(NO_KEY)
    from runtime.engine.providers.anthropic import AnthropicProvider

    try:
        return AnthropicProvider(key, base_url=settings.base_url if settings else None), (key,)
    except ProviderError as exc:
        raise UsageError(str(exc)) from None


def tools_for(content: RosterContent, base_dir: str | None = None
              ) -> tuple[dict[str, Tool], dict[str, str], Any]:
    """Tool implementations for the roster, why some are unavailable, and the MCP pool
    (to be killed when the run ends; None when the roster has no MCP server)."""
    hook = os.environ.get(TEST_TOOLS_ENV)
    if hook:
        tools: dict[str, Tool] = dict(load_hook(hook)(content))
        missing = {n.id: "no test implementation" for n in content.nodes.values()
                   if isinstance(n, m.Tool) and n.id not in tools}
        return tools, missing, None
    from runtime.engine.tools import build_tools
    from runtime.secrets.keystore import KeyStore, resolve

    store = KeyStore()

    def resolver(ref: str) -> str:
        return resolve(ref, store)

    pool = None
    if any(isinstance(n, m.McpServer) for n in content.nodes.values()):
        from runtime.engine.tools.mcp_pool import McpServerPool

        pool = McpServerPool.from_nodes(content.nodes, resolver=resolver, cwd=base_dir)
    toolset = build_tools(content, resolver=resolver, mcp=pool, base_dir=base_dir)
    unavailable = dict(toolset.unavailable)
    for tool_id, note in toolset.notes.items():
        print(f"note: {tool_id}: {note}", file=sys.stderr)
    return dict(toolset), unavailable, pool


class StdinLines:
    """Lines of stdin read by a daemon thread, so an unanswered prompt never blocks exit."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdin
        self._lines: queue.Queue[str] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._closed = False

    def readline(self) -> str:
        if self._thread is None:
            self._thread = threading.Thread(target=self._pump, daemon=True)
            self._thread.start()
        return "" if self._closed and self._lines.empty() else self._lines.get()

    def _pump(self) -> None:
        for line in self._stream:
            self._lines.put(line)
        self.close()

    def close(self) -> None:
        self._closed = True
        self._lines.put("")


class Progress:
    """One stderr line per event worth showing, indented by delegation depth."""

    def __init__(self, stream: TextIO | None = None, *, live: bool = True) -> None:
        self.out = stream or sys.stderr
        self.live = live
        self.depth: dict[str, int] = {}
        self.spent = 0.0
        self.budget: float | None = None

    def __call__(self, event: ev.EngineEvent) -> None:
        line = self.line(event)
        if line is not None:
            print(line, file=self.out, flush=True)

    def _pad(self, key: str | None) -> str:
        return "  " * self.depth.get(key or "", 0)

    def line(self, e: ev.EngineEvent) -> str | None:
        if isinstance(e, ev.RunStarted):
            self.budget = e.budget_usd
            cap = format_usd(e.budget_usd) if e.budget_usd is not None else "no cap"
            hint = f" (if this process dies: roster runs resume {e.run_id})" if self.live else ""
            return f"run {e.run_id}: {e.roster or 'roster'}, entry {e.entry}, budget {cap}{hint}"
        if isinstance(e, ev.AgentStarted):
            self.depth[e.frame] = self.depth[e.agent] = e.depth
            return f"{self._pad(e.frame)}▸ {e.agent} started ({e.model})"
        if isinstance(e, ev.ModelCalled):
            self.spent += e.cost_usd
            cap = f" of {format_usd(self.budget)}" if self.budget is not None else ""
            return (f"{self._pad(e.frame)}  {e.agent} turn {e.turn}: "
                    f"{e.usage.input_tokens}+{e.usage.output_tokens} tokens, "
                    f"{format_usd(e.cost_usd)} (spent {format_usd(self.spent)}{cap})")
        if isinstance(e, ev.ToolCalled):
            shown = json.dumps(e.arguments, ensure_ascii=False)
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            return f"{self._pad(e.frame)}  {e.agent} → {e.tool} {shown}"
        if isinstance(e, ev.ToolFinished):
            return (f"{self._pad(e.frame)}  {e.tool} {'ok' if e.ok else 'failed'} "
                    f"({e.duration_s:.1f} s)")
        if isinstance(e, ev.ToolDenied):
            return f"{self._pad(e.frame)}  {e.tool} denied: {e.reason}"
        if isinstance(e, ev.ApprovalRequested):
            self.depth[e.request_id] = self.depth.get(e.agent, 0)
            return f"{self._pad(e.agent)}  ? {e.human}: {e.reason} [{e.request_id}]"
        if isinstance(e, ev.ApprovalAnswered):
            return f"{self._pad(e.request_id)}  {e.decision} by {e.by}" + (
                f": {e.note}" if e.note else "")
        if isinstance(e, ev.LimitExceeded):
            return f"{self._pad(e.agent)}  ! limit {e.limit}: {e.detail}"
        if isinstance(e, ev.ModelRetrying):  # engine overload handling (issue 4)
            asked = f", server asked {e.asked_s:g} s" if e.capped and e.asked_s else ""
            return (f"{self._pad(e.agent)}  {e.model} answered {e.status or 'no answer'}: "
                    f"retry {e.attempt} in {e.wait_s:.1f} s{asked}")
        if isinstance(e, ev.ModelOverloaded):
            what = "asking whether to wait" if e.action == "ask" else "stopping"
            return f"{self._pad(e.frame)}  ! {e.model} overloaded: {what} ({e.wait_s:g} s)"
        if isinstance(e, ev.AgentFinished):
            return f"{self._pad(e.frame)}◂ {e.agent} {e.status} ({format_usd(e.cost_usd)})"
        if isinstance(e, ev.KillSwitchPressed):
            return f"■ stopping: {e.reason}"
        if isinstance(e, ev.RunFinished):
            tail = f" ({e.error})" if e.error else ""
            return (f"run {e.run_id} {e.status}: {format_usd(e.cost_usd)}, {e.model_calls} "
                    f"model calls, {e.usage.input_tokens}+{e.usage.output_tokens} tokens{tail}")
        return None


def factories(provider: Provider, secrets: Sequence[str], tools: Mapping[str, Tool],
              lines: StdinLines, *, deny: bool = False) -> RunFactories:
    from runtime.engine.approvals import DenyChannel, TerminalChannel
    from runtime.engine.executor import RunFactories
    from runtime.engine.protocols import ApprovalChannel

    def approvals(record: RunSummary) -> ApprovalChannel:
        if deny or record.unattended:
            return DenyChannel()
        return TerminalChannel(reader=lines.readline)

    return RunFactories(provider=lambda _: provider, tools=lambda _: tools,
                        approvals=approvals, secrets=lambda _: tuple(secrets),
                        listeners=(Progress(),))


async def drive(executor: LocalExecutor, run_id: str) -> RunSummary:
    """Wait for the run; the first Ctrl-C stops it cleanly, a second one aborts."""
    loop = asyncio.get_running_loop()

    def interrupted() -> None:
        loop.remove_signal_handler(signal.SIGINT)
        executor.kill_local("interrupted (Ctrl-C)")

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, interrupted)
    try:
        return await executor.wait(run_id)
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)


def outcome(summary: RunSummary) -> int:
    if summary.output:
        print(summary.output)
    if summary.status == "completed":
        return EXIT_OK
    err(f"run {summary.id} {summary.status}" + (f": {summary.error}" if summary.error else ""))
    return EXIT_FAILED


def prepare(content: RosterContent, base_dir: str | None = None
            ) -> tuple[Provider, tuple[str, ...], dict[str, Tool], Any]:
    provider, secrets = provider_for(content)
    tools, unavailable, pool = tools_for(content, base_dir)
    for tool_id, reason in sorted(unavailable.items()):
        print(f"note: tool {tool_id} is unavailable in this run ({reason}); calls to it are "
              "denied", file=sys.stderr)
    return provider, secrets, tools, pool


def handle(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.file)
    if loaded is None:
        return EXIT_UNREADABLE
    content = loaded.content
    from runtime.cli.preflight import blocked, entry_agent

    if blocked(loaded, args.file, force=args.force, verb="run") or (
            entry_agent(content, args.entry) is None):
        return EXIT_UNREADABLE
    try:
        provider, secrets, tools, pool = prepare(content, str(Path(args.file).resolve().parent))
    except UsageError as exc:
        err(str(exc))
        return EXIT_UNREADABLE
    lines = StdinLines()
    made = factories(provider, secrets, tools, lines, deny=args.unattended == "deny")
    try:
        return asyncio.run(_closing(provider, _run(args, content, made, lines)))
    finally:
        if pool is not None:
            pool.kill()  # no MCP server outlives the run


async def _closing(provider: Provider, work: Awaitable[int]) -> int:
    """Await the run, then close the provider's HTTP client inside the same event loop."""
    from runtime.engine.providers import close_provider

    try:
        return await work
    finally:
        await close_provider(provider)


async def _run(args: argparse.Namespace, content: RosterContent, made: RunFactories,
               lines: StdinLines) -> int:
    from runtime.engine.executor import LocalExecutor, RunSpec

    spec = RunSpec(task=args.task, roster_path=args.file, content=content, entry=args.entry,
                   max_usd=args.max_usd, unattended=args.unattended == "deny")
    executor = LocalExecutor(made, db=args.db)
    try:
        try:
            await executor.__aenter__()
        except Exception as exc:  # a database we cannot open or create: unusable input
            err(f"cannot open the run journal {executor.url}: {exc}")
            return EXIT_UNREADABLE
        try:
            summary = await drive(executor, await executor.start(spec))
        finally:
            await executor.__aexit__()
    finally:
        lines.close()
    return outcome(summary)
