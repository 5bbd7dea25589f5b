"""`roster fmt FILE...`: rewrite rosters in canonical form (`--check` only reports).

Canonical form is what the writer produces: fixed section and field order,
block style, one line per grant and position. Files from an older format
version are migrated, keeping the original as NAME.vN.bak. Comments are kept:
each stays before (or at the end of the line of) the key it was written with
(runtime/roster/comments.py); `--drop-comments` removes them.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from typing import Any

from runtime.cli.common import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, err, load_or_report
from runtime.roster.comments import CommentsLost, carry
from runtime.roster.io import SecretInRosterError, dumps, save_roster


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "fmt",
        help="rewrite rosters in canonical form",
        description="Rewrite roster files in canonical form so diffs show only real changes. "
        "With --check nothing is written and the exit status is 1 if a file would change.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--check", action="store_true", help="report files that would change")
    parser.add_argument("--diff", action="store_true", help="with --check, show the changes")
    parser.add_argument("--drop-comments", action="store_true",
                        help="remove # comments instead of keeping them beside their keys")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    code = EXIT_OK
    for name in args.files:
        loaded = load_or_report(name)
        if loaded is None:
            code = EXIT_UNREADABLE
            continue
        canonical = dumps(loaded.content)
        if not args.drop_comments:
            try:
                canonical = carry(loaded.text, canonical)
            except CommentsLost as exc:
                err(f"{name}: {exc}\n  fix: run again with --drop-comments to remove them")
                code = EXIT_UNREADABLE
                continue
        if canonical == loaded.text and not loaded.migrated:
            continue
        if args.check:
            print(f"would reformat {name}")
            if args.diff:
                sys.stdout.writelines(difflib.unified_diff(
                    loaded.text.splitlines(keepends=True), canonical.splitlines(keepends=True),
                    fromfile=name, tofile=f"{name} (canonical)"))
            code = max(code, EXIT_FINDINGS)
            continue
        try:
            save_roster(loaded.content, name, migrated_from=loaded.version_read,
                        keep_comments=not args.drop_comments)
        except (SecretInRosterError, OSError) as exc:
            err(str(exc))
            code = EXIT_UNREADABLE
            continue
        print(f"reformatted {name}")
    return code
