"""Entry point of the `roster` command: builds the parser from the command modules.

Each command lives in its own module exposing `register(subparsers)`, which adds
a sub-parser whose `handler` default is a function `(args) -> int` (the exit
code). This module only wires them; it holds no command logic.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from runtime import __version__

COMMAND_MODULES = (
    "runtime.cli.check",
    "runtime.cli.fmt",
    "runtime.cli.new",
    "runtime.cli.explain",
    "runtime.cli.schema",
    "runtime.cli.graph",
    "runtime.cli.export",
    "runtime.cli.import_cmd",
    "runtime.cli.doc",
    "runtime.cli.diff",
    "runtime.cli.keys",
    "runtime.cli.run",
    "runtime.cli.runs",
    "runtime.cli.forecast",
    "runtime.cli.worker",
    "runtime.cli.submit",
    "runtime.cli.simulate",
    "runtime.cli.models",
)

DESCRIPTION = """\
Agent Roster: design, check, simulate and run rosters of AI agents.

A roster file (NAME.roster.yaml) says which agents exist, which model each one
uses, which tools each may touch, who delegates to whom and where a human must
approve. Start with `roster new my-team --template support-triage`, then
`roster check my-team.roster.yaml`.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roster",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"roster {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a command not built yet; the rest still work
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        code: int = handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `roster check FILE | head`: the reader left, not an error
        _silence_stdout()
        return 0
    except RuntimeError as exc:  # a run journal too new or not migratable: say so, no trace
        from runtime.cli.common import EXIT_UNREADABLE, err
        from runtime.engine.journal_migrations import JournalSchemaError

        if not isinstance(exc, JournalSchemaError):
            raise
        err(str(exc))
        return EXIT_UNREADABLE
    return code


def _silence_stdout() -> None:
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
