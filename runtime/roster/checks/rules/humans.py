"""Human checkpoints: R19 (liveness), R20 (approval load), R21 (escalation reachability).

All three are roster scope. R19 follows `backup` chains, which are properties rather
than edges, so a change to one human can break another's chain. R20 estimates the
approval requests a human gets in a run from the gated grants of the agents escalating
to them, each agent's turn limit and the worst-case number of its instances (R04's
fan-out, shared through `structure.delegation`). R21 asks that
every agent reaches a human, itself or through the agents that delegate to it. Graph
walks use the adjacency index and worklists, never recursion, so deep rosters are safe.
"""

from __future__ import annotations

from collections.abc import Iterable

from runtime.roster import effective as fx
from runtime.roster import model as m
from runtime.roster.checks import base
from runtime.roster.checks.base import Finding, Severity, roster_rule
from runtime.roster.checks.context import CheckContext
from runtime.roster.checks.memo import Built, by_owner, changed_keys, owners_memo
from runtime.roster.checks.rules.delegation import delegation
from runtime.roster.checks.rules.gates import some

# ---------------------------------------------------------------- R19


@roster_rule(
    "R19", "Checkpoint liveness", Severity.ERROR,
    """What: every human checkpoint says who it is (`role`), how long a request waits
(`timeout_s`) and what an unanswered request does (`on_timeout`: deny or escalate; allow
is refused when the file is read). `on_timeout: escalate` needs a `backup` human, and the
chain of backups ends at a human whose `on_timeout` is deny, without looping. Whether
anybody escalates to the human is R02's business (reachability), not this rule's.

Why: a checkpoint nobody answers, or whose timeout passes the request around forever,
is no oversight at all (NIST AI RMF MAP 3.5 human oversight, MANAGE 2.4 mechanisms to
supersede or deactivate).

Fix:

    humans:
      ops-lead:
        role: Approves refunds.
        timeout_s: 3600
        on_timeout: escalate
        backup: duty-manager
      duty-manager: {role: Backup approver, timeout_s: 1800, on_timeout: deny}
""",
    (base.TRIGGER_HUMAN, base.TRIGGER_NODES),
    ("NIST AI RMF MAP 3.5", "NIST AI RMF MANAGE 2.4"),
)
def check_liveness(ctx: CheckContext) -> Iterable[Finding]:
    rule = base.RULES["R19"]
    out = []
    loops: set[frozenset[str]] = set()
    for human in ctx.humans():
        at: tuple[str | int, ...] = ("humans", human.id)
        missing = [name for name, value in (("role", human.role.strip()),
                                            ("timeout_s", human.timeout_s),
                                            ("on_timeout", human.on_timeout)) if not value]
        if missing:
            out.append(rule.finding(
                f"human checkpoint '{human.id}' has no {' and no '.join(missing)}",
                f"set {', '.join(missing)} on '{human.id}' (on_timeout: deny unless a backup "
                "should take over)", (human.id,), at,
            ))
        if human.on_timeout != "escalate":
            continue
        if not human.backup:
            out.append(rule.finding(
                f"human '{human.id}' escalates on timeout but names no backup",
                f"set backup: to another human on '{human.id}', or on_timeout: deny",
                (human.id,), at,
            ))
            continue
        chain = [human.id]
        current: m.Human = human
        while current.on_timeout == "escalate" and current.backup:
            nxt = ctx.human(current.backup)
            if nxt is None:
                out.append(rule.finding(
                    f"the escalation chain {' → '.join(chain)} ends at '{current.backup}', "
                    "which is not a human checkpoint",
                    f"point backup of '{current.id}' at a human with on_timeout: deny",
                    (*chain, current.backup), ("humans", current.id, "backup"),
                ))
                break
            if nxt.id in chain:
                cycle = chain[chain.index(nxt.id):]
                if frozenset(cycle) not in loops:
                    loops.add(frozenset(cycle))
                    out.append(rule.finding(
                        f"the escalation chain {' → '.join([*cycle, nxt.id])} loops: an "
                        "unanswered request is passed around and never denied",
                        f"end the chain at a human with on_timeout: deny (for example "
                        f"'{current.id}')", cycle, ("humans", current.id, "backup"),
                    ))
                break
            chain.append(nxt.id)
            current = nxt
    return out


# ---------------------------------------------------------------- R20


def _widths(ctx: CheckContext) -> dict[str, int]:
    """R04's fan-out per agent; skipped (all 1, an empty map) when no agent may run more
    than one delegation at a time, the common case, so gated-grant edits stay cheap."""
    default = ctx.meta.defaults.max_parallel_delegations
    if (default is None or default == 1) and all(
            a.max_parallel_delegations is None or a.max_parallel_delegations == 1
            for a in ctx.agents()):
        return {}
    return delegation(ctx).width


