"""A worker of the pool: the local executor, draining the shared run queue and reaping.

`Worker` is `LocalExecutor` (same engine, journal, step runner and claims)
with three differences: it also dequeues from `roster-runs`, the queue that
`roster submit` fills (at most `concurrency` runs at once per worker); it
reaps executors that went silent (their runs go back on their queue and are
taken by a live worker, exactly once); and nobody sits at its terminal, so a
human is asked through the journal's mailbox only (`roster runs approve`, or
the designer's run database window), with the human's timeout deciding if
nobody answers. It also warms up before it takes runs: the modules every run
needs (the Anthropic SDK alone is about 2 s of CPU to import) are imported at
start-up, so a fresh worker's first run is not seconds slower than the rest.
Stopping a worker drains: it takes no new runs and waits for
the ones it holds; what is still running after the drain time is left for
another worker to recover (never marked stopped).
"""

from __future__ import annotations

import asyncio
import importlib
import logging

from runtime.engine import dbos_support
from runtime.engine.executor import STALE_S, LocalExecutor, RunFactories
from runtime.engine.protocols import ApprovalDecision, ApprovalRequest

log = logging.getLogger("roster.scale")
# imported by every run's provider, approvals and journal; a worker imports them before it
# takes its first run
WARM_MODULES = ("anthropic", "runtime.engine.providers.anthropic", "runtime.engine.approvals",
                "runtime.engine.journal", "runtime.scale.permits")


def warm_up() -> None:
    """Import what every run needs, once, before the worker takes runs."""
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:  # the run that needs it will report it
            log.warning("could not import %s at start-up: %s", name, exc)


class MailboxOnly:
    """The approval channel of a run nobody watches live: it never answers by itself, so
    the answer comes from the journal's mailbox (any machine) or the human's timeout."""

    async def ask(self, request: ApprovalRequest) -> ApprovalDecision:
        log.warning("run %s waits for %s to answer %s (roster runs approve/deny)",
                    request.run_id, request.human, request.request_id)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class Worker(LocalExecutor):
    kind = "worker"

    def __init__(self, factories: RunFactories, *, db: str | None = None,
                 executor_id: str | None = None, concurrency: int = 8,
                 stale_s: float = STALE_S) -> None:
        super().__init__(factories, db=db, executor_id=executor_id,
                         queues=(dbos_support.RUN_QUEUE,), reap=True, stale_s=stale_s)
        if concurrency < 1:
            raise ValueError("a worker needs a concurrency of at least 1")
        self.concurrency = concurrency

    async def __aenter__(self) -> Worker:
        await asyncio.to_thread(warm_up)
        await super().__aenter__()
        return self

    async def _opened(self) -> None:
        await dbos_support.open_run_queue(self.concurrency)

    def running(self) -> list[str]:
        """Ids of the runs executing in this worker now."""
        return list(self._runs)

    async def drain(self, timeout: float) -> list[str]:
        """Wait up to `timeout` s for the runs in flight; the ids of those still running."""
        pending = [self._done[run_id] for run_id in self._runs if run_id in self._done]
        if pending:
            await asyncio.wait(pending, timeout=timeout)
        return self.running()

    async def hand_off(self) -> None:
        """Give the runs still held to the pool (see Registry.hand_off); the caller must then
        end the process without cancelling them, so none is recorded as stopped."""
        assert self.registry is not None and self.presence is not None
        await self.presence.halt()
        await asyncio.to_thread(self.registry.hand_off, self.executor_id)


__all__ = ["MailboxOnly", "Worker"]
