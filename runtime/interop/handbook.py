"""A roster as a Markdown handbook with a Mermaid diagram, for people who are not in the tool.

One section per agent: who it is (role), its model with the tier and what
that tier is for, what it may touch (tool grants with mode, approval and the
tool's risk and capabilities), who it delegates to and escalates to, its
budgets, and the open findings of the governance checks that concern it.
The diagram draws agents, tools and humans with the three edge kinds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from runtime.roster import codec, effective
from runtime.roster import model as m
from runtime.roster.catalog import Catalog, load_catalog
from runtime.roster.checks.base import Finding
from runtime.roster.checks.engine import check_roster

TIER_PURPOSE = {
    4: "the hardest reasoning, used sparingly",
    3: "complex, multi-step work where quality matters more than cost",
    2: "a balance of capability and cost for everyday work",
    1: "high-volume, routine work at the lowest cost",
}


def _mermaid_id(node_id: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", node_id)


def _label(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ")


def mermaid(content: codec.RosterContent) -> str:
    """A `flowchart LR` of the roster: agents as boxes, tools as cylinders, humans round."""
    lines = ["flowchart LR"]
    for node in content.nodes.values():
        nid, name = _mermaid_id(node.id), _label(node.name or node.id)
        if isinstance(node, m.Agent):
            lines.append(f'  {nid}["{name}"]')
        elif isinstance(node, m.Human):
            lines.append(f'  {nid}(["{name}"])')
        elif isinstance(node, m.McpServer):
            lines.append(f'  {nid}{{{{"{name}"}}}}')
        else:
            lines.append(f'  {nid}[("{name}")]')
    for edge in content.edges.values():
        a, b = _mermaid_id(edge.source), _mermaid_id(edge.target)
        if edge.kind is m.EdgeKind.DELEGATION:
            lines.append(f"  {a} -->|delegates| {b}")
        elif edge.kind is m.EdgeKind.ESCALATION:
            lines.append(f"  {a} -.->|escalates| {b}")
        else:
            label = f"{effective.grant_mode(edge)}, {effective.grant_approval(edge)}"
            lines.append(f"  {a} ==>|{label}| {b}")
    return "\n".join(lines)


def _model_line(agent: m.Agent, meta: m.RosterMeta, catalog: Catalog) -> str:
    model = effective.agent_model(agent, meta)
    if model is None:
        return "no model set (neither on the agent nor in the roster defaults)"
    info = catalog.get(model)
    inherited = " (the roster default)" if agent.model is None else ""
    if info is None:
        return f"`{model}`{inherited}, not in the model catalog"
    return (f"`{info.id}`{inherited}: {info.tier_name} tier, for "
            f"{TIER_PURPOSE.get(info.tier, 'work of this tier')} (${info.prices.input:g} in / "
            f"${info.prices.output:g} out per million tokens)")


def _grants(edges: list[m.Edge], content: codec.RosterContent) -> list[str]:
    out = []
    for edge in edges:
        if edge.kind is not m.EdgeKind.TOOL_ACCESS:
            continue
        tool = content.nodes.get(edge.target)
        detail = ""
        if isinstance(tool, m.Tool):
            caps = ", ".join(sorted(effective.tool_capabilities(tool))) or "no flagged capabilities"
            detail = f" — {tool.kind}, risk {effective.tool_risk(tool)}; {caps}"
        approval = effective.grant_approval(edge)
        gate = {"allow": "without approval", "ask": "after a person approves",
                "deny": "denied"}.get(approval, approval)
        purpose = f" (purpose: {edge.purpose})" if edge.purpose else ""
        out.append(f"- **{edge.target}**: {effective.grant_mode(edge)} {gate}{detail}{purpose}")
    return out


def _targets(edges: list[m.Edge], kind: m.EdgeKind) -> list[str]:
    return [e.target for e in edges if e.kind is kind]


def _by_subject(findings: Iterable[Finding]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in findings:
        if not f.acknowledged:
            for subject in dict.fromkeys(f.subjects):
                out.setdefault(subject, []).append(f"- {f.severity.value} {f.rule}: {f.message}")
    return out


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _money(value: float | None) -> str:
    return "none set" if value is None else f"${value:,.2f}"


def handbook(content: codec.RosterContent, catalog: Catalog | None = None) -> str:
    """The Markdown text of the handbook."""
    catalog = catalog or load_catalog()
    meta = content.meta
    findings = check_roster(content, catalog)
    title = meta.name or "Roster"
    out = [f"# {title}: handbook", ""]
    if meta.description:
        out += [meta.description.strip(), ""]
    agents = [n for n in content.nodes.values() if isinstance(n, m.Agent)]
    humans = [n for n in content.nodes.values() if isinstance(n, m.Human)]
    tools = [n for n in content.nodes.values() if isinstance(n, m.Tool | m.Placeholder)
             and m.section_of(n) == "tools"]
    out += [f"{_count(len(agents), 'agent')}, {_count(len(tools), 'tool')}, "
            f"{_count(len(humans), 'person', 'people')}. "
            f"Work enters through: {', '.join(meta.entry) or 'no entry agent set'}.", ""]
    policy = meta.policy
    out += ["## Run-wide limits", "",
            f"- budget per run: {_money(policy.budget_usd_per_run)}",
            f"- model calls per run: {policy.max_model_calls_per_run or 'no limit set'}",
            f"- delegation depth: {effective.policy_depth(meta)}",
            f"- allowed models: {', '.join(policy.allowed_models or ()) or 'any in the catalog'}",
            "", "## Diagram", "", "```mermaid", mermaid(content), "```", ""]
    out += ["## Agents", ""]
    by_source: dict[str, list[m.Edge]] = {}
    asked_by: dict[str, list[str]] = {}
    for edge in content.edges.values():
        by_source.setdefault(edge.source, []).append(edge)
        if edge.kind is m.EdgeKind.ESCALATION:
            asked_by.setdefault(edge.target, []).append(edge.source)
    per_subject = _by_subject(findings)
    for agent in agents:
        edges = by_source.get(agent.id, [])
        out += [f"### {agent.name or agent.id} (`{agent.id}`)", ""]
        out += [agent.role.strip() or "_No role written._", ""]
        out += [f"- **Model**: {_model_line(agent, meta, catalog)}"]
        turns = effective.agent_max_turns(agent, meta)
        out += [f"- **Budget**: {_money(effective.agent_budget(agent, meta))} per task; "
                f"{turns or 'unbounded'} turns; clearance "
                f"{effective.agent_clearance(agent, meta)}"]
        delegates = _targets(edges, m.EdgeKind.DELEGATION)
        escalates = _targets(edges, m.EdgeKind.ESCALATION)
        out += [f"- **Delegates to**: {', '.join(delegates) or 'nobody'}",
                f"- **Escalates to**: {', '.join(escalates) or 'nobody'}", ""]
        grants = _grants(edges, content)
        out += ["What it may touch:", "", *(grants or ["- no tools"]), ""]
        open_findings = per_subject.get(agent.id, [])
        if open_findings:
            out += ["Open findings:", "", *open_findings, ""]
    if humans:
        out += ["## People", ""]
        for human in humans:
            askers = sorted(asked_by.get(human.id, []))
            out += [f"- **{human.name or human.id}** (`{human.id}`): {human.role or 'no role'}; "
                    f"asked by {', '.join(askers) or 'nobody'}; on timeout "
                    f"{human.on_timeout or 'deny'}"]
        out.append("")
    rest = [f for f in findings if not f.acknowledged
            and not any(isinstance(content.nodes.get(s), m.Agent) for s in f.subjects)]
    out += ["## Open findings", ""]
    out += [f"- {f.severity.value} {f.rule} ({', '.join(f.subjects) or 'roster'}): {f.message}"
            for f in rest] or ["- none beyond those listed per agent"]
    return "\n".join(out).rstrip() + "\n"
