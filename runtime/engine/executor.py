"""Where runs execute: the `RunExecutor` interface and `LocalExecutor`, on DBOS and the journal.

The CLI and the designer start, signal, cancel and inspect runs only through
`RunExecutor`. `LocalExecutor` makes each run one DBOS workflow (workflow id =
run id) started on the caller's event loop, and builds the `Run` with the
journal's `JournalStepRunner` as its step runner and listener. DBOS is used for
what it is good at and composes with: durable workflow identity and status,
ownership by executor id, cancellation, resumption through a queue, and
PostgreSQL for several workers. Steps are deliberately *not* DBOS steps:
DBOS identifies a step by its position in the workflow (a per-workflow
counter, checked against the recorded name), but the engine runs tool calls,
delegations and approvals concurrently, so positions differ between a run and
its replay and a recorded result could be handed to the wrong step (or the
replay refused). Our journal keys steps by the engine's deterministic keys
instead, so DBOS's at-least-once steps and deterministic-workflow rule are
satisfied by construction: the workflow body does nothing but run the
journaled engine. For the same reason a human wait is not `DBOS.recv` (also
positional) but the approval channel raced against a durable mailbox in the
journal that `signal` writes; the pending approval and its deadline survive in
the journal. Provider, tools and channel come from factories, so the same
executor serves the CLI (terminal prompts), the designer (dialogs) and tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from runtime.engine import dbos_support
from runtime.engine.budget import check_cap
from runtime.engine.events import Listener
from runtime.engine.failures import failure_reason
from runtime.engine.protocols import ApprovalChannel, ApprovalDecision, ApprovalRequest, Provider
from runtime.engine.protocols import Tool as ToolImpl
from runtime.engine.redact import Redactor
from runtime.engine.run import Run, RunConfig
from runtime.roster import effective as eff
from runtime.roster import model as m
from runtime.roster.codec import RosterContent

if TYPE_CHECKING:
    from runtime.engine.journal import Journal, RunSummary
    from runtime.scale.limits import ModelLimit
    from runtime.scale.presence import Presence
    from runtime.scale.registry import Registry

TERMINAL = frozenset({"completed", "failed", "limit", "stopped"})
DEAD = frozenset({"ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"})  # DBOS gave up

AUDITED_CAPS = frozenset({"state_change", "financial", "irreversible", "external_comm"})
HEARTBEAT_S = 2.0
STALE_S = 15.0
MAILBOX_POLL_S = 0.5


@dataclass(frozen=True, slots=True)
class RunSpec:
    """What to run: a roster (loaded content, or a file) and a task."""

    task: str
    roster_path: str | None = None
    content: RosterContent | None = None
    entry: str | None = None
    max_usd: float | None = None
    unattended: bool = False
    run_id: str | None = None

    def __post_init__(self) -> None:  # a NaN/negative cap would switch the spending cap off
        check_cap(self.max_usd, "RunSpec.max_usd")


@dataclass(frozen=True, slots=True)
class ApprovalAnswer:
    """A human's answer to a pending approval, sent to a run with `signal`."""

    request_id: str
    approved: bool
    by: str
    note: str = ""


class RunExecutor(Protocol):
    async def start(self, spec: RunSpec) -> str: ...
    async def signal(self, run_id: str, event: ApprovalAnswer) -> None: ...
    async def cancel(self, run_id: str) -> None: ...
    async def status(self, run_id: str) -> RunSummary | None: ...
    async def list(self, limit: int = 20) -> Sequence[RunSummary]: ...


@dataclass
class RunFactories:
    """How to build a run's collaborators from its roster (and, for approvals, its record)."""

    provider: Callable[[RosterContent], Provider]
    tools: Callable[[RosterContent], Mapping[str, ToolImpl]]
    approvals: Callable[[RunSummary], ApprovalChannel]
    secrets: Callable[[RosterContent], Sequence[str]] = lambda content: ()
    listeners: Sequence[Listener] = field(default_factory=tuple)
    # Tools that depend on the run's record too (a worker resolves roots next to its file).
    run_tools: Callable[[RosterContent, RunSummary], Mapping[str, ToolImpl]] | None = None


class ResumeError(Exception):
    """A run that cannot be resumed (finished, unknown, or still alive elsewhere)."""


class MailboxChannel:
    """The run's channel raced against answers `signal` left in the journal: first one wins.

    A terminal prompt that loses the race keeps its reader thread until a line
    arrives; the CLI feeds its reader from a daemon thread for that reason."""

    def __init__(self, inner: ApprovalChannel, journal: Journal, run_id: str,
                 wake: asyncio.Event) -> None:
        self._inner, self._journal, self._run_id, self._wake = inner, journal, run_id, wake

    async def ask(self, request: ApprovalRequest) -> ApprovalDecision:
        tasks = [asyncio.ensure_future(self._inner.ask(request)),
                 asyncio.ensure_future(self._mailbox(request.request_id))]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            return done.pop().result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _mailbox(self, request_id: str) -> ApprovalDecision:
        while True:
            answer = self._journal.take_signal(self._run_id, request_id)
            if answer is not None:
                return ApprovalDecision(bool(answer["approved"]), str(answer["by"]),
                                        str(answer.get("note", "")))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), MAILBOX_POLL_S)


