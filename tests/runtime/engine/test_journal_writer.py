"""Group commit: the journal's writer and what "a step is done" means with it.

Real SQLite files in the test's temporary directory; the writer's thread is
real too. A durable write returns only once it is committed (another
connection sees it), writes queued together share one transaction, a bad
write loses nothing else, and a run's completed step is on disk before the
engine moves on. The contract tests run in both of the writer's modes: inline
(SQLite's default: an awaited write is committed on the caller's thread when
no commit is in progress) and thread (PostgreSQL's: the writer thread commits
everything and wakes each waiting loop once per batch).
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from runtime.engine import journal as jn
from runtime.engine.approvals import DenyChannel
from runtime.engine.journal_writer import CHECKPOINT_EVERY, LINGER_S, JournalWriteError
from runtime.engine.protocols import ModelRequest, ModelResponse
from runtime.engine.redact import Redactor
from runtime.engine.run import Run, RunConfig
from runtime.roster.costs import Usage
from runtime.roster.io import loads

SOLO = """\
format: agent-roster
version: 1
name: Solo
entry: [solo]
defaults: {model: claude-haiku-5-5, max_turns: 4, max_tokens_per_call: 256, timeout_s: 60,
           budget_usd: 1.0}
agents:
  solo: {name: Solo, role: Answers., instructions: Answer.}
