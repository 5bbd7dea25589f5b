"""Defaults derived from the roster and the catalog, so a forecast works with no workload file.

Every value here is an assumption, and each one is written into
`Workload.assumptions` in plain words so the CLI (and the designer) can show
people what the numbers rest on. The token sizes and turn counts are the same
"typical run" figures as `runtime.roster.costs`, capped by each agent's
`max_turns` and `max_tokens_per_call`; speeds and rate limits are per model
tier and per Anthropic usage tier. Model speeds and published rate limits
move month to month: they are starting points to override in a workload file,
not measurements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Final

from runtime.forecast.calendar import Hours
from runtime.forecast.dists import Dist, LogNormal, describe, lognormal
from runtime.forecast.workload import (
    AgentLoad,
    Arrival,
    HumanLoad,
    RateLimit,
    ToolLoad,
    Workload,
)
from runtime.roster import costs
from runtime.roster import effective as eff
from runtime.roster import model as m
from runtime.roster.catalog import Catalog, ModelInfo, load_catalog
from runtime.roster.codec import RosterContent

TASKS_PER_DAY: Final = 100.0
BUSINESS_HOURS: Final = Hours(9.0, 17.0, (0, 1, 2, 3, 4))
CONCURRENCY: Final = 10
ESCALATION_PER_VISIT: Final = 0.05
TOOL_CALLS_PER_VISIT: Final = 1.0
TOOL_SECONDS: Final = LogNormal(0.5, 3.0)
REVIEWERS: Final = 1
RESPONSE_P50_S: Final = 180.0
API_TIER: Final = 4
FALLBACK_MODEL: Final = "claude-sonnet-5-5"
TOKEN_SPREAD: Final = 3.0
"""p95 / p50 of token counts per call."""

# (time to first token in s, output tokens per s) by model tier: 1 economy .. 4 frontier.
MODEL_SPEED: Final[Mapping[int, tuple[float, float]]] = MappingProxyType(
    {1: (0.6, 160.0), 2: (1.2, 80.0), 3: (2.0, 50.0), 4: (3.0, 40.0)}
)
# Anthropic usage tiers: (requests per minute, output tokens per minute) per model.
API_TIER_LIMITS: Final[Mapping[int, RateLimit]] = MappingProxyType({
    1: RateLimit(50, 8_000),
    2: RateLimit(1_000, 90_000),
    3: RateLimit(2_000, 160_000),
    4: RateLimit(4_000, 400_000),
})  # fmt: skip


def default_workload(content: RosterContent, catalog: Catalog | None = None) -> Workload:
    """A complete workload for `content` from the roster and the catalog alone."""
    catalog = catalog or load_catalog()
    meta = content.meta
    agents = {n.id: n for n in content.nodes.values() if isinstance(n, m.Agent)}
    humans = [n for n in content.nodes.values() if isinstance(n, m.Human)]
    tools = [n for n in content.nodes.values() if isinstance(n, m.Tool)]
    keyed: list[tuple[str, str]] = [
        ("tasks_per_day", f"{TASKS_PER_DAY:g} tasks a day"),
        ("arrival", f"tasks arrive {BUSINESS_HOURS.describe()} (Poisson)"),
        ("agents", f"each agent visit makes about min({costs.TYPICAL_TURNS}, max_turns/2) model "
         f"calls of p50 {costs.TYPICAL_INPUT_TOKENS:,} input tokens "
         f"({costs.TYPICAL_CACHED_FRACTION:.0%} cache hits) and p50 "
         f"{costs.TYPICAL_OUTPUT_TOKENS:,} output tokens (capped by max_tokens_per_call), "
         f"p95 {TOKEN_SPREAD:g}x p50"),
        ("speed", "model call time = time to first token + the call's output tokens / speed of "
         "the model's tier (" + ", ".join(f"tier {t}: {a:g} s + {b:g} tok/s"
                                          for t, (a, b) in MODEL_SPEED.items()) + ")"),
        ("agents", "each visit hands work to one delegate on average, spread evenly over the "
         "delegation edges (at most 50% per edge)"),
        ("agents", f"each visit asks a human with probability {ESCALATION_PER_VISIT:.0%} (split "
         "over its escalation targets)"),
        ("tools", f"each granted tool is called {TOOL_CALLS_PER_VISIT:g} time per visit, taking "
         f"{describe(TOOL_SECONDS, ' s')}; every call of an 'ask' grant waits for the agent's "
         "first escalation target"),
        ("agents", f"each agent runs at most {CONCURRENCY} visits at once"),
        ("humans", f"humans: {REVIEWERS} reviewer each, answering in p50 "
         f"{RESPONSE_P50_S / 60:g} min of working time (p95 their timeout_s or 4x p50), "
         f"{BUSINESS_HOURS.describe()}"),
        ("deny", "humans approve every request they answer (no denials); a request whose "
         "answer needs longer than the human's timeout_s times out and follows their "
         "on_timeout (deny, or escalate to their backup)"),
        ("agents", "delegations of one visit run max_parallel_delegations at a time (agent, "
         "else defaults, else 1)"),
        ("api_tier", f"rate limits: Anthropic usage tier {API_TIER} per model "
         f"({API_TIER_LIMITS[API_TIER].requests_per_minute:,.0f} requests and "
         f"{API_TIER_LIMITS[API_TIER].output_tokens_per_minute:,.0f} output tokens per minute)"),
    ]
    notes = [text for _topic, text in keyed]
    topics = [topic for topic, _text in keyed]
    loads = {aid: _agent_load(a, content, catalog) for aid, a in agents.items()}
    human_ids = {h.id for h in humans}
    for aid, agent in agents.items():
        named = eff.agent_model(agent, meta)
        if named is None or catalog.get(named) is None:
            notes.append(f"{aid}: model {named or '(none)'} is not in the catalog; priced and "
                         f"timed as {FALLBACK_MODEL}")
            topics.append("roster")
    unrouted = sorted(a for a, load in loads.items() if load.approval_tools and not load.approver)
    if unrouted:
        notes.append("no approver for 'ask' grants of " + ", ".join(unrouted)
                     + ": those calls are counted as made without waiting")
        topics.append("roster")
    return Workload(
        name=meta.name or "roster",
        tasks_per_day=TASKS_PER_DAY,
        arrival=Arrival(BUSINESS_HOURS),
        mix=MappingProxyType(default_mix(content)),
        agents=MappingProxyType(loads),
        tools=MappingProxyType({t.id: ToolLoad(TOOL_SECONDS) for t in tools}),
        humans=MappingProxyType({h.id: _human_load(h, human_ids) for h in humans}),
        rate_limits=MappingProxyType({}),
        api_tier=API_TIER,
        max_depth=eff.policy_depth(meta),
        assumptions=tuple(notes),
        assumption_topics=tuple(topics),
    )


def default_mix(content: RosterContent) -> dict[str, float]:
    """Tasks enter evenly at the roster's entry agents (or agents nobody delegates to)."""
    agents = [n.id for n in content.nodes.values() if isinstance(n, m.Agent)]
    entry = [a for a in content.meta.entry if a in agents]
    if not entry:
        targets = {e.target for e in content.edges.values() if e.kind is m.EdgeKind.DELEGATION}
        entry = [a for a in agents if a not in targets] or agents[:1]
    return {a: 1.0 / len(entry) for a in entry}


