"""Model governance: R24 (known, allowed model), R25 (deprecated), R26-R28 (fit and cost).

All five are node scope on agents and read the model catalog through the
check context (never the network). An agent's model is its own `model` or
`defaults.model`; findings point at whichever of the two the value came from.
R26 compares an orchestrator's catalog tier with its delegates', R27 prices
one realistic call against the agent's budget with costs.py, and R28 names a
cheaper model for a premium-tier agent whose work is narrow, with the saving
per million output tokens.
"""

from __future__ import annotations

from typing import Final

from runtime.roster import effective as fx
from runtime.roster import model as m
from runtime.roster.catalog import ModelInfo
from runtime.roster.checks import base as b
from runtime.roster.checks.base import RULES, Finding, Path, Severity, node_rule
from runtime.roster.checks.context import CheckContext, derived
from runtime.roster.checks.facts import agent_facts, allowed_models, model_info
from runtime.roster.checks.rules.gates import live_grants, some
from runtime.roster.checks.rules.trifecta import is_quarantine
from runtime.roster.costs import format_usd, min_call_cost

MIN_CALL_INPUT_TOKENS: Final = 1000
"""A realistic smallest prompt: a short system prompt plus the task, uncached."""
PREMIUM_TIER: Final = 3


def _model_path(agent: m.Agent) -> Path:
    return ("agents", agent.id, "model") if agent.model else ("defaults", "model")


def _info(ctx: CheckContext, agent: m.Agent) -> ModelInfo | None:
    return model_info(ctx, agent.model or ctx.meta.defaults.model)  # fx.agent_model, inlined


# What R26 suggests for a delegate's tier and family: the catalog alone and the policy.
_R26_PICK: Final = derived("rules.r26_pick", (b.TRIGGER_META,))
_CALL_COST: Final = derived("rules.min_call_cost", ())  # the catalog is fixed for a checker


# ---------------------------------------------------------------- R24

R24_EXPLAIN = """
Every agent's model (its own `model`, or `defaults.model`) must be an id or
alias from the model catalog, and, when `policy.allowed_models` is set, one
of the allowed models. An unknown id fails at the first API call, in the
middle of a run; a model outside the allowlist is one the organisation has
not approved.

Why: NIST AI RMF GOVERN 6.1 and MANAGE 3.1 (third-party components, models
included, are covered by policy), NIST AI 600-1 Value Chain & Component
Integration.

Fix: pick a catalog model from the allowlist (`roster models` lists them):

    policy:
      allowed_models: [claude-sonnet-5-5, claude-haiku-5-5]
    agents:
      writer: {model: claude-sonnet-5-5}
"""


@node_rule(
    "R24", "Model is known and allowed", Severity.ERROR, R24_EXPLAIN,
    ("NIST AI RMF GOVERN 6.1", "NIST AI RMF MANAGE 3.1", "NIST AI 600-1 value chain"),
    applies_to=(m.Agent,), reads=(b.READS_META,),
)
def known_model(ctx: CheckContext, node_id: str) -> list[Finding]:
    facts = agent_facts(ctx, node_id)
    if facts is None:
        return []
    agent, name = facts.agent, facts.model
    if not name:
        return [RULE_R24.finding(
            f"agent '{node_id}' has no model (none on the agent, none under defaults)",
            f"set `model:` on agents.{node_id} or `defaults.model`.",
            (node_id,), ("agents", node_id),
        )]
    info = facts.info
    if info is None:
        close = ctx.catalog.suggest(name)
        hint = f"; did you mean {', '.join(repr(x) for x in close)}?" if close else ""
        return [RULE_R24.finding(
            f"agent '{node_id}' uses model '{name}', which is not in the model catalog{hint}",
            "use a model id or alias from the catalog (`roster models` lists them).",
            (node_id,), _model_path(agent),
        )]
    allowed = allowed_models(ctx)
    if allowed is not None and info.id not in allowed:
        return [RULE_R24.finding(
            f"agent '{node_id}' uses model '{name}', which policy.allowed_models does not allow",
            "choose one of " + (some(allowed, 5) if allowed else "the allowed models")
            + ", or add it to policy.allowed_models if it is approved.",
            (node_id,), _model_path(agent),
        )]
    return []


RULE_R24: Final = RULES["R24"]

# ---------------------------------------------------------------- R25

