"""An executor's heartbeat loop, and (for workers) the reaper that recovers dead executors.

Every `HEARTBEAT_S` the executor refreshes its row in `roster_executors`, from a
thread of its own, so a busy event loop (many runs journaling at once) is never
mistaken for a dead process. If
another worker has meanwhile declared it dead (it was silent too long, e.g.
suspended), it stops the runs it holds, because they are being recovered
elsewhere, and registers again as a fresh executor. A worker also reaps:
it claims executors silent longer than `stale_s` (exactly one worker wins
each, see registry.py), cancels their model permits (a permit held by a dead
process would block its queue's concurrency until the lease ran out) and asks
DBOS to recover their pending runs, which puts them back on their queue so
any live worker (possibly this one) takes each of them exactly once. Every
executor also cancels permits held by executors that are stopped or silent,
so a single desktop process cleans up after a crashed predecessor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

from runtime.scale.permits import LEASE_S, PERMIT_WORKFLOW
from runtime.scale.registry import Registry

HEARTBEAT_S = 2.0
STALE_S = 15.0

log = logging.getLogger("roster.scale")


class Presence:
    def __init__(self, registry: Registry, executor_id: str, kind: str, *,
                 stale_s: float = STALE_S, heartbeat_s: float = HEARTBEAT_S,
                 reap: bool = False, on_lost: Callable[[], None] = lambda: None) -> None:
        self.registry, self.executor_id, self.kind = registry, executor_id, kind
        self.stale_s, self.heartbeat_s, self.reap = stale_s, heartbeat_s, reap
        self.on_lost = on_lost
        self.recovered: list[str] = []
        self._task: asyncio.Task[None] | None = None
        self._halt = threading.Event()
        self._beats: threading.Thread | None = None

    async def start(self) -> None:
        await asyncio.to_thread(self.registry.register, self.executor_id, self.kind)
        self._beats = threading.Thread(target=self._beat_forever, daemon=True,
                                       name=f"heartbeat-{self.executor_id}")
        self._beats.start()
        self._task = asyncio.create_task(self._loop())

    async def halt(self) -> None:
        """Stop beating (without saying so: peers will find this executor silent)."""
        self._halt.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._beats is not None:
            await asyncio.to_thread(self._beats.join, 10.0)

    def _beat_forever(self) -> None:
        while not self._halt.wait(self.heartbeat_s):
            try:
                if not self.registry.beat(self.executor_id):
                    log.warning("%s was declared dead by another worker; its runs may "
                                "continue there", self.executor_id)
                    self.on_lost()
                    self.registry.register(self.executor_id, self.kind)
            except Exception as exc:  # a database hiccup: try again at the next beat
                log.warning("heartbeat of %s failed: %s", self.executor_id, exc)

    async def stop(self) -> None:
        await self.halt()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.registry.stop, self.executor_id)

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a database hiccup: try again at the next beat
                log.warning("housekeeping of %s failed: %s", self.executor_id, exc)
            await asyncio.sleep(self.heartbeat_s)

    async def tick(self) -> None:
        """One round of housekeeping: (workers) reap, then cancel orphaned permits."""
        if self.reap:
            for dead in await asyncio.to_thread(self.registry.claim_dead, self.executor_id,
                                                self.stale_s):
                await self._recover(dead)
        await self._cancel_orphaned_permits()

    async def _recover(self, dead: str) -> None:
        from dbos import DBOS

        await _cancel_permits([dead])
        handles = await asyncio.to_thread(DBOS._recover_pending_workflows, [dead])
        self.recovered.append(dead)
        log.warning("recovered %d run(s) of dead executor %s", len(handles), dead)

    async def _cancel_orphaned_permits(self) -> None:
        silent = await asyncio.to_thread(self.registry.silent, self.stale_s, LEASE_S)
        if silent:
            await _cancel_permits(silent)


async def _cancel_permits(executor_ids: list[str]) -> None:
    from dbos import DBOS

    found = await DBOS.list_workflows_async(status="PENDING", name=PERMIT_WORKFLOW,
                                            executor_id=executor_ids, load_input=False,
                                            load_output=False)
    for status in found:
        with contextlib.suppress(Exception):
            await DBOS.cancel_workflow_async(status.workflow_id)


__all__ = ["HEARTBEAT_S", "STALE_S", "Presence"]
