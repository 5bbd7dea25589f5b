"""Effective values: what an unset field means, decided once for checks, engine and forecasts.

An agent's unset limits fall back to the roster's `defaults`; a tool's unset
modes, capabilities and risk fall back to its kind; security fields fall back
to the worst case (a tool of unknown data classification is treated as
`internal`, an unvetted tool as unvetted, MCP annotations from an untrusted
server are ignored and taken as destructive and open-world), so a missing
value produces a finding rather than a silent pass.
"""

from __future__ import annotations

from typing import Final

from runtime.roster import model as m
from runtime.roster.kinds import tool_kind

RISK_ORDER: Final = {name: i for i, name in enumerate(m.RISKS)}
CLASS_ORDER: Final = {name: i for i, name in enumerate(m.CLASSIFICATIONS)}
DEFAULT_MAX_DELEGATION_DEPTH: Final = 4
DEFAULT_MAX_PARALLEL_AGENTS: Final = 16
DEFAULT_MAX_REQUESTS_PER_RUN: Final = 20
HIGH_IMPACT_CAPS: Final = frozenset({"irreversible", "financial"})
EXTERNAL_CAPS: Final = frozenset({"external_comm"})
STATE_CAPS: Final = frozenset({"state_change", "irreversible", "financial", "filesystem_write",
                               "shared_memory_write", "code_exec"})


def agent_model(agent: m.Agent, meta: m.RosterMeta) -> str | None:
    return agent.model or meta.defaults.model


def agent_max_turns(agent: m.Agent, meta: m.RosterMeta) -> int | None:
    return agent.max_turns if agent.max_turns is not None else meta.defaults.max_turns


def agent_max_tokens(agent: m.Agent, meta: m.RosterMeta) -> int | None:
    value = agent.max_tokens_per_call
    return value if value is not None else meta.defaults.max_tokens_per_call


def agent_timeout(agent: m.Agent, meta: m.RosterMeta) -> float | None:
    return agent.timeout_s if agent.timeout_s is not None else meta.defaults.timeout_s


def agent_budget(agent: m.Agent, meta: m.RosterMeta) -> float | None:
    return agent.budget_usd if agent.budget_usd is not None else meta.defaults.budget_usd


def agent_parallel(agent: m.Agent, meta: m.RosterMeta) -> int:
    value = agent.max_parallel_delegations
    if value is None:
        value = meta.defaults.max_parallel_delegations
    return value if value is not None else 1


def agent_clearance(agent: m.Agent, meta: m.RosterMeta) -> str:
    """Unset clearance means `internal`: neither trusted with secrets nor public-only."""
    return agent.clearance or meta.defaults.clearance or "internal"


def tool_modes(tool: m.Tool) -> tuple[str, ...]:
    if tool.modes:
        return tool.modes
    kind = tool_kind(tool.kind)
    return kind.modes if kind is not None else m.MODES


def annotations_trusted(tool: m.Tool, server: m.McpServer | None) -> bool:
    return tool.kind != "mcp" or (server is not None and server.trust == "trusted")


def tool_annotations(tool: m.Tool, server: m.McpServer | None) -> m.Annotations:
    """MCP hints with the spec's worst-case defaults; ignored entirely from untrusted servers."""
    given = tool.annotations if annotations_trusted(tool, server) else None
    given = given or m.Annotations()
    return m.Annotations(
        read_only=bool(given.read_only) if given.read_only is not None else False,
        destructive=given.destructive if given.destructive is not None else True,
        idempotent=bool(given.idempotent) if given.idempotent is not None else False,
        open_world=given.open_world if given.open_world is not None else True,
    )


def tool_capabilities(tool: m.Tool, server: m.McpServer | None = None) -> frozenset[str]:
    """Declared capabilities, or the kind's; an MCP tool with none declared is worst case."""
    caps = set(tool.capabilities)
    if not caps:
        kind = tool_kind(tool.kind)
        caps.update(kind.capabilities if kind is not None else ())
    if tool.kind == "mcp" and not tool.capabilities:
        hints = tool_annotations(tool, server)
        if not hints.read_only:
            caps.add("state_change")
        if hints.open_world:
            caps.update({"external_comm", "untrusted_input"})
    return frozenset(caps)


def tool_risk(tool: m.Tool) -> str:
    if tool.risk:
        return tool.risk
    kind = tool_kind(tool.kind)
    return kind.risk if kind is not None else "high"


def tool_data(tool: m.Tool) -> str:
    return tool.data or "internal"


def tool_vetted(tool: m.Tool) -> bool:
    return bool(tool.vetted)


def grant_mode(edge: m.Edge) -> str:
    return edge.mode or "read"


def grant_approval(edge: m.Edge) -> str:
    return edge.approval or "ask"


def is_high_impact(tool: m.Tool, server: m.McpServer | None = None) -> bool:
    """Irreversible, financial, state-changing at risk >= high, or (for MCP) destructive."""
    caps = tool_capabilities(tool, server)
    if caps & HIGH_IMPACT_CAPS:
        return True
    if "state_change" in caps and RISK_ORDER[tool_risk(tool)] >= RISK_ORDER["high"]:
        return True
    return tool.kind == "mcp" and bool(tool_annotations(tool, server).destructive) and bool(
        caps & STATE_CAPS
    )


def policy_depth(meta: m.RosterMeta) -> int:
    value = meta.policy.max_delegation_depth
    return value if value is not None else DEFAULT_MAX_DELEGATION_DEPTH


def policy_parallel(meta: m.RosterMeta) -> int:
    value = meta.policy.max_parallel_agents
    return value if value is not None else DEFAULT_MAX_PARALLEL_AGENTS


def human_max_requests(human: m.Human) -> int:
    value = human.max_requests_per_run
    return value if value is not None else DEFAULT_MAX_REQUESTS_PER_RUN
