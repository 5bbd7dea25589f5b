"""`roster diff A B [--format json]`: what changed in meaning, riskiest first.

Also works as a git difftool (`roster diff "$LOCAL" "$REMOTE"`) and as
GIT_EXTERNAL_DIFF (seven arguments: path, old file, old hash, old mode, new
file, new hash, new mode). A missing side (/dev/null for an added or deleted
file) counts as an empty roster. Exit status follows diff(1): 0 no semantic
change, 1 changes, 2 a file could not be read.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from runtime.cli.common import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, err, load_or_report
from runtime.interop.diff import as_text, diff
from runtime.roster.codec import RosterContent


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "diff",
        help="semantic differences between two rosters",
        description="List what changed between two rosters (agents, models, tools, edges, "
        "policy), ignoring layout, with permission and escalation changes first. Exit "
        "status: 0 no change, 1 changes, 2 a file could not be read. Usable as a git "
        "difftool or GIT_EXTERNAL_DIFF; see docs/interop.md.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="OLD NEW (or the seven arguments git passes to an external diff)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run)


def _load(path: str) -> RosterContent | None:
    if path in ("/dev/null", "nul", "NUL"):
        return RosterContent()
    loaded = load_or_report(path)
    return None if loaded is None else loaded.content


def run(args: argparse.Namespace) -> int:
    files = args.files
    label = None
    if len(files) == 7:  # GIT_EXTERNAL_DIFF: path old-file old-hex old-mode new-file ...
        label, files = files[0], [files[1], files[4]]
    if len(files) != 2:
        err("give two roster files: roster diff OLD NEW")
        return EXIT_UNREADABLE
    old, new = _load(files[0]), _load(files[1])
    if old is None or new is None:
        return EXIT_UNREADABLE
    changes = diff(old, new)
    if args.format == "json":
        print(json.dumps({"old": files[0], "new": files[1], "path": label,
                          "changes": [c.as_dict() for c in changes]}, indent=2,
                         ensure_ascii=False, default=str))
    else:
        names = (f"a/{label}", f"b/{label}") if label else (files[0], files[1])
        print(as_text(changes, *names))
    return EXIT_FINDINGS if changes else EXIT_OK
