"""What a CrewAI export cannot say: every roster fact that does not survive it.

CrewAI has no approvals, no denials, no access modes, no escalation to a named
person, no budgets or clearances, no partial delegation, no people and no
roster-wide policy. The exporter writes what it can (`human_input: true` on the
tasks of an agent that needs a person's approval or escalates to one); this
module names everything else, one line per fact, each starting with `LOSS`, so
`roster export crewai` can print them and `--strict` can refuse to export.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Final

from runtime.interop.crewai_import import REVIEWER
from runtime.roster import codec
from runtime.roster import model as m

LOSS: Final = "not expressible in CrewAI"
_AGENT_FIELDS: Final = ("budget_usd", "timeout_s", "clearance", "max_tokens_per_call",
                        "max_parallel_delegations", "permission_mode", "output_schema")


def gated(content: codec.RosterContent, agent_id: str) -> bool:
    """Whether a person must look at this agent's work: an ask grant or an escalation."""
    return any(e.source == agent_id and (
        e.kind is m.EdgeKind.ESCALATION
        or (e.kind is m.EdgeKind.TOOL_ACCESS and e.approval == "ask"))
        for e in content.edges.values())


def _label(content: codec.RosterContent, node_id: str) -> str:
    node = content.nodes.get(node_id)
    name = getattr(node, "name", "")
    return f"{node_id} ({name})" if name and name != node_id else node_id


def _grants(content: codec.RosterContent, agent: m.Agent, crewai_tools: set[str]) -> list[str]:
    out: list[str] = []
    modes: list[str] = []
    for edge in content.edges.values():
        if edge.source != agent.id:
            continue
        tool = edge.target
        if edge.kind is m.EdgeKind.TOOL_ACCESS:
            if edge.approval in (None, "ask"):
                out.append(f"{agent.id} may use {tool} ({edge.mode or 'read'}) only after a "
                           "person approves each call; CrewAI runs tools without asking, so "
                           "its tasks got human_input: true, which reviews the result after "
                           "the tool ran")
            elif edge.approval == "deny":
                out.append(f"{agent.id} is denied {tool}; CrewAI has no denial, so the tool "
                           "is left out of its tools and a re-import does not know the denial")
            if edge.mode not in (None, "read") and edge.target not in crewai_tools:
                modes.append(f"{edge.mode} on {edge.target}")
        elif edge.kind is m.EdgeKind.ESCALATION and edge.target != REVIEWER:
            out.append(f"{agent.id} escalates to {_label(content, tool)}; CrewAI has no "
                       "escalation to a named person, so its tasks got human_input: true, "
                       "which asks whoever runs the crew")
    if modes:
        out.append(f"{agent.id}'s access modes ({', '.join(modes)}); CrewAI tools have no "
                   "modes and a re-import reads them as read access")
    return out


def _delegations(content: codec.RosterContent, agent: m.Agent, expressed: set[tuple[str, str]]
                 ) -> list[str]:
    lost = sorted(e.target for e in content.edges.values()
                  if e.kind is m.EdgeKind.DELEGATION and e.source == agent.id
                  and (e.source, e.target) not in expressed)
    if not lost:
        return []
    return [f"{agent.id} delegates to {', '.join(lost)} but not to every coworker; CrewAI "
            "delegation is all or nothing (allow_delegation), so these delegations are not "
            "written"]


def _fields(agent: m.Agent) -> list[str]:
    present = [f"{name} {getattr(agent, name)!r}" if name != "output_schema" else name
               for name in _AGENT_FIELDS if getattr(agent, name) is not None]
    if not present:
        return []
    return [f"{agent.id}'s {', '.join(present)}: CrewAI agents have no such fields"]


def _set_fields(value: Any) -> list[str]:
    return [f.name for f in fields(value) if getattr(value, f.name) not in (None, ())]


def _roster_wide(content: codec.RosterContent) -> list[str]:
    out: list[str] = []
    meta = content.meta
    for label, value in (("defaults", meta.defaults), ("policy", meta.policy)):
        present = _set_fields(value)
        if present:
            out.append(f"roster {label} ({', '.join(present)}); CrewAI has no run-wide "
                       f"{label}, so they are not written")
    if meta.audit is not None:
        out.append("the roster's audit settings; CrewAI has no audit sink")
    if meta.providers:
        out.append(f"provider settings ({', '.join(meta.providers)}); CrewAI reads API keys "
                   "from its own environment")
    return out


def losses(content: codec.RosterContent, expressed: set[tuple[str, str]],
           crewai_tools: set[str]) -> list[str]:
    """Every fact the export drops, each as `not expressible in CrewAI: ...`, riskiest first.

    `expressed` holds the delegations (source id, target id) the written project
    still says (allow_delegation, task context, a hierarchical manager);
    `crewai_tools` the tool ids that came from CrewAI in the first place.
    """
    agents = [n for n in content.nodes.values() if isinstance(n, m.Agent)]
    out: list[str] = []
    for agent in agents:
        out += _grants(content, agent, crewai_tools)
    for agent in agents:
        out += _delegations(content, agent, expressed)
    for agent in agents:
        out += _fields(agent)
    for node in content.nodes.values():
        if isinstance(node, m.Human) and node.id != REVIEWER:
            out.append(f"person {_label(content, node.id)}; CrewAI has no people")
        elif isinstance(node, m.McpServer):
            out.append(f"MCP server {_label(content, node.id)} and how to start it; its tools "
                       "are written by name only")
        elif isinstance(node, m.Tool) and node.id not in crewai_tools:
            out.append(f"tool {node.id} ({node.kind}, risk "
                       f"{node.risk or 'unset'}); CrewAI has no such tool class, so it is "
                       "written by name and re-imported as a placeholder")
    out += _roster_wide(content)
    return [f"{LOSS}: {text}" for text in out]
