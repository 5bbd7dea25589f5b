"""Group commit for the run journal: one writer thread, one transaction per batch.

The engine used to write every event and step record in a transaction of its
own, on the event-loop thread, each ending in an fsync. `JournalWriter` takes
writes (functions of a SQLAlchemy connection) from any thread into a queue; its
thread drains whatever is queued, runs it all in one transaction and commits.
Writes that need durability are awaited (`write`): the caller continues only
once the batch holding its write is committed, so "a step is done" still means
"its record is on disk", while events and other bookkeeping (`post`) ride along
in the same transactions without anyone waiting for them. Writes keep their
order: a posted write is committed no later than any write submitted after it.

On SQLite the writer keeps one connection of its own, in WAL mode with
synchronous=NORMAL: a committed batch survives the process being killed (it is
in the WAL) but not necessarily a power cut. A batch holding a write submitted
with `fsync=True` (a tool about to run, whose audit record must survive even a
power cut) is committed with synchronous=FULL. If a batch fails, each of its
writes is retried in a transaction of its own so one bad write cannot lose the
others; the failure goes to whoever awaited that write, or, for a posted write,
is raised by the next `write` or `flush`.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

Write = Callable[[sa.Connection], None]
Done = Callable[[BaseException | None], None]
log = logging.getLogger(__name__)


class JournalWriteError(RuntimeError):
    """A journal write that could not be committed."""


@dataclass(slots=True)
class _Item:
    write: Write
    fsync: bool
    done: Done | None


class JournalWriter:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._failed: BaseException | None = None  # of a posted write nobody awaited
        self.batches = 0  # committed transactions (for benchmarks and tests)
        self.writes = 0

    # ------------------------------------------------------------------ submitting

    def post(self, write: Write) -> None:
        """Queue a write nobody waits for; it commits with the next batch."""
        self._put(_Item(write, False, None))

    async def write(self, write: Write, *, fsync: bool = False) -> None:
        """Queue a write and return once it is committed (raising if it failed)."""
        self._raise_failed()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def done(error: BaseException | None) -> None:
            try:
                loop.call_soon_threadsafe(_settle, future, error)
            except RuntimeError:  # the loop is gone: nobody is waiting any more
                pass

        self._put(_Item(write, fsync, done))
        await future

    async def flush(self) -> None:
        """Return once everything queued so far is committed."""
        await self.write(_nothing)
        self._raise_failed()

    def close(self) -> None:
        """Commit what is queued and stop the thread."""
        with self._start_lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _put(self, item: _Item) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="journal-writer",
                                                    daemon=True)
                    self._thread.start()
        self._queue.put(item)

    def _raise_failed(self) -> None:
        failed, self._failed = self._failed, None
        if failed is not None:
            raise JournalWriteError(f"a journal write failed: {failed}") from failed

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        conn = self._engine.connect()
        fsync: bool | None = None
        try:
            while True:
                first = self._queue.get()
                batch = [first]
                while True:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                items = [i for i in batch if i is not None]
                if items:
                    want = any(i.fsync for i in items)
                    if self._sqlite and want is not fsync:
                        conn.exec_driver_sql(f"PRAGMA synchronous={'FULL' if want else 'NORMAL'}")
                        conn.commit()
                        fsync = want
                    self._commit(conn, items)
                if any(i is None for i in batch):
                    return
        finally:
            conn.close()

    def _commit(self, conn: sa.Connection, items: list[_Item]) -> None:
        try:
            with conn.begin():
                for item in items:
                    item.write(conn)
        except Exception:  # one bad write: commit the others one by one
            for item in items:
                self._commit_one(conn, item)
            return
        self.batches += 1
        self.writes += len(items)
        for item in items:
            if item.done is not None:
                item.done(None)

    def _commit_one(self, conn: sa.Connection, item: _Item) -> None:
        error: BaseException | None = None
        try:
            with conn.begin():
                item.write(conn)
            self.batches += 1
            self.writes += 1
        except Exception as exc:
            error = exc
            if item.done is None:
                log.error("journal write failed: %s", exc)
                self._failed = self._failed or exc
        if item.done is not None:
            item.done(error)


def _nothing(conn: sa.Connection) -> None:
    return None


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # the waiter was cancelled
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(JournalWriteError(f"a journal write failed: {error}"))


__all__ = ["JournalWriteError", "JournalWriter", "Write"]
