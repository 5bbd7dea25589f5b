"""`roster doc FILE [-o OUT.md]`: a Markdown handbook of the roster with a Mermaid diagram."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from runtime.cli.common import EXIT_OK, EXIT_UNREADABLE, load_or_report, write_output
from runtime.interop.handbook import handbook


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "doc",
        help="write a Markdown handbook of a roster",
        description="Write a Markdown handbook: who each agent is, its model and why that "
        "tier, what it may touch, who it escalates to, budgets, open findings, and a "
        "Mermaid diagram. Standard output unless -o is given.",
    )
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("-o", "--output", metavar="OUT.md", help="where to write the handbook")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.file)
    if loaded is None:
        return EXIT_UNREADABLE
    text = handbook(loaded.content)
    if not args.output or args.output == "-":
        sys.stdout.write(text)
        return EXIT_OK
    if not write_output(args.output, text):
        return EXIT_UNREADABLE
    print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK
