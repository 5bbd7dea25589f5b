"""Prompt-injection containment: R07 (lethal trifecta / Rule of Two), R08 (taint), R09.

R07 is node scope: one agent's capability closure, the union of what its
non-denied grants can do. R08 and R09 are roster scope because they follow
delegation edges: R08 spreads taint from agents that read untrusted input back
to their delegators (results flow back along `delegates_to`), stopped by
quarantine agents whose declared output schema leaves no free text; R09
compares each delegation's two ends so a low-privilege agent cannot steer an
ungated high-privilege one. `is_quarantine` is the reusable schema test.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any, Final

from runtime.roster import effective as fx
from runtime.roster import model as m
from runtime.roster.checks import base as b
from runtime.roster.checks.base import RULES, Finding, Severity, node_rule, roster_rule
from runtime.roster.checks.context import CheckContext, keyed
from runtime.roster.checks.memo import Built, by_owner, changed_keys, owners_memo
from runtime.roster.checks.rules.closures import closure
from runtime.roster.checks.rules.gates import ToolFacts, agent_of, list_edge_path, live_grants, some

_SCALARS: Final = frozenset({"number", "integer", "boolean", "null"})
_MAX_SCHEMA_DEPTH: Final = 32


def is_quarantine(schema: Mapping[str, Any] | None) -> bool:
    """True when every value a schema admits is a number, a boolean or a constrained string.

    A string is constrained by `enum`, `const`, `pattern` or `format`. Arrays
    must constrain `items`; `$ref`, `patternProperties`, untyped leaves and an
    `additionalProperties` that is true or a free-text schema count as free
    text. An object that does not mention `additionalProperties` is judged by
    its declared properties (the shipped sample relies on this; the runtime
    must then reject undeclared keys when it validates a result). This is the
    "dual LLM" quarantine: a result of this shape cannot carry instructions.
    """
    return schema is not None and _constrained(schema, 0)


def _constrained(schema: Any, depth: int) -> bool:
    if not isinstance(schema, Mapping) or depth > _MAX_SCHEMA_DEPTH or "$ref" in schema:
        return False
    if "enum" in schema or "const" in schema:
        return True
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            branches = schema[key]
            if not isinstance(branches, tuple | list) or not all(
                _constrained(branch, depth + 1) for branch in branches
            ):
                return False
            if not ({"type", "properties", "items"} & set(schema)):
                return True
    kind = schema.get("type")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else None
    kinds = kind if isinstance(kind, tuple | list) else (kind,)
    for one in kinds:
        if one in _SCALARS:
            continue
        if one == "string":
            if "pattern" not in schema and "format" not in schema:
                return False
        elif one == "object":
            props = schema.get("properties", {})
            extra = schema.get("additionalProperties", False)
            if not isinstance(props, Mapping) or "patternProperties" in schema:
                return False
            if not all(_constrained(p, depth + 1) for p in props.values()):
                return False
            if extra is not False and not _constrained(extra, depth + 1):
                return False
        elif one == "array":
            items = schema.get("items")
            if isinstance(items, tuple | list):
                if not all(_constrained(i, depth + 1) for i in items):
                    return False
            elif not _constrained(items, depth + 1):
                return False
        else:
            return False
    return True


_QUARANTINE: Final = keyed("flow.quarantine", (b.TRIGGER_META,))


def quarantine_memo(ctx: CheckContext) -> dict[str, bool]:
    """The per-agent memo behind `quarantined` (a keyed cache: kept across incremental
    runs but for the agents an edit touched), for loops that read it directly."""
    memo: dict[str, bool] = ctx.cache.setdefault(_QUARANTINE, {})
    return memo


def quarantined(ctx: CheckContext, agent_id: str) -> bool:
    """R08's quarantine test (memoised), so taint and data flow agree on it."""
    memo = quarantine_memo(ctx)
    found = memo.get(agent_id)
    if found is None:
        agent = ctx.agent(agent_id)
        found = memo[agent_id] = agent is not None and is_quarantine(agent.output_schema)
    return found


