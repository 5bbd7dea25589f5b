"""`roster worker --db URL`: one worker of a pool executing submitted runs.

The worker opens the shared run database (PostgreSQL for several machines; a
SQLite file works for one), registers as an executor with an id of its own,
heartbeats, takes runs from the `roster-runs` queue (at most --concurrency at
once) and executes them with the same engine as `roster run`. It recovers the
runs of executors silent for longer than --stale-after seconds. Keys come from
each roster's provider reference (keyring or env) on the worker's machine.
SIGTERM or Ctrl-C drains: runs in flight get --drain seconds to finish, and
whatever is still running is handed to the other workers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime.cli.common import EXIT_OK, EXIT_UNREADABLE, err, journal_arg
from runtime.engine import events as ev
from runtime.roster.costs import format_usd

if TYPE_CHECKING:
    from runtime.engine.executor import RunFactories
    from runtime.engine.journal import RunSummary
    from runtime.engine.protocols import ApprovalChannel, Provider, Tool
    from runtime.roster.codec import RosterContent


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "worker", help="execute submitted runs from a shared run database (one of a pool)",
        description="Take runs submitted with `roster submit` from the run database and "
        "execute them; several workers on several machines share the work and recover each "
        "other's runs. Stop with SIGTERM or Ctrl-C (runs in flight drain first).")
    parser.add_argument("--db", metavar="URL", required=True, type=journal_arg,
                        help="the shared run database: postgresql://USER@HOST/DB (or a SQLite "
                        "file for a single machine)")
    parser.add_argument("--concurrency", type=int, default=8, metavar="N",
                        help="runs this worker executes at once (default 8)")
    parser.add_argument("--stale-after", type=float, default=15.0, metavar="S",
                        help="recover the runs of an executor silent this long (default 15 s)")
    parser.add_argument("--drain", type=float, default=30.0, metavar="S",
                        help="on stop, wait this long for runs in flight (default 30 s)")
    parser.add_argument("--id", metavar="ID", help="the executor id (default host-pid-random)")
    parser.set_defaults(handler=handle)


def shown_url(url: str) -> str:
    """A database URL fit for a log line: the password masked."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(database URL)"


class PoolFactories:
    """How a worker builds each run's collaborators: one provider and one toolset per roster
    (cached by content hash), keys resolved on this machine, approvals through the mailbox."""

    def __init__(self) -> None:
        self.providers: dict[str, tuple[Provider, tuple[str, ...]]] = {}
        self.toolsets: dict[tuple[str, str | None], dict[str, Tool]] = {}
        self.pools: list[Any] = []

    def _provider(self, content: RosterContent) -> tuple[Provider, tuple[str, ...]]:
        from runtime.cli.run import UsageError, provider_for
        from runtime.engine.failures import RunSetupError
        from runtime.roster.io import content_hash

        key = content_hash(content)
        if key not in self.providers:
            try:
                self.providers[key] = provider_for(content)
            except UsageError as exc:  # the run fails with this reason, shown as is
                raise RunSetupError(str(exc)) from None
        return self.providers[key]

    def _tools(self, content: RosterContent, record: RunSummary) -> Mapping[str, Tool]:
        from runtime.cli.run import tools_for
        from runtime.roster.io import content_hash

        folder = str(Path(record.roster_path).parent) if record.roster_path else None
        base_dir = folder if folder and Path(folder).is_dir() else None
        key = (content_hash(content), base_dir)
        if key not in self.toolsets:
            tools, unavailable, pool = tools_for(content, base_dir)
            for tool_id, reason in sorted(unavailable.items()):
                print(f"note: tool {tool_id} is unavailable on this worker ({reason})",
                      file=sys.stderr)
            if pool is not None:
                self.pools.append(pool)
            self.toolsets[key] = tools
        return self.toolsets[key]

    def _approvals(self, record: RunSummary) -> ApprovalChannel:
        from runtime.engine.approvals import DenyChannel
        from runtime.scale.worker import MailboxOnly

        return DenyChannel() if record.unattended else MailboxOnly()

    def factories(self) -> RunFactories:
        from runtime.engine.executor import RunFactories

        return RunFactories(provider=lambda c: self._provider(c)[0], tools=lambda c: {},
                            approvals=self._approvals, secrets=lambda c: self._provider(c)[1],
                            listeners=(_log_line,), run_tools=self._tools)

    def close(self) -> None:
        for pool in self.pools:
            with contextlib.suppress(Exception):
                pool.kill()


def _log_line(event: ev.EngineEvent) -> None:
    if isinstance(event, ev.RunStarted):
        print(f"run {event.run_id} started: {event.roster}", file=sys.stderr, flush=True)


_CLASS_PREFIX = re.compile(r"^[A-Z][A-Za-z0-9_.]*(?:Error|Exception): ")


def finished_line(record: RunSummary) -> str:
    """The worker's log line for a finished run: id, status, cost and why it failed.

    The reason is shown without a Python exception class name (`runs show ID`
    keeps the stored text in full).
    """
    line = f"run {record.id} {record.status} ({format_usd(record.cost_usd)})"
    if record.error:
        line += f": {_CLASS_PREFIX.sub('', record.error, count=1)}"
    return line


def handle(args: argparse.Namespace) -> int:
    if args.concurrency < 1 or args.stale_after <= 0 or args.drain < 0:
        err("--concurrency must be at least 1, --stale-after positive, --drain not negative")
        return EXIT_UNREADABLE
    made = PoolFactories()
    try:
        return asyncio.run(_serve(args, made))
    finally:
        made.close()


async def _serve(args: argparse.Namespace, made: PoolFactories) -> int:
    from runtime.scale.worker import Worker

    class LoggingWorker(Worker):
        """A worker that says how each run it took ended, including runs that never started
        (no key, invalid roster): those emit no engine events to log."""

        async def _execute(self, run_id: str) -> str:
            status = await super()._execute(run_id)
            record = await asyncio.to_thread(self.journal.get_run, run_id)
            if record is not None:
                print(finished_line(record), file=sys.stderr, flush=True)
            return status

    worker = LoggingWorker(made.factories(), db=args.db, executor_id=args.id,
                           concurrency=args.concurrency, stale_s=args.stale_after)
    try:
        await worker.__aenter__()
    except Exception as exc:
        err(f"cannot open the run database {shown_url(worker.url)}: {exc}")
        return EXIT_UNREADABLE
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    print(f"worker {worker.executor_id} serving {shown_url(worker.url)} "
          f"(concurrency {args.concurrency})", file=sys.stderr, flush=True)
    await stop.wait()
    print(f"worker {worker.executor_id} stopping: draining {len(worker.running())} run(s)",
          file=sys.stderr, flush=True)
    left = await worker.drain(args.drain)
    if left:
        await worker.hand_off()
        print(f"handed {len(left)} run(s) to the pool: {', '.join(left)}", file=sys.stderr,
              flush=True)
        made.close()
        os._exit(EXIT_OK)  # end without cancelling them: they continue on another worker
    await worker.__aexit__()
    return EXIT_OK
