"""A submitted run is executed by a worker exactly like a local run, and is visible to
`roster runs` on the shared database (the URL is the only difference)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.messages_server import MessagesServer
from tests.runtime.scale.support import REPO, Pool, script_turns


def test_a_worker_executes_submitted_runs_and_runs_list_shows_them(
        tmp_path: Path, pg_db: str, server: MessagesServer, pool_key: str) -> None:
    script_turns(server, 0.05)
    pool = Pool(tmp_path, pg_db, server, pool_key)
    try:
        pool.start_worker("w1")
        ids = [pool.submit(f"task {n}") for n in range(2)]
        found = pool.wait_terminal(ids, 60)
        assert found == {i: "completed" for i in ids}, pool.worker_log("w1")
        listing = subprocess.run(pool.cli("runs", "list", "--db", pg_db), cwd=REPO,
                                 env=pool.env, capture_output=True, text=True, timeout=60)
        assert all(i in listing.stdout for i in ids), listing.stderr
        assert len(pool.tool_lines()) == 2
    finally:
        pool.stop_all()
    assert pool_key not in pool.worker_log("w1")