def _leg_c(edge: m.Edge, facts: ToolFacts) -> bool:
    """Changes state (in a writing mode) or talks to the outside world (in any mode)."""
    if facts.caps & fx.EXTERNAL_CAPS:
        return True
    return bool(facts.caps & fx.STATE_CAPS) and fx.grant_mode(edge) != "read"


# ---------------------------------------------------------------- R07

R07_EXPLAIN = """
Computes each agent's capability closure, the union of the capabilities of the
tools it may use (denied grants do not count). If the closure holds untrusted
input, private data and a way to communicate externally or change state, the
agent can be led by injected text to exfiltrate or misuse what it reads. Then
every grant that communicates externally or changes state must say
`approval: ask`; otherwise this is an error.

Why: Simon Willison's "lethal trifecta" (private data + untrusted content +
external communication) and Meta's "Agents Rule of Two" (at most two of
untrusted input, sensitive access, state change/external communication, or a
human in the loop); OWASP LLM01 Prompt Injection and ASI01 Agent Goal Hijack.
The legs often collapse: a web fetch is both untrusted input and an outbound
channel.

Fix: split the work so no agent holds all three legs, or gate the outbound
and state-changing grants:

    agents:
      support:
        uses:
          inbox: {mode: read, approval: allow}
          crm: {mode: read, approval: allow}
          email-send: {mode: write, approval: ask}
"""


@node_rule(
    "R07", "Lethal trifecta / Rule of Two", Severity.ERROR, R07_EXPLAIN,
    ("Willison: lethal trifecta", "Meta: Agents Rule of Two", "OWASP LLM01", "OWASP ASI01"),
    applies_to=(m.Agent,),
)
def trifecta(ctx: CheckContext, node_id: str) -> list[Finding]:
    if agent_of(ctx, node_id) is None:
        return []
    grants = live_grants(ctx, node_id)
    untrusted = [e.target for e, f in grants if "untrusted_input" in f.caps]
    if not untrusted:
        return []
    private = [e.target for e, f in grants if "reads_private_data" in f.caps]
    if not private:
        return []
    out: list[Finding] = []
    for edge, facts in grants:
        if not _leg_c(edge, facts) or fx.grant_approval(edge) == "ask":
            continue
        action = ("communicates externally" if facts.caps & fx.EXTERNAL_CAPS
                  else "changes state")
        out.append(RULE_R07.finding(
            f"agent '{node_id}' reads untrusted input (via {some(untrusted)}) and private data "
            f"(via {some(private)}), and tool '{edge.target}' {action} without asking a human: "
            "injected text could make it leak or misuse that data",
            f"set `approval: ask` on agents.{node_id}.uses.{edge.target}, or move the untrusted "
            "or the private-data tool to a separate agent.",
            (node_id, edge.target, *untrusted, *private),
            list_edge_path(ctx, edge),
        ))
    return out


RULE_R07: Final = RULES["R07"]

# ---------------------------------------------------------------- R08

R08_EXPLAIN = """
Follows taint across delegation. An agent is tainted when it uses a tool with
untrusted input; results flow back along `delegates_to`, so a delegator of a
tainted agent is tainted too, unless the delegate is a quarantine agent: one
whose `output: {schema: ...}` admits no free text (every string is an enum,
const, pattern or format; arrays constrain their items; no object leaves
`additionalProperties` open). An agent that
receives taint through delegation and holds a high-impact or external
communication tool without `approval: ask` is an error. This catches lethal
trifectas split across agents; an agent's own tools are R07's and R06's job.

Why: OWASP LLM01 says to segregate and label external content, and the
Agentic threats T6 (goal manipulation) and T12 (agent communication
poisoning), ASI01 and ASI07 name compromised peer agents as an injection path.
The quarantine is the "dual LLM" pattern.

Fix: gate the tool, or make the delegate return structured data only:

    agents:
      researcher:
        output:
          schema:
            type: object
            properties:
              verdict: {type: string, enum: [yes, no, unclear]}
            additionalProperties: false
"""