"""

table = sa.Table("t", sa.MetaData(), sa.Column("k", sa.Integer, primary_key=True))


@pytest.fixture(params=[True, False], ids=["inline", "thread"])
def journal(tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    store = jn.Journal(f"sqlite:///{tmp_path / 'runs.db'}")
    store.writer.inline = request.param
    table.create(store.engine)
    yield store
    store.close()


def keys(store: jn.Journal) -> list[int]:
    with store.engine.connect() as conn:  # a connection of its own: sees only commits
        return sorted(r[0] for r in conn.execute(sa.select(table.c.k)))


def insert(k: int) -> Any:
    return lambda conn: conn.execute(table.insert().values(k=k))


def test_an_awaited_write_is_committed_when_it_returns(journal: jn.Journal) -> None:
    async def main() -> None:
        await journal.writer.write(insert(1))
        assert keys(journal) == [1]

    asyncio.run(main())


def test_concurrent_writes_share_transactions(journal: jn.Journal) -> None:
    async def main() -> None:
        for k in range(200):
            journal.writer.post(insert(k))
        await asyncio.gather(*(journal.writer.write(insert(k)) for k in range(200, 400)))

    asyncio.run(main())
    assert keys(journal) == list(range(400))
    assert journal.writer.writes == 400 and journal.writer.batches < 400


def test_a_failing_write_loses_nothing_else_and_reaches_its_waiter(
        journal: jn.Journal) -> None:
    async def main() -> list[Any]:
        return await asyncio.gather(journal.writer.write(insert(1)),
                                    journal.writer.write(insert(1)),  # duplicate key
                                    journal.writer.write(insert(2)), return_exceptions=True)

    outcomes = asyncio.run(main())
    assert keys(journal) == [1, 2]
    assert [type(o).__name__ for o in outcomes].count("JournalWriteError") == 1


def test_a_failed_posted_write_is_raised_by_the_next_flush(journal: jn.Journal) -> None:
    async def main() -> None:
        journal.writer.post(insert(5))
        journal.writer.post(insert(5))
        with pytest.raises(JournalWriteError):
            await journal.writer.flush()
        await journal.writer.flush()  # reported once

    asyncio.run(main())
    assert keys(journal) == [5]


def test_posted_writes_keep_their_order_and_are_committed_by_close(tmp_path: Path) -> None:
    store = jn.Journal(f"sqlite:///{tmp_path / 'runs.db'}")
    table.create(store.engine)
    for k in range(50):
        store.writer.post(insert(k))
    store.writer.post(lambda conn: conn.execute(table.delete().where(table.c.k < 10)))
    store.close()
    reopened = jn.Journal(f"sqlite:///{tmp_path / 'runs.db'}")
    try:
        assert keys(reopened) == list(range(10, 50))
    finally:
        reopened.close()


class Answers:
    """A provider that, while answering, looks at what the journal has committed so far."""

    def __init__(self, store: jn.Journal, run_id: str) -> None:
        self.store, self.run_id = store, run_id
        self.seen: list[list[tuple[str, str]]] = []

    async def create(self, request: ModelRequest) -> ModelResponse:
        with self.store.engine.connect() as conn:
            self.seen.append([(r.key, r.status) for r in conn.execute(
                sa.select(jn.steps.c.key, jn.steps.c.status)
                .where(jn.steps.c.run_id == self.run_id).order_by(jn.steps.c.started_at))])
        if len(self.seen) == 1:
            return ModelResponse([{"type": "text", "text": "thinking"}], "pause_turn",
                                 Usage(10, 2), request.model)
        return ModelResponse([{"type": "text", "text": "done"}], "end_turn", Usage(10, 2),
                             request.model)


def test_a_step_is_committed_before_the_next_one_starts(journal: jn.Journal) -> None:
    content = loads(SOLO).content
    journal.create_run("r1", roster_name="Solo", task="t")
    steps = jn.JournalStepRunner(journal, "r1", attempt=1, redactor=Redactor(),
                                 approvals=DenyChannel(), audited=frozenset(), human_for={})
    provider = Answers(journal, "r1")
    run = Run(content, RunConfig(task="t", run_id="r1"), provider, {}, DenyChannel(),
              steps=steps, listeners=(steps.on_event,))
    steps.attach(run.emit)
    assert asyncio.run(run.execute()) == "done"
    assert provider.seen[1][0] == ("solo/model/1", "completed")  # durable before turn 2
    summary = journal.get_run("r1")  # execute() returns only once the journal has it all
    assert summary is not None and (summary.status, summary.model_calls) == ("completed", 2)
    assert [kind for _, kind, _, _ in journal.stored_events("r1")][-1] == "RunFinished"


# ------------------------------------------------------------------ inline mode (SQLite)

@pytest.fixture
def inline(tmp_path: Path) -> Any:
    store = jn.Journal(f"sqlite:///{tmp_path / 'runs.db'}")
    assert store.writer.inline, "SQLite journals commit inline by default"
    table.create(store.engine)
    yield store
    store.close()


def test_an_idle_writer_commits_an_awaited_write_on_the_callers_thread(inline: jn.Journal
                                                                       ) -> None:
    """No thread hand-off for the common case: the commit costs less than the switch."""
    committed_on: list[str] = []

    def write(conn: Any) -> None:
        import threading
        committed_on.append(threading.current_thread().name)
        conn.execute(table.insert().values(k=1))

    async def main() -> None:
        await inline.writer.write(write)
        assert keys(inline) == [1]

    asyncio.run(main())
    assert committed_on == ["MainThread"]
    assert inline.writer.inline_batches == 1


def test_posted_writes_ride_along_with_the_next_awaited_write(inline: jn.Journal) -> None:
    async def main() -> None:
        for k in range(3):
            inline.writer.post(insert(k))
        await inline.writer.write(insert(3))
        assert keys(inline) == [0, 1, 2, 3]

    asyncio.run(main())
    assert (inline.writer.batches, inline.writer.writes) == (1, 4)


def test_a_posted_write_alone_is_committed_after_the_linger_time(inline: jn.Journal) -> None:
    """Events of a run waiting on a long model call still reach the journal promptly."""
    async def main() -> None:
        inline.writer.post(insert(7))
        assert keys(inline) == []
        for _ in range(100):
            await asyncio.sleep(LINGER_S)
            if keys(inline) == [7]:
                return
        raise AssertionError("the posted write was never committed")

    asyncio.run(main())


def test_a_write_before_a_tool_runs_is_committed_with_synchronous_full(
        inline: jn.Journal) -> None:
    """The audit and `started` records of a tool survive a power cut: that batch is
    fsync'd (by the writer thread, so the fsync never blocks the event loop)."""
    seen: list[tuple[str, int]] = []

    def write(conn: Any) -> None:
        import threading
        level = conn.exec_driver_sql("PRAGMA synchronous").scalar()
        seen.append((threading.current_thread().name, level))
        conn.execute(table.insert().values(k=9))

    async def main() -> None:
        await inline.writer.write(write, fsync=True)

    asyncio.run(main())
    assert seen == [("journal-writer", 2)]  # 2 = FULL
    assert keys(inline) == [9]