@roster_rule(
    "R20", "Human-in-the-loop load", Severity.WARNING,
    """What: the approval requests a human may get in one run stay within their
`max_requests_per_run` (default 20). The estimate, per human, sums over the agents that
escalate to them: (grants with `approval: ask`, not denied) × the agent's `max_turns` ×
the agent's fan-out (the product of `max_parallel_delegations` along the widest delegation
path from an entry agent, as R04 computes it; 1 for agents no entry reaches). An agent that
escalates to several humans counts for each.

Why: a person asked too often starts approving without reading: the gate turns into a
rubber stamp (OWASP Agentic T10 Overwhelming Human-in-the-Loop, ASI09 Human-Agent Trust
Exploitation).

Fix: lower `max_turns` or parallelism of the gated agents, split approvals across people,
or raise the limit if the person can really take that many:

    humans:
      ops-lead: {max_requests_per_run: 40}
    agents:
      billing: {max_turns: 5}
""",
    (base.TRIGGER_ESCALATION, base.TRIGGER_TOOL_ACCESS, base.TRIGGER_DELEGATION,
     base.TRIGGER_NODES, base.TRIGGER_AGENT, base.TRIGGER_HUMAN, base.TRIGGER_META),
    ("T10", "ASI09"),
)
def check_load(ctx: CheckContext) -> Iterable[Finding]:
    # per human (checks/memo.py): rebuilt when the human, an agent escalating to it or
    # that agent's grants changed (a tool that stops being one is a node edit, which
    # rebuilds all), or when that agent's fan-out moved
    width = _widths(ctx)
    return by_owner(ctx, _R20_OWNERS, lambda: [h.id for h in ctx.humans()],
                    lambda human_id: _load(ctx, human_id, width), width, changed_keys,
                    fine=True)


def _load(ctx: CheckContext, human_id: str, width: dict[str, int]) -> Built:
    human = ctx.human(human_id)
    if human is None:
        return None
    rule = base.RULES["R20"]
    nodes, out_index, grant_kind = ctx.nodes, ctx.index.out, m.EdgeKind.TOOL_ACCESS
    load: dict[str, int] = {}
    deps: list[str] = []
    for edge in ctx.index.incoming(human.id, m.EdgeKind.ESCALATION):
        deps.append(edge.source)
        table = out_index.get(edge.source)
        agent = nodes.get(edge.source)
        if not table or not isinstance(agent, m.Agent):
            continue
        asks = 0
        for g in table.get(grant_kind, ()):  # a plain loop: ~2 grants, no generator
            if (g.approval is None or g.approval == "ask") and isinstance(
                    nodes.get(g.target), m.Tool):
                asks += 1
        if asks:
            turns = fx.agent_max_turns(agent, ctx.meta) or 1
            load[agent.id] = asks * turns * (width.get(agent.id) or 1)
    total = sum(load.values())
    limit = fx.human_max_requests(human)
    if total <= limit:
        return deps, []
    top = sorted(load, key=lambda a: -load[a])
    return deps, [rule.finding(
        f"human '{human.id}' may get about {total} approval requests per run (limit "
        f"{limit}): from {some(top, 4)}",
        f"lower max_turns or parallelism of {some(top, 2)}, spread approvals over "
        f"more people, or raise max_requests_per_run of '{human.id}'",
        (human.id, *top), ("humans", human.id),
    )]


_R20_OWNERS = owners_memo("R20")


# ---------------------------------------------------------------- R21


@roster_rule(
    "R21", "Escalation reachability", Severity.ERROR,
    """What: every agent can reach a human: it has an `escalates_to` edge to a human
checkpoint, or some agent that delegates to it (directly or up a chain of delegators,
the orchestrator) has one and can take the escalation to a person. The runtime's global
abort (the kill switch) is always wired and cannot be turned off in YAML, so it is not a
field to check here.

Why: someone must be able to stop or overrule an agent that behaves unexpectedly, and
the agent must have someone to ask (NIST AI RMF MANAGE 2.4).

Fix:

    agents:
      worker:
        escalates_to: [ops-lead]
""",
    (base.TRIGGER_ESCALATION, base.TRIGGER_DELEGATION, base.TRIGGER_NODES),
    ("NIST AI RMF MANAGE 2.4",),
)
def check_escalation(ctx: CheckContext) -> Iterable[Finding]:
    rule = base.RULES["R21"]
    out_index, delegation_kind = ctx.index.out, m.EdgeKind.DELEGATION
    agents = [a.id for a in ctx.agents()]
    known = set(agents)
    covered = {e.source for h in ctx.humans()
               for e in ctx.index.incoming(h.id, m.EdgeKind.ESCALATION)} & known
    queue = list(covered) if len(covered) < len(known) else []
    while queue:
        table = out_index.get(queue.pop())
        for edge in table.get(delegation_kind, ()) if table else ():
            if edge.target not in covered and edge.target in known:
                covered.add(edge.target)
                queue.append(edge.target)
    if len(covered) == len(known):
        return []
    return [rule.finding(
        f"agent '{agent_id}' cannot reach a human: it escalates to nobody and no agent that "
        "delegates to it does",
        f"add escalates_to: [HUMAN] to '{agent_id}' or to an agent that delegates to it",
        (agent_id,), ("agents", agent_id),
    ) for agent_id in agents if agent_id not in covered]
