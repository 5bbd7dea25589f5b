"""The kill switch of one run, pressable from any context, and the cancellation helpers
that let a run stop cleanly.

`KillSwitch.press(reason)` may be called from a coroutine or event listener of the
run, from another thread, or from a signal handler. From the run's own thread it
acts at once; from another thread it hands the press to the run's event loop
(`call_soon_threadsafe`). Acting means: remember the reason, call the run's
`on_press` (which reports the press and kills tool processes) and cancel the run's
task. A run that never suspends (a scripted provider answers without awaiting)
would never see a cancellation, so the engine also calls `check()` before every
model call, tool call and delegation: once pressed, it raises CancelledError.
After the run caught that, `absorb_cancellation()` takes back the cancellation the
press requested, so the run's task ends normally (no stray CancelledError out of
`asyncio.run`).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import Any


class KillSwitch:
    __slots__ = ("_loop", "_on_press", "_requested", "_task", "_thread", "finished", "reason")

    def __init__(self, on_press: Callable[[str], None]) -> None:
        self._on_press = on_press
        self._task: asyncio.Task[str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self.reason: str | None = None
        self._requested: str | None = None  # pressed on another thread, not yet acted on
        self.finished = False

    def arm(self) -> None:
        """Called by the run's task as it starts: the task (and loop) a press cancels."""
        self._task = asyncio.current_task()
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()

    def disarm(self) -> None:
        """The run finished: a later press does nothing."""
        self.finished = True
        self._task = None

    def press(self, reason: str) -> None:
        loop = self._loop
        if loop is not None and self._thread != threading.get_ident():
            # Acted on by the run's thread: at its next checkpoint (a busy run) or when
            # the loop runs the callback (a waiting one), whichever comes first.
            if self._requested is None:
                self._requested = reason
            with contextlib.suppress(RuntimeError):  # the loop closed: the run is over
                loop.call_soon_threadsafe(self._act, reason)
            return
        self._act(reason)

    def _act(self, reason: str) -> None:
        if self.reason is not None or self.finished:
            return
        self.reason = reason
        self._on_press(reason)
        task = self._task
        if task is not None and not task.done():
            task.cancel(reason)  # wakes whatever it awaits; a busy run stops at a checkpoint

    def check(self) -> None:
        """A checkpoint: raise CancelledError once the switch was pressed."""
        if self.reason is None:
            if self._requested is None:
                return
            self._act(self._requested)
        raise asyncio.CancelledError(self.reason)


async def absorb_cancellation() -> None:
    """Take back the cancellations requested of the current task. On 3.11 `uncancel()`
    leaves a requested but undelivered cancel pending (the task was busy when the switch
    was pressed), which would end the task cancelled; one yield delivers it here instead."""
    task = asyncio.current_task()
    if task is None:
        return
    while task.cancelling():
        task.uncancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(0)


async def settle(jobs: Sequence[asyncio.Future[Any]]) -> None:
    """Wait until every (cancelled) job has finished, even if the current task is cancelled
    again meanwhile, so nothing a stopped agent started outlives it."""
    while not all(job.done() for job in jobs):
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait(jobs)


__all__ = ["KillSwitch", "absorb_cancellation", "settle"]
