"""`roster simulate FILE`: token-free dry runs of a roster through the real engine.

Scenarios come from `--scenario` files, or `--generate coverage|adversarial`,
or else the `*.scenario.yaml` files next to the roster whose names start with
the roster's (`team.roster.yaml` → `team.scenario.yaml`,
`team.refunds.scenario.yaml`); with none of those, the generated coverage
suite runs. The report is readable text (or `--json`); `--junit` also writes
JUnit XML for CI and `--write DIR` saves the scenarios that ran as files.
Exit status: 0 every expectation held, 1 one failed, 2 unusable input.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from runtime.cli.common import (
    EXIT_OK,
    EXIT_UNREADABLE,
    check_output,
    err,
    journal_arg,
    load_or_report,
    write_output,
)
from runtime.roster.errors import RosterLoadError
from runtime.simulation import (
    Scenario,
    generate,
    load_scenario,
    report,
    run_suite,
    sibling_scenarios,
)
from runtime.simulation.files import write_scenarios
from runtime.simulation.generate import KINDS

EXIT_FAILED = 1


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "simulate", help="dry-run scenarios through the real engine (no tokens spent)",
        description="Play scenarios (scripted model turns, stub tools, scripted human "
        "answers) through the real engine and check their expectations. Without --scenario "
        "or --generate, the roster's sibling *.scenario.yaml files run, else the generated "
        "coverage suite. Exit status: 0 all expectations held, 1 one failed, 2 bad input.")
    parser.add_argument("file", metavar="FILE", help="the roster file")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--scenario", "-s", metavar="S", nargs="+", action="extend",
                        default=[], help="scenario file(s) to run (repeatable)")
    source.add_argument("--generate", choices=KINDS,
                        help="generate the scenarios from the roster alone")
    parser.add_argument("--seed", type=int, metavar="N", help="override every scenario's seed")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--junit", metavar="OUT.xml", help="also write JUnit XML for CI")
    parser.add_argument("--write", metavar="DIR", help="save the scenarios that ran to DIR")
    parser.add_argument("--journal", metavar="DB", type=journal_arg,
                        help="record the dry runs in this run journal (a SQLite file)")
    parser.add_argument("--trace", action="store_true", help="print every event of each run")
    parser.set_defaults(handler=handle)


def _scenarios(args: argparse.Namespace) -> tuple[list[Scenario], str]:
    """The scenarios to run and a note on where they came from; raises on bad files."""
    loaded = load_or_report(args.file)
    assert loaded is not None
    if args.generate:
        return generate(loaded.content, args.generate), f"generated {args.generate} suite"
    paths = [Path(p) for p in args.scenario] or sibling_scenarios(args.file)
    if paths:
        return [load_scenario(p) for p in paths], f"{len(paths)} scenario file(s)"
    return generate(loaded.content, "coverage"), (
        "no scenario files next to the roster: running the generated coverage suite")


def handle(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.file)
    if loaded is None:
        return EXIT_UNREADABLE
    if (args.junit and not check_output(args.junit)) or (
            args.write and not check_output(args.write, directory=True)):
        return EXIT_UNREADABLE
    try:
        scenarios, origin = _scenarios(args)
    except RosterLoadError as error:
        err(str(error))
        return EXIT_UNREADABLE
    if args.seed is not None:
        scenarios = [replace(s, seed=args.seed) for s in scenarios]
    if not args.json:
        print(f"{args.file}: {origin}", file=sys.stderr)
    try:
        results = asyncio.run(run_suite(loaded.content, scenarios, journal=args.journal))
    except RosterLoadError as error:  # a scenario names something the roster lacks
        err(str(error))
        return EXIT_UNREADABLE
    if args.write:
        try:
            written = write_scenarios(scenarios, args.write, args.file)
        except OSError as exc:
            err(f"cannot write into {args.write}: {exc.strerror or exc}")
            return EXIT_UNREADABLE
        for path in written:
            print(f"wrote {path}", file=sys.stderr)
    if args.junit and not write_output(args.junit, report.junit(results, roster=args.file)):
        return EXIT_UNREADABLE
    if args.json:
        print(report.as_json(results, roster=args.file), end="")
    else:
        print(report.text(results, roster=args.file, trace=args.trace), end="")
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAILED
