"""A builder parses each stored roster once: a worker running the same roster many times
does not re-read, re-parse and re-hash it for every run, and a roster that changed since a
run started is still refused."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from runtime.engine import journal as jn
from runtime.engine.executor import ResumeError, RunBuilder, RunSpec
from tests.runtime.engine.test_journal import ROSTER, Notes, factories, writer


@pytest.fixture
def store(tmp_path: Path) -> Any:
    journal = jn.Journal(f"sqlite:///{tmp_path / 'runs.db'}")
    yield journal
    journal.close()


@pytest.fixture
def roster_file(tmp_path: Path) -> str:
    path = tmp_path / "journal.roster.yaml"
    path.write_text(ROSTER.replace("APPROVAL", "allow"), encoding="utf-8")
    return str(path)


def test_runs_of_one_roster_share_its_parse(store: jn.Journal, roster_file: str) -> None:
    builder = RunBuilder(store, factories(writer(), Notes()))
    first = builder.create(RunSpec(task="one", roster_path=roster_file))
    second = builder.create(RunSpec(task="two", roster_path=roster_file))
    record, facts, task = builder.facts(first)
    again = builder.facts(second)
    assert (record.id, task) == (first, "one")
    assert again[1] is facts and again[2] == "two"
    assert facts.content_hash == record.content_hash
    assert facts.human_for == {"worker": "lead"}
    assert "notes" in facts.audited  # a state-changing tool gets its audit record


def test_a_built_run_completes_with_the_shared_parse(store: jn.Journal, roster_file: str
                                                     ) -> None:
    builder = RunBuilder(store, factories(writer(), Notes()))
    ids = [builder.create(RunSpec(task=f"t{n}", roster_path=roster_file)) for n in range(3)]

    async def main() -> list[str]:
        out = []
        for run_id in ids:
            run = builder.build(run_id, "test")
            await run.execute()
            out.append(run.status)
        return out

    assert asyncio.run(main()) == ["completed"] * 3


def test_a_roster_changed_since_the_run_started_is_refused(store: jn.Journal,
                                                          roster_file: str) -> None:
    builder = RunBuilder(store, factories(writer(), Notes()))
    run_id = builder.create(RunSpec(task="one", roster_path=roster_file))
    builder.facts(run_id)  # cached now
    with store.engine.begin() as conn:
        conn.execute(jn.runs.update().where(jn.runs.c.id == run_id)
                     .values(content_hash="something else"))
    with pytest.raises(ResumeError, match="changed since run"):
        builder.facts(run_id)


def test_an_unknown_run_is_reported(store: jn.Journal) -> None:
    builder = RunBuilder(store, factories(writer(), Notes()))
    with pytest.raises(ResumeError, match="no run nope"):
        builder.facts("nope")
    assert sa.inspect(store.engine).has_table("runs")
