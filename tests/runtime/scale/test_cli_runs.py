"""`roster runs approvals|approve|deny|cancel`: the same commands for a local journal and a
pool's database (SQLite here; the pool tests use them on PostgreSQL)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from runtime.cli.main import main
from runtime.engine.journal import Journal, approvals


def waiting(db: Path, run_id: str = "run000000001") -> None:
    journal = Journal(f"sqlite:///{db}")
    journal.create_run(run_id, roster_name="Refunds", content_hash="h", task="refund")
    journal.begin_attempt(run_id, "worker-a", "elsewhere", 1)
    with journal.engine.begin() as conn:
        conn.execute(approvals.insert().values(
            run_id=run_id, request_id="toolu_1:approval", agent="refunds", human="lead",
            tool="payments", risk="high", reason="a refund of 40 EUR", arguments_json="{}",
            timeout_s=600.0, asked_at=time.time()))
    journal.close()


def test_pending_approvals_are_listed_and_answered_by_prefix(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "runs.db"
    waiting(db)
    assert main(["runs", "approvals", "--db", str(db)]) == 0
    listed = capsys.readouterr().out
    assert "run000000001  toolu_1:approval  lead: refunds → payments [high]" in listed
    assert "a refund of 40 EUR" in listed
    assert main(["runs", "deny", "run0000", "toolu_1:approval", "--by", "ana", "--note",
                 "not this one", "--db", str(db)]) == 0
    assert "denied toolu_1:approval of run run000000001" in capsys.readouterr().out
    journal = Journal(f"sqlite:///{db}")
    answer = journal.take_signal("run000000001", "toolu_1:approval")
    journal.close()
    assert answer == {"approved": False, "by": "ana", "note": "not this one"}


def test_answering_a_request_the_run_does_not_wait_on_says_what_it_waits_on(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "runs.db"
    waiting(db)
    assert main(["runs", "approve", "run000000001", "toolu_9", "--db", str(db)]) == 1
    assert "not waiting on 'toolu_9'; it waits on: toolu_1:approval" in capsys.readouterr().err


def test_cancelling_a_run_nobody_executes_stops_it_at_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "runs.db"
    journal = Journal(f"sqlite:///{db}")
    journal.create_run("queued000001", roster_name="R", content_hash="h", task="t")
    journal.close()
    assert main(["runs", "cancel", "queued000001", "--db", str(db)]) == 0
    journal = Journal(f"sqlite:///{db}")
    record = journal.get_run("queued000001")
    journal.close()
    assert record is not None and record.status == "stopped"
    assert main(["runs", "cancel", "queued000001", "--db", str(db)]) == 1
    assert "already finished (stopped)" in capsys.readouterr().err
