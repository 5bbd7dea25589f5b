"""Model calls through per-model DBOS queues: one short permit workflow per call.

A DBOS queue enforces its rate limit (workflows started in a rolling window)
and its global concurrency (workflows running) across every process that
shares the system database. To put *model calls* (not whole runs) under those
limits, each call takes a permit: it enqueues the tiny workflow
`roster.model_permit` on its model's queue, waits until some process dequeues
it (that is the moment the queue admits the call: it counts against the
window from then on), makes the call, and then sends the permit a release
message so it ends and frees its concurrency slot. A permit whose requester
vanished ends by itself after `LEASE_S`.

DBOS 3.4 counts a queue's rate window and running workflows under REPEATABLE
READ, so two workers dequeuing at the same instant can both see room for the
same last slot (write skew): the limit would hold per worker, not for the pool.
It uses SERIALIZABLE only for partitioned queues, so every model queue is
declared with one partition (`PARTITION`) carrying the same limits; a worker
that loses the race gets a serialization failure and tries again at its next
poll, and the pool as a whole never exceeds the limit.

The window counts admissions, the API counts arrivals. The limiter's window is
widened by a guard (limits.py), and a permit whose grant reaches its requester
more than `FRESH_S` after the admission (a busy event loop, a slow poll) is
given back and asked for again, so a call is never sent long after the moment
the window counted it. That costs throughput under load, never the limit.

Everything the requester does with DBOS runs in a fresh context: the caller is
a run's workflow, and inside a workflow DBOS would record enqueue/send/get
as positional steps, which the engine's concurrent steps must never use (see
executor.py). When the permit is dequeued in the requesting process (the
common case) the requester is woken directly instead of polling for the event.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, TypeVar

from runtime.engine.protocols import ModelRequest, ModelResponse, Provider
from runtime.scale.limits import GUARD_S, ModelLimit

PERMIT_WORKFLOW = "roster.model_permit"
GRANTED, RELEASE = "granted", "release"
LEASE_S = 900.0  # longer than the SDK's own request timeout (600 s)
POLL_S = 0.05
PARTITION = "pool"
FRESH_S = GUARD_S / 2  # the longest a grant may take to reach its requester

log = logging.getLogger("roster.scale")

T = TypeVar("T")
_permit: Callable[[float], Coroutine[Any, Any, str]] | None = None
_granted: dict[str, asyncio.Future[float]] = {}
_registered: dict[str, ModelLimit] = {}


def _wake(future: asyncio.Future[float], granted_at: float) -> None:
    if not future.done():
        future.set_result(granted_at)


def permit_workflow() -> Callable[[float], Coroutine[Any, Any, str]]:
    """The registered `roster.model_permit` workflow (registered once per process)."""
    global _permit
    if _permit is None:
        from dbos import DBOS

        async def model_permit(lease_s: float) -> str:
            permit_id = str(DBOS.workflow_id)
            granted_at = time.time()
            local = _granted.get(permit_id)
            if local is not None:  # the requester is in this process: wake it now
                local.get_loop().call_soon_threadsafe(_wake, local, granted_at)
            await DBOS.set_event_async(GRANTED, granted_at)
            released = await DBOS.recv_async(RELEASE, timeout_seconds=lease_s)
            return "released" if released is not None else "expired"

        _permit = DBOS.workflow(name=PERMIT_WORKFLOW)(model_permit)
    return _permit


async def outside_workflow(make: Callable[[], Awaitable[T]]) -> T:
    """Run a DBOS call as if from outside any workflow (a fresh context), even when the
    caller is a run's workflow, so DBOS records nothing positional for it."""
    async def call() -> T:
        return await make()
    return await asyncio.create_task(call(), context=contextvars.Context())


async def ensure_queues(limits: Mapping[str, ModelLimit]) -> None:
    """Create or update the DBOS queues these limits describe (once per process each)."""
    from dbos import DBOS

    for limit in {limit.queue: limit for limit in limits.values()}.values():
        if _registered.get(limit.queue) == limit:
            continue
        await DBOS.register_queue_async(
            limit.queue, global_concurrency=limit.concurrency,
            limiter=limit.limiter,  # type: ignore[arg-type]
            partition_concurrency=limit.concurrency,
            partition_limiter=limit.limiter,  # type: ignore[arg-type]
            polling_interval_sec=POLL_S, on_conflict="always_update")
        _registered[limit.queue] = limit


def forget_queues() -> None:
    _registered.clear()


async def acquire(limit: ModelLimit) -> str:
    """Wait until the model's queue admits one more call, freshly; the permit to release."""
    while True:
        permit_id, granted_at = await _acquire_once(limit)
        if time.time() - granted_at <= FRESH_S:
            return permit_id
        log.debug("permit %s reached us %.2f s late; asking again", permit_id,
                  time.time() - granted_at)
        await release(permit_id)


async def _acquire_once(limit: ModelLimit) -> tuple[str, float]:
    from dbos import DBOS, SetEnqueueOptions, SetWorkflowID

    permit_id = f"permit-{uuid.uuid4().hex}"
    granted: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    _granted[permit_id] = granted

    async def enqueue() -> None:
        queue = await DBOS.retrieve_queue_async(limit.queue)
        if queue is None:
            raise RuntimeError(f"the model queue {limit.queue} is not registered")
        with SetWorkflowID(permit_id), SetEnqueueOptions(queue_partition_key=PARTITION):
            await queue.enqueue_async(permit_workflow(), LEASE_S)

    async def polled() -> float:
        return float(await DBOS.get_event_async(permit_id, GRANTED, timeout_seconds=LEASE_S))

    try:
        await outside_workflow(enqueue)
        event = asyncio.ensure_future(outside_workflow(polled))
        try:
            done, _ = await asyncio.wait({granted, event}, return_when=asyncio.FIRST_COMPLETED)
            granted_at = done.pop().result()
        finally:
            event.cancel()
            await asyncio.gather(event, return_exceptions=True)
    except BaseException:  # cancelled (kill switch) or failed before the call: free the slot
        with contextlib.suppress(Exception):
            await asyncio.shield(outside_workflow(lambda: DBOS.cancel_workflow_async(permit_id)))
        raise
    finally:
        _granted.pop(permit_id, None)
    return permit_id, granted_at


async def release(permit_id: str) -> None:
    """End the permit, freeing its concurrency slot (the rate window keeps counting it)."""
    from dbos import DBOS

    with contextlib.suppress(Exception):
        await asyncio.shield(outside_workflow(
            lambda: DBOS.send_async(permit_id, True, topic=RELEASE)))


class GatedProvider:
    """A provider whose calls to throttled models first take a permit from their queue."""

    def __init__(self, inner: Provider, limits: Mapping[str, ModelLimit]) -> None:
        self.inner, self.limits = inner, dict(limits)

    async def create(self, request: ModelRequest) -> ModelResponse:
        limit = self.limits.get(request.model)
        if limit is None:
            return await self.inner.create(request)
        permit = await acquire(limit)
        try:
            return await self.inner.create(request)
        finally:
            await release(permit)


__all__ = [
    "LEASE_S",
    "PERMIT_WORKFLOW",
    "GatedProvider",
    "acquire",
    "ensure_queues",
    "forget_queues",
    "outside_workflow",
    "permit_workflow",
    "release",
]
