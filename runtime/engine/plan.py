"""What the engine needs to know about an agent, worked out once per agent per run.

A run looks at the same agent many times: every model turn needs its model,
limits and tool specs, every delegation its edge, every ask its humans. The
roster does not change during a run, so `RunIndex` indexes the edges by source
once (on first use, O(edges)) and `RunIndex.plan(agent)` builds an `AgentPlan`
the first time an agent runs and hands out the same object afterwards. Nothing
here depends on what happens during the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from runtime.engine.fastinit import fast_init
from runtime.engine.pricing import CallPricing
from runtime.engine.protocols import Tool, ToolSpec
from runtime.roster import effective as eff
from runtime.roster import model as m
from runtime.roster.catalog import Catalog, ModelInfo
from runtime.roster.codec import RosterContent

DELEGATE_PREFIX = "agent__"
ESCALATE_PREFIX = "ask__"
DEFAULT_MAX_TURNS = 10
DEFAULT_MAX_TOKENS = 4096

_TASK_SCHEMA = {"type": "object", "properties": {"task": {
    "type": "string", "description": "what to do, with all needed context"}},
    "required": ["task"]}
_QUESTION_SCHEMA = {"type": "object", "properties": {"question": {"type": "string"}},
                    "required": ["question"]}


@fast_init
@dataclass(frozen=True, slots=True)
class AgentPlan:
    """One agent's effective settings in this run, and the tools it is shown."""

    agent: m.Agent
    model_id: str
    model: ModelInfo | None  # None: not in the catalog (the agent fails when it runs)
    max_turns: int
    max_tokens: int
    timeout: float | None
    parallel: int
    specs: tuple[ToolSpec, ...]
    humans: tuple[str, ...]  # escalation targets, in roster order
    pricing: CallPricing | None = None  # reserve/cost arithmetic; None when model is None


class RunIndex:
    def __init__(self, content: RosterContent, tools: Mapping[str, Tool],
                 catalog: Catalog) -> None:
        self._content = content
        self._tools = tools
        self._catalog = catalog
        self._out: dict[str, list[m.Edge]] | None = None
        self._plans: dict[str, AgentPlan] = {}
        self._pricing: dict[tuple[str, int], CallPricing] = {}  # agents share model + max

    def edges_from(self, node_id: str) -> list[m.Edge]:
        if self._out is None:
            out: dict[str, list[m.Edge]] = {}
            for edge in self._content.edges.values():
                out.setdefault(edge.source, []).append(edge)
            self._out = out
        return self._out.get(node_id, [])

    def humans(self, agent_id: str) -> tuple[str, ...]:
        """The humans `agent_id` may escalate to (its approvers), in roster order."""
        plan = self._plans.get(agent_id)
        if plan is not None:
            return plan.humans
        nodes = self._content.nodes
        return tuple(e.target for e in self.edges_from(agent_id)
                     if e.kind is m.EdgeKind.ESCALATION and isinstance(nodes.get(e.target),
                                                                       m.Human))

    def plan(self, agent: m.Agent) -> AgentPlan:
        found = self._plans.get(agent.id)
        if found is None:
            found = self._plans[agent.id] = self._build(agent)
        return found

    def _build(self, agent: m.Agent) -> AgentPlan:
        meta = self._content.meta
        model_id = eff.agent_model(agent, meta) or ""
        model = self._catalog.get(model_id)
        max_tokens = eff.agent_max_tokens(agent, meta) or DEFAULT_MAX_TOKENS
        specs, humans = self._specs(agent)
        return AgentPlan(
            agent, model_id, model, eff.agent_max_turns(agent, meta) or DEFAULT_MAX_TURNS,
            max_tokens, eff.agent_timeout(agent, meta), eff.agent_parallel(agent, meta),
            tuple(specs), tuple(humans),
            None if model is None else self._priced(model, max_tokens))

    def _priced(self, model: ModelInfo, max_tokens: int) -> CallPricing:
        key = (model.id, max_tokens)
        found = self._pricing.get(key)
        if found is None:
            found = self._pricing[key] = CallPricing(model, max_tokens)
        return found

    def _specs(self, agent: m.Agent) -> tuple[list[ToolSpec], list[str]]:
        """The tools `agent` is shown, in roster order, and its escalation humans (one pass
        over its edges)."""
        nodes = self._content.nodes
        specs: list[ToolSpec] = []
        humans: list[str] = []
        for edge in self.edges_from(agent.id):
            kind = edge.kind
            if kind is m.EdgeKind.TOOL_ACCESS:
                if eff.grant_approval(edge) != "deny":
                    impl = self._tools.get(edge.target)
                    if impl is not None:
                        specs.append(ToolSpec(edge.target, impl.spec.description,
                                              impl.spec.input_schema))
                continue
            target = nodes.get(edge.target)
            if kind is m.EdgeKind.DELEGATION and isinstance(target, m.Agent):
                specs.append(ToolSpec(
                    f"{DELEGATE_PREFIX}{target.id}",
                    f"Delegate a sub-task to {target.name or target.id}: {target.role}".strip(),
                    _TASK_SCHEMA))
            elif kind is m.EdgeKind.ESCALATION and isinstance(target, m.Human):
                humans.append(edge.target)
                specs.append(ToolSpec(
                    f"{ESCALATE_PREFIX}{target.id}",
                    f"Ask {target.name or target.id} ({target.role}) a question and wait for "
                    "the answer.".strip(), _QUESTION_SCHEMA))
        return specs, humans


__all__ = ["DEFAULT_MAX_TOKENS", "DEFAULT_MAX_TURNS", "DELEGATE_PREFIX", "ESCALATE_PREFIX",
           "AgentPlan", "RunIndex"]
