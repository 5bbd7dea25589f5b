"""The single bridge between the designer and the engine: a thread, its loop, Qt signals.

`RunBridge` owns one background thread running its own asyncio loop. On that
loop it opens a `LocalExecutor` lazily (DBOS and the journal, so runs from
the designer are durable and show in `roster runs list`), resolves the key
and builds the tools (keyring and MCP start-up never touch the UI thread),
and runs. Engine events are buffered on the engine thread and cross to the
UI thread as one queued signal per batch: the first event of a batch posts a
wake-up, the UI drains the whole buffer after a short coalescing window, so
a fast stream never floods the event loop. Approvals cross the other way:
the engine's `ApprovalChannel.ask` parks a future, the UI answers with
`answer()`, which resolves it thread-safely. `stop()` is the kill switch.
Journal reads for the history and dashboard go through `query()`, also off
the UI thread. Nothing here blocks the UI except `shutdown()`, which waits
at most a few seconds for in-flight runs to stop at exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from runtime.engine import events as ev
from runtime.engine.protocols import ApprovalDecision, ApprovalRequest, Provider
from runtime.engine.protocols import Tool as ToolImpl
from runtime.engine.providers import close_provider
from runtime.roster.codec import RosterContent

if TYPE_CHECKING:
    from runtime.engine.executor import LocalExecutor, RunFactories
    from runtime.engine.journal import Journal

COALESCE_MS = 30
SHUTDOWN_WAIT_S = 5.0
STOP_REASON = "stopped from the designer"

ProviderFactory = Callable[[RosterContent], tuple[Provider, tuple[str, ...]]]
ToolsFactory = Callable[[RosterContent, str | None], Mapping[str, ToolImpl]]


class RunNotStarted(Exception):
    """The run could not start (no key, unreadable keyring, no journal); `missing_key` says
    whether adding a key in Settings → API keys is the way out."""

    def __init__(self, message: str, *, missing_key: bool = False) -> None:
        super().__init__(message)
        self.missing_key = missing_key


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What the run panel asks for: a roster snapshot, a task and where it starts."""

    content: RosterContent
    task: str
    entry: str | None = None
    max_usd: float | None = None
    roster_path: str | None = None
    base_dir: str | None = None


@dataclass
class _Pending:
    future: asyncio.Future[ApprovalDecision]
    request: ApprovalRequest


def default_provider(content: RosterContent) -> tuple[Provider, tuple[str, ...]]:
    """The Anthropic provider from the roster's key reference (what `roster run` uses)."""
    from runtime.cli.run import UsageError, provider_for

    try:
        return provider_for(content)
    except UsageError as exc:
        text = str(exc)
        raise RunNotStarted(text, missing_key="key" in text.lower()) from None


def default_tools(content: RosterContent, base_dir: str | None
                  ) -> tuple[Mapping[str, ToolImpl], Any]:
    """The roster's built-in and MCP tools (what `roster run` uses) and the MCP server
    pool to kill when the run ends (None without MCP servers)."""
    from runtime.cli.run import tools_for

    tools, _unavailable, pool = tools_for(content, base_dir)
    return tools, pool


@dataclass
class _Live:
    """Per-run collaborators the executor's factories hand out (keyed by content hash)."""

    providers: dict[str, tuple[Provider, tuple[str, ...]]] = field(default_factory=dict)
    tools: dict[str, Mapping[str, ToolImpl]] = field(default_factory=dict)


class _BridgeChannel:
    """The engine's approval channel: parks each request until the UI answers it."""

    def __init__(self, bridge: RunBridge) -> None:
        self._bridge = bridge

    async def ask(self, request: ApprovalRequest) -> ApprovalDecision:
        future: asyncio.Future[ApprovalDecision] = asyncio.get_running_loop().create_future()
        self._bridge._pending[request.request_id] = _Pending(future, request)
        self._bridge.approval_requested.emit(request)
        try:
            return await future
        finally:
            self._bridge._pending.pop(request.request_id, None)