R25_EXPLAIN = """
Warns when an agent's model is marked deprecated or legacy in the catalog.
Deprecated models are retired on the provider's schedule, after which every
call fails; they are also usually dearer than their successors.

Why: NIST AI RMF MANAGE 3.1 (third-party models are monitored) and NIST AI
600-1 Value Chain & Component Integration.

Fix: move to the current model of the same family and re-run your tests:

    agents:
      writer: {model: claude-sonnet-5-5}
"""


@node_rule(
    "R25", "Deprecated model", Severity.WARNING, R25_EXPLAIN,
    ("NIST AI RMF MANAGE 3.1", "NIST AI 600-1 value chain"),
    applies_to=(m.Agent,), reads=(b.READS_META,),
)
def deprecated_model(ctx: CheckContext, node_id: str) -> list[Finding]:
    facts = agent_facts(ctx, node_id)
    info = facts.info if facts is not None else None
    if facts is None or info is None or not info.deprecated:
        return []
    agent = facts.agent
    newer = [x for x in ctx.catalog.models() if x.family == info.family and not x.deprecated]
    newer.sort(key=lambda x: (x.tier != info.tier, -(x.tier), x.released or "", x.id))
    hint = f" such as {newer[0].id}" if newer else ""
    return [RULE_R25.finding(
        f"agent '{node_id}' uses {info.id}, which is deprecated",
        f"move it to a current model{hint}.",
        (node_id,), _model_path(agent),
    )]


RULE_R25: Final = RULES["R25"]

# ---------------------------------------------------------------- R26

R26_EXPLAIN = """
Warns when an orchestrator (an agent with `delegates_to`) runs on a lower
catalog tier than a specialist it delegates to. The orchestrator plans the
work, judges the results and decides what to do next; a weaker model there
caps the quality of the whole roster, whatever the specialists can do.

Why: NIST AI 600-1 Human-AI Configuration and Confabulation: a weak planner
accepts and passes on wrong results (Agentic T5 Cascading Hallucination).

A delegate that returns only structured values (a quarantine output schema,
see R08) does not count: its result is validated by the engine, not judged
by the orchestrator, so a cheap router in front of a stronger specialist
(the support-triage sample) is fine.

Fix: give the orchestrator at least the tier of its best delegate:

    agents:
      lead: {model: claude-opus-5-5, delegates_to: [coder]}
      coder: {model: claude-opus-5-5}
"""


@node_rule(
    "R26", "Orchestrator on a lower tier than its delegates", Severity.WARNING, R26_EXPLAIN,
    ("NIST AI 600-1 confabulation", "OWASP Agentic T5"),
    applies_to=(m.Agent,),
)
def orchestrator_tier(ctx: CheckContext, node_id: str) -> list[Finding]:
    edges = ctx.delegates(node_id)
    facts = agent_facts(ctx, node_id) if edges else None
    info = facts.info if facts is not None else None
    if facts is None or info is None:
        return []
    agent = facts.agent
    above = []
    for edge in edges:
        delegate = ctx.agent(edge.target)
        if delegate is None or is_quarantine(delegate.output_schema):
            continue
        other = _info(ctx, delegate)
        if other is not None and other.tier > info.tier:
            above.append((edge.target, other))
    if not above:
        return []
    best = max(above, key=lambda x: (x[1].tier, x[0]))[1]
    pick = _r26_pick(ctx, best)
    return [RULE_R26.finding(
        f"orchestrator '{node_id}' runs on {info.id} ({info.tier_name}) but delegates to "
        f"{some(x for x, _ in above)} on a higher tier ({best.tier_name})",
        f"give '{node_id}' a model of tier {best.tier_name} or higher"
        + (f" (e.g. {pick.id})." if pick is not None else "."),
        (node_id, *(x for x, _ in above)), _model_path(agent),
    )]


def _r26_pick(ctx: CheckContext, best: ModelInfo) -> ModelInfo | None:
    """The model R26 suggests for an orchestrator whose best delegate runs on `best`: a
    current model the policy allows (R24, R25) of that tier or higher, same family first."""
    memo: dict[tuple[int, str], ModelInfo | None] | None = ctx.cache.get(_R26_PICK)
    if memo is None:
        memo = ctx.cache[_R26_PICK] = {}
    key = (best.tier, best.family)
    if key not in memo:
        allowed = allowed_models(ctx)
        fits = [x for x in ctx.catalog.models() if x.tier >= best.tier and not x.deprecated
                and (allowed is None or x.id in allowed)]
        memo[key] = min(fits, key=lambda x: (x.family != best.family, x.tier, x.prices.output,
                                             x.id), default=None)
    return memo[key]


RULE_R26: Final = RULES["R26"]

