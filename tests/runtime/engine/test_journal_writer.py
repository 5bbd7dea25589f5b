"""Group commit: the journal's writer thread and what "a step is done" means with it.

Real SQLite files in the test's temporary directory; the writer's thread is
real too. A durable write returns only once it is committed (another
connection sees it), writes queued together share one transaction, a bad
write loses nothing else, and a run's completed step is on disk before the
engine moves on.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from runtime.engine import journal as jn
from runtime.engine.approvals import DenyChannel
from runtime.engine.journal_writer import JournalWriteError
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


@pytest.fixture
def journal(tmp_path: Path) -> Any:
    store = jn.Journal(f"sqlite:///{tmp_path / 'runs.db'}")
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
