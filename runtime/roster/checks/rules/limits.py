"""Consumption limits: R05 (per-agent caps present and sane) and R32 (budget arithmetic).

The governance catalogue's R05 has two halves with different shapes. The per-agent
half, every agent has `max_turns` (1-100), `max_tokens_per_call`, `timeout_s`
and `budget_usd` after defaults, is node scope and keeps the code R05 (error).
The arithmetic half compares the run budget with agent budgets and with the
worst-case fan-out, which needs the whole delegation graph, so it is the
roster-scope rule R32 (warning). A rule has one code and one shape, hence
the split; both explain texts say so.
"""

from __future__ import annotations

import heapq
from typing import Final

from runtime.roster import effective as fx
from runtime.roster import model as m
from runtime.roster.checks import base as b
from runtime.roster.checks.base import RULES, Finding, Path, Severity, node_rule, roster_rule
from runtime.roster.checks.context import CheckContext
from runtime.roster.checks.facts import agent_facts
from runtime.roster.checks.rules.delegation import delegation
from runtime.roster.costs import format_usd

MAX_TURNS_RANGE: Final = (1, 100)

# ---------------------------------------------------------------- R05

R05_EXPLAIN = """
Every agent must have, after `defaults:` are applied, a `max_turns` between 1
and 100, a `max_tokens_per_call`, a `timeout_s` and a `budget_usd`. Without
them one agent can loop, wait or spend without limit. (The catalogue's R05
also covers the run-budget arithmetic; that half needs the whole graph and is
reported as R32, "Budget arithmetic".)

Why: OWASP LLM10 Unbounded Consumption (token budgets, cost ceilings,
timeouts, the "denial of wallet" case) and Agentic T4 Resource Overload.

Fix: set the caps once under `defaults` and override where needed:

    defaults:
      max_turns: 12
      max_tokens_per_call: 4096
      timeout_s: 600
      budget_usd: 1.00
"""

_CAP_NAMES: Final = ("max_turns", "max_tokens_per_call", "timeout_s", "budget_usd")


@node_rule(
    "R05", "Per-agent caps are set and sane", Severity.ERROR, R05_EXPLAIN,
    ("OWASP LLM10", "OWASP Agentic T4"),
    applies_to=(m.Agent,), reads=(b.READS_META,),
)
def agent_caps(ctx: CheckContext, node_id: str) -> list[Finding]:
    facts = agent_facts(ctx, node_id)
    if facts is None:
        return []
    agent = facts.agent
    missing = [name for name, value in zip(_CAP_NAMES, (
        facts.max_turns, facts.max_tokens, facts.timeout_s, facts.budget_usd), strict=True)
        if value is None]
    out: list[Finding] = []
    if missing:
        out.append(RULE_R05.finding(
            f"agent '{node_id}' has no {', '.join(missing)} (not set on the agent nor under "
            "defaults), so nothing stops it from running or spending without limit",
            f"set {', '.join(missing)} under `defaults:` or on agents.{node_id}.",
            (node_id,), ("agents", node_id),
        ))
    turns = facts.max_turns
    low, high = MAX_TURNS_RANGE
    if turns is not None and not low <= turns <= high:
        at: Path = (("agents", node_id, "max_turns") if agent.max_turns is not None
                    else ("defaults", "max_turns"))
        out.append(RULE_R05.finding(
            f"agent '{node_id}' may take {turns} turns; the limit is {low} to {high}",
            f"set max_turns between {low} and {high} ({'.'.join(map(str, at))}); split long "
            "work across agents instead.",
            (node_id,), at,
        ))
    return out


RULE_R05: Final = RULES["R05"]

# ---------------------------------------------------------------- R32

R32_EXPLAIN = """
The budget-arithmetic half of the catalogue's R05 (the per-agent half keeps
the code R05). Warns when the run has no `policy.budget_usd_per_run`; when
the run budget is smaller than the largest single agent budget (that agent
can never use what it was given); and when the worst-case spend exceeds the
run budget. The worst case multiplies each agent's `budget_usd` by the number
of its instances that may run at once (the R04 fan-out from the entry
agents) and sums: if every instance spends its allowance, the run cap cuts
the run off midway, possibly between a refund and its confirmation.

Why: OWASP LLM10 Unbounded Consumption (cost ceilings, denial of wallet)
and Agentic T4 Resource Overload. A cap that always fires is a cap nobody
planned for.

Fix: raise the run budget, or lower agent budgets or fan-out:

    policy:
      budget_usd_per_run: 10.00
    defaults:
      budget_usd: 0.50
"""


@roster_rule(
    "R32", "Budget arithmetic", Severity.WARNING, R32_EXPLAIN,
    (b.TRIGGER_DELEGATION, b.TRIGGER_NODES, b.TRIGGER_META, b.TRIGGER_AGENT),
    ("OWASP LLM10", "OWASP Agentic T4"),
)
def budget_arithmetic(ctx: CheckContext) -> list[Finding]:
    meta = ctx.meta
    agents = ctx.agents()
    if not agents:
        return []
    run = meta.policy.budget_usd_per_run
    if run is None:
        return [RULE_R32.finding(
            "the roster sets no run-wide budget (policy.budget_usd_per_run), so a run's "
            "total spend is bounded only by the sum of agent budgets",
            "set policy.budget_usd_per_run to the most one run may cost.",
            (), ("policy",),
        )]
    out: list[Finding] = []
    budgets = {a.id: x for a in agents if (x := fx.agent_budget(a, meta)) is not None}
    if budgets:
        richest = min(budgets, key=lambda x: (-budgets[x], x))
        if budgets[richest] > run:
            agent = ctx.agent(richest)
            at: Path = (("agents", richest, "budget_usd") if agent and agent.budget_usd is not None
                        else ("defaults", "budget_usd"))
            out.append(RULE_R32.finding(
                f"agent '{richest}' may spend {format_usd(budgets[richest])} per task but the "
                f"whole run may spend only {format_usd(run)}",
                f"lower the budget of '{richest}' or raise policy.budget_usd_per_run.",
                (richest,), at,
            ))
    width = delegation(ctx).width
    worst = sum(budgets.get(x, 0.0) * n for x, n in width.items())
    if worst > run:
        top = heapq.nsmallest(3, width, key=lambda x: (-budgets.get(x, 0.0) * width[x], x))
        parts = ", ".join(f"'{x}' {width[x]}× {format_usd(budgets.get(x, 0.0))}" for x in top)
        out.append(RULE_R32.finding(
            f"in the worst-case fan-out the agents may spend {format_usd(worst)} "
            f"(largest: {parts}), more than the run budget of {format_usd(run)}; the run "
            "would be cut off midway",
            "raise policy.budget_usd_per_run, or lower agent budgets or "
            "max_parallel_delegations.",
            (*(x for x in meta.entry if x in width), *top), ("policy", "budget_usd_per_run"),
        ))
    return out


RULE_R32: Final = RULES["R32"]