# ---------------------------------------------------------------- R27

R27_EXPLAIN = """
Checks that an agent's `budget_usd` pays for at least one call: a prompt of
1,000 tokens (a short system prompt and task, uncached) and an answer of the
agent's `max_tokens_per_call` (capped at the model's output limit), at the
catalog's list price. The engine reserves a call's cost before making it, so a
smaller budget means the agent fails on its first turn.

Why: OWASP LLM10 Unbounded Consumption asks for budgets, and a budget that
can never be met is a configuration error that only shows at run time.

Fix: raise the budget, lower max_tokens_per_call, or use a cheaper model:

    agents:
      summariser: {model: claude-haiku-5-5, max_tokens_per_call: 2048,
                   budget_usd: 0.10}
"""


@node_rule(
    "R27", "Budget pays for at least one call", Severity.ERROR, R27_EXPLAIN, ("OWASP LLM10",),
    applies_to=(m.Agent,), reads=(b.READS_META,),
)
def budget_pays(ctx: CheckContext, node_id: str) -> list[Finding]:
    facts = agent_facts(ctx, node_id)
    if facts is None:
        return []
    agent, budget, tokens, info = facts.agent, facts.budget_usd, facts.max_tokens, facts.info
    if budget is None or tokens is None or info is None:
        return []
    memo: dict[tuple[str, int], float] = ctx.cache.setdefault(_CALL_COST, {})
    key = (info.id, tokens)
    cost = memo.get(key)
    if cost is None:
        cost = memo[key] = min_call_cost(info, MIN_CALL_INPUT_TOKENS,
                                         min(tokens, info.max_output_tokens))
    if budget >= cost:
        return []
    at: Path = (("agents", node_id, "budget_usd") if agent.budget_usd is not None
                else ("defaults", "budget_usd"))
    return [RULE_R27.finding(
        f"agent '{node_id}' has a budget of {format_usd(budget)}, but one call to {info.id} "
        f"with {MIN_CALL_INPUT_TOKENS} prompt tokens and {tokens} output tokens costs "
        f"{format_usd(cost)}",
        f"raise budget_usd to at least {format_usd(cost)}, lower max_tokens_per_call, or use "
        "a cheaper model.",
        (node_id,), at,
    )]


RULE_R27: Final = RULES["R27"]

# ---------------------------------------------------------------- R28

R28_EXPLAIN = """
Warns when an agent on a premium or frontier model (catalog tier 3 or 4)
does only narrow work: it delegates to nobody and all its tool grants are
read-only. Classification, lookup and extraction rarely need the top tier,
and the price difference is multiplied by every call of every run. The
message names the best cheaper model the policy allows and the saving per
million output tokens.

Why: OWASP LLM10 Unbounded Consumption: cost is a resource to bound, and the
cheapest adequate model is the first bound.

Fix: move the agent to a cheaper tier, or acknowledge the warning if the
work really needs it:

    agents:
      classifier: {model: claude-haiku-5-5}
"""


@node_rule(
    "R28", "Premium model on narrow work", Severity.WARNING, R28_EXPLAIN, ("OWASP LLM10",),
    applies_to=(m.Agent,),
)
def premium_on_narrow(ctx: CheckContext, node_id: str) -> list[Finding]:
    facts = agent_facts(ctx, node_id)
    info = facts.info if facts is not None else None
    if facts is None or info is None or info.tier < PREMIUM_TIER or ctx.delegates(node_id):
        return []
    if any(fx.grant_mode(edge) != "read" for edge, _ in live_grants(ctx, node_id)):
        return []
    allowed = allowed_models(ctx)
    cheaper = [x for x in ctx.catalog.models()
               if x.tier < info.tier and not x.deprecated and (allowed is None or x.id in allowed)]
    if cheaper:
        pick = max(cheaper, key=lambda x: (x.tier, -x.prices.output, x.id))
        saving = info.prices.output - pick.prices.output
        hint = (f"; {pick.id} ({pick.tier_name}) would cost {format_usd(saving)} less per 1M "
                "output tokens")
        fix = f"use {pick.id} for '{node_id}', or acknowledge this warning if it needs {info.id}."
    else:
        hint = ""
        fix = f"use a cheaper model for '{node_id}', or acknowledge this warning."
    return [RULE_R28.finding(
        f"agent '{node_id}' runs on {info.id} ({info.tier_name}) but only reads and delegates "
        f"to nobody{hint}",
        fix, (node_id,), _model_path(facts.agent),
    )]


RULE_R28: Final = RULES["R28"]
