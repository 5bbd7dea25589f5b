"""`roster models [--json] [--all]`: the models of the catalog a roster may use.

One row per model: id, name, tier, list prices per million tokens, context
window and aliases (any of which a roster's `model:` accepts). Deprecated
models are hidden unless `--all` is given, and then marked. With `--roster
FILE`, only the models that roster's `policy.allowed_models` admits are
listed (rule R24). The data comes from resources/catalog/models.yaml through
`runtime.roster.catalog`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from runtime.cli.common import EXIT_OK, EXIT_UNREADABLE, err, load_or_report
from runtime.roster.catalog import Catalog, CatalogError, ModelInfo, load_catalog
from runtime.roster.costs import format_usd

HEADERS = ("MODEL", "NAME", "TIER", "INPUT/M", "OUTPUT/M", "CONTEXT", "ALIASES")


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "models",
        help="list the models of the catalog, with tiers and prices",
        description="List the Claude models a roster may name: id, name, tier, list price "
        "per million input and output tokens, context window and aliases. Deprecated "
        "models are hidden unless --all is given.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--all", action="store_true", help="include deprecated models")
    parser.add_argument("--roster", metavar="FILE",
                        help="only the models this roster's policy.allowed_models admits")
    parser.set_defaults(handler=run)


def context_label(tokens: int) -> str:
    """A context window for people: 1000000 → "1M", 200000 → "200K"."""
    for size, suffix in ((1_000_000, "M"), (1_000, "K")):
        if tokens >= size and tokens % size == 0:
            return f"{tokens // size}{suffix}"
    return f"{tokens:,}"


def listed(catalog: Catalog, *, include_deprecated: bool,
           allowed: tuple[str, ...] | None = None) -> list[ModelInfo]:
    """The models to show: catalog order, deprecated ones only when asked for, and only
    those in `allowed` (ids or aliases) when an allowlist is given."""
    admitted = None if allowed is None else {catalog.resolve_alias(a) for a in allowed}
    return [m for m in catalog.models() if (include_deprecated or not m.deprecated)
            and (admitted is None or m.id in admitted)]


def as_json_data(catalog: Catalog, models: list[ModelInfo]) -> dict[str, Any]:
    return {
        "as_of": catalog.as_of,
        "currency": catalog.currency,
        "unit": catalog.unit,
        "models": [
            {
                "id": info.id,
                "name": info.name,
                "family": info.family,
                "tier": info.tier,
                "tier_name": info.tier_name,
                "prices": {
                    "input": info.prices.input,
                    "output": info.prices.output,
                    "cache_write_5m": info.prices.cache_write_5m,
                    "cache_write_1h": info.prices.cache_write_1h,
                    "cache_read": info.prices.cache_read,
                },
                "context_window": info.context_window,
                "max_output_tokens": info.max_output_tokens,
                "aliases": list(info.aliases),
                "deprecated": info.deprecated,
            }
            for info in models
        ],
    }


def table(models: list[ModelInfo]) -> list[str]:
    rows = [HEADERS] + [
        (
            info.id + (" (deprecated)" if info.deprecated else ""),
            info.name,
            info.tier_name,
            format_usd(info.prices.input),
            format_usd(info.prices.output),
            context_label(info.context_window),
            ", ".join(info.aliases) or "-",
        )
        for info in models
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    right = {3, 4, 5}  # numbers line up on the right
    return [
        "  ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                  for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def run(args: argparse.Namespace) -> int:
    try:
        catalog = load_catalog()
    except CatalogError as error:
        err(str(error))
        return EXIT_UNREADABLE
    allowed: tuple[str, ...] | None = None
    if args.roster:
        loaded = load_or_report(args.roster)
        if loaded is None:
            return EXIT_UNREADABLE
        allowed = loaded.content.meta.policy.allowed_models
    models = listed(catalog, include_deprecated=args.all, allowed=allowed)
    if args.json:
        data = as_json_data(catalog, models)
        if args.roster:
            data["roster"] = args.roster
            data["allowed_models"] = None if allowed is None else list(allowed)
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    for line in table(models):
        print(line)
    if args.roster:
        print(f"\nModels {args.roster} allows" + (" (policy.allowed_models)." if allowed is not None
                                                   else ": any (no policy.allowed_models)."))
    shown = listed(catalog, include_deprecated=True, allowed=allowed)
    hidden = sum(1 for info in shown if info.deprecated) if not args.all else 0
    note = f"; {hidden} deprecated model(s) hidden, --all shows them" if hidden else ""
    print(("" if args.roster else "\n") + f"List prices in {catalog.currency} per million "
          f"tokens, catalog as of {catalog.as_of}{note}. A roster's `model:` accepts an id or "
          "an alias.")
    return EXIT_OK
