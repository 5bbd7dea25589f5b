"""DBOS behind a lazy, quiet door: where run data lives, and the one workflow a run is.

Nothing here imports DBOS (or SQLAlchemy) until a run is actually started, so
the designer and `roster --help` never pay for it. The data directory is
`$ROSTER_DATA_DIR`, else `$XDG_DATA_HOME/agent-roster`, else
`~/.local/share/agent-roster`; the journal is `runs.db` there and DBOS's
system database the sibling `runs.dbos.sqlite`, or both live in one
PostgreSQL database when given a `postgresql://` URL (DBOS in its `dbos`
schema). DBOS's logger gets our handler before DBOS can add its own, so only
warnings reach stderr and nothing reaches stdout. A run is the workflow
`roster.run(run_id)`: its only input is the run id and its output the final
status; everything else is in the journal. The application version is a
constant because recovery here never replays DBOS steps (see executor.py), so
an upgrade of this package must not strand pending runs. Each process
dequeues runs only from its own queue, so resuming a run in one terminal never
hands it to another process that happens to share the database; a worker
(`roster worker`) also dequeues from the shared queue `roster-runs` that
`roster submit` fills. Every process listens to the per-model permit queues
(runtime/scale/permits.py), so any live process can admit a model call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

APP_NAME = "agent-roster"
APP_VERSION = "roster-journal-1"
WORKFLOW_NAME = "roster.run"
RUN_QUEUE = "roster-runs"  # the shared queue `roster submit` fills and workers drain
QUEUE_POLL_S = 0.2
# A process's own queue only ever holds runs `roster runs resume` put there: polling it as
# often as the shared run queue made it most of an idle worker's database traffic.
OWN_QUEUE_POLL_S = 1.0
NOTIFY_POLL_S = 0.1  # SQLite has no LISTEN/NOTIFY: how often messages and events are polled
# DBOS 3.4 on PostgreSQL wakes a waiting recv() for messages sent from *another* process only
# at its fallback re-check (60 s by default): permits are released across processes, so
# re-check often. (A read of one indexed row per waiting permit.)
MESSAGE_RECHECK_S = 0.2

Host = Callable[[str], Awaitable[str]]
_host: Host | None = None
_workflow: Callable[[str], Coroutine[Any, Any, str]] | None = None
_queue: str | None = None


def data_dir(env: Mapping[str, str] = os.environ) -> Path:
    if env.get("ROSTER_DATA_DIR"):
        return Path(env["ROSTER_DATA_DIR"]).expanduser()
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "agent-roster"


def journal_url(db: str | None = None, env: Mapping[str, str] = os.environ) -> str:
    """A database URL from `--db` (a URL or a SQLite file path) or the data directory."""
    if db and "://" in db:
        return db
    path = Path(db).expanduser() if db else data_dir(env) / "runs.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path.resolve()}"


def system_database_url(journal: str) -> str:
    """DBOS's system database: beside a SQLite journal, or the same PostgreSQL database."""
    if journal.startswith("sqlite:///"):
        path = Path(journal.removeprefix("sqlite:///"))
        return f"sqlite:///{path.with_name(path.stem + '.dbos.sqlite')}"
    return journal


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a record comes (it may be replaced, e.g. by a
    test's capture, after the handler was made)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def quiet_dbos_logging() -> None:
    logger = logging.getLogger("dbos")
    if not any(h.name == "roster-dbos" for h in logger.handlers):
        handler = _Stderr()
        handler.name = "roster-dbos"
        handler.setLevel(logging.WARNING)
        handler.setFormatter(logging.Formatter("dbos: %(levelname)s %(message)s"))
        logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.WARNING)


def workflow() -> Callable[[str], Coroutine[Any, Any, str]]:
    """The registered `roster.run` workflow (registered once per process)."""
    global _workflow
    if _workflow is None:
        from dbos import DBOS

        async def roster_run(run_id: str) -> str:
            if _host is None:
                raise RuntimeError("no roster executor is open in this process")
            return await _host(run_id)

        _workflow = DBOS.workflow(name=WORKFLOW_NAME)(roster_run)
    return _workflow


