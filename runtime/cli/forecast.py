"""`roster forecast FILE`: cost, latency and human load of a roster under a workload.

Uses FILE's sibling NAME.workload.yaml when there is one (or `--workload`),
else defaults derived from the roster and the catalog, which are printed.
`--what-if AGENT=MODEL` (repeatable) forecasts again with those agents on
other models and shows the deltas. Exit 0 on success, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from runtime.cli.common import (
    EXIT_OK,
    EXIT_UNREADABLE,
    err,
    load_or_report,
    whole_number_arg,
)
from runtime.forecast import render
from runtime.forecast.api import (
    DEFAULT_TASKS,
    DEPTH_WARNING,
    ENGINES,
    Engine,
    ensure_models,
    forecast,
)
from runtime.forecast.defaults import default_workload, with_models
from runtime.forecast.loader import load_workload
from runtime.forecast.result import Forecast, compare
from runtime.forecast.stats import BATCHES
from runtime.forecast.workload import Workload
from runtime.roster import model as m
from runtime.roster.catalog import load_catalog
from runtime.roster.codec import RosterContent
from runtime.roster.errors import RosterLoadError

MAX_TASKS = 10_000_000  # more adds no precision a forecast needs and takes minutes


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "forecast",
        help="forecast cost, latency and human load under a workload",
        description="Forecast cost per task and per month, latency, approvals per day per "
        "human and the bottleneck of a roster, by simulating many tasks. The workload comes "
        "from --workload, else NAME.workload.yaml next to the roster, else defaults derived "
        "from the roster and the model catalog (printed). Exit status: 0 done, 2 bad input.",
    )
    parser.add_argument("file", metavar="FILE", help="roster file")
    parser.add_argument("--workload", metavar="W", help="workload file (NAME.workload.yaml)")
    parser.add_argument("--what-if", metavar="AGENT=MODEL", action="append", default=[],
                        help="also forecast with AGENT on MODEL and show the deltas "
                        "(repeatable)")
    parser.add_argument("--engine", choices=(*ENGINES, "both"), default="mc",
                        help="mc: Monte Carlo, no queueing (default); des: discrete-event "
                        "with concurrency limits, rate limits and human queues; both")
    parser.add_argument("--tasks", type=whole_number_arg(None, MAX_TASKS),
                        default=DEFAULT_TASKS, metavar="N",
                        help=f"tasks to simulate (default {DEFAULT_TASKS:,}, "
                        f"at most {MAX_TASKS:,})")
    parser.add_argument("--seed", type=whole_number_arg(0), default=0, metavar="S",
                        help="random seed (0 or more)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.file)
    if loaded is None:
        return EXIT_UNREADABLE
    content = loaded.content
    if args.tasks < 2 * BATCHES:
        err(f"--tasks must be at least {2 * BATCHES}, got {args.tasks}")
        return EXIT_UNREADABLE
    catalog = load_catalog()
    source = _workload_path(args.file, args.workload)
    try:
        workload = (load_workload(source, content, catalog) if source is not None
                    else default_workload(content, catalog))
        ensure_models(workload, catalog)
        changes = _what_if(args.what_if, content)
        alt = with_models(workload, changes, catalog) if changes else None
    except (RosterLoadError, ValueError) as error:
        err(str(error))
        return EXIT_UNREADABLE
    engines: list[Engine] = ["mc", "des"] if args.engine == "both" else [args.engine]
    try:
        base = [forecast(content, workload, engine=e, tasks=args.tasks, seed=args.seed,
                         catalog=catalog) for e in engines]
        other = [forecast(content, alt, engine=e, tasks=args.tasks, seed=args.seed,
                          catalog=catalog) for e in engines] if alt is not None else []
    except ValueError as error:
        err(str(error))
        return EXIT_UNREADABLE
    label = ", ".join(f"{a}={mdl}" for a, mdl in changes.items())
    for note in dict.fromkeys(n for f in base for n in f.notes):
        if note.startswith(DEPTH_WARNING):
            print(f"warning: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(_as_json(args, source, workload, base, other, label), indent=2))
    else:
        _print(content, source, workload, base, other, label, args)
    return EXIT_OK


def _workload_path(roster: str, given: str | None) -> Path | None:
    if given:
        return Path(given)
    path = Path(roster)
    stem = path.name.removesuffix(".yaml").removesuffix(".yml").removesuffix(".roster")
    sibling = path.with_name(f"{stem}.workload.yaml")
    return sibling if sibling.is_file() else None


def _what_if(items: list[str], content: RosterContent) -> dict[str, str]:
    changes: dict[str, str] = {}
    agents = [k for k, v in content.nodes.items() if isinstance(v, m.Agent)]
    for item in items:
        agent, sep, model = item.partition("=")
        if not sep or not agent or not model:
            raise ValueError(f"--what-if {item!r}: expected AGENT=MODEL, e.g. "
                             f"{agents[0] if agents else 'writer'}=claude-haiku-5-5")
        if agent not in agents:
            raise ValueError(f"--what-if {item!r}: the roster has no agent {agent!r} "
                             f"(agents: {', '.join(agents)})")
        changes[agent] = model
    return changes


def _print(content: RosterContent, source: Path | None, workload: Workload,
           base: list[Forecast], other: list[Forecast], label: str,
           args: argparse.Namespace) -> None:
    name = content.meta.name or args.file
    where = str(source) if source else "defaults derived from the roster (no workload file)"
    print(f"Forecast of {name}")
    print(f"workload: {where}")
    print(f"{workload.tasks_per_day:,.0f} tasks/day on {workload.days_per_month:.1f} days/month"
          f", arriving {workload.arrival.hours.describe()}; {args.tasks:,} tasks simulated, "
          f"seed {args.seed}\n")
    print(render.summary(base))
    for f in base:
        print()
        print(render.details(f))
    for a, b in zip(base, other, strict=False):  # `other` is empty without --what-if
        print()
        print(render.deltas(compare(a, b), label))
    notes = [n for f in (*base, *other) for n in f.notes]
    if notes:
        print("\nnotes:")
        for note in dict.fromkeys(notes):
            print(f"  - {note}")
    print("\nassumptions:")
    for line in workload.assumptions:
        print(f"  - {line}")
    sys.stdout.flush()


def _as_json(args: argparse.Namespace, source: Path | None, workload: Workload,
             base: list[Forecast], other: list[Forecast], label: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "roster": args.file,
        "workload": str(source) if source else None,
        "assumptions": list(workload.assumptions),
        "forecasts": {f.engine: f.to_json() for f in base},
    }
    if other:
        out["what_if"] = {
            "change": label,
            "forecasts": {f.engine: f.to_json() for f in other},
            "deltas": {a.engine: compare(a, b).to_json() for a, b in zip(base, other,
                                                                           strict=True)},
        }
    return out
