"""Who is alive: executors' heartbeats, claiming a dead one's work, and claiming a run.

Every executor (a `roster worker`, or a desktop `roster run`) has a row in
`roster_executors` in the run database and refreshes its heartbeat every few
seconds. An executor silent for longer than the stale time is dead; a live
worker takes over its work with a conditional UPDATE (status alive -> dead,
recovered_by = me, only while the heartbeat is still stale), so exactly one
worker recovers it however many notice. A run is likewise claimed before an
attempt executes: the UPDATE succeeds only if the run is unfinished and owned
by nobody, by this executor, or by an executor whose run heartbeat is stale,
so two live executors never run the same run at once.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass

import sqlalchemy as sa

from runtime.engine.journal import runs

_md = sa.MetaData()
executors = sa.Table(
    "roster_executors", _md, sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(20)), sa.Column("host", sa.String(200)),
    sa.Column("pid", sa.Integer), sa.Column("status", sa.String(20)),
    sa.Column("started_at", sa.Float), sa.Column("heartbeat_at", sa.Float),
    sa.Column("recovered_by", sa.String(200)), sa.Column("recovered_at", sa.Float))

ALIVE, STOPPED, DEAD = "alive", "stopped", "dead"
CLAIMED, FINISHED, BUSY = "claimed", "finished", "busy"


@dataclass(frozen=True, slots=True)
class ExecutorRow:
    id: str
    kind: str
    host: str
    pid: int
    status: str
    heartbeat_at: float
    recovered_by: str | None


class Registry:
    """The executors table of one run database (created on first use)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        _md.create_all(engine)

    def register(self, executor_id: str, kind: str) -> None:
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(executors.delete().where(executors.c.id == executor_id))
            conn.execute(executors.insert().values(
                id=executor_id, kind=kind, host=socket.gethostname(), pid=os.getpid(),
                status=ALIVE, started_at=now, heartbeat_at=now))

    def beat(self, executor_id: str) -> bool:
        """Refresh the heartbeat; False if another worker already declared us dead (our
        runs are being recovered elsewhere, so we must stop executing them)."""
        with self.engine.begin() as conn:
            done = conn.execute(executors.update().where(
                executors.c.id == executor_id, executors.c.status == ALIVE)
                .values(heartbeat_at=time.time()))
        return done.rowcount == 1

    def stop(self, executor_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(executors.update().where(executors.c.id == executor_id,
                                                  executors.c.status == ALIVE)
                         .values(status=STOPPED, heartbeat_at=time.time()))

    def hand_off(self, executor_id: str) -> None:
        """Leave now: mark this executor and the runs it holds as silent since forever, so a
        live worker recovers them at its next beat instead of after the stale time."""
        with self.engine.begin() as conn:
            conn.execute(executors.update().where(executors.c.id == executor_id)
                         .values(heartbeat_at=0.0))
            conn.execute(runs.update().where(runs.c.executor == executor_id,
                                             runs.c.status.in_(("pending", "running")))
                         .values(heartbeat_at=0.0))

    def all(self) -> list[ExecutorRow]:
        with self.engine.begin() as conn:
            rows = conn.execute(sa.select(
                executors.c.id, executors.c.kind, executors.c.host, executors.c.pid,
                executors.c.status, executors.c.heartbeat_at, executors.c.recovered_by)
                .order_by(executors.c.started_at)).all()
        return [ExecutorRow(r[0], r[1] or "", r[2] or "", r[3] or 0, r[4] or "",
                            r[5] or 0.0, r[6]) for r in rows]

    def silent(self, stale_s: float, horizon_s: float) -> list[str]:
        """Executors that stopped or went silent within the last `horizon_s` seconds (their
        leftovers may need cleaning up)."""
        now = time.time()
        with self.engine.begin() as conn:
            rows = conn.execute(sa.select(executors.c.id).where(
                executors.c.heartbeat_at > now - horizon_s, sa.or_(
                    executors.c.status != ALIVE,
                    executors.c.heartbeat_at < now - stale_s))).all()
        return [r[0] for r in rows]

    def claim_dead(self, me: str, stale_s: float) -> list[str]:
        """Declare every executor silent longer than `stale_s` dead, and take over each one
        this call wins (the conditional UPDATE lets exactly one claimant through)."""
        cutoff = time.time() - stale_s
        with self.engine.begin() as conn:
            candidates = [r[0] for r in conn.execute(sa.select(executors.c.id).where(
                executors.c.status == ALIVE, executors.c.heartbeat_at < cutoff,
                executors.c.id != me)).all()]
        won = []
        for dead in candidates:
            with self.engine.begin() as conn:
                done = conn.execute(executors.update().where(
                    executors.c.id == dead, executors.c.status == ALIVE,
                    executors.c.heartbeat_at < cutoff)
                    .values(status=DEAD, recovered_by=me, recovered_at=time.time()))
            if done.rowcount == 1:
                won.append(dead)
        return won

    def claim_run(self, run_id: str, me: str, stale_s: float) -> str:
        """CLAIMED if this executor may run the attempt now, FINISHED if the run already has
        its outcome, BUSY if a live executor owns it."""
        cutoff = time.time() - stale_s
        with self.engine.begin() as conn:
            done = conn.execute(runs.update().where(
                runs.c.id == run_id, runs.c.status.in_(("pending", "running")),
                sa.or_(runs.c.executor.is_(None), runs.c.executor == me,
                       runs.c.heartbeat_at.is_(None), runs.c.heartbeat_at < cutoff))
                .values(executor=me, heartbeat_at=time.time()))
            if done.rowcount == 1:
                return CLAIMED
            status = conn.execute(sa.select(runs.c.status).where(runs.c.id == run_id)).scalar()
        return BUSY if status in ("pending", "running") else FINISHED


__all__ = [
    "ALIVE",
    "BUSY",
    "CLAIMED",
    "DEAD",
    "FINISHED",
    "STOPPED",
    "ExecutorRow",
    "Registry",
    "executors",
]
