"""THE POOL CRASH TEST: two `roster worker` processes on PostgreSQL, one SIGKILLed mid-step.

20 runs are submitted against the loopback Messages-API server (each run: a
model turn that calls the `notes` tool, the tool, a final model turn; the
server answers after a delay and the tool sleeps, so many steps are in flight).
Once worker `a` holds runs in the middle of a step it is SIGKILLed. Worker `b`
notices `a`'s heartbeat stop, claims it (exactly once), and DBOS puts a's runs
back on the queue. Afterwards every run has reached a terminal state, no tool
ran twice (each execution logs its idempotency key), no tool completion and
no model call is recorded twice, and the recovered runs were finished by `b`.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from tests.messages_server import MessagesServer
from tests.runtime.scale.support import Pool, script_turns

pytestmark = pytest.mark.slow


def test_a_killed_workers_runs_are_recovered_once_by_the_other_worker(
        tmp_path: Path, pg_db: str, server: MessagesServer, pool_key: str) -> None:
    script_turns(server, 0.4)
    pool = Pool(tmp_path, pg_db, server, pool_key, tool_sleep=1.5, stale_s=4.0)
    try:
        pool.start_worker("a")
        pool.start_worker("b")
        ids = pool.submit_many([f"note {n}" for n in range(20)])
        deadline = time.monotonic() + 60
        while True:  # a must hold runs mid-step: tool calls started, not finished
            held = pool.query("SELECT count(*) FROM runs WHERE executor = 'a' AND "
                              "status = 'running'")[0][0]
            started = pool.query("SELECT count(*) FROM steps s JOIN runs r ON r.id = s.run_id"
                                 " WHERE r.executor = 'a' AND s.status = 'started' AND "
                                 "s.kind = 'tool'")[0][0]
            if held >= 3 and started >= 2:
                break
            assert time.monotonic() < deadline, pool.worker_log("a") + pool.worker_log("b")
            time.sleep(0.05)
        pool.kill("a")
        found = pool.wait_terminal(ids, 120)
        assert sorted(found) == sorted(ids)
        assert set(found.values()) == {"completed"}, (found, pool.worker_log("b"))
    finally:
        pool.stop_all()
    log_b = pool.worker_log("b")
    assert "recovered" in log_b and "dead executor a" in log_b
    recovered = pool.query("SELECT id FROM runs WHERE attempts > 1")
    assert len(recovered) >= 3, "a's runs were not resumed"
    interrupted = pool.query("SELECT count(*) FROM steps WHERE result_json LIKE :note",
                             note="%was not run again%")[0][0]
    assert interrupted >= 2, "no tool was interrupted by the kill"
    assert {r[0] for r in pool.query("SELECT executor FROM runs WHERE attempts > 1")} == {"b"}
    # no tool ran twice: every execution logged its idempotency key
    executions = Counter(pool.tool_lines())
    assert executions and max(executions.values()) == 1, executions.most_common(3)
    # no tool completion recorded twice (the journal keeps one finished event per call)
    finished = pool.query("SELECT run_id, json FROM events WHERE type = 'ToolFinished' "
                          "AND NOT replayed")
    assert len(finished) == len({(r[0], r[1].split('"call_id"')[1][:40]) for r in finished})
    # no model call billed twice: one row per model step, and each run's total agrees
    billed = pool.query("SELECT run_id, key, count(*) FROM model_calls GROUP BY run_id, key "
                        "HAVING count(*) > 1")
    assert billed == []
    per_run = dict(pool.query("SELECT run_id, count(*) FROM model_calls GROUP BY run_id"))
    totals = dict(pool.query("SELECT id, model_calls FROM runs"))
    assert all(per_run[r] == totals[r] == 2 for r in ids), (per_run, totals)
    called = pool.query("SELECT run_id, json FROM events WHERE type = 'ModelCalled' "
                        "AND NOT replayed")
    assert len(called) == 2 * len(ids)
