"""The run journal: our own tables beside DBOS's, the durable step runner and the event recorder.

`Journal` owns the tables people read (runs, steps, model_calls, tool_calls,
approvals, audit, events, signals) through SQLAlchemy Core, so the same SQL
runs on the default SQLite file and on PostgreSQL. A run's writes go through
the journal's `JournalWriter` (journal_writer.py), which commits whatever is
queued in one transaction (group commit; on SQLite inline on the caller's thread
when idle, WAL with synchronous=NORMAL, FULL on the writer thread for the record
written before a tool runs; on PostgreSQL on the writer thread). A step
is done only once its record is committed; events and the readable tables
ride along in the same transactions without the run waiting for them. `JournalStepRunner` is the
engine's `StepRunner` for real runs and keys every step by (run id, the
engine's deterministic step key), never by execution order, because the
engine runs tool calls and delegations concurrently: a completed step returns
its recorded result (no re-billing, no re-execution); a tool step writes its
`started` record, plus an audit record when the tool can change state,
communicate or move money, before the tool runs, and a tool found started but
unfinished on resume is put to a human (denied: an error result, never a
silent re-run); an approval pending at the crash is asked again under the
same request id with what is left of its timeout. Its `on_event` method is
the listener that stores the event stream and fills the readable tables,
marking events a resumed run merely replays. Everything stored is redacted.
The table definitions are in journal_tables.py, the readable-table rows that go
with an event in journal_readable.py, the hot statements' driver path in
journal_sql.py and the one-pass event encoding in journal_json.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

from runtime.engine import events as ev
from runtime.engine.journal_json import redacted_plain
from runtime.engine.journal_readable import readable_write
from runtime.engine.journal_sql import DriverStatements
from runtime.engine.journal_tables import _md as tables_md
from runtime.engine.journal_tables import (
    approvals,
    audit,
    events,
    model_calls,
    runs,
    signals,
    steps,
    tool_calls,
)
from runtime.engine.journal_writer import JournalWriter
from runtime.engine.protocols import ApprovalChannel, ApprovalDecision, ApprovalRequest
from runtime.engine.redact import Redactor
from runtime.engine.steps import DuplicateStep

T = TypeVar("T")
CRASH_NOTE = ("the tool may or may not have completed before the crash; it was not run again. "
              "Check its effect before retrying.")

_md = tables_md  # the journal's metadata, for migrations

_FINISH_STEP = steps.update().where(
    steps.c.run_id == sa.bindparam("rid"), steps.c.key == sa.bindparam("k")).values(
    status=sa.bindparam("status"), result_json=sa.bindparam("result_json"),
    finished_at=sa.bindparam("finished_at"))
_INSERT_EVENT = events.insert()
_INSERT_AUDIT = audit.insert()
_RESET_STEP = steps.update().where(
    steps.c.run_id == sa.bindparam("rid"), steps.c.key == sa.bindparam("k")).values(
    status="started", attempts=sa.bindparam("attempts"), result_json=None)


def engine_url(url: str) -> str:
    """SQLAlchemy's spelling of a user's URL: PostgreSQL goes through psycopg 3 (DBOS's)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def dumps(value: Any) -> str:
    def default(obj: Any) -> Any:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return dataclasses.asdict(obj)
        return str(obj)
    return json.dumps(value, ensure_ascii=False, default=default)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One row of `runs`, as `roster runs list/show` and `RunExecutor.status` report it."""

    id: str
    roster_name: str
    roster_path: str | None
    content_hash: str
    task: str
    entry: str | None
    status: str
    started_at: float | None
    finished_at: float | None
    cost_usd: float
    input_tokens: int
    output_tokens: int
    model_calls: int
    error: str
    output: str
    executor: str | None
    host: str | None
    pid: int
    attempts: int
    heartbeat_at: float | None
    max_usd: float | None
    unattended: bool


@dataclass(frozen=True, slots=True)
class StepRecord:
    kind: str
    status: str  # started | completed | failed
    result_json: str | None
    attempts: int
    started_at: float


class Journal:
    def __init__(self, url: str) -> None:
        from runtime.engine.journal_migrations import prepare_journal

        self.url = url
        self.engine = sa.create_engine(engine_url(url))
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        # the schema version check and migrations (journal_migrations.py) come before any
        # other use of the database; they create the tables of a fresh one
        self.schema = prepare_journal(engine_url(url), owner=self.engine)
        self.writer = JournalWriter(self.engine)
        self.sql = DriverStatements(self.engine.dialect)  # the hot statements, on the driver
        self._ignoring: dict[str, sa.Executable] = {}  # compiled once, reused with parameters

    def close(self) -> None:
        self.writer.close()
        self.engine.dispose()

    def _tx(self) -> AbstractContextManager[sa.Connection]:
        return self.engine.begin()

    def insert_ignore(self, conn: sa.Connection, table: sa.Table, **values: Any) -> None:
        """INSERT ... ON CONFLICT DO NOTHING, in the dialect's spelling (SQLite or PostgreSQL).
        The statement is built once per table and run with the values as parameters, so
        SQLAlchemy compiles it once instead of on every write."""
        statement = self._ignoring.get(table.name)
        if statement is None:
            if self.engine.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
            statement = self._ignoring[table.name] = insert(table).on_conflict_do_nothing()
        self.sql.execute(conn, statement, values)

    # ---------------------------------------------------------------- runs

    def create_run(self, run_id: str, **values: Any) -> None:
        with self._tx() as conn:
            conn.execute(runs.insert().values(id=run_id, status="pending", **values))

    def begin_attempt(self, run_id: str, executor: str, host: str, pid: int) -> int:
        with self._tx() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id).values(
                attempts=runs.c.attempts + 1, status="running", executor=executor, host=host,
                pid=pid, heartbeat_at=time.time(), started_at=sa.func.coalesce(
                    runs.c.started_at, time.time())))
            return int(conn.execute(sa.select(runs.c.attempts)
                                    .where(runs.c.id == run_id)).scalar_one())

    def heartbeat(self, run_id: str) -> bool:
        """Mark the run alive; True when someone asked for it to be cancelled."""
        with self._tx() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id)
                         .values(heartbeat_at=time.time()))
            return bool(conn.execute(sa.select(runs.c.cancel_requested)
                                     .where(runs.c.id == run_id)).scalar())

    def request_cancel(self, run_id: str, *, stop: bool) -> None:
        values: dict[str, Any] = {"cancel_requested": 1}
        if stop:
            values.update(status="stopped", error="cancelled", finished_at=time.time())
        with self._tx() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id).values(**values))

    def fail_run(self, run_id: str, error: str) -> None:
        with self._tx() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id).values(
                status="failed", error=Redactor()(error), finished_at=time.time()))

    def run_source(self, run_id: str) -> tuple[str | None, str | None, str]:
        """(roster text, roster path, task) a run was started with."""
        with self._tx() as conn:
            row = conn.execute(sa.select(runs.c.roster_text, runs.c.roster_path, runs.c.task)
                               .where(runs.c.id == run_id)).one()
        return row[0], row[1], row[2] or ""

    def get_run(self, run_id: str) -> RunSummary | None:
        found = self._summaries(runs.c.id == run_id, 1)
        return found[0] if found else None

    def find_run(self, prefix: str) -> list[RunSummary]:
        """Runs whose id starts with `prefix` (the CLI accepts a short id)."""
        exact = self.get_run(prefix)
        return [exact] if exact else self._summaries(runs.c.id.startswith(prefix), 5)

    def list_runs(self, limit: int = 20) -> list[RunSummary]:
        return self._summaries(sa.true(), limit)

    def run_and_roster(self, run_id: str) -> tuple[RunSummary, str | None] | None:
        """The run's record and the roster text it was started with (None if it was not
        stored), in one read: what an executor needs to start an attempt."""
        found = self._records(runs.c.id == run_id, 1, runs.c.roster_text)
        return (found[0][0], found[0][1][0]) if found else None

    def _summaries(self, where: Any, limit: int) -> list[RunSummary]:
        return [summary for summary, _ in self._records(where, limit)]

    def _records(self, where: Any, limit: int, *extra: Any
                 ) -> list[tuple[RunSummary, tuple[Any, ...]]]:
        """(summary, values of the `extra` columns) of the runs matching `where`."""
        names = [f.name for f in dataclasses.fields(RunSummary)]
        query = (sa.select(*(runs.c[n] for n in names), *extra).where(where)
                 .order_by(runs.c.started_at.desc().nulls_last(), runs.c.id).limit(limit))
        with self._tx() as conn:
            rows = conn.execute(query).all()
        out = []
        for row in rows:
            data = dict(zip(names, row[:len(names)], strict=True))
            for name in ("cost_usd",):
                data[name] = data[name] or 0.0
            for name in ("task", "error", "output", "roster_name", "content_hash"):
                data[name] = data[name] or ""
            data["unattended"] = bool(data["unattended"])
            out.append((RunSummary(**data), tuple(row[len(names):])))
        return out

    # ---------------------------------------------------------------- steps and signals

    def load_steps(self, run_id: str) -> dict[str, StepRecord]:
        with self._tx() as conn:
            rows = conn.execute(sa.select(steps).where(steps.c.run_id == run_id)).all()
        return {r.key: StepRecord(r.kind, r.status, r.result_json, r.attempts or 0,
                                  r.started_at or 0.0) for r in rows}

    def step_started(self, run_id: str, key: str, kind: str, attempts: int,
                     audit_row: Mapping[str, Any] | None) -> None:
        """One transaction: the audit record (if any) and the `started` record, before the step."""
        with self._tx() as conn:
            self.started_write(run_id, key, kind, attempts, audit_row, reset=True)(conn)

    def step_finished(self, run_id: str, key: str, status: str, result: Any) -> None:
        with self._tx() as conn:
            self.finished_write(run_id, key, status, result)(conn)

    def started_write(self, run_id: str, key: str, kind: str, attempts: int,
                      audit_row: Mapping[str, Any] | None, *, reset: bool
                      ) -> Callable[[sa.Connection], None]:
        """The `started` record (and audit record) as a write for `JournalWriter`; `reset`
        when an earlier attempt may have left a row for this step."""
        now = time.time()

        def write(conn: sa.Connection) -> None:
            if audit_row is not None:
                self.sql.execute(conn, _INSERT_AUDIT,
                                 {"run_id": run_id, "key": key, "at": now, **audit_row})
            self.insert_ignore(conn, steps, run_id=run_id, key=key, kind=kind,
                               status="started", attempts=attempts, started_at=now)
            if reset:  # a step seen by an earlier attempt: reset its row
                self.sql.execute(conn, _RESET_STEP,
                                 {"rid": run_id, "k": key, "attempts": attempts})
        return write

    def finished_write(self, run_id: str, key: str, status: str,
                       result: Any) -> Callable[[sa.Connection], None]:
        now, text = time.time(), dumps(result)

        def write(conn: sa.Connection) -> None:
            self.sql.execute(conn, _FINISH_STEP, {"rid": run_id, "k": key, "status": status,
                                                  "result_json": text, "finished_at": now})
        return write

    def post_signal(self, run_id: str, request_id: str, payload: Mapping[str, Any]) -> None:
        with self._tx() as conn:
            conn.execute(signals.insert().values(
                run_id=run_id, request_id=request_id, at=time.time(),
                payload_json=dumps(Redactor().value(dict(payload)))))

    def take_signal(self, run_id: str, request_id: str) -> dict[str, Any] | None:
        """The oldest unconsumed answer to `request_id`, marked consumed; None if none."""
        with self._tx() as conn:
            row = conn.execute(sa.select(signals.c.id, signals.c.payload_json).where(
                signals.c.run_id == run_id, signals.c.request_id == request_id,
                signals.c.consumed_at.is_(None)).order_by(signals.c.id).limit(1)).first()
            if row is None:
                return None
            conn.execute(signals.update().where(signals.c.id == row[0])
                         .values(consumed_at=time.time()))
        payload: dict[str, Any] = json.loads(row[1])
        return payload

    # ---------------------------------------------------------------- events

    def prior_identities(self, run_id: str) -> set[tuple[Any, ...]]:
        with self._tx() as conn:
            rows = conn.execute(sa.select(events.c.type, events.c.json)
                                .where(events.c.run_id == run_id)).all()
        return {identity(r[0], json.loads(r[1])) for r in rows}

    def record_event(self, run_id: str, attempt: int, event: ev.EngineEvent, data: dict[str, Any],
                     replayed: bool, extra: Callable[[sa.Connection], None] | None) -> None:
        with self._tx() as conn:
            self.event_write(run_id, attempt, event, data, replayed, extra)(conn)

    def event_write(self, run_id: str, attempt: int, event: ev.EngineEvent,
                    data: dict[str, Any], replayed: bool,
                    extra: Callable[[sa.Connection], None] | None
                    ) -> Callable[[sa.Connection], None]:
        def write(conn: sa.Connection) -> None:
            self.sql.execute(conn, _INSERT_EVENT, {
                "run_id": run_id, "attempt": attempt, "seq": event.seq,
                "type": type(event).__name__, "replayed": replayed, "json": dumps(data)})
            if extra is not None:
                extra(conn)
        return write

    def stored_events(self, run_id: str) -> list[tuple[int, str, bool, dict[str, Any]]]:
        """(attempt, type, replayed, fields) in order."""
        with self._tx() as conn:
            rows = conn.execute(sa.select(events.c.attempt, events.c.type, events.c.replayed,
                                          events.c.json).where(events.c.run_id == run_id)
                                .order_by(events.c.attempt, events.c.seq)).all()
        return [(r[0], r[1], bool(r[2]), json.loads(r[3])) for r in rows]

    def costs(self, run_id: str, by: str) -> list[tuple[str, int, int, int, float]]:
        """(agent or model, calls, input tokens, output tokens, cost) from model_calls."""
        column = model_calls.c[by]
        with self._tx() as conn:
            rows = conn.execute(sa.select(
                column, sa.func.count(), sa.func.sum(model_calls.c.input_tokens),
                sa.func.sum(model_calls.c.output_tokens), sa.func.sum(model_calls.c.cost_usd))
                .where(model_calls.c.run_id == run_id).group_by(column).order_by(column)).all()
        return [(r[0] or "", int(r[1]), int(r[2] or 0), int(r[3] or 0), float(r[4] or 0.0))
                for r in rows]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()  # FULL for the journal's own transactions; the writer sets
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):  # its own
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


_IDENTITY_FIELDS = {
    "AgentStarted": ("frame",), "AgentFinished": ("frame", "status"), "Delegated": ("frame",),
    "ModelCalled": ("frame", "turn"), "ToolCalled": ("frame", "call_id"),
    "ToolFinished": ("frame", "call_id"), "ToolDenied": ("frame", "call_id"),
    "ApprovalRequested": ("request_id",), "ApprovalAnswered": ("request_id",),
    "LimitExceeded": ("agent", "limit", "detail"), "RunStarted": (),
}


def identity(kind: str, data: Mapping[str, Any]) -> tuple[Any, ...]:
    """What makes an event the same logical event in another attempt (for replay marking);
    kinds that never repeat (RunFinished, KillSwitchPressed) are unique per attempt."""
    fields = _IDENTITY_FIELDS.get(kind)
    if fields is None:
        return (kind, data.get("run_id"), data.get("seq"), data.get("at"))
    return (kind, *(data.get(name) for name in fields))


class StepFailed(RuntimeError):
    """A tool step that raised, replayed from the journal as the same failure."""


Emit = Callable[..., None]


class JournalStepRunner:
    """The durable `StepRunner` of one attempt of one run, and that attempt's event listener."""

    def __init__(self, journal: Journal, run_id: str, *, attempt: int, redactor: Redactor,
                 approvals: ApprovalChannel, audited: frozenset[str],
                 human_for: Mapping[str, str]) -> None:
        self.journal, self.run_id, self.attempt = journal, run_id, attempt
        self.redactor, self.approvals, self.audited = redactor, approvals, audited
        self.human_for = human_for
        self.prior = journal.load_steps(run_id)
        self.prior_events = journal.prior_identities(run_id) if attempt > 1 else set()
        self.replayed: set[str] = set()
        self._seen: set[str] = set()
        self._calls: dict[str, tuple[str, str, dict[str, Any]]] = {}
        self._timeouts: dict[str, float | None] = {}
        self._emit: Emit | None = None

    def attach(self, emit: Emit) -> None:
        """Give the runner the run's event bus, for the questions it asks a human itself."""
        self._emit = emit

    async def run(self, key: str, kind: str, fn: Callable[[], Awaitable[T]],
                  encode: Callable[[T], Any], decode: Callable[[Any], T]) -> T:
        if key in self._seen:
            raise DuplicateStep(f"step {key!r} ran twice")
        self._seen.add(key)
        prior = self.prior.get(key)
        if prior is not None and prior.status == "completed" and prior.result_json is not None:
            self.replayed.add(key)
            data = json.loads(prior.result_json)
            if isinstance(data, dict) and "__error__" in data:
                raise StepFailed(str(data["__error__"]))
            return decode(data)
        journal, writer = self.journal, self.journal.writer
        if prior is not None and prior.status == "started" and kind == "tool":
            if not (await self._ask_rerun(key)).approved:
                note = {"content": CRASH_NOTE, "is_error": True}
                await writer.write(journal.finished_write(self.run_id, key, "completed", note))
                return decode(note)
        elif prior is not None and prior.status == "started" and kind == "approval":
            fn = self._deadline(key, prior.started_at, fn, decode)
        started = journal.started_write(self.run_id, key, kind,
                                        (prior.attempts if prior else 0) + 1,
                                        self._audit_row(key) if kind == "tool" else None,
                                        reset=prior is not None)
        if kind == "model":  # lost in a crash, the call is simply made again: no need to wait
            writer.post(started)
        else:  # the audit and `started` records are committed before the tool runs
            await writer.write(started, fsync=kind == "tool")
        try:
            result = await fn()
        except Exception as exc:
            if kind == "tool":  # it ran and raised: a known outcome, replayed as such
                await writer.write(journal.finished_write(self.run_id, key, "completed", {
                    "__error__": self.redactor(f"{type(exc).__name__}: {exc}")}))
            else:  # a failed model call is simply made again on resume
                writer.post(journal.finished_write(self.run_id, key, "failed", None))
            raise
        # the step is done once its result is committed (group commit with other steps)
        await writer.write(journal.finished_write(self.run_id, key, "completed",
                                                  self.redactor.value(encode(result))))
        return result

    async def flush(self) -> None:
        """Wait until every write of this attempt so far is committed."""
        await self.journal.writer.flush()

    def _audit_row(self, key: str) -> dict[str, Any] | None:
        agent, tool, arguments = self._calls.get(key.rsplit("/tool/", 1)[-1], ("", "", {}))
        if tool and tool not in self.audited:
            return None
        return {"agent": agent, "tool": tool or key,
                "arguments_json": dumps(self.redactor.value(arguments))}

    def _deadline(self, key: str, asked_at: float, fn: Callable[[], Awaitable[T]],
                  decode: Callable[[Any], T]) -> Callable[[], Awaitable[T]]:
        """The re-asked approval keeps its first deadline: a durable timeout."""
        timeout = self._timeouts.get(key.rsplit("/approval/", 1)[-1])
        if timeout is None:
            return fn
        remaining = asked_at + timeout - time.time()
        timed_out = {"approved": False, "by": "timeout", "note": "", "timed_out": True}

        async def bounded() -> T:
            if remaining <= 0:
                return decode(timed_out)
            try:
                async with asyncio.timeout(remaining):
                    return await fn()
            except TimeoutError:
                return decode(timed_out)
        return bounded

    async def _ask_rerun(self, key: str) -> ApprovalDecision:
        call_id = key.rsplit("/tool/", 1)[-1]
        agent, tool, arguments = self._calls.get(call_id, ("", key, {}))
        request = ApprovalRequest(
            f"{call_id}:rerun", self.run_id, agent, self.human_for.get(agent, "operator"), tool,
            self.redactor.value(arguments),
            f"'{tool}' started before the crash and did not finish; it may or may not have "
            "completed. Run it again?", "high", None)
        self._say(ev.ApprovalRequested, request_id=request.request_id, agent=agent,
                  human=request.human, tool=tool, arguments=request.arguments,
                  reason=request.reason, risk=request.risk, timeout_s=None)
        try:
            decision = await self.approvals.ask(request)
        except Exception as exc:  # a broken channel denies (fail closed)
            decision = ApprovalDecision(False, "channel", f"approval channel failed: {exc}")
        self._say(ev.ApprovalAnswered, request_id=request.request_id, human=request.human,
                  decision="approve" if decision.approved else "deny", by=decision.by,
                  note=self.redactor(decision.note))
        return decision

    def _say(self, event_type: type[ev.EngineEvent], **fields: Any) -> None:
        if self._emit is not None:
            self._emit(event_type, **fields)

    # ---------------------------------------------------------------- the listener

    def on_event(self, event: ev.EngineEvent) -> None:
        """Store the event and its readable-table rows. Only bookkeeping happens here, on the
        engine's thread; serialising, redacting and writing happen on the writer's thread."""
        kind = type(event).__name__
        if isinstance(event, ev.ToolCalled):
            self._calls[event.call_id] = (event.agent, event.tool, dict(event.arguments))
        elif isinstance(event, ev.ApprovalRequested):
            self._timeouts[event.request_id] = event.timeout_s
        replayed = bool(self.prior_events) and identity(kind, {
            k: self.redactor(v) if isinstance(v, str) else v
            for k, v in _fields(event).items()}) in self.prior_events
        self.journal.writer.post(functools.partial(self._store, event, kind, replayed))

    def _store(self, event: ev.EngineEvent, kind: str, replayed: bool,
               conn: sa.Connection) -> None:
        data: dict[str, Any] = redacted_plain(_fields(event), self.redactor, dumps)
        self.journal.event_write(
            self.run_id, self.attempt, event, data, replayed,
            None if replayed else readable_write(self.journal, self.run_id, kind, data))(conn)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _fields(event: ev.EngineEvent) -> dict[str, Any]:
    kind = type(event)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(event))
    return {name: getattr(event, name) for name in names}


__all__ = ["CRASH_NOTE", "Journal", "JournalStepRunner", "RunSummary", "StepFailed",
           "StepRecord", "approvals", "audit", "events", "model_calls", "runs", "signals",
           "steps", "tool_calls"]