def call_seconds(model: ModelInfo, output_tokens: Dist) -> Dist:
    """Seconds per model call from the model tier's speed and the output token sizes."""
    ttft, speed = MODEL_SPEED.get(model.tier, MODEL_SPEED[2])
    if isinstance(output_tokens, LogNormal):
        return lognormal(ttft + output_tokens.p50 / speed, 2 * ttft + output_tokens.p95 / speed)
    return lognormal(ttft + output_tokens.mean / speed, 2 * ttft + output_tokens.mean / speed)


def rate_limit_for(workload: Workload, model: ModelInfo) -> RateLimit | None:
    """The bucket a model's calls draw from: by id, else by tier name, else the usage tier's."""
    limit = workload.rate_limits.get(model.id) or workload.rate_limits.get(model.tier_name)
    if limit is None and workload.api_tier is not None:
        limit = API_TIER_LIMITS[workload.api_tier]
    return limit


def with_models(
    workload: Workload, models: Mapping[str, str], catalog: Catalog | None = None
) -> Workload:
    """The workload with some agents on other models; derived call times follow the model."""
    catalog = catalog or load_catalog()
    changed: dict[str, AgentLoad] = {}
    for agent_id, model_id in models.items():
        load = workload.agents.get(agent_id)
        if load is None:
            raise ValueError(f"the roster has no agent {agent_id!r} "
                             f"(agents: {', '.join(workload.agents)})")
        info = model_info(catalog, model_id)
        load = replace(load, model=info.id)
        if load.latency_from_model:
            load = replace(load, seconds_per_call=call_seconds(info, load.output_tokens))
        changed[agent_id] = load
    return workload.with_agents(changed)


