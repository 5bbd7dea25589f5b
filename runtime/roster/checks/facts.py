"""Per-agent facts that several node-scope rules read, computed once per check.

Model governance (R24-R28) and the limits (R05, R27, R32) each need an agent's
effective values: its model after `defaults` and that model's catalog entry, its
caps and its budget. Each rule used to derive them again for every agent.
`agent_facts` derives them once: in a one-off check for every agent in one pass on
first use, in an incremental run for the agents an edit touched (the table is a
`keyed` cache entry: an edit drops the entries of the nodes it touched, a settings
edit all of them). The values are exactly those of `runtime.roster.effective`, which
remains the one definition of what an unset field means.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from runtime.roster import effective as fx
from runtime.roster import model as m
from runtime.roster.catalog import ModelInfo
from runtime.roster.checks import base
from runtime.roster.checks.context import CheckContext, derived, keyed

__all__ = ["AgentFacts", "agent_facts", "allowed_models", "model_info"]


class AgentFacts(NamedTuple):
    """An agent's effective model and limits (see `runtime.roster.effective`). A named
    tuple: built for every agent of every check, and a frozen dataclass costs several
    times as much to build."""

    agent: m.Agent
    model: str | None  # its own model, or defaults.model
    info: ModelInfo | None  # the catalog entry of `model`, None when unset or unknown
    max_turns: int | None
    max_tokens: int | None
    timeout_s: float | None
    budget_usd: float | None


_AGENTS: Final = keyed("facts.agents", (base.TRIGGER_META,))
_MODELS: Final = derived("facts.model_info", ())  # the catalog is fixed for a checker
_ALLOWED: Final = derived("facts.allowed_models", (base.TRIGGER_META,))
_UNSET: Final = object()


def model_info(ctx: CheckContext, name: str | None) -> ModelInfo | None:
    """The catalog entry of a model id or alias, looked up once per name."""
    if not name:
        return None
    memo: dict[str, ModelInfo | None] | None = ctx.cache.get(_MODELS)
    if memo is None:
        memo = ctx.cache[_MODELS] = {}
    info = memo.get(name, _UNSET)
    if info is _UNSET:
        info = memo[name] = ctx.catalog.get(name)
    return info  # type: ignore[return-value]


def allowed_models(ctx: CheckContext) -> frozenset[str] | None:
    """The canonical ids `policy.allowed_models` allows, or None when it is not set."""
    if _ALLOWED in ctx.cache:
        found: frozenset[str] | None = ctx.cache[_ALLOWED]
        return found
    allowed = ctx.meta.policy.allowed_models
    found = ctx.cache[_ALLOWED] = None if allowed is None else frozenset(
        ctx.catalog.resolve_alias(x) or x for x in allowed)
    return found


def _facts(ctx: CheckContext, agent: m.Agent, meta: m.RosterMeta) -> AgentFacts:
    model = fx.agent_model(agent, meta)
    return AgentFacts(agent, model, model_info(ctx, model), fx.agent_max_turns(agent, meta),
                      fx.agent_max_tokens(agent, meta), fx.agent_timeout(agent, meta),
                      fx.agent_budget(agent, meta))


def agent_facts(ctx: CheckContext, node_id: str) -> AgentFacts | None:
    """The facts of agent `node_id`, or None when the node is not an agent."""
    table: dict[str, AgentFacts | None] | None = ctx.cache.get(_AGENTS)
    if table is None:
        table = ctx.cache[_AGENTS] = {}
        if ctx.touched is None:  # a one-off check: every agent, in one pass
            meta = ctx.meta
            for key, node in ctx.nodes.items():
                table[key] = _facts(ctx, node, meta) if node.__class__ is m.Agent else None
    if node_id in table:
        return table[node_id]
    one = ctx.nodes.get(node_id)
    found = table[node_id] = (_facts(ctx, one, ctx.meta) if isinstance(one, m.Agent)
                              and one.__class__ is m.Agent else None)
    return found
