"""`roster export yaml|claude-code|crewai FILE -o OUT`: the roster for review or other tools.

`yaml` writes the canonical roster, optionally without the canvas layout;
`claude-code` writes .claude/agents/*.md, .claude/settings.json and .mcp.json
into a folder; `crewai` writes a classic CrewAI project (config/agents.yaml,
config/tasks.yaml, crew.py). Every export is refused while the roster has
errors (unless `--force`), and always when it would contain a literal secret.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from runtime.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNREADABLE,
    check_output,
    err,
    load_or_report,
    write_output,
)
from runtime.interop.claude_export import export_claude_code, write_files
from runtime.interop.crewai_export import crewai_losses, export_crewai
from runtime.roster.checks.engine import check_roster
from runtime.roster.io import SecretInRosterError, guarded_bytes, to_data


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "export",
        help="export a roster (yaml, claude-code, crewai)",
        description="Export a roster for review or deployment. Refuses while the roster has "
        "governance errors unless --force, and always refuses to write a literal secret.",
    )
    formats = parser.add_subparsers(dest="export_format", metavar="FORMAT", required=True)
    yaml_parser = formats.add_parser("yaml", help="the canonical roster YAML",
                                     description="Write the canonical roster YAML.")
    yaml_parser.add_argument("file", metavar="FILE")
    yaml_parser.add_argument("-o", "--output", metavar="OUT", required=True,
                             help="where to write ('-' for standard output)")
    yaml_parser.add_argument("--strip-layout", action="store_true",
                             help="leave out canvas positions")
    yaml_parser.add_argument("--force", action="store_true",
                             help="export even with governance errors (never with a secret)")
    yaml_parser.set_defaults(handler=run_yaml)
    for name, text in (("claude-code", ".claude/agents/*.md, .claude/settings.json permissions "
                        "and .mcp.json"),
                       ("crewai", "a classic CrewAI project: config/agents.yaml, "
                        "config/tasks.yaml and crew.py")):
        sp = formats.add_parser(name, help=text, description=f"Write {text} into a folder.")
        sp.add_argument("file", metavar="FILE")
        sp.add_argument("-o", "--output", metavar="DIR", required=True,
                        help="the folder to write into (created if missing)")
        sp.add_argument("--force", action="store_true",
                        help="export even with governance errors (never with a secret)")
        if name == "crewai":
            sp.add_argument("--strict", action="store_true", help="write nothing and exit 1 "
                            "when part of the roster is not expressible in CrewAI")
        sp.set_defaults(handler=run_folder, target=name)


def _exportable(args: argparse.Namespace) -> tuple[Any, int] | int:
    """(content, number of governance errors), or the exit code when it must not export."""
    loaded = load_or_report(args.file)
    if loaded is None:
        return EXIT_UNREADABLE
    errors = [f for f in check_roster(loaded.content) if f.blocking]
    if errors and not args.force:
        err(f"{args.file} has {len(errors)} governance error(s); run `roster check "
            f"{args.file}` to see them, fix them, or pass --force to export anyway")
        return EXIT_FINDINGS
    return loaded.content, len(errors)


def run_folder(args: argparse.Namespace) -> int:
    ready = _exportable(args)
    if isinstance(ready, int):
        return ready
    content, _ = ready
    if not check_output(args.output, directory=True):
        return EXIT_UNREADABLE
    out_dir = Path(args.output)
    try:
        if args.target == "claude-code":
            files, report = export_claude_code(content, out_dir)
        else:
            files, report = export_crewai(content)
            if getattr(args, "strict", False) and crewai_losses(report):
                print(report.text())
                err(f"--strict: {len(crewai_losses(report))} part(s) of {args.file} are not "
                    "expressible in CrewAI (listed above); nothing was written")
                return EXIT_FINDINGS
        write_files(files, out_dir)
    except SecretInRosterError as exc:
        err(str(exc))
        return EXIT_FINDINGS
    except OSError as exc:
        err(f"cannot write into {args.output}: {exc.strerror or exc}")
        return EXIT_UNREADABLE
    print(report.text())
    print(f"exported {args.file} → {args.output} ({len(files)} files)", file=sys.stderr)
    return EXIT_OK


def run_yaml(args: argparse.Namespace) -> int:
    ready = _exportable(args)
    if isinstance(ready, int):
        return ready
    content, errors = ready
    data = to_data(content)
    if args.strip_layout:
        data.pop("layout", None)
    target = "standard output" if args.output == "-" else args.output
    try:
        payload = guarded_bytes(data, target)
    except SecretInRosterError as exc:
        err(str(exc))
        return EXIT_FINDINGS
    if args.output == "-":
        sys.stdout.write(payload.decode("utf-8"))
    else:
        if not write_output(args.output, payload):
            return EXIT_UNREADABLE
        note = " (forced, with errors)" if errors else ""
        print(f"exported {args.file} → {args.output}{note}", file=sys.stderr)
    return EXIT_OK