class RunBridge(QObject):
    """Start, watch, answer and stop runs from the UI thread without ever waiting on them."""

    events_ready = Signal(list)  # list[EngineEvent], in order, one batch at a time
    approval_requested = Signal(object)  # ApprovalRequest
    run_started = Signal(str)  # run id
    run_finished = Signal(object)  # RunSummary
    run_refused = Signal(object)  # RunNotStarted
    _wake = Signal()

    def __init__(self, db: str | None = None, *, provider: ProviderFactory | None = None,
                 tools: ToolsFactory | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self._provider_factory = provider or default_provider
        self._tools_factory = tools or self._builtin_tools
        self._pools: dict[str, Any] = {}  # content hash -> MCP pool of the run(s) using it
        self._buffer: list[ev.EngineEvent] = []
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._live = _Live()
        self._executor: LocalExecutor | None = None
        self._reader: Journal | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.active_runs: set[str] = set()
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(COALESCE_MS)
        self._flush.timeout.connect(self._drain)
        self._wake.connect(self._woken)

    def _builtin_tools(self, content: RosterContent, base_dir: str | None
                       ) -> Mapping[str, ToolImpl]:
        from runtime.roster.io import content_hash

        tools, pool = default_tools(content, base_dir)
        if pool is not None:
            self._pools[content_hash(content)] = pool
        return tools

    def _kill_pools(self) -> None:
        """No MCP server outlives the runs that started it."""
        if not self.active_runs:
            for pool in self._pools.values():
                pool.kill()
            self._pools.clear()

    async def _release(self) -> None:
        """Once no run is active, kill the MCP servers and close the providers' HTTP
        clients (each edit of the roster makes a new provider: none may pile up)."""
        self._kill_pools()
        if self.active_runs:
            return
        providers = [made[0] for made in self._live.providers.values()]
        self._live.providers.clear()
        self._live.tools.clear()
        for provider in providers:
            await close_provider(provider)

    def use_factories(self, provider: ProviderFactory | None = None,
                      tools: ToolsFactory | None = None) -> None:
        """Replace how runs get their provider and tools (demos, screenshots, embedding);
        None keeps the current one. Applies to runs started afterwards."""
        self._provider_factory = provider or self._provider_factory
        self._tools_factory = tools or self._tools_factory

    # ------------------------------------------------------------ the engine thread

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def serve() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            self._thread = threading.Thread(target=serve, name="roster-engine", daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop
        return self._loop

    def submit(self, coro: Any) -> Future[Any]:
        """Schedule a coroutine on the engine loop; returns a concurrent future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    async def _open_executor(self) -> LocalExecutor:
        if self._executor is None:
            from runtime.engine.executor import LocalExecutor

            executor = LocalExecutor(self._factories(), db=self.db)
            await executor.__aenter__()
            self._executor = executor
        return self._executor

    def _factories(self) -> RunFactories:
        from runtime.engine.executor import RunFactories
        from runtime.roster.io import content_hash

        live = self._live

        def provider(content: RosterContent) -> Provider:
            return live.providers[content_hash(content)][0]

        def secrets(content: RosterContent) -> tuple[str, ...]:
            found = live.providers.get(content_hash(content))
            return found[1] if found else ()

        return RunFactories(provider=provider,
                            tools=lambda content: live.tools[content_hash(content)],
                            approvals=lambda record: _BridgeChannel(self), secrets=secrets,
                            listeners=(self._on_event,))

    def _on_event(self, event: ev.EngineEvent) -> None:
        """Engine thread: buffer the event; post one wake-up per batch."""
        with self._lock:
            first = not self._buffer
            self._buffer.append(event)
        if first:
            self._wake.emit()

    # ------------------------------------------------------------ the UI thread

    @Slot()
    def _woken(self) -> None:
        if not self._flush.isActive():
            self._flush.start()

    @Slot()
    def _drain(self) -> None:
        with self._lock:
            batch, self._buffer = self._buffer, []
        if batch:
            self.events_ready.emit(batch)

    def flush_now(self) -> None:
        """Deliver buffered events immediately (tests and shutdown)."""
        self._flush.stop()
        self._drain()

    def start(self, request: RunRequest) -> Future[str]:
        """Start a run; `run_started` or `run_refused` follows, then events, `run_finished`."""
        return self.submit(self._start(request))

    async def _start(self, request: RunRequest) -> str:
        from runtime.engine.executor import RunSpec
        from runtime.roster.io import content_hash

        try:
            key = content_hash(request.content)
            made = await asyncio.to_thread(self._provider_factory, request.content)
            self._live.providers[key] = made
            self._live.tools[key] = await asyncio.to_thread(
                self._tools_factory, request.content, request.base_dir)
            executor = await self._open_executor()
            run_id = await executor.start(RunSpec(
                task=request.task, content=request.content, entry=request.entry,
                max_usd=request.max_usd, roster_path=request.roster_path))
        except RunNotStarted as exc:
            self._kill_pools()
            self.run_refused.emit(exc)
            raise
        except Exception as exc:  # a journal we cannot open, a broken tool set: say why
            refused = RunNotStarted(f"the run could not start: {type(exc).__name__}: {exc}")
            self._kill_pools()
            self.run_refused.emit(refused)
            raise refused from exc
        self.active_runs.add(run_id)
        self.run_started.emit(run_id)
        asyncio.get_running_loop().create_task(self._watch(executor, run_id))
        return run_id

    async def _watch(self, executor: LocalExecutor, run_id: str) -> None:
        try:
            summary = await executor.wait(run_id)
        finally:
            self.active_runs.discard(run_id)
            await self._release()
        self.run_finished.emit(summary)

    def answer(self, request_id: str, approved: bool, by: str, note: str = "") -> bool:
        """A human's answer from the UI; False when the request is no longer waiting."""
        pending = self._pending.get(request_id)
        if pending is None or self._loop is None:
            return False
        decision = ApprovalDecision(approved, by, note)

        def resolve() -> None:
            if not pending.future.done():
                pending.future.set_result(decision)

        self._loop.call_soon_threadsafe(resolve)
        return True

    def waiting(self) -> list[ApprovalRequest]:
        return [p.request for p in list(self._pending.values())]

    def stop(self, reason: str = STOP_REASON) -> None:
        """The kill switch: every run of this designer is cancelled (well within 2 s)."""
        if self._loop is None:
            return

        def kill() -> None:
            if self._executor is not None:
                self._executor.kill_local(reason)

        self._loop.call_soon_threadsafe(kill)

    def query(self, fn: Callable[[Journal], Any], done: Callable[[Any], None]) -> None:
        """Run `fn(journal)` on the engine thread; `done(result)` is called on the UI thread
        (with the exception instead, if it raised)."""
        relay = _Relay(self)

        def deliver(result: Any) -> None:
            relay.deleteLater()
            done(result)

        relay.delivered.connect(deliver)

        async def read() -> None:
            try:
                result = await asyncio.to_thread(fn, self._journal())
            except Exception as exc:  # handed to the caller, who shows it
                result = exc
            relay.delivered.emit(result)

        self.submit(read())

    def _journal(self) -> Journal:
        if self._reader is None:
            from runtime.engine import dbos_support
            from runtime.engine.journal import Journal

            self._reader = Journal(dbos_support.journal_url(self.db))
        return self._reader

    def shutdown(self) -> None:
        """Stop runs, close the executor and the engine thread (at exit)."""
        if self._loop is None:
            return
        loop, self._loop = self._loop, None

        async def close() -> None:
            if self._executor is not None:
                self._executor.kill_local("the designer closed")
                with contextlib.suppress(Exception):
                    await self._executor.__aexit__()
                self._executor = None
            if self._reader is not None:
                self._reader.close()
                self._reader = None
            self.active_runs.clear()
            await self._release()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), loop).result(SHUTDOWN_WAIT_S * 2)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(SHUTDOWN_WAIT_S)
        self.flush_now()


class _Relay(QObject):
    """Carries one query result to the UI thread as a queued signal."""

    delivered = Signal(object)


__all__ = ["RunBridge", "RunNotStarted", "RunRequest", "default_provider", "default_tools"]
