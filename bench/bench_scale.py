"""Scale-out (issue #9): pool throughput by worker count, and the PostgreSQL journal per step.

    python -m bench.bench_scale [--runs 200] [--workers 1,2,4] [--delay 0.2]
                                [--concurrency 16] [--bound-concurrency 2] [--bound-runs 80]

Needs a PostgreSQL server: `ROSTER_TEST_PG_URL` (eval "$(bash .ci/postgres.sh)").

- **Throughput**: for 1, 2 and 4 `roster worker` processes (real subprocesses,
  16 runs at once each) on a fresh PostgreSQL database, 200 short runs are
  submitted at once against the loopback Messages-API server answering after
  200 ms (each run: a model turn calling a tool, the tool, a final model turn,
  so at least 400 ms of model time). Wall time from the first submit to the
  last run finished; runs/s, and the ratio to one worker measured in the same
  process. The clock includes submitting and queueing, as a user would see it.
  Beside the runs/s: the workers' CPU per run (from /proc, counted from the first
  submit, so the idle polling during the run is included), each worker's CPU to
  start (Python, DBOS launch, the warm-up import of the SDK: not charged to the
  runs, so reported here) and an idle worker's CPU per second.
- **Throughput, latency-bound**: the same with `--bound-concurrency` (2) runs at
  once per worker and `--bound-runs` (80) runs, so one worker's capacity (its
  concurrency over the model latency, about 4 runs/s) is the limit rather than
  the two shared cores. This shows whether the pool scales when each worker is
  the bottleneck, as on separate machines; it is reported beside the CPU-bound
  measurement above, never instead of it.
- **Journal per step**: the durable step runner's cost per no-op step (its
  `started` and `completed` records, one transaction each) on PostgreSQL, on
  the default SQLite file, and the in-memory runner as the baseline; batches of
  50 steps per sample, 3 warm-ups + 20 samples, per-step p50/p95.

Results: bench/results/scale.json; the numbers are recorded in
docs/benchmarks.md under "Scale-out".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import harness as h
from runtime.engine.approvals import DenyChannel
from runtime.engine.journal import Journal, JournalStepRunner
from runtime.engine.redact import Redactor
from runtime.engine.steps import MemoryStepRunner
from tests.conftest import make_anthropic_key
from tests.messages_server import MessagesServer
from tests.runtime.scale.support import PG_ENV, Pool, fresh_database, script_turns

BATCH = 50


def throughput(workers: int, runs: int, delay: float, pg: str,
               concurrency: int = 16) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, MessagesServer() as server:
        script_turns(server, delay)
        pool = Pool(Path(tmp), fresh_database(pg), server, make_anthropic_key())
        try:
            for n in range(workers):
                pool.start_worker(f"w{n}", concurrency=concurrency)
            deadline = time.monotonic() + 120
            while not all("serving" in pool.worker_log(f"w{n}") for n in range(workers)):
                if time.monotonic() > deadline:
                    raise RuntimeError("the workers did not start")
                time.sleep(0.1)
            startup_cpu = pool.cpu_seconds()
            time.sleep(2)  # every worker is up and listening
            quiet = pool.cpu_seconds()
            time.sleep(3)
            idle_cpu = pool.cpu_seconds()
            idle_rate = (idle_cpu - quiet) / 3 / workers
            began = time.perf_counter()
            ids = pool.submit_many([f"task {n}" for n in range(runs)])
            found = pool.wait_terminal(ids, 900)
            wall = time.perf_counter() - began
            done = sum(1 for s in found.values() if s == "completed")
            cpu = pool.cpu_seconds() - idle_cpu
        finally:
            pool.stop_all()
    return {"workers": workers, "concurrency": concurrency, "runs": runs, "completed": done,
            "wall_s": wall, "runs_per_s": done / wall, "worker_cpu_s_per_run": cpu / max(done, 1),
            "startup_cpu_s_per_worker": startup_cpu / workers,
            "idle_cpu_ms_per_s_per_worker": idle_rate * 1000, "load_avg": os.getloadavg()[0]}


async def _steps(runner: Any, prefix: str) -> None:
    async def step() -> int:
        return 1

    for i in range(BATCH):
        await runner.run(f"{prefix}/model/{i}", "model", step, lambda v: v, lambda v: v)


def journal_step(url: str | None) -> h.Stats:
    """Per-step ms of BATCH no-op steps through the durable runner on `url` (None: memory)."""
    journal = Journal(url) if url else None
    counter = iter(range(10**9))

    def sample() -> None:
        if journal is None:
            asyncio.run(_steps(MemoryStepRunner(), "m"))
            return
        run_id = f"bench{next(counter):07d}"
        journal.create_run(run_id, roster_name="bench", content_hash="h", task="t",
                           roster_path=None, roster_text=None, entry=None, max_usd=None,
                           unattended=0)
        runner = JournalStepRunner(journal, run_id, attempt=1, redactor=Redactor(()),
                                   approvals=DenyChannel(), audited=frozenset(), human_for={})
        asyncio.run(_steps(runner, "agent"))

    for _ in range(3):
        sample()
    wall, cpu = [], []
    for _ in range(20):
        began, began_cpu = time.perf_counter(), time.process_time()
        sample()
        wall.append((time.perf_counter() - began) * 1000 / BATCH)
        cpu.append((time.process_time() - began_cpu) * 1000 / BATCH)
    if journal is not None:
        journal.close()
    return h.summarize(wall, cpu)


def report(title: str, results: list[dict[str, float]]) -> None:
    base = results[0]["runs_per_s"]
    print(title)
    for r in results:
        print(f"  {r['workers']} worker(s): {r['completed']}/{r['runs']} completed in "
              f"{r['wall_s']:.1f} s = {r['runs_per_s']:.1f} runs/s "
              f"({r['runs_per_s'] / base:.2f}× one worker); workers' CPU "
              f"{r['worker_cpu_s_per_run'] * 1000:.0f} ms per run, to start "
              f"{r['startup_cpu_s_per_worker']:.2f} s each, idle "
              f"{r['idle_cpu_ms_per_s_per_worker']:.0f} ms/s each; load average "
              f"{r['load_avg']:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--bound-concurrency", type=int, default=2)
    parser.add_argument("--bound-runs", type=int, default=80)
    parser.add_argument("--skip-journal", action="store_true")
    args = parser.parse_args()
    pg = os.environ.get(PG_ENV)
    if not pg:
        raise SystemExit(f"set {PG_ENV} (eval \"$(bash .ci/postgres.sh)\")")
    steps: dict[str, h.Stats] = {}
    if not args.skip_journal:
        steps["memory"] = journal_step(None)
        with tempfile.TemporaryDirectory() as tmp:
            steps["sqlite"] = journal_step(f"sqlite:///{tmp}/runs.db")
        steps["postgresql"] = journal_step(fresh_database(pg))
        print(h.format_table(f"Journal per step ({BATCH}-step batches)", [
            h.Row("PostgreSQL journal", steps["postgresql"]),
            h.Row("SQLite journal (default)", steps["sqlite"], ours=steps["postgresql"]),
            h.Row("in-memory runner", steps["memory"], ours=steps["postgresql"])]))
    counts = [int(w) for w in args.workers.split(",")]
    results = [throughput(w, args.runs, args.delay, pg, args.concurrency) for w in counts]
    report(f"Throughput, CPU-bound: {args.runs} runs, model delay {args.delay * 1000:.0f} ms, "
           f"concurrency {args.concurrency} per worker", results)
    bound = [throughput(w, args.bound_runs, args.delay, pg, args.bound_concurrency)
             for w in counts] if args.bound_concurrency else []
    if bound:
        report(f"Throughput, latency-bound: {args.bound_runs} runs, concurrency "
               f"{args.bound_concurrency} per worker", bound)
    path = h.write_results("scale", {"throughput": results, "throughput_latency_bound": bound,
                                     "journal_step_ms": steps})
    print(f"results: {path}")


if __name__ == "__main__":
    main()