@dataclass(frozen=True, slots=True)
class RosterFacts:
    """A stored roster, parsed, and what every run of it needs worked out once."""

    content: RosterContent
    content_hash: str
    audited: frozenset[str]
    human_for: Mapping[str, str]


class RunBuilder:
    """Records new runs and builds the `Run` for an attempt from the journal (no DBOS).

    A worker runs the same few rosters many times: each stored roster text is parsed (and
    hashed, and its audited tools and escalation humans worked out) once per builder, not
    once per run; the parsed content is immutable, and a changed text is a new entry."""

    CACHE_ENTRIES = 64

    def __init__(self, journal: Journal, factories: RunFactories) -> None:
        self.journal, self.factories = journal, factories
        self.wakes: dict[str, asyncio.Event] = {}
        self._facts: dict[str, RosterFacts] = {}  # by stored roster text

    def create(self, spec: RunSpec) -> str:
        from runtime.roster.io import content_hash, dumps, load_roster

        if spec.content is None and spec.roster_path is None:
            raise ValueError("a run needs a roster: give RunSpec.content or roster_path")
        content = spec.content or load_roster(str(spec.roster_path)).content
        redactor = Redactor(self.factories.secrets(content))
        text = dumps(content)
        run_id = spec.run_id or uuid.uuid4().hex[:12]
        self.journal.create_run(
            run_id, roster_name=content.meta.name, content_hash=content_hash(content),
            roster_path=os.path.abspath(spec.roster_path) if spec.roster_path else None,
            roster_text=text if redactor(text) == text else None, task=redactor(spec.task),
            entry=spec.entry, max_usd=spec.max_usd, unattended=int(spec.unattended))
        return run_id

    def content(self, run_id: str) -> RosterContent:
        return self.facts(run_id)[1].content

    def facts(self, run_id: str) -> tuple[RunSummary, RosterFacts, str]:
        """The run's record, its roster (parsed once per text), and its task."""
        from runtime.roster.io import content_hash, load_roster, loads

        found = self.journal.run_and_roster(run_id)
        if found is None:
            raise ResumeError(f"no run {run_id}")
        record, text = found
        path, task = record.roster_path, record.task
        facts = self._facts.get(text) if text is not None else None
        if facts is None:
            content = loads(text).content if text is not None else load_roster(str(path)).content
            facts = RosterFacts(content, content_hash(content), audited_tools(content),
                                first_humans(content))
            if text is not None:
                if len(self._facts) >= self.CACHE_ENTRIES:
                    self._facts.clear()
                self._facts[text] = facts
        if facts.content_hash != record.content_hash:
            raise ResumeError(f"the roster {path or ''} changed since run {run_id} started")
        return record, facts, task

    def build(self, run_id: str, executor_id: str, *,
              gate: Callable[[Provider, RosterContent], Provider] | None = None,
              facts: tuple[RunSummary, RosterFacts, str] | None = None) -> Run:
        """The `Run` for a new attempt; `gate` wraps its provider (per-model queues);
        `facts` as `facts(run_id)` returned them, if the caller has them already."""
        from runtime.engine.journal import JournalStepRunner

        record, roster, task = facts or self.facts(run_id)
        content = roster.content
        secrets = tuple(self.factories.secrets(content))
        attempt = self.journal.begin_attempt(run_id, executor_id, socket.gethostname(),
                                             os.getpid())
        wake = self.wakes.setdefault(run_id, asyncio.Event())
        channel = MailboxChannel(self.factories.approvals(record), self.journal, run_id, wake)
        steps = JournalStepRunner(self.journal, run_id, attempt=attempt,
                                  redactor=Redactor(secrets), approvals=channel,
                                  audited=roster.audited, human_for=roster.human_for)
        config = RunConfig(task=task, entry=record.entry, max_usd=record.max_usd,
                           unattended=record.unattended, run_id=run_id, secrets=secrets)
        provider = self.factories.provider(content)
        tools = (self.factories.run_tools(content, record) if self.factories.run_tools
                 else self.factories.tools(content))
        run = Run(content, config, gate(provider, content) if gate else provider, tools, channel,
                  steps=steps, listeners=(steps.on_event, *self.factories.listeners))
        steps.attach(run.emit)
        return run


