"""`roster graph FILE`: a summary of the roster's shape for a quick review."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import asdict, fields
from typing import Any

from runtime.cli.common import EXIT_OK, EXIT_UNREADABLE, load_or_report
from runtime.roster.summary import Summary, summarize


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "graph",
        help="summarise a roster: tiers, risks, delegation depth, human gates",
        description="Summarise a roster: agents per model tier, tools per risk, the deepest "
        "delegation chain and every tool grant that waits for a human.",
    )
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run)


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counter.items())) or "none"


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def as_json_data(summary: Summary) -> dict[str, Any]:
    """The summary as plain JSON data: counters become objects sorted by key."""
    data: dict[str, Any] = {}
    for item in fields(summary):
        value = getattr(summary, item.name)
        if isinstance(value, Counter):
            value = dict(sorted(value.items()))
        elif item.name == "gates":
            value = [asdict(gate) for gate in value]
        data[item.name] = value
    return data


def run(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.file)
    if loaded is None:
        return EXIT_UNREADABLE
    s = summarize(loaded.content)
    if args.format == "json":
        print(json.dumps(as_json_data(s), indent=2, ensure_ascii=False))
        return EXIT_OK
    name = loaded.content.meta.name or args.file
    counts = ", ".join((_plural(s.agents, "agent"), _plural(s.tools, "tool"),
                        _plural(s.humans, "human"), _plural(s.servers, "MCP server")))
    unknown = f", {s.placeholders} of unknown kind" if s.placeholders else ""
    print(f"{name}: {counts}{unknown}")
    print(f"  entry agents:      {', '.join(s.entry) or 'none'}")
    print(f"  agents per tier:   {_counts(s.agents_per_tier)}")
    print(f"  agents per model:  {_counts(s.agents_per_model)}")
    print(f"  tools per risk:    {_counts(s.tools_per_risk)}")
    print(f"  edges:             {_counts(s.edges)}")
    chain = " → ".join(s.deepest_chain) if len(s.deepest_chain) > 1 else "no delegation"
    print(f"  delegation depth:  {s.depth} ({chain})")
    print(f"  human gates:       {len(s.gates)}")
    for gate in s.gates:
        who = ", ".join(gate.humans) if gate.humans else "NOBODY (no escalation)"
        print(f"    {gate.agent} → {gate.tool}: asks {who}")
    return EXIT_OK
