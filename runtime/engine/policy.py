"""The policy enforcement point in front of every tool call. It fails closed.

Order, as in Claude Code and docs/rules.md: a static deny list, then the
grant on the agent→tool edge (deny wins over ask wins over allow), then the
agent's permission mode (`plan` refuses write and execute, `dontAsk` turns
every ask into deny), then the roster's pre-tool hooks. Anything that raises,
times out or returns something unexpected means deny. A tool the agent was
never granted is denied with a reason the model can read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from runtime.roster import effective as eff
from runtime.roster import model as m

ALLOW: Final = "allow"
ASK: Final = "ask"
DENY: Final = "deny"

Hook = Callable[[str, str, Mapping[str, Any]], Awaitable[str] | str]
HOOK_TIMEOUT_S: Final = 5.0


@dataclass(frozen=True, slots=True)
class Verdict:
    action: str  # allow | ask | deny
    reason: str
    humans: tuple[str, ...] = ()


class PolicyGate:
    def __init__(
        self,
        nodes: Mapping[str, m.Node],
        edges: Mapping[str, m.Edge],
        meta: m.RosterMeta,
        *,
        static_deny: frozenset[str] = frozenset(),
        hooks: tuple[Hook, ...] = (),
        unattended: bool = False,
    ) -> None:
        self._nodes = nodes
        self._edges = edges
        self._meta = meta
        self._static_deny = static_deny
        self._hooks = hooks
        self._unattended = unattended
        self._humans: dict[str, tuple[str, ...]] | None = None  # the roster is fixed for the run

    def escalation_targets(self, agent_id: str) -> tuple[str, ...]:
        if self._humans is None:  # one pass over the edges for every agent, on first use
            humans: dict[str, list[str]] = {}
            for x in self._edges.values():
                if x.kind is m.EdgeKind.ESCALATION and isinstance(self._nodes.get(x.target),
                                                                  m.Human):
                    humans.setdefault(x.source, []).append(x.target)
            self._humans = {agent: tuple(targets) for agent, targets in humans.items()}
        return self._humans.get(agent_id, ())

    async def check(self, agent_id: str, tool_id: str, arguments: Mapping[str, Any]) -> Verdict:
        try:
            return await self._check(agent_id, tool_id, arguments)
        except Exception as exc:  # fail closed: a broken policy never allows
            return Verdict(DENY, f"policy check failed ({type(exc).__name__}); denied")

    async def _check(self, agent_id: str, tool_id: str, arguments: Mapping[str, Any]) -> Verdict:
        if tool_id in self._static_deny:
            return Verdict(DENY, f"'{tool_id}' is on the run's deny list")
        grant = self._edges.get(m.edge_id(m.EdgeKind.TOOL_ACCESS, agent_id, tool_id))
        tool = self._nodes.get(tool_id)
        if grant is None or not isinstance(tool, m.Tool):
            return Verdict(DENY, f"agent '{agent_id}' has no grant for tool '{tool_id}'")
        approval = eff.grant_approval(grant)
        mode = eff.grant_mode(grant)
        if approval == DENY:
            return Verdict(DENY, f"the grant of '{tool_id}' to '{agent_id}' is deny")
        if mode not in eff.tool_modes(tool):
            return Verdict(DENY, f"'{tool_id}' does not support mode {mode}")
        agent = self._nodes.get(agent_id)
        permission = agent.permission_mode if isinstance(agent, m.Agent) else None
        if permission == "plan" and mode != "read":
            return Verdict(DENY, f"'{agent_id}' is in plan mode: only reads are allowed")
        for hook in self._hooks:
            outcome = hook(agent_id, tool_id, arguments)
            if isinstance(outcome, Awaitable):
                outcome = await asyncio.wait_for(outcome, HOOK_TIMEOUT_S)
            if outcome == DENY or outcome not in (ALLOW, ASK):
                return Verdict(DENY, f"a pre-tool hook refused the call ({outcome!r})")
            if outcome == ASK:
                approval = ASK
        if approval == ASK:
            humans = self.escalation_targets(agent_id)
            if permission == "dontAsk":
                return Verdict(DENY, f"'{agent_id}' runs in dontAsk mode; calls that ask are "
                                     "denied")
            if not humans:
                return Verdict(DENY, f"'{tool_id}' needs approval but '{agent_id}' has nobody "
                                     "to ask (no escalates_to)")
            if self._unattended:
                return Verdict(DENY, "the run is unattended and this call needs approval")
            return Verdict(ASK, f"the grant of '{tool_id}' to '{agent_id}' asks a human", humans)
        return Verdict(ALLOW, "allowed by the grant")