def model_info(catalog: Catalog, model_id: str) -> ModelInfo:
    """The catalog entry of an id or alias, or ValueError with a "did you mean"."""
    info = catalog.get(model_id)
    if info is None:
        close = catalog.suggest(model_id)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"model {model_id!r} is not in the catalog{hint}")
    return info


def _agent_load(agent: m.Agent, content: RosterContent, catalog: Catalog) -> AgentLoad:
    meta = content.meta
    model_id = eff.agent_model(agent, meta) or FALLBACK_MODEL
    info = catalog.get(model_id) or model_info(catalog, FALLBACK_MODEL)
    max_turns = eff.agent_max_turns(agent, meta)
    max_tokens = eff.agent_max_tokens(agent, meta) or info.max_output_tokens
    calls = max(1, min(costs.TYPICAL_TURNS, (max_turns or costs.TYPICAL_TURNS * 2) // 2))
    out_p50 = min(costs.TYPICAL_OUTPUT_TOKENS, max_tokens)
    output = lognormal(out_p50, min(out_p50 * TOKEN_SPREAD, max_tokens))
    # edges to nodes the roster lacks (a finding of `roster check`) carry no work
    nodes = content.nodes
    edges = [e for e in content.edges.values() if e.source == agent.id]
    delegates = [e.target for e in edges if e.kind is m.EdgeKind.DELEGATION
                 and isinstance(nodes.get(e.target), m.Agent)]
    humans = [e.target for e in edges if e.kind is m.EdgeKind.ESCALATION
              and isinstance(nodes.get(e.target), m.Human)]
    grants = [e for e in edges if e.kind is m.EdgeKind.TOOL_ACCESS
              and isinstance(nodes.get(e.target), m.Tool)]
    share = min(0.5, 1.0 / len(delegates)) if delegates else 0.0
    return AgentLoad(
        model=info.id,
        calls=float(calls),
        input_tokens=LogNormal(costs.TYPICAL_INPUT_TOKENS,
                               costs.TYPICAL_INPUT_TOKENS * TOKEN_SPREAD),
        output_tokens=output,
        cached_fraction=costs.TYPICAL_CACHED_FRACTION,
        seconds_per_call=call_seconds(info, output),
        concurrency=CONCURRENCY,
        delegates=MappingProxyType(dict.fromkeys(delegates, share)),
        escalates=MappingProxyType(
            {h: ESCALATION_PER_VISIT / len(humans) for h in humans}
        ),
        tools=MappingProxyType({g.target: TOOL_CALLS_PER_VISIT for g in grants}),
        approver=humans[0] if humans else None,
        approval_tools=tuple(g.target for g in grants if eff.grant_approval(g) == "ask"),
        latency_from_model=True,
        parallel=max(1, eff.agent_parallel(agent, meta)),
    )


def _human_load(human: m.Human, humans: set[str]) -> HumanLoad:
    """A reviewer answering per the defaults; timeout, on_timeout and backup from the roster."""
    timeout = human.timeout_s
    p95 = max(RESPONSE_P50_S, min(timeout, 4 * RESPONSE_P50_S)) if timeout else 4 * RESPONSE_P50_S
    backup = human.backup if human.backup in humans and human.backup != human.id else None
    # as the engine: "escalate" hands a timed-out request to the backup; anything else denies
    on_timeout = "escalate" if human.on_timeout == "escalate" and backup else "deny"
    return HumanLoad(lognormal(RESPONSE_P50_S, p95), REVIEWERS, BUSINESS_HOURS,
                     timeout_s=float(timeout) if timeout else None, on_timeout=on_timeout,
                     backup=backup)
