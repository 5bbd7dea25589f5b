"""Executor heartbeats and the conditional UPDATEs that make recovery happen exactly once
(on SQLite here; the same SQL runs on PostgreSQL in the pool tests)."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa

from runtime.engine.journal import Journal, runs
from runtime.scale.registry import BUSY, CLAIMED, DEAD, FINISHED, Registry, executors


def setup(tmp_path: Path) -> tuple[Journal, Registry]:
    journal = Journal(f"sqlite:///{tmp_path / 'runs.db'}")
    return journal, Registry(journal.engine)


def age(registry: Registry, executor_id: str, seconds: float) -> None:
    with registry.engine.begin() as conn:
        conn.execute(executors.update().where(executors.c.id == executor_id)
                     .values(heartbeat_at=time.time() - seconds))


def test_only_one_of_several_workers_claims_a_silent_executor(tmp_path: Path) -> None:
    journal, registry = setup(tmp_path)
    for name in ("dead", "b", "c"):
        registry.register(name, "worker")
    assert registry.claim_dead("b", 15) == []  # nobody is silent yet
    age(registry, "dead", 60)
    claims = [registry.claim_dead(me, 15) for me in ("b", "c", "b")]
    assert claims == [["dead"], [], []]
    row = next(r for r in registry.all() if r.id == "dead")
    assert (row.status, row.recovered_by) == (DEAD, "b")
    journal.close()


def test_an_executor_declared_dead_learns_it_at_its_next_beat(tmp_path: Path) -> None:
    journal, registry = setup(tmp_path)
    registry.register("a", "worker")
    registry.register("b", "worker")
    assert registry.beat("a")
    age(registry, "a", 60)
    registry.claim_dead("b", 15)
    assert not registry.beat("a")
    journal.close()


def test_a_run_is_claimed_by_one_live_executor_and_not_after_its_outcome(
        tmp_path: Path) -> None:
    journal, registry = setup(tmp_path)
    journal.create_run("r1", roster_name="x", content_hash="h", task="t")
    assert registry.claim_run("r1", "a", 15) == CLAIMED
    assert registry.claim_run("r1", "a", 15) == CLAIMED  # its own again (a new attempt)
    assert registry.claim_run("r1", "b", 15) == BUSY  # a is alive: b must wait
    with journal.engine.begin() as conn:
        conn.execute(runs.update().where(runs.c.id == "r1")
                     .values(heartbeat_at=time.time() - 60))
    assert registry.claim_run("r1", "b", 15) == CLAIMED  # a went silent: b takes over
    with journal.engine.begin() as conn:
        conn.execute(runs.update().where(runs.c.id == "r1").values(status="completed"))
    assert registry.claim_run("r1", "c", 15) == FINISHED
    with journal.engine.begin() as conn:
        owner = conn.execute(sa.select(runs.c.executor).where(runs.c.id == "r1")).scalar()
    assert owner == "b"
    journal.close()


def test_handing_off_makes_an_executor_and_its_runs_stale_at_once(tmp_path: Path) -> None:
    journal, registry = setup(tmp_path)
    registry.register("a", "worker")
    registry.register("b", "worker")
    journal.create_run("r1", roster_name="x", content_hash="h", task="t")
    registry.claim_run("r1", "a", 15)
    registry.hand_off("a")
    assert registry.claim_dead("b", 15) == ["a"]
    assert registry.claim_run("r1", "b", 15) == CLAIMED
    journal.close()
