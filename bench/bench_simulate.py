"""Dry runs (issue #5, scenarios): what the simulation layer costs on top of the engine.

    python -m bench.bench_simulate [--quick]

Rows, each a whole dry run (asyncio.run included) timed with bench/harness.py:

- **content-studio scenario**: resources/samples/content-studio.scenario.yaml
  (two agents, three tool calls, one approval) through `run_scenario_sync`:
  checks against the roster, the engine run, judging, coverage, violations.
- **content-studio adversarial suite**: the generated cases (injection,
  missing grant, loop to the 200-call cap, budget blow-up), one `run_suite`.
- **coverage suite, generated M and L rosters** (bench/generate.py: 500
  agents / 2,500 edges and 2,000 agents / 10,000 edges): `generate(content,
  "coverage")` timed alone, then the suite run. `--quick` skips L.

Baseline, in the same process: the same scenarios on a bare `Run` with the
same scripted provider, stub tools and scripted answers and a listener that
only collects events, i.e. the engine alone. The ratio (baseline p50 / ours)
is the share of the dry run the engine itself takes: 1.0× means the
simulation layer costs nothing. Results: bench/results/simulate.json.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import harness as h
from bench.generate import generate as generate_roster
from runtime.engine import events as ev
from runtime.engine.run import Run, RunConfig
from runtime.roster.codec import RosterContent
from runtime.roster.io import load_roster
from runtime.simulation import Scenario, generate, load_scenario, run_scenario_sync
from runtime.simulation.behaviour import ScriptedAnswers, provider_for, tools_for

SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"


async def _bare(content: RosterContent, scenario: Scenario) -> list[ev.EngineEvent]:
    events: list[ev.EngineEvent] = []
    config = RunConfig(task=scenario.task, entry=scenario.entry, max_usd=scenario.max_usd,
                       unattended=scenario.unattended, run_id="bare")
    run = Run(content, config, provider_for(scenario), tools_for(content, scenario),
              ScriptedAnswers(scenario.humans), listeners=(events.append,))
    await run.execute()
    return events


def bare_suite(content: RosterContent, scenarios: Sequence[Scenario]) -> Callable[[], object]:
    def go() -> object:
        return [asyncio.run(_bare(content, s)) for s in scenarios]
    return go


def simulated_suite(content: RosterContent, scenarios: Sequence[Scenario]
                    ) -> Callable[[], object]:
    def go() -> object:
        return [run_scenario_sync(content, s) for s in scenarios]
    return go


def pair(label: str, content: RosterContent, scenarios: Sequence[Scenario], *,
         iterations: int, warmup: int) -> tuple[list[h.Row], dict[str, object]]:
    ours = h.measure(simulated_suite(content, scenarios), iterations=iterations, warmup=warmup)
    base = h.measure(bare_suite(content, scenarios), iterations=iterations, warmup=warmup)
    results = simulated_suite(content, scenarios)()
    assert isinstance(results, list)
    calls = sum(r.model_calls for r in results)
    events = sum(len(r.events) for r in results)
    note = f"{len(scenarios)} scenario(s), {calls} model calls, {events} events"
    rows = [h.Row(label, ours, note=note),
            h.Row("  baseline: the same runs on a bare Run", base, ours=ours)]
    return rows, {"ours": ours, "baseline": base, "ratio": h.ratio(ours, base),
                  "ratio_cpu": h.ratio(ours, base, cpu=True), "scenarios": len(scenarios),
                  "model_calls": calls, "events": events,
                  "per_model_call_ms": ours.p50 / max(calls, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_simulate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer samples, no L roster")
    args = parser.parse_args(argv)
    n = 5 if args.quick else 20
    studio = load_roster(SAMPLES / "content-studio.roster.yaml").content
    rows: list[h.Row] = []
    payload: dict[str, object] = {}

    scenario = load_scenario(SAMPLES / "content-studio.scenario.yaml")
    got, payload["content_studio_scenario"] = pair(
        "content-studio scenario", studio, [scenario], iterations=n, warmup=3)
    rows += got
    got, payload["content_studio_adversarial"] = pair(
        "content-studio adversarial suite", studio, generate(studio, "adversarial"),
        iterations=n, warmup=2)
    rows += got
    for size, iterations in (("M", 3 if args.quick else 7), ("L", 0 if args.quick else 3)):
        if not iterations:
            continue
        content = generate_roster(size)
        made = h.measure(lambda c=content: generate(c, "coverage"), iterations=iterations,
                         warmup=1)
        rows.append(h.Row(f"{size} roster: generate the coverage suite", made))
        got, data = pair(f"{size} roster: run the coverage suite", content,
                         generate(content, "coverage"), iterations=iterations, warmup=1)
        rows += got
        payload[f"coverage_{size}"] = {"generate": made, **data}
    print(h.format_table("Simulation (dry runs)", rows))
    path = h.write_results("simulate-quick" if args.quick else "simulate", payload)
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
