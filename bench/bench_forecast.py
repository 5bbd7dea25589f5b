"""Workload forecasts (PERFORMANCE.md B7a/B7b): Monte Carlo and discrete-event against SimPy.

    python -m bench.bench_forecast [--quick] [--tasks N]

The workload: 100,000 tasks through a 50-agent roster: an entry agent (on a
premium model) delegates to 7 leads (standard model), each lead to 6 workers
(economy model), each edge taken with probability 0.3, so a task has about
10 steps (stretches of agent work and human requests). Each agent has a
concurrency limit (entry 24, leads 12, workers 8), each model a Tier-4 token
bucket (with headroom at this arrival rate), and 3% of
the entry agent's visits ask the one human queue (10 reviewers, exponential
answers with a 60 s mean, around the clock). Arrivals are Poisson around
the clock at a rate that keeps the entry agent about 85% busy, so the
queues are real. Call times derive from each model's speed and the call's
output tokens.

- **B7a** `forecast(engine="mc")`: sampling, the vectorised sums, summary
  statistics and confidence intervals; target p50 <= 100 ms.
- **B7b** `forecast(engine="des")`: the same sampling plus the discrete-event
  run and statistics; target p50 <= 2 s.
- **B7b, no folding** the event loop alone with every agent simulated as a
  queue (`simulate(..., fold=False)`) over the same pre-sampled steps as
  SimPy: the like-for-like ratio, without the folding of idle agents.
- **Fan-out rows** the same workload with the entry agent and the leads
  running up to 3 delegations at once (`max_parallel_delegations: 3`): the
  Monte Carlo lays out each task's visit tree, the discrete-event engine
  forks and joins (every agent simulated, no folding). No SimPy baseline
  (the SimPy model runs chains); these rows show what parallelism costs.
- **Baseline** an equivalent SimPy model (Resources for agent slots and
  reviewers, the same generic-cell-rate token buckets, one process per task)
  run over the *same pre-sampled steps*, so SimPy is not charged for
  sampling. Its mean latency is printed next to ours as a cross-check. SimPy
  comes from the `bench` extra (`pip install -e .[bench]`); without it the
  benchmark says so and reports our numbers only.

Results: bench/results/forecast.json. Ratios are SimPy p50 / ours (and the
same on CPU time, steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
from typing import Any

import numpy as np

from bench import harness as h
from runtime.forecast import forecast, loads_workload
from runtime.forecast import montecarlo as mc
from runtime.forecast.defaults import rate_limit_for
from runtime.forecast.des import simulate
from runtime.forecast.sampler import Work, sample_work
from runtime.forecast.workload import RateLimit, Workload
from runtime.roster.catalog import load_catalog
from runtime.roster.codec import RosterContent
from runtime.roster.io import loads

LEADS = 7
WORKERS_PER_LEAD = 6
EDGE_P = 0.3
TARGET_MC_MS = 100.0
TARGET_DES_MS = 2000.0
MIN_RATIO = 3.0


def roster_text(parallel: int = 1) -> str:
    """The 50-agent roster: entry -> 7 leads -> 6 workers each, one human."""
    leads = [f"lead-{i}" for i in range(LEADS)]
    lines = ["format: agent-roster", "version: 1", "name: Forecast bench (50 agents)",
             "entry: [entry]", "defaults: {model: claude-haiku-5-5, max_turns: 8}",
             "policy: {max_delegation_depth: 3}", "agents:",
             "  entry:",
             f"    max_parallel_delegations: {parallel}",
             "    model: claude-opus-5-5", f"    delegates_to: [{', '.join(leads)}]",
             "    escalates_to: [reviewer]"]
    for i, lead in enumerate(leads):
        workers = [f"worker-{i}-{j}" for j in range(WORKERS_PER_LEAD)]
        lines += [f"  {lead}:", "    model: claude-sonnet-5-5",
                  f"    max_parallel_delegations: {parallel}",
                  f"    delegates_to: [{', '.join(workers)}]", "    escalates_to: [reviewer]"]
        lines += [f"  {w}: {{role: worker}}" for w in workers]
    lines += ["humans:", "  reviewer: {name: Reviewer}"]
    return "\n".join(lines) + "\n"


def workload_text(tasks_per_day: float) -> str:
    lines = ["format: agent-roster-workload", "version: 1", "name: bench",
             f"tasks_per_day: {tasks_per_day}", "arrival: {hours: always}",
             "rate_limits:",
             "  premium: {requests_per_minute: 4000, output_tokens_per_minute: 200000}",
             "  standard: {requests_per_minute: 4000, output_tokens_per_minute: 400000}",
             "  economy: {requests_per_minute: 8000, output_tokens_per_minute: 800000}",
             "humans:", "  reviewer: {response_s: {mean: 60}, reviewers: 10, hours: always}",
             "agents:",
             "  entry:",
             "    calls: 1.5",
             "    output_tokens: {p50: 300, p95: 900}",
             "    concurrency: 24",
             "    escalates: {reviewer: 0.03}",
             "    delegates: {" + ", ".join(f"lead-{i}: {EDGE_P}" for i in range(LEADS)) + "}"]
    for i in range(LEADS):
        workers = ", ".join(f"worker-{i}-{j}: {EDGE_P}" for j in range(WORKERS_PER_LEAD))
        lines += [f"  lead-{i}:", "    calls: 1.5",
                  "    output_tokens: {p50: 300, p95: 900}", "    concurrency: 12",
                  "    escalates: {reviewer: 0}",
                  f"    delegates: {{{workers}}}"]
        for j in range(WORKERS_PER_LEAD):
            lines += [f"  worker-{i}-{j}: {{calls: 1.5, output_tokens: {{p50: 300, p95: 900}}, "
                      "concurrency: 8}"]
    return "\n".join(lines) + "\n"


def setup(tasks_per_day: float, parallel: int = 1) -> tuple[RosterContent, Workload]:
    content = loads(roster_text(parallel)).content
    return content, loads_workload(workload_text(tasks_per_day), content)


def simpy_model(workload: Workload, work: Work, arrival: np.ndarray[Any, Any],
                limits: list[RateLimit | None]) -> float:
    """The same queues in SimPy over the same steps; returns the mean latency."""
    import simpy

    order = np.lexsort((work.key, work.task))
    task = work.task[order]
    first = np.searchsorted(task, np.arange(work.tasks)).tolist()
    ends = [*first[1:], task.size]
    res = work.resource[order].tolist()
    dur = work.duration[order].tolist()
    calls = work.calls[order].tolist()
    out = work.output_tokens[order].tolist()
    arr = arrival.tolist()
    env = simpy.Environment()
    n_agents = len(work.agents)
    caps = [workload.agents[a].concurrency for a in work.agents]
    caps += [workload.humans[x].reviewers for x in work.humans]
    caps.append(len(res) + 1)  # timed-out requests: plain waits (none in this workload)
    resources = [simpy.Resource(env, capacity=c) for c in caps]
    ident: dict[tuple[float, float, str], int] = {}
    bucket = []
    for a, lim in enumerate(limits):
        bucket.append(-1 if lim is None else ident.setdefault(
            (lim.requests_per_minute, lim.output_tokens_per_minute, work.models[a]), len(ident)))
    caps_b = list(ident)
    tat_r = [0.0] * len(caps_b)
    tat_t = [0.0] * len(caps_b)
    latency = [0.0] * work.tasks

    def run_task(i: int) -> Any:
        for s in range(first[i], ends[i]):
            r = res[s]
            with resources[r].request() as req:
                yield req
                delay = 0.0
                b = bucket[r] if r < n_agents else -1
                if b >= 0:
                    rpm, tpm, _ = caps_b[b]
                    now = env.now
                    at = max(now, tat_r[b] - max(rpm - calls[s], 0.0) / (rpm / 60),
                             tat_t[b] - max(tpm - out[s], 0.0) / (tpm / 60))
                    tat_r[b] = max(tat_r[b], at) + calls[s] / (rpm / 60)
                    tat_t[b] = max(tat_t[b], at) + out[s] / (tpm / 60)
                    delay = at - now
                yield env.timeout(delay + dur[s])
        latency[i] = env.now - arr[i]

    def source() -> Any:
        for i in range(work.tasks):
            gap = arr[i] - env.now
            if gap > 0:
                yield env.timeout(gap)
            env.process(run_task(i))

    env.process(source())
    env.run()
    return float(np.mean(latency))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--tasks", type=int, default=100_000)
    args = parser.parse_args()
    catalog = load_catalog()
    content, probe = setup(1.0)
    # arrival rate that keeps the entry agent ~85% busy
    rng = np.random.default_rng(0)
    sample = sample_work(probe, catalog, 20_000, rng)
    busy_per_task = float(sample.duration[sample.resource == 0].sum()) / 20_000
    rate = 0.85 * probe.agents["entry"].concurrency / busy_per_task
    content, workload = setup(round(rate * 86_400))
    steps = sample_work(workload, catalog, args.tasks, np.random.default_rng(1)).task.size
    print(f"{args.tasks:,} tasks, {steps / args.tasks:.1f} steps per task, "
          f"{workload.tasks_per_day:,.0f} tasks/day")
    iterations = 3 if args.quick else 10

    def run_mc() -> Any:
        return forecast(content, workload, engine="mc", tasks=args.tasks, seed=1, catalog=catalog)

    def run_des() -> Any:
        return forecast(content, workload, engine="des", tasks=args.tasks, seed=1,
                        catalog=catalog)

    mc_stats = h.measure(run_mc, warmup=2, iterations=iterations * 2)
    des_stats = h.measure(run_des, warmup=1, iterations=iterations, budget_s=120)
    des_result = run_des()
    fan_content, fan_workload = setup(workload.tasks_per_day, parallel=3)
    fan_mc = h.measure(lambda: forecast(fan_content, fan_workload, engine="mc", tasks=args.tasks,
                                        seed=1, catalog=catalog),
                       warmup=1, iterations=iterations * 2)
    fan_des = h.measure(lambda: forecast(fan_content, fan_workload, engine="des",
                                         tasks=args.tasks, seed=1, catalog=catalog),
                        warmup=0, iterations=iterations, budget_s=120, min_iterations=1)
    fan_result = forecast(fan_content, fan_workload, engine="des", tasks=args.tasks, seed=1,
                          catalog=catalog)
    print(f"mean latency with 3 delegations at once (des): "
          f"{fan_result.latency_mean.value:.3f} s (one at a time: "
          f"{des_result.latency_mean.value:.3f} s)")
    rows = [h.Row("B7a Monte Carlo (forecast, engine=mc)", mc_stats,
                  note=f"target <= {TARGET_MC_MS:.0f} ms"),
            h.Row("B7b discrete-event (forecast, engine=des)", des_stats,
                  note=f"target <= {TARGET_DES_MS:.0f} ms; queued: "
                  + (", ".join(des_result.notes) or "-")),
            h.Row("B7a fan-out, 3 delegations at once (engine=mc)", fan_mc),
            h.Row("B7b fan-out, 3 delegations at once (engine=des)", fan_des)]
    payload: dict[str, Any] = {"tasks": args.tasks, "steps_per_task": steps / args.tasks,
                               "mc": mc_stats, "des": des_stats,
                               "des_latency_mean_s": des_result.latency_mean.value,
                               "fan_out_mc": fan_mc, "fan_out_des": fan_des,
                               "fan_out_des_latency_mean_s": fan_result.latency_mean.value}
    if importlib.util.find_spec("simpy") is None:
        print("SimPy is not installed: no baseline. Install it with `pip install -e .[bench]` "
              "(or `pip install simpy`) and run again.")
    else:
        rng = np.random.default_rng(1)
        work = sample_work(workload, catalog, args.tasks, rng)
        arrival = mc.arrival_times(workload, args.tasks, rng)
        limits = [rate_limit_for(workload, catalog.get(workload.agents[a].model))  # type: ignore[arg-type]
                  for a in work.agents]
        unfolded = h.measure(lambda: simulate(workload, work, arrival, limits, fold=False),
                             warmup=1, iterations=iterations)
        mean_latency: list[float] = []
        simpy_stats = h.measure(lambda: mean_latency.append(
            simpy_model(workload, work, arrival, limits)), warmup=0,
            iterations=1 if args.quick else 3, min_iterations=1)
        print(f"mean latency: ours {des_result.latency_mean.value:.3f} s (after warm-up), "
              f"SimPy {mean_latency[-1]:.3f} s (all tasks), ours all tasks "
              f"{float(des_result.latency.mean()):.3f} s")
        rows += [h.Row("B7b event loop alone, every agent queued, same steps", unfolded),
                 h.Row("SimPy model, same steps (baseline for B7b)", simpy_stats, ours=des_stats),
                 h.Row("SimPy model, same steps (baseline, no folding)", simpy_stats,
                       ours=unfolded),
                 h.Row("SimPy model, same steps (baseline for B7a)", simpy_stats, ours=mc_stats)]
        payload["simpy"] = simpy_stats
        payload["des_unfolded_loop"] = unfolded
        payload["ratio_unfolded"] = h.ratio(unfolded, simpy_stats)
        payload["simpy_latency_mean_s"] = mean_latency[-1]
        payload["ratio_des"] = h.ratio(des_stats, simpy_stats)
        payload["ratio_mc"] = h.ratio(mc_stats, simpy_stats)
        payload["ratio_des_cpu"] = h.ratio(des_stats, simpy_stats, cpu=True)
    print(h.format_table("Forecast (B7)", rows))
    verdict = [("B7a", mc_stats.p50 <= TARGET_MC_MS), ("B7b", des_stats.p50 <= TARGET_DES_MS)]
    if "ratio_des" in payload and not math.isnan(payload["ratio_des"]):
        verdict.append(("B7b vs SimPy >= 3x", payload["ratio_des"] >= MIN_RATIO))
    print("  ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in verdict))
    print(f"results: {h.write_results('forecast', payload)}")


if __name__ == "__main__":
    main()
