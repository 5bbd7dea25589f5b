"""`roster import claude-code DIR -o FILE` and `roster import crewai DIR -o FILE`.

Reads another tool's files into a roster, prints per file what was imported,
mapped, kept as-is or refused (and why), and writes the roster. Files that
could not be read are refused with a located error; the others still import,
and the exit status is 1 so scripts notice. Nothing is written when no agent
could be imported or when the roster would hold a literal secret.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from runtime.cli.common import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, check_output, err
from runtime.interop.claude_import import import_claude_code
from runtime.interop.crewai_import import import_crewai
from runtime.interop.report import InteropError
from runtime.roster import model as m
from runtime.roster.io import SecretInRosterError, save_roster

IMPORTERS = {"claude-code": import_claude_code, "crewai": import_crewai}


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "import",
        help="import Claude Code subagents or a CrewAI crew into a roster",
        description="Import agents from another tool into a roster file. Prints what was "
        "imported, mapped, kept as-is or refused for every file. Exit status: 0 all files "
        "imported, 1 some were refused, 2 nothing could be imported.",
    )
    formats = parser.add_subparsers(dest="import_format", metavar="FORMAT", required=True)
    for name, text in (("claude-code", "a folder of Claude Code subagents (.claude/agents, "
                        "plugin agents/ folders; searched recursively)"),
                       ("crewai", "a CrewAI project (config/agents.yaml + tasks.yaml with "
                        "crew.py, or crew.jsonc + agents/*.jsonc)")):
        sp = formats.add_parser(name, help=text, description=f"Import {text}.")
        sp.add_argument("directory", metavar="DIR")
        sp.add_argument("-o", "--output", metavar="FILE", required=True,
                        help="the roster file to write (NAME.roster.yaml)")
        sp.add_argument("--quiet", action="store_true", help="only print refusals")
        sp.set_defaults(handler=run, importer=name)


def run(args: argparse.Namespace) -> int:
    try:
        content, report = IMPORTERS[args.importer](Path(args.directory))
    except InteropError as error:
        err(str(error))
        return EXIT_UNREADABLE
    text = report.text(only_refused=args.quiet)
    if text:
        print(text)
    if not any(isinstance(n, m.Agent) for n in content.nodes.values()):
        err(f"no agent could be imported from {args.directory}; nothing was written")
        return EXIT_UNREADABLE
    if not check_output(args.output):
        return EXIT_UNREADABLE
    try:
        save_roster(content, args.output, keep_backup=True)
    except SecretInRosterError as exc:
        err(str(exc))
        return EXIT_FINDINGS
    except OSError as exc:
        err(f"cannot write {args.output}: {exc.strerror or exc}")
        return EXIT_UNREADABLE
    refused = len(report.errors)
    agents = sum(isinstance(n, m.Agent) for n in content.nodes.values())
    note = f"; {refused} file(s) refused" if refused else ""
    print(f"wrote {args.output}: {agents} agent(s){note}; next: roster check {args.output}",
          file=sys.stderr)
    return EXIT_FINDINGS if refused else EXIT_OK
