"""A tier's requests-per-minute is shared by the whole pool, not granted per worker.

The roster limits its model to N calls per window (`x-rate-limits`, with a short
window so the test is quick). Two workers execute 8 runs (16 model calls) as fast
as they can; the loopback server records when each request arrives. In no
window of that length does it see more than N, and the pool still finishes
every run (the limit throttles, it does not fail). A roster without limits is
not throttled at all, so the same load runs well above that rate.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.messages_server import MessagesServer
from tests.runtime.scale.support import Pool, script_turns

pytestmark = pytest.mark.slow

N, WINDOW_S = 4, 3.0
LIMITS = f"""extensions:
  x-rate-limits:
    claude-haiku-5-5: {{requests_per_minute: {N}, window_s: {WINDOW_S}, concurrency: 3}}
"""


def most_in_any_window(stamps: list[float], window: float) -> int:
    stamps = sorted(stamps)
    best, first = 0, 0
    for last, stamp in enumerate(stamps):
        while stamp - stamps[first] >= window:
            first += 1
        best = max(best, last - first + 1)
    return best


def run_pool(tmp_path: Path, db: str, server: MessagesServer, key: str,
             extensions: str) -> tuple[list[float], float]:
    """Two workers, each warmed by one run (a worker's first model call pays for loading
    the SDK, see docs/scale-out.md), then 8 runs as fast as the limit allows; the arrival
    times of the measured requests at the server, and how long the 8 runs took."""
    script_turns(server, 0.05)
    pool = Pool(tmp_path, db, server, key, extensions=extensions)
    try:
        pool.start_worker("a", concurrency=1)  # one run at a time: both workers warm up
        pool.start_worker("b", concurrency=1)
        warm = pool.submit_many(["warm a", "warm b"])
        assert set(pool.wait_terminal(warm, 90).values()) == {"completed"}
        executors = {r[0] for r in pool.query("SELECT DISTINCT executor FROM runs")}
        assert executors == {"a", "b"}, "both workers must have warmed up"
        began, measured_from = time.monotonic(), time.time()
        ids = pool.submit_many([f"note {n}" for n in range(8)])
        found = pool.wait_terminal(ids, 90)
        took = time.monotonic() - began
        assert set(found.values()) == {"completed"}, (found, pool.worker_log("a"))
    finally:
        pool.stop_all()
    return [r.at for r in server.message_requests if r.at >= measured_from], took


def test_two_workers_together_stay_within_the_models_requests_per_window(
        tmp_path: Path, pg_db: str, server: MessagesServer, pool_key: str) -> None:
    stamps, took = run_pool(tmp_path, pg_db, server, pool_key, LIMITS)
    assert len(stamps) == 16
    assert most_in_any_window(stamps, WINDOW_S) <= N, [round(t - min(stamps), 2)
                                                       for t in sorted(stamps)]
    assert took >= (16 / N - 1) * WINDOW_S  # it was throttled, not just lucky


def test_most_in_any_window_counts_a_sliding_window() -> None:
    assert most_in_any_window([0.0, 0.5, 2.9, 3.0, 3.1], 3.0) == 4
    assert most_in_any_window([], 3.0) == 0