def launch(system_url: str, executor_id: str, host: Host, *,
           queues: tuple[str, ...] = ()) -> None:
    """Start DBOS in this process (from inside the running event loop, so workflows run on
    it) with `host` executing the runs; one executor per process, as DBOS is a singleton.
    `queues` are further run queues to dequeue from (a worker's `RUN_QUEUE`)."""
    global _host, _queue
    if _host is not None:
        raise RuntimeError("a roster executor is already open in this process")
    quiet_dbos_logging()
    from dbos import DBOS

    from runtime.scale.limits import all_queue_names
    from runtime.scale.permits import forget_queues, permit_workflow

    workflow()
    permit_workflow()
    forget_queues()
    DBOS.destroy()
    DBOS(config={"name": APP_NAME, "system_database_url": system_url,
                 "executor_id": executor_id, "application_version": APP_VERSION,
                 "log_level": "WARNING",
                 "notification_listener_polling_interval_sec": NOTIFY_POLL_S})
    _queue = f"roster-{executor_id}"
    DBOS.listen_queues([_queue, *queues, *all_queue_names()])
    DBOS.launch()
    from dbos._dbos import _get_dbos_instance

    sys_db = _get_dbos_instance()._sys_db
    if hasattr(sys_db, "_notification_fallback_polling_interval"):
        sys_db._notification_fallback_polling_interval = MESSAGE_RECHECK_S
    _host = host


async def open_queue() -> None:
    from dbos import DBOS

    assert _queue is not None
    await DBOS.register_queue_async(_queue, polling_interval_sec=OWN_QUEUE_POLL_S)


async def open_run_queue(worker_concurrency: int | None) -> None:
    """Register the shared run queue: each worker takes at most `worker_concurrency` runs at
    once (a setting of the queue, so the most recently started worker's value applies)."""
    from dbos import DBOS

    await DBOS.register_queue_async(RUN_QUEUE, worker_concurrency=worker_concurrency,
                                    polling_interval_sec=QUEUE_POLL_S,
                                    on_conflict="always_update")


async def shutdown() -> None:
    global _host, _queue
    from dbos import DBOS

    if _queue is not None:
        try:
            await DBOS.delete_queue_async(_queue)
        except Exception as exc:  # a leftover queue row is harmless; say so and go on
            logging.getLogger("dbos").warning("could not remove queue %s: %s", _queue, exc)
    DBOS.destroy()
    _host = _queue = None


async def start(run_id: str) -> None:
    """Start the run's workflow (id = run id) on this event loop; durable once this returns."""
    from dbos import DBOS, SetWorkflowID

    with SetWorkflowID(run_id):
        await DBOS.start_workflow_async(workflow(), run_id)


async def resume(run_id: str) -> None:
    """Put an unfinished run's workflow on this process's queue, where it runs again."""
    from dbos import DBOS

    await DBOS.resume_workflow_async(run_id, queue_name=_queue)


async def settled(run_id: str, timeout: float = 10.0) -> None:
    """Wait until DBOS has recorded the workflow's outcome (after our journal has), so closing
    the executor never cuts its bookkeeping short; its errors are the journal's to report."""
    from dbos import DBOS, WorkflowHandleAsync

    handle: WorkflowHandleAsync[str] = await DBOS.retrieve_workflow_async(run_id)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(handle.get_result(polling_interval_sec=0.05), timeout)


async def cancel(run_id: str) -> None:
    from dbos import DBOS

    await DBOS.cancel_workflow_async(run_id)


async def status(run_id: str) -> str | None:
    """DBOS's status of the run's workflow (PENDING, ENQUEUED, SUCCESS, ERROR, CANCELLED...)."""
    from dbos import DBOS

    found = await DBOS.get_workflow_status_async(run_id)
    return None if found is None else str(found.status)