class LocalExecutor:
    """Runs in this process, durable through DBOS and the journal; `async with` opens it.

    It heartbeats as an executor of the run database, claims each run before an attempt
    (so two live processes never execute one run), and sends model calls of throttled
    models through their per-model queues. A worker (runtime/scale/worker.py) is the same
    executor listening to the shared run queue too, and reaping dead executors."""

    kind = "local"

    def __init__(self, factories: RunFactories, *, db: str | None = None,
                 executor_id: str | None = None, queues: tuple[str, ...] = (),
                 reap: bool = False, stale_s: float = STALE_S) -> None:
        self.factories = factories
        self.url = dbos_support.journal_url(db)
        self.executor_id = executor_id or (
            f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}")
        self.queues, self.reap, self.stale_s = queues, reap, stale_s
        self.registry: Registry | None = None
        self.presence: Presence | None = None
        self._taken_over: set[str] = set()  # runs `resume` found dead: claim at once
        self._builder: RunBuilder | None = None
        self._runs: dict[str, Run] = {}
        self._done: dict[str, asyncio.Future[str]] = {}

    @property
    def journal(self) -> Journal:
        assert self._builder is not None, "the executor is not open"
        return self._builder.journal

    async def __aenter__(self) -> LocalExecutor:
        from runtime.scale.presence import Presence
        from runtime.scale.registry import Registry
        from runtime.scale.schema import open_journal

        self._builder = RunBuilder(open_journal(self.url), self.factories)
        self.registry = Registry(self.journal.engine)
        dbos_support.launch(dbos_support.system_database_url(self.url), self.executor_id,
                            self._execute, queues=self.queues)
        await dbos_support.open_queue()
        await self._opened()
        self.presence = Presence(self.registry, self.executor_id, self.kind,
                                 stale_s=self.stale_s, heartbeat_s=HEARTBEAT_S, reap=self.reap)
        await self.presence.start()
        return self

    async def _opened(self) -> None:
        """Subclasses register further queues here (after DBOS launched, before runs)."""

    async def __aexit__(self, *exc: object) -> None:
        running = [self._done[run_id] for run_id in self._runs if run_id in self._done]
        self.kill_local("the executor closed")
        if running:
            await asyncio.wait(running, timeout=5.0)
        if self.presence is not None:
            await self.presence.stop()
        await dbos_support.shutdown()
        self.journal.close()

    # ------------------------------------------------------------ RunExecutor

    async def start(self, spec: RunSpec) -> str:
        assert self._builder is not None, "the executor is not open"
        run_id = self._builder.create(spec)
        await dbos_support.start(run_id)
        return run_id

    async def resume(self, run_id: str, *, force: bool = False) -> None:
        record = self.journal.get_run(run_id)
        if record is None:
            raise ResumeError(f"no run {run_id}")
        if record.status not in ("pending", "running"):
            raise ResumeError(f"run {run_id} already finished ({record.status})")
        if not force and is_alive(record):
            raise ResumeError(f"run {run_id} is still running in {record.executor} "
                              f"(pid {record.pid} on {record.host})")
        state = await dbos_support.status(run_id)
        if state is None:
            raise ResumeError(f"run {run_id} never started (its process ended before the run "
                              "was durable); start it again")
        if state not in ("PENDING", "ENQUEUED"):
            raise ResumeError(f"run {run_id} cannot be resumed: its workflow is {state}")
        self._taken_over.add(run_id)
        await dbos_support.resume(run_id)

    def content(self, run_id: str) -> RosterContent:
        assert self._builder is not None, "the executor is not open"
        return self._builder.content(run_id)

    async def wait(self, run_id: str) -> RunSummary:
        """The run's record once it has finished (here or in another process)."""
        done = self._future(run_id)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(done), 1.0)
            if done.done():
                await dbos_support.settled(run_id)
            record = self.journal.get_run(run_id)
            if record is not None and (done.done() or record.status in TERMINAL or (
                    run_id not in self._runs and await dbos_support.status(run_id) in DEAD)):
                return record

    async def signal(self, run_id: str, event: ApprovalAnswer) -> None:
        self.journal.post_signal(run_id, event.request_id, {
            "approved": event.approved, "by": event.by, "note": event.note})
        wake = self._builder.wakes.get(run_id) if self._builder else None
        if wake is not None:
            wake.set()
            wake.clear()

    async def cancel(self, run_id: str) -> None:
        record = self.journal.get_run(run_id)
        local = self._runs.get(run_id)
        alive = local is not None or (record is not None and is_alive(record))
        self.journal.request_cancel(run_id, stop=not alive and record is not None
                                    and record.status in ("pending", "running"))
        if local is not None:
            local.kill("cancelled")
        await dbos_support.cancel(run_id)

    def kill_local(self, reason: str) -> None:
        """The kill switch for every run executing in this process."""
        for run in list(self._runs.values()):
            run.kill(reason)

    async def status(self, run_id: str) -> RunSummary | None:
        return self.journal.get_run(run_id)

    # ------------------------------------------------------------ the workflow body

    def _future(self, run_id: str) -> asyncio.Future[str]:
        if run_id not in self._done:
            self._done[run_id] = asyncio.get_running_loop().create_future()
        return self._done[run_id]

    async def _execute(self, run_id: str) -> str:
        from runtime.scale.permits import GatedProvider

        assert self._builder is not None
        done = self._future(run_id)
        finished = await self._claim(run_id)
        if finished is not None:  # another attempt recorded the outcome: report, don't redo
            if not done.done():
                done.set_result(finished)
            return finished
        try:
            facts = self._builder.facts(run_id)
            limits = await self._model_queues(facts[1].content)
            run = self._builder.build(run_id, self.executor_id, facts=facts,
                                      gate=lambda p, _: GatedProvider(p, limits) if limits else p)
        except Exception as exc:  # the run cannot even be built: it fails, with the reason
            self.journal.fail_run(run_id, failure_reason(exc))
            done.set_result("failed")
            return "failed"
        self._runs[run_id] = run
        watch = asyncio.create_task(self._watch(run_id, run))
        try:
            await run.execute()
        finally:
            watch.cancel()
            self._runs.pop(run_id, None)
            if not done.done():
                done.set_result(run.status)
        return run.status

    async def _claim(self, run_id: str) -> str | None:
        """Claim the run for this attempt (waiting while a live executor holds it); None when
        claimed, else the outcome that is already recorded."""
        from runtime.scale.registry import CLAIMED, FINISHED

        assert self.registry is not None
        stale_s = 0.0 if run_id in self._taken_over else self.stale_s
        while True:
            claim = await asyncio.to_thread(self.registry.claim_run, run_id, self.executor_id,
                                            stale_s)
            if claim == CLAIMED:
                return None
            if claim == FINISHED:
                record = self.journal.get_run(run_id)
                return record.status if record is not None else "failed"
            await asyncio.sleep(HEARTBEAT_S)

    async def _model_queues(self, content: RosterContent) -> dict[str, ModelLimit]:
        """The roster's per-model limits, with their DBOS queues registered."""
        from runtime.scale.limits import parse_limits
        from runtime.scale.permits import ensure_queues

        limits = parse_limits(content)
        await ensure_queues(limits)
        return limits

    async def _watch(self, run_id: str, run: Run) -> None:
        """Heartbeat (so `resume` elsewhere can tell a live run) and honour remote cancels.
        The claim and the attempt's start have just stamped the heartbeat, so the first
        beat is one interval later (a short run never needs one)."""
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            if self.journal.heartbeat(run_id):
                run.kill("cancelled")

    async def list(self, limit: int = 20) -> Sequence[RunSummary]:
        return self.journal.list_runs(limit)


