"""`roster check FILE...`: run the governance rules and report findings.

Exit 0 when no file has an unacknowledged error, 1 when one has, 2 when a
file cannot be read. `--format json` and `--format sarif` are for CI: each prints
one document covering every file, with load errors as located results.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from runtime.cli import report
from runtime.cli.common import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, load_or_error
from runtime.roster.checks.base import Severity
from runtime.roster.checks.engine import check_roster, load_rules
from runtime.roster.errors import RosterLoadError


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "check",
        help="check a roster against the governance rules",
        description="Check roster files against the governance rules (least privilege, human "
        "gates, the lethal trifecta, budgets, bounded delegation, no secrets in files, ...). "
        "Exit status: 0 clean or only warnings, 1 errors found, 2 a file could not be read.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="roster file(s) to check")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                        help="output format (default: text); json and sarif print one "
                        "document for all the files, a file that cannot be read included")
    parser.add_argument("--strict", action="store_true",
                        help="also exit 1 on unacknowledged warnings")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    code = EXIT_OK
    results: list[report.FileResult] = []
    for name in args.files:
        loaded = load_or_error(name)
        if isinstance(loaded, RosterLoadError):
            code = EXIT_UNREADABLE
            results.append(report.FileResult(name, error=loaded))
            continue
        findings = check_roster(loaded.content)
        index = loaded.position_index() if findings else {}
        results.append(report.FileResult(name, findings, index))
        if args.format == "text":
            print(report.text(findings, index, name))
        if loaded.migrated:
            print(f"note: {name} is format version {loaded.version_read}; "
                  "`roster fmt` upgrades it (keeping a .bak)", file=sys.stderr)
        failing = any(f.blocking for f in findings) or (
            args.strict and any(f.severity is Severity.WARNING and not f.acknowledged
                                for f in findings)
        )
        if failing and code == EXIT_OK:
            code = EXIT_FINDINGS
    if args.format == "json":
        print(report.as_json(results))
    elif args.format == "sarif":
        print(report.as_sarif(results, load_rules()))
    return code
