"""`roster explain [RULE]`: what a governance rule checks, why, and how to fix it."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from runtime.cli.common import EXIT_OK, EXIT_UNREADABLE, err
from runtime.roster.checks.engine import load_rules
from runtime.roster.fields import did_you_mean


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "explain",
        help="explain a governance rule (or list them all)",
        description="Show what a rule checks, why it matters and how to fix a finding. "
        "Without RULE, list every rule.",
    )
    parser.add_argument("rule", nargs="?", metavar="RULE", help="a rule code such as R06")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    rules = load_rules()
    if not args.rule:
        for code in sorted(rules):
            rule = rules[code]
            print(f"{code}  {rule.severity.value:<7}  {rule.title}")
        print("\nRun `roster explain RULE` for details.")
        return EXIT_OK
    code = args.rule.upper()
    rule = rules.get(code)
    if rule is None:
        hint = did_you_mean(code, sorted(rules))
        err(f"no rule {args.rule!r}" + (f"; {hint}" if hint else "; `roster explain` lists them"))
        return EXIT_UNREADABLE
    print(f"{rule.code}: {rule.title}")
    print(f"severity: {rule.severity.value}"
          + ("" if rule.severity.value == "error" else " (may be acknowledged in the roster)"))
    if rule.anchors:
        print("anchors: " + "; ".join(rule.anchors))
    print()
    for paragraph in rule.explain.strip().split("\n\n"):
        if paragraph.startswith("    ") or "\n  " in paragraph:
            print(paragraph)
        else:
            print(textwrap.fill(" ".join(paragraph.split()), width=88))
        print()
    return EXIT_OK
