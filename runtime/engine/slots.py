"""A counting limiter for the engine's hot path (max_parallel_agents, delegations).

`asyncio.Semaphore` does the same job but costs several Python calls per
acquire even when a slot is free (its `locked()` scans the waiters). `Slots`
takes a free slot with one comparison and no await; only a full limiter
creates a future, and `try_acquire()` lets a caller skip even the coroutine
when a slot is free. A released slot goes straight to the oldest waiter (FIFO,
no barging), and a waiter cancelled after it was handed a slot passes it on,
so a slot is never lost.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Slots:
    __slots__ = ("_waiters", "free")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a limiter needs at least one slot")
        self.free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    def try_acquire(self) -> bool:
        """Take a free slot without waiting; False when the caller must `await acquire()`
        (no slot free, or others are already queued: no barging)."""
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return True
        return False

    async def acquire(self) -> None:
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # it was handed a slot just as it was cancelled: pass it on
            else:
                self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.release()


__all__ = ["Slots"]
