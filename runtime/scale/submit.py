"""Submitting runs to the pool and controlling them from any machine, without running DBOS.

`Submitter` records a run in the journal and enqueues its workflow on the
shared run queue through a `DBOSClient` (the system database only; no
executor starts in this process), so `roster submit`, `roster runs cancel`
and the designer's run database window work from a laptop that executes
nothing. The client creates DBOS's tables if no worker has yet.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runtime.engine import dbos_support

if TYPE_CHECKING:
    from runtime.engine.executor import ApprovalAnswer, RunSpec
    from runtime.engine.journal import Journal


class QueueError(Exception):
    """The run database could not take the run (unreachable, or refused)."""


@dataclass(frozen=True, slots=True)
class PendingApproval:
    """A question a run is waiting on, as listed for a human to answer."""

    run_id: str
    request_id: str
    roster_name: str
    agent: str
    human: str
    tool: str
    risk: str
    reason: str
    arguments: dict[str, Any]
    asked_at: float
    timeout_s: float | None

    def expires_at(self) -> float | None:
        return None if self.timeout_s is None else self.asked_at + self.timeout_s


class Submitter:
    """Run control on a shared run database: submit, cancel, answer approvals."""

    def __init__(self, db: str | None) -> None:
        from runtime.scale.schema import open_journal

        self.url = dbos_support.journal_url(db)
        self.journal: Journal = open_journal(self.url)
        self._client: Any = None

    def client(self) -> Any:
        if self._client is None:
            dbos_support.quiet_dbos_logging()
            from dbos import DBOSClient

            client = DBOSClient(system_database_url=dbos_support.system_database_url(self.url),
                                application_name=dbos_support.APP_NAME)
            client._sys_db.run_migrations()  # a fresh database: DBOS's tables, as a worker would
            self._client = client
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.destroy()
        self.journal.close()

    def submit(self, spec: RunSpec, secrets: tuple[str, ...] = ()) -> str:
        """Record the run and put it on the shared queue; its id."""
        from runtime.engine.executor import RunBuilder, RunFactories

        try:
            client = self.client()
        except Exception as exc:
            raise QueueError(f"cannot reach the run queue: {exc}") from None
        made = RunFactories(provider=_none, tools=lambda c: {}, approvals=_none,
                            secrets=lambda c: secrets)
        run_id = RunBuilder(self.journal, made).create(spec)
        try:
            client.enqueue({"workflow_name": dbos_support.WORKFLOW_NAME,
                            "queue_name": dbos_support.RUN_QUEUE, "workflow_id": run_id,
                            "app_version": dbos_support.APP_VERSION,
                            "application_name": dbos_support.APP_NAME}, run_id)
        except Exception as exc:
            self.journal.fail_run(run_id, f"could not be queued: {exc}")
            raise QueueError(f"run {run_id} could not be queued: {exc}") from None
        return run_id

    def cancel(self, run_id: str) -> None:
        """Ask the run to stop: the executor holding it sees the request at its next
        heartbeat; a run no executor holds yet is stopped (and dequeued) right away."""
        from runtime.engine.executor import is_alive

        record = self.journal.get_run(run_id)
        if record is None:
            raise KeyError(run_id)
        idle = record.status in ("pending", "running") and not is_alive(record)
        self.journal.request_cancel(run_id, stop=idle)
        if idle:  # dequeue it too (a run whose workflow never reached DBOS has nothing to do)
            with contextlib.suppress(Exception):
                self.client().cancel_workflow(run_id)

    def answer(self, answer: ApprovalAnswer, run_id: str) -> None:
        """Leave a human's answer in the run's mailbox (the executor polls it)."""
        self.journal.post_signal(run_id, answer.request_id, {
            "approved": answer.approved, "by": answer.by, "note": answer.note})

    def pending(self, limit: int = 200) -> list[PendingApproval]:
        """Approvals asked and not answered, of runs that are still going, oldest first."""
        import sqlalchemy as sa

        from runtime.engine.journal import approvals, runs

        a = approvals.c
        query = (sa.select(a.run_id, a.request_id, runs.c.roster_name, a.agent, a.human, a.tool,
                           a.risk, a.reason, a.arguments_json, a.asked_at, a.timeout_s)
                 .join(runs, runs.c.id == a.run_id)
                 .where(a.decision.is_(None), runs.c.status.in_(("pending", "running")))
                 .order_by(a.asked_at).limit(limit))
        with self.journal.engine.begin() as conn:
            rows = conn.execute(query).all()
        return [PendingApproval(r[0], r[1], r[2] or "", r[3] or "", r[4] or "", r[5] or "",
                                r[6] or "", r[7] or "", json.loads(r[8] or "{}"), r[9] or 0.0,
                                r[10]) for r in rows]

    def wait(self, run_id: str, timeout: float | None = None, poll: float = 0.5) -> str:
        """Poll the journal until the run is finished; its status."""
        from runtime.engine.executor import TERMINAL

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = self.journal.get_run(run_id)
            if record is not None and record.status in TERMINAL:
                return record.status
            if deadline is not None and time.monotonic() > deadline:
                return record.status if record is not None else "unknown"
            time.sleep(poll)


def _none(*_: Any) -> Any:
    raise RuntimeError("not used when submitting")


__all__ = ["PendingApproval", "QueueError", "Submitter"]
