"""A roster at a glance: agents per model tier, tools per risk, delegation depth, human gates.

Used by `roster graph` and the designer's status bar. Depth is the longest
delegation chain from an entry agent (cycles counted once); gates are the
tool grants that wait for a human, with the humans they escalate to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from runtime.roster import effective as eff
from runtime.roster import model as m
from runtime.roster.catalog import TIER_NAMES, Catalog, load_catalog
from runtime.roster.codec import RosterContent


@dataclass
class Gate:
    agent: str
    tool: str
    humans: list[str]


@dataclass
class Summary:
    agents: int = 0
    tools: int = 0
    humans: int = 0
    servers: int = 0
    placeholders: int = 0
    edges: Counter[str] = field(default_factory=Counter)
    agents_per_tier: Counter[str] = field(default_factory=Counter)
    agents_per_model: Counter[str] = field(default_factory=Counter)
    tools_per_risk: Counter[str] = field(default_factory=Counter)
    entry: list[str] = field(default_factory=list)
    depth: int = 0
    deepest_chain: list[str] = field(default_factory=list)
    gates: list[Gate] = field(default_factory=list)


def _longest_chain(content: RosterContent) -> list[str]:
    out: dict[str, list[str]] = {}
    for edge in content.edges.values():
        if edge.kind is m.EdgeKind.DELEGATION:
            out.setdefault(edge.source, []).append(edge.target)
    best: dict[str, list[str]] = {}

    def chain(node: str, visiting: frozenset[str]) -> list[str]:
        if node in best:
            return best[node]
        longest: list[str] = []
        for nxt in out.get(node, []):
            if nxt in visiting:
                continue
            candidate = chain(nxt, visiting | {node})
            if len(candidate) > len(longest):
                longest = candidate
        result = [node, *longest]
        if not visiting:
            best[node] = result
        return result

    starts = list(content.meta.entry) or [n for n in content.nodes if n in out]
    longest: list[str] = []
    for start in starts:
        if start in content.nodes:
            candidate = chain(start, frozenset())
            if len(candidate) > len(longest):
                longest = candidate
    return longest


def summarize(content: RosterContent, catalog: Catalog | None = None) -> Summary:
    catalog = catalog or load_catalog()
    s = Summary(entry=list(content.meta.entry))
    for node in content.nodes.values():
        if isinstance(node, m.Agent):
            s.agents += 1
            model_id = eff.agent_model(node, content.meta) or "(none)"
            info = catalog.get(model_id)
            s.agents_per_model[model_id] += 1
            s.agents_per_tier[TIER_NAMES.get(info.tier, "?") if info else "unknown model"] += 1
        elif isinstance(node, m.Tool):
            s.tools += 1
            s.tools_per_risk[eff.tool_risk(node)] += 1
        elif isinstance(node, m.Human):
            s.humans += 1
        elif isinstance(node, m.McpServer):
            s.servers += 1
        else:
            s.placeholders += 1
    escalations: dict[str, list[str]] = {}
    for edge in content.edges.values():
        s.edges[edge.kind.value] += 1
        if edge.kind is m.EdgeKind.ESCALATION:
            escalations.setdefault(edge.source, []).append(edge.target)
    for edge in content.edges.values():
        if edge.kind is m.EdgeKind.TOOL_ACCESS and eff.grant_approval(edge) == "ask":
            s.gates.append(Gate(edge.source, edge.target, escalations.get(edge.source, [])))
    chain = _longest_chain(content)
    s.deepest_chain = chain
    s.depth = max(len(chain) - 1, 0)
    return s