def test_the_wal_is_checkpointed_by_the_writer_thread_not_by_commits(
        inline: jn.Journal) -> None:
    """A checkpoint fsyncs the database file; the committing connection never runs one
    itself (auto-checkpoint off), the writer thread does, every CHECKPOINT_EVERY commits."""
    async def main() -> None:
        for k in range(CHECKPOINT_EVERY + 5):
            await inline.writer.write(insert(k))
        for _ in range(200):
            if inline.writer.checkpoints:
                return
            await asyncio.sleep(0.01)

    asyncio.run(main())
    assert inline.writer.checkpoints >= 1
    assert inline.writer.inline_batches == CHECKPOINT_EVERY + 5
    with inline.writer._commit_lock:
        conn = inline.writer._conn
        assert conn is not None
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0


# ------------------------------------------------------------------ thread mode (PostgreSQL)

def test_the_thread_wakes_a_waiting_loop_once_per_batch(tmp_path: Path) -> None:
    store = jn.Journal(f"sqlite:///{tmp_path / 'runs.db'}")
    store.writer.inline = False
    table.create(store.engine)
    wakes = 0

    async def main() -> None:
        nonlocal wakes
        loop = asyncio.get_running_loop()
        original = loop.call_soon_threadsafe

        def counted(*args: Any, **kw: Any) -> Any:
            nonlocal wakes
            wakes += 1
            return original(*args, **kw)

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
        await asyncio.gather(*(store.writer.write(insert(k)) for k in range(100)))

    try:
        asyncio.run(main())
        assert keys(store) == list(range(100))
        assert store.writer.inline_batches == 0
        assert 1 <= wakes <= store.writer.batches < 100
    finally:
        store.close()


def test_an_inline_commit_never_waits_on_the_loop_for_another_writers_lock(
        inline: jn.Journal, tmp_path: Path) -> None:
    """Another connection (a second process on the same journal) holds the write lock for
    0.4 s: the awaited write waits for it on the writer thread, and the event loop keeps
    running meanwhile; nothing is lost or reordered."""
    import sqlite3
    import threading

    other = sqlite3.connect(tmp_path / "runs.db", isolation_level=None,
                            check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # the write lock, held
    released = threading.Timer(0.4, lambda: other.execute("COMMIT"))
    ticks: list[float] = []

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        while True:
            ticks.append(loop.time())
            await asyncio.sleep(0.01)

    async def main() -> None:
        beat = asyncio.ensure_future(ticker())
        await asyncio.sleep(0)
        inline.writer.post(insert(1))
        released.start()
        await inline.writer.write(insert(2))
        beat.cancel()
        assert keys(inline) == [1, 2]

    asyncio.run(main())
    released.join()
    other.close()
    assert inline.writer.handed_over >= 1, "the locked batch went to the thread"
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) >= 10, "the loop ran while the lock was held"
    assert max(gaps) < 0.25, f"the event loop stalled for {max(gaps):.2f} s"


def test_after_a_hand_over_inline_commits_resume(inline: jn.Journal, tmp_path: Path) -> None:
    import sqlite3

    other = sqlite3.connect(tmp_path / "runs.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    async def main() -> None:
        pending = asyncio.ensure_future(inline.writer.write(insert(1)))
        await asyncio.sleep(0.2)
        assert not pending.done(), "the lock is still held"
        other.execute("COMMIT")
        await pending
        before = inline.writer.inline_batches
        await inline.writer.write(insert(2))
        assert inline.writer.inline_batches == before + 1
        assert keys(inline) == [1, 2]

    asyncio.run(main())
    other.close()
