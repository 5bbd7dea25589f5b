"""`roster export yaml FILE -o OUT`: the architecture for review or deployment.

The export is the canonical roster, optionally without the canvas layout. It
is refused while the roster has errors (unless `--force`), and always when
it would contain a literal secret.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from runtime.cli.common import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, err, load_or_report
from runtime.roster.atomic import write_atomic
from runtime.roster.checks.engine import check_roster
from runtime.roster.io import SecretInRosterError, guarded_bytes, to_data


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "export",
        help="export a roster (yaml)",
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


def run_yaml(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.file)
    if loaded is None:
        return EXIT_UNREADABLE
    errors = [f for f in check_roster(loaded.content) if f.blocking]
    if errors and not args.force:
        err(f"{args.file} has {len(errors)} governance error(s); run `roster check "
            f"{args.file}` to see them, fix them, or pass --force to export anyway")
        return EXIT_FINDINGS
    data = to_data(loaded.content)
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
        try:
            write_atomic(Path(args.output), payload)
        except OSError as exc:
            err(f"cannot write {args.output}: {exc.strerror or exc}")
            return EXIT_UNREADABLE
        note = " (forced, with errors)" if errors else ""
        print(f"exported {args.file} → {args.output}{note}", file=sys.stderr)
    return EXIT_OK
