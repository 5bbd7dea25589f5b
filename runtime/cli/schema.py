"""`roster schema`: print (or write) the JSON Schema of the roster file format."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from runtime.cli.common import EXIT_OK, EXIT_UNREADABLE, write_output
from runtime.roster.schema import schema_text


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "schema",
        help="print the JSON Schema of roster files",
        description="Print the JSON Schema (draft 2020-12) of the roster file format, for "
        "editor completion and validation. The same schema ships as "
        "resources/schema/roster.schema.json.",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write it to FILE instead")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    text = schema_text()
    if args.output and args.output != "-":
        if not write_output(args.output, text):
            return EXIT_UNREADABLE
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text, end="")
    return EXIT_OK
