"""`roster new NAME --template T`: start a roster from a shipped template."""

from __future__ import annotations

import argparse
import dataclasses
import unicodedata
from pathlib import Path
from typing import Any

from runtime.cli.common import EXIT_OK, EXIT_UNREADABLE, check_output, err
from runtime.resources import resource
from runtime.roster.fields import did_you_mean, slugify
from runtime.roster.io import load_roster, save_roster


def templates() -> dict[str, Path]:
    folder = resource("templates")
    return {p.name.removesuffix(".roster.yaml"): p for p in sorted(folder.glob("*.roster.yaml"))}


def file_stem(name: str) -> str:
    """The file name a roster called `name` gets: accents transliterated, "Équipe Café" →
    "equipe-cafe" (letters with no ASCII form are dropped), "roster" when nothing is left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return slugify(ascii_name) or "roster"


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "new",
        help="create a roster from a template",
        description="Create NAME.roster.yaml from a template. `roster new --list` shows them.",
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="roster name, e.g. 'Support team'")
    parser.add_argument("--template", "-t", default="blank", help="template (default: blank)")
    parser.add_argument("--output", "-o", metavar="FILE", help="file to create")
    parser.add_argument("--list", action="store_true", help="list the templates")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    available = templates()
    if args.list or not args.name:
        for name, path in available.items():
            description = load_roster(path).content.meta.description.strip().splitlines()
            print(f"{name:<20} {description[0] if description else ''}")
        if not args.name and not args.list:
            err("give the new roster a NAME, e.g. `roster new 'Support team' --template "
                "support-triage`")
            return EXIT_UNREADABLE
        return EXIT_OK
    source = available.get(args.template)
    if source is None:
        hint = did_you_mean(args.template, list(available))
        err(f"no template {args.template!r}" + (f"; {hint}" if hint else "")
            + f" (templates: {', '.join(available)})")
        return EXIT_UNREADABLE
    target = Path(args.output or f"{file_stem(args.name)}.roster.yaml")
    if target.exists():
        err(f"{target} already exists; choose another name or --output")
        return EXIT_UNREADABLE
    if not check_output(target):
        return EXIT_UNREADABLE
    content = load_roster(source).content
    content.meta = dataclasses.replace(content.meta, name=args.name)
    try:
        save_roster(content, target)
    except OSError as exc:
        err(f"cannot write {target}: {exc.strerror or exc}")
        return EXIT_UNREADABLE
    print(f"created {target} from the {args.template} template; next: roster check {target}")
    return EXIT_OK