def taint(ctx: CheckContext) -> dict[str, tuple[str, ...]]:
    """Agents tainted through delegation, each with the chain back to an untrusted source
    (a closure kept while its inputs hold)."""
    return closure(ctx, "taint", "chains", _taint)


def _taint(ctx: CheckContext) -> dict[str, tuple[str, ...]]:
    sources: dict[str, tuple[str, ...]] = {}
    for agent in ctx.agents():
        for edge, facts in live_grants(ctx, agent.id):
            if "untrusted_input" in facts.caps:
                sources[agent.id] = (agent.id, edge.target)
                break
    reached: dict[str, tuple[str, ...]] = {}
    queue = deque(sources.items())
    memo = quarantine_memo(ctx)
    inc, nodes, kind, agent_type = ctx.index.inc, ctx.nodes, m.EdgeKind.DELEGATION, m.Agent
    empty: dict[m.EdgeKind, list[m.Edge]] = {}
    while queue:  # breadth first: the chains are the first ones found (kept tight)
        agent_id, chain = queue.popleft()
        stop = memo.get(agent_id)
        if stop is None:
            stop = quarantined(ctx, agent_id)
        if stop or nodes.get(agent_id).__class__ is not agent_type:
            continue
        for edge in inc.get(agent_id, empty).get(kind, ()):
            source = edge.source
            if source in reached or nodes.get(source).__class__ is not agent_type:
                continue
            found = reached[source] = (source, *chain)
            if source not in sources:
                queue.append((source, found))
    return reached


@roster_rule(
    "R08", "Taint across delegation", Severity.ERROR, R08_EXPLAIN,
    (b.TRIGGER_DELEGATION, b.TRIGGER_TOOL_ACCESS, b.TRIGGER_NODES, b.TRIGGER_AGENT,
     b.TRIGGER_TOOL, b.TRIGGER_SERVER, b.TRIGGER_META),
    ("OWASP LLM01", "OWASP Agentic T6, T12", "OWASP ASI01, ASI07", "dual LLM pattern"),
)
def taint_across_delegation(ctx: CheckContext) -> list[Finding]:
    chains = taint(ctx)

    def build(agent_id: str) -> Built:
        # an agent's findings read its live grants (its neighbourhood) and its chain (ids):
        # rebuilt when it is touched or its chain changed
        chain = chains.get(agent_id)
        if chain is None:
            return None
        tools = [edge.target for edge in ctx.grants(agent_id)]  # their facts
        return tools, _tainted_agent(ctx, agent_id, chain)

    return by_owner(ctx, _R08_OWNERS, lambda: list(chains), build, chains, changed_keys,
                    fine=True)


def _tainted_agent(ctx: CheckContext, agent_id: str, chain: tuple[str, ...]) -> list[Finding]:
    out: list[Finding] = []
    for edge, facts in live_grants(ctx, agent_id):
        if fx.grant_approval(edge) == "ask":
            continue
        if not (facts.high_impact or facts.caps & fx.EXTERNAL_CAPS):
            continue
        via = " → ".join(f"'{x}'" for x in chain[1:-1])
        out.append(RULE_R08.finding(
            f"agent '{agent_id}' receives results from {via}, tainted by untrusted tool "
            f"'{chain[-1]}', and may use '{edge.target}' "
            f"({'high-impact' if facts.high_impact else 'external communication'}) "
            "without asking a human",
            f"set `approval: ask` on agents.{agent_id}.uses.{edge.target}, or give "
            f"'{chain[1]}' an output schema with no free text (a quarantine agent).",
            (agent_id, edge.target, *chain[1:]),
            list_edge_path(ctx, edge),
        ))
    return out


