"""`roster worker` says how every run it took ended, including runs that could not start.

A run whose key cannot be read on the worker's machine fails before the engine
emits any event; the worker still logs one line for it (id, status, cost and
the reason, without a Python class name), and `roster runs show` reads the
same reason.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from runtime.cli.worker import finished_line
from runtime.engine.journal import Journal, RunSummary

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "samples" / "support-triage.roster.yaml"


def _summary(db: Path, run_id: str) -> RunSummary | None:
    journal = Journal(f"sqlite:///{db}")
    try:
        return journal.get_run(run_id)
    finally:
        journal.close()


def test_finished_line_names_id_status_cost_and_reason_without_class_name(
        tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    journal = Journal(f"sqlite:///{db}")
    journal.create_run("run000000001", roster_name="R", content_hash="h", task="t")
    journal.fail_run("run000000001", "RuntimeError: cannot read the Anthropic key: locked")
    journal.create_run("run000000002", roster_name="R", content_hash="h", task="t")
    journal.fail_run("run000000002", "the model refused")
    journal.close()
    first, second = _summary(db, "run000000001"), _summary(db, "run000000002")
    assert first is not None and second is not None
    assert finished_line(first) == (
        "run run000000001 failed ($0.00): cannot read the Anthropic key: locked")
    assert finished_line(second) == (
        "run run000000002 failed ($0.00): the model refused")


def test_a_worker_logs_a_run_that_fails_for_want_of_a_key(tmp_path: Path) -> None:
    roster = tmp_path / "team.roster.yaml"
    shutil.copy(SAMPLE, roster)
    db = tmp_path / "runs.db"
    env = {**os.environ, "PYTHONPATH": str(REPO), "ROSTER_DATA_DIR": str(tmp_path),
           "HOME": str(tmp_path), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    for name in ("ANTHROPIC_API_KEY", "ROSTER_TEST_PROVIDER"):
        env.pop(name, None)
    cli = [sys.executable, "-m", "runtime.cli.main"]
    submitted = subprocess.run([*cli, "submit", str(roster), "hello", "--db", str(db)],
                               env=env, capture_output=True, text=True, timeout=120, check=True)
    run_id = submitted.stdout.strip()
    log = tmp_path / "worker.log"
    with log.open("wb") as sink:
        worker = subprocess.Popen([*cli, "worker", "--db", str(db), "--id", "w1", "--drain",
                                   "1"], env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while f"run {run_id} failed" not in log.read_text() and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    text = log.read_text()
    [line] = [x for x in text.splitlines() if x.startswith(f"run {run_id} failed")]
    assert line.startswith(f"run {run_id} failed ($0.00): cannot read the Anthropic key")
    assert "Error:" not in line
    record = _summary(db, run_id)
    assert record is not None and record.status == "failed"
    assert record.error.startswith("cannot read the Anthropic key")  # as `runs show` prints
