"""Group commit for the run journal: one connection, one transaction per batch.

The engine used to write every event and step record in a transaction of its
own, on the event-loop thread, each ending in an fsync. `JournalWriter` takes
writes (functions of a SQLAlchemy connection) from any thread into one ordered
pending list and commits whatever is pending in one transaction. Writes that
need durability are awaited (`write`): the caller continues only once the
batch holding its write is committed, so "a step is done" still means "its
record is on disk", while events and other bookkeeping (`post`) ride along in
the same transactions without anyone waiting for them. Writes keep their
order: a posted write is committed no later than any write submitted after it
(every committer takes the whole pending list, in order, under one lock).

Who commits depends on what a commit costs. On SQLite (WAL, synchronous=NORMAL:
a commit is a few page writes to the WAL, no fsync, tens of microseconds) an
awaited write is committed *inline*, on the caller's thread, together with
everything pending, whenever no other commit is in progress: handing it to a
thread and waking the event loop back would cost two thread switches (each a
wait for the GIL, up to the 5 ms switch interval on a busy machine), far more
than the commit. Posted writes wait for the next awaited write, or for the
writer thread, which commits them `LINGER_S` after the first one arrived. A
batch holding a write submitted with `fsync=True` (a tool about to run, whose
audit record must survive even a power cut) is committed with
synchronous=FULL by the thread, so the fsync never blocks the event loop. On
PostgreSQL every commit is a round trip to the server, so the thread commits
everything (the loop never blocks on the network), and a batch wakes each
waiting event loop once (one `call_soon_threadsafe` per batch and loop, not
one per write).

An inline commit never keeps the event loop waiting for another connection's write lock
(a second process on the same journal, a reader upgrading): it waits at most
`INLINE_BUSY_MS`, then rolls back and hands its batch to the writer thread, which waits
as long as the journal's busy timeout allows.

If a batch fails, each of its writes is retried in a transaction of its own so
one bad write cannot lose the others; the failure goes to whoever awaited that
write, or, for a posted write, is raised by the next `write` or `flush`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

Write = Callable[[sa.Connection], None]
log = logging.getLogger(__name__)
LINGER_S = 0.02  # inline mode: how long a posted write may wait for an awaited one
CHECKPOINT_EVERY = 200  # SQLite: commits between two WAL checkpoints (on the thread)
INLINE_BUSY_MS = 50  # SQLite: how long an inline commit waits for another writer's lock
THREAD_BUSY_MS = 30_000  # ...and a commit on the writer thread (the journal's own setting)


class JournalWriteError(RuntimeError):
    """A journal write that could not be committed."""


@dataclass(slots=True)
class _Item:
    write: Write
    fsync: bool
    awaited: bool = False
    future: asyncio.Future[None] | None = None
    error: BaseException | None = None


class JournalWriter:
    def __init__(self, engine: sa.Engine, *, inline: bool | None = None) -> None:
        """`inline`: commit awaited writes on the caller's thread when no commit is in
        progress (default: on SQLite, where a commit costs less than a thread hand-off)."""
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self.inline = self._sqlite if inline is None else inline
        self._lock = threading.Lock()  # guards _pending, _armed, _thread, _stopping
        self._commit_lock = threading.Lock()  # one committer at a time (one connection)
        self._pending: list[_Item] = []
        self._wake = threading.Event()
        self._armed = False  # someone (the thread, or a timer on a loop) will drain soon
        self._armed_loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._conn: sa.Connection | None = None
        self._fsync: bool | None = None  # the connection's synchronous setting (SQLite)
        self._busy_ms: int | None = None  # the connection's busy timeout (SQLite)
        self._failed: BaseException | None = None  # of a posted write nobody awaited
        self.batches = 0  # committed transactions (for benchmarks and tests)
        self.writes = 0
        self.inline_batches = 0  # of which committed on the caller's thread
        self.handed_over = 0  # inline batches given to the thread: another writer held the lock
        self.checkpoints = 0
        self._since_checkpoint = 0
        self._checkpoint_due = False
        self._checkpointer: sa.Connection | None = None

    # ------------------------------------------------------------------ submitting

    def post(self, write: Write) -> None:
        """Queue a write nobody waits for; it commits with the next batch (inline mode: with
        the next awaited write, or `LINGER_S` later on the posting event loop)."""
        item = _Item(write, False)
        loop = asyncio._get_running_loop() if self.inline else None
        if loop is None:
            self._put(item, urgent=not self.inline)
            return
        with self._lock:
            self._pending.append(item)
            arm = self._armed_loop is not loop or not self._armed
            self._armed, self._armed_loop = True, loop
        if arm:
            loop.call_later(LINGER_S, self._flush_posted)

    def _flush_posted(self) -> None:
        """On the event loop, `LINGER_S` after a post: commit what no awaited write took."""
        with self._lock:
            self._armed, self._armed_loop = False, None
            if not self._pending:
                return
        if self._commit_lock.acquire(blocking=False):
            try:
                with self._lock:
                    batch, self._pending = self._pending, []
                if batch and not self._commit(batch, inline=True):
                    self._hand_back(batch)
                    batch = []
                elif batch:
                    self.inline_batches += 1
            finally:
                self._commit_lock.release()
            if batch:
                self._settle_others(batch, None)
            else:
                self._put_nothing()  # the thread commits what was handed back (or nothing)
        else:  # a commit is in progress on the thread: it takes these along
            self._put_nothing()

    def _put_nothing(self) -> None:
        with self._lock:
            self._start_thread()
        self._wake.set()

    async def write(self, write: Write, *, fsync: bool = False) -> None:
        """Queue a write and return once it is committed (raising if it failed)."""
        self._raise_failed()
        item = _Item(write, fsync, awaited=True)
        if self.inline and not fsync and self._commit_lock.acquire(blocking=False):
            try:
                with self._lock:
                    batch, self._pending = self._pending, []
                    batch.append(item)
                if any(i.fsync for i in batch):  # the thread's to commit: hand them back
                    self._hand_back(batch[:-1])
                    batch = []
                elif self._commit(batch, inline=True):
                    self.inline_batches += 1
                else:  # another connection holds the write lock: the thread waits, not us
                    self._hand_back(batch[:-1])
                    batch = []
            finally:
                self._commit_lock.release()
            if batch:
                self._settle_others(batch, item)
                if item.error is not None:
                    raise JournalWriteError(f"a journal write failed: {item.error}")
                return
        item.future = asyncio.get_running_loop().create_future()
        self._put(item, urgent=True)
        await item.future

    async def flush(self) -> None:
        """Return once everything queued so far is committed."""
        await self.write(_nothing)
        self._raise_failed()

    def close(self) -> None:
        """Commit what is queued, stop the thread and close the connection."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stopping = True
        if thread is not None:
            self._wake.set()
            thread.join()
        with self._commit_lock:
            self._drain()
            for conn in (self._conn, self._checkpointer):
                if conn is not None:
                    conn.close()
            self._conn = self._checkpointer = None
        with self._lock:
            self._stopping = False

    def _hand_back(self, items: list[_Item]) -> None:
        """Put uncommitted `items` back in front of the pending list, in their order."""
        if items:
            with self._lock:
                self._pending[:0] = items

    def _put(self, item: _Item, *, urgent: bool) -> None:
        with self._lock:
            self._pending.append(item)
            self._start_thread()
            wake = urgent or not self._armed
            self._armed = True
        if wake:
            self._wake.set()

    def _start_thread(self) -> None:
        """Start the thread if it is not running (the caller holds `_lock`)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="journal-writer",
                                            daemon=True)
            self._thread.start()

    def _raise_failed(self) -> None:
        failed, self._failed = self._failed, None
        if failed is not None:
            raise JournalWriteError(f"a journal write failed: {failed}") from failed

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                if self._armed_loop is None:
                    self._armed = False
                pending = bool(self._pending)
            if pending:
                with self._commit_lock:
                    self._drain()
            with self._lock:
                stopping = self._stopping
                checkpoint, self._checkpoint_due = self._checkpoint_due, False
            if checkpoint and not stopping:
                self._checkpoint()  # outside the commit lock: commits carry on meanwhile
            if stopping:
                return

    def _drain(self) -> None:
        """Commit everything pending (the caller holds the commit lock)."""
        while True:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return
            self._commit(batch)
            self._settle_others(batch, None)

    def _connection(self, fsync: bool, inline: bool = False) -> sa.Connection:
        if self._conn is None:
            self._conn = self._engine.connect()
            self._fsync = self._busy_ms = None
            if self._sqlite:  # checkpoints (an fsync each) happen on the thread, not here
                self._conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
                self._conn.commit()
        if self._sqlite and fsync is not self._fsync:
            self._conn.exec_driver_sql(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
            self._conn.commit()
            self._fsync = fsync
        busy = INLINE_BUSY_MS if inline else THREAD_BUSY_MS
        if self._sqlite and busy != self._busy_ms:
            self._conn.exec_driver_sql(f"PRAGMA busy_timeout={busy}")
            self._conn.commit()
            self._busy_ms = busy
        return self._conn

    def _commit(self, items: list[_Item], *, inline: bool = False) -> bool:
        """Commit `items` in one transaction, else one by one; errors land on the items.
        `inline` (on an event loop's thread): False, with nothing committed, when another
        connection kept the write lock past `INLINE_BUSY_MS`; the caller hands the batch
        to the thread."""
        try:
            conn = self._connection(any(i.fsync for i in items), inline)
        except Exception as exc:  # no connection: nothing of the batch is committed
            for item in items:
                self._failed_item(item, exc)
            return True
        try:
            with conn.begin():
                for item in items:
                    item.write(conn)
        except Exception as exc:  # one bad write: commit the others one by one
            if inline and _locked(exc):
                self.handed_over += 1
                return False
            for item in items:
                self._commit_one(conn, item)
            return True
        self.batches += 1
        self.writes += len(items)
        self._committed()
        return True

    def _commit_one(self, conn: sa.Connection, item: _Item) -> None:
        try:
            with conn.begin():
                item.write(conn)
            self.batches += 1
            self.writes += 1
            self._committed()
        except Exception as exc:
            self._failed_item(item, exc)

    def _committed(self) -> None:
        """Count a commit; every CHECKPOINT_EVERY of them on SQLite, have the thread copy the
        WAL back into the database file (its own connection: commits carry on meanwhile)."""
        self._since_checkpoint += 1
        if self._sqlite and self._since_checkpoint >= CHECKPOINT_EVERY:
            self._since_checkpoint = 0
            with self._lock:
                self._checkpoint_due = True
                if not self._stopping:
                    self._start_thread()
            self._wake.set()

    def _checkpoint(self) -> None:
        try:
            if self._checkpointer is None:
                self._checkpointer = self._engine.connect()
            self._checkpointer.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            self._checkpointer.commit()
            self.checkpoints += 1
        except Exception as exc:  # busy or failed: the next one (or the last close) does it
            log.warning("journal checkpoint failed: %s", exc)

    def _failed_item(self, item: _Item, exc: BaseException) -> None:
        item.error = exc
        if not item.awaited:
            log.error("journal write failed: %s", exc)
            self._failed = self._failed or exc

    def _settle_others(self, batch: list[_Item], mine: _Item | None) -> None:
        """Wake every waiter of `batch` (but `mine`): one call per event loop."""
        by_loop: dict[asyncio.AbstractEventLoop, list[_Item]] = {}
        for item in batch:
            if item.future is not None and item is not mine:
                by_loop.setdefault(item.future.get_loop(), []).append(item)
        if not by_loop:
            return
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        for loop, items in by_loop.items():
            if loop is here:
                loop.call_soon(_settle, items)
                continue
            try:
                loop.call_soon_threadsafe(_settle, items)
            except RuntimeError:  # the loop is gone: nobody is waiting any more
                pass


def _nothing(conn: sa.Connection) -> None:
    return None


def _locked(exc: BaseException) -> bool:
    """SQLite's "database is locked" (or busy): another connection holds the write lock."""
    text = str(getattr(exc, "orig", exc)).lower()
    return isinstance(exc, sa.exc.OperationalError) and ("locked" in text or "busy" in text)


def _settle(items: list[_Item]) -> None:
    for item in items:
        future = item.future
        if future is None or future.done():  # the waiter was cancelled
            continue
        if item.error is None:
            future.set_result(None)
        else:
            future.set_exception(JournalWriteError(f"a journal write failed: {item.error}"))


__all__ = ["LINGER_S", "JournalWriteError", "JournalWriter", "Write"]