_R08_OWNERS: Final = owners_memo("R08")
RULE_R08: Final = RULES["R08"]

# ---------------------------------------------------------------- R09

R09_EXPLAIN = """
For each delegation u → v, looks at v's privileged tools (high-impact, or risk
high or critical) that u may not use itself. Through v, u can reach them:
the confused deputy. Such a grant needs v's own checkpoint: `approval: ask` on
v's grant and an `escalates_to` human on v. High-impact grants in write or
execute mode are already held to that by R06, so R09 reports the rest
(privileged tools in read mode, risky tools that are not high-impact), and
never the same grant twice.

Why: OWASP Agentic T3 Privilege Compromise and ASI03 Identity & Privilege
Abuse: a low-privilege agent steering a high-privilege one with no human gate
is a privilege escalation.

Fix: gate v's grant, or let u hold the tool itself under its own review:

    agents:
      hr-lookup:
        uses:
          salaries: {mode: read, approval: ask}
        escalates_to: [hr-lead]
"""


@roster_rule(
    "R09", "No privilege escalation through delegation", Severity.ERROR, R09_EXPLAIN,
    (b.TRIGGER_DELEGATION, b.TRIGGER_TOOL_ACCESS, b.TRIGGER_ESCALATION, b.TRIGGER_NODES,
     b.TRIGGER_TOOL, b.TRIGGER_SERVER),
    ("OWASP Agentic T3", "OWASP ASI03"),
)
def confused_deputy(ctx: CheckContext) -> list[Finding]:
    # per deputy: its findings read its grants and their tools' facts, its escalations
    # (the humans' existence) and delegators, and the callers' own grants
    return by_owner(ctx, _R09_OWNERS, lambda: list(ctx.index.inc),
                    lambda deputy_id: _deputy(ctx, deputy_id), fine=True)


def _deputy(ctx: CheckContext, deputy_id: str) -> Built:
    deputy = agent_of(ctx, deputy_id)
    incoming = ctx.index.inc.get(deputy_id)
    if deputy is None or not incoming or not incoming.get(m.EdgeKind.DELEGATION):
        return None
    callers = [e for e in incoming[m.EdgeKind.DELEGATION] if agent_of(ctx, e.source) is not None]
    out: list[Finding] = []
    high = fx.RISK_ORDER["high"]
    gated: bool | None = None
    for edge, facts in live_grants(ctx, deputy.id):
        if facts.high_impact:
            if fx.grant_mode(edge) != "read":
                continue  # R06's finding
        elif fx.RISK_ORDER[fx.tool_risk(facts.tool)] < high:
            continue
        if gated is None:
            gated = any(ctx.human(e.target) is not None for e in ctx.escalations(deputy.id))
        if gated and fx.grant_approval(edge) == "ask":
            continue
        for call in callers:
            if _may_use(ctx, call.source, edge.target):
                continue
            out.append(RULE_R09.finding(
                f"agent '{call.source}' may not use '{edge.target}' itself but can reach it "
                f"by delegating to '{deputy.id}', whose grant has no human checkpoint",
                f"set `approval: ask` on agents.{deputy.id}.uses.{edge.target} and give "
                f"'{deputy.id}' an `escalates_to` human; or grant '{edge.target}' to "
                f"'{call.source}' directly under its own review.",
                (deputy.id, call.source, edge.target, edge.id, call.id),
                list_edge_path(ctx, edge),
            ))
    tools = [edge.target for edge in ctx.grants(deputy_id)]  # their facts
    return [*(call.source for call in callers), *tools], out


def _may_use(ctx: CheckContext, agent_id: str, tool_id: str) -> bool:
    return any(e.target == tool_id for e, _ in live_grants(ctx, agent_id))


RULE_R09: Final = RULES["R09"]
_R09_OWNERS: Final = owners_memo("R09")