def stored_content(journal: Journal, run_id: str) -> RosterContent:
    """The roster a run was started with (its stored text, else its file if unchanged)."""
    from runtime.roster.io import content_hash, load_roster, loads

    record = journal.get_run(run_id)
    if record is None:
        raise ResumeError(f"no run {run_id}")
    text, path, _ = journal.run_source(run_id)
    content = loads(text).content if text is not None else load_roster(str(path)).content
    if content_hash(content) != record.content_hash:
        raise ResumeError(f"the roster {path or ''} changed since run {run_id} started")
    return content


def is_alive(record: RunSummary) -> bool:
    """Whether the process that last ran this run still does (pid on this host, else a fresh
    heartbeat from another host)."""
    import time

    if record.host == socket.gethostname() and record.pid:
        try:
            os.kill(record.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return record.status == "running" and _not_zombie(record.pid)
    return record.heartbeat_at is not None and time.time() - record.heartbeat_at < STALE_S


def _not_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def audited_tools(content: RosterContent) -> frozenset[str]:
    """Tools whose calls get a write-ahead audit record: they change state, communicate or
    move money (as declared, or as their kind implies)."""
    out = set()
    for node in content.nodes.values():
        if isinstance(node, m.Tool):
            server = content.nodes.get(node.server or "")
            caps = eff.tool_capabilities(node, server if isinstance(server, m.McpServer)
                                         else None)
            if caps & AUDITED_CAPS:
                out.add(node.id)
    return frozenset(out)


def first_humans(content: RosterContent) -> dict[str, str]:
    """Who is asked, for each agent, whether a tool interrupted by a crash may run again."""
    out: dict[str, str] = {}
    for edge in content.edges.values():
        if edge.kind is m.EdgeKind.ESCALATION:
            out.setdefault(edge.source, edge.target)
    return out


__all__ = ["ApprovalAnswer", "LocalExecutor", "MailboxChannel", "ResumeError", "RunBuilder",
           "RunExecutor", "RunFactories", "RunSpec", "is_alive", "stored_content"]
