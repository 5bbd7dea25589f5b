"""What a dry run produces: expectation verdicts, coverage, policy violations, cost.

`SimulationResult` is what the CLI prints and the designer shows: the event
trace (the engine's own typed events), one `ExpectationResult` per
expectation (its name, pass/fail, a message naming the event that broke it
and that event's index in `events`), the cost at catalog prices, and
`Coverage`: which agents, delegation edges, tool grants and human gates the
run exercised out of all the roster has, and the grants it never used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from runtime.engine import events as ev
from runtime.roster import effective as eff
from runtime.roster import model as m
from runtime.roster.codec import RosterContent


@dataclass(frozen=True, slots=True)
class ExpectationResult:
    name: str  # e.g. "tools_not_called: client-email"
    passed: bool
    message: str
    event_index: int | None = None  # index into SimulationResult.events of the deciding event


@dataclass(frozen=True, slots=True)
class Violation:
    """A policy the roster should uphold, broken in the trace (see violations.py)."""

    rule: str
    message: str
    event_index: int


@dataclass(frozen=True, slots=True)
class Coverage:
    """Exercised vs. present: agents, delegation edges, tool grants, human gates (edge ids)."""

    agents: frozenset[str] = frozenset()
    all_agents: frozenset[str] = frozenset()
    delegations: frozenset[str] = frozenset()
    all_delegations: frozenset[str] = frozenset()
    grants: frozenset[str] = frozenset()
    all_grants: frozenset[str] = frozenset()
    gates: frozenset[str] = frozenset()
    all_gates: frozenset[str] = frozenset()

    @property
    def unused_grants(self) -> list[str]:
        """Tool grants no call used: candidates for removal (least privilege)."""
        return sorted(self.all_grants - self.grants)

    def merge(self, other: Coverage) -> Coverage:
        return Coverage(*(getattr(self, f) | getattr(other, f) for f in _FIELDS))

    def summary(self) -> dict[str, tuple[int, int]]:
        """Exercised and present per family. Human gates count in two families, as
        `roster graph` counts them: `approvals` are the grants that wait for a human (the
        graph's "human gates"), `escalations` the agent → human edges an agent may ask on."""
        asked = _escalations(self.gates)
        every = _escalations(self.all_gates)
        return {"agents": (len(self.agents), len(self.all_agents)),
                "delegations": (len(self.delegations), len(self.all_delegations)),
                "grants": (len(self.grants), len(self.all_grants)),
                "approvals": (len(self.gates) - asked, len(self.all_gates) - every),
                "escalations": (asked, every)}


def _escalations(edge_ids: frozenset[str]) -> int:
    marker = ":" + m.EdgeKind.ESCALATION + ":"
    return sum(marker in edge_id for edge_id in edge_ids)


_FIELDS = ("agents", "all_agents", "delegations", "all_delegations", "grants", "all_grants",
           "gates", "all_gates")


def roster_coverage(content: RosterContent) -> Coverage:
    """Everything a roster has to cover, nothing exercised yet."""
    delegations: list[str] = []
    grants: list[str] = []
    gates: list[str] = []
    for key, edge in content.edges.items():  # keyed by edge id already
        if edge.kind is m.EdgeKind.DELEGATION:
            delegations.append(key)
        elif edge.kind is m.EdgeKind.TOOL_ACCESS:
            grants.append(key)
            if eff.grant_approval(edge) == "ask":
                gates.append(key)
        else:
            gates.append(key)
    return Coverage(
        all_agents=frozenset(n.id for n in content.nodes.values() if isinstance(n, m.Agent)),
        all_delegations=frozenset(delegations), all_grants=frozenset(grants),
        all_gates=frozenset(gates))


def coverage_of(content: RosterContent, events: Iterable[ev.EngineEvent]) -> Coverage:
    from runtime.engine.run import ESCALATE_PREFIX

    agents: set[str] = set()
    delegations: set[str] = set()
    grants: set[str] = set()
    gates: set[str] = set()
    for event in events:
        if isinstance(event, ev.AgentStarted):
            agents.add(event.agent)
        elif isinstance(event, ev.Delegated):
            delegations.add(m.edge_id(m.EdgeKind.DELEGATION, event.caller, event.callee))
        elif isinstance(event, ev.ToolCalled):
            grants.add(m.edge_id(m.EdgeKind.TOOL_ACCESS, event.agent, event.tool))
        elif isinstance(event, ev.ApprovalRequested):
            if event.tool.startswith(ESCALATE_PREFIX):
                gates.add(m.edge_id(m.EdgeKind.ESCALATION, event.agent, event.human))
            else:
                gates.add(m.edge_id(m.EdgeKind.TOOL_ACCESS, event.agent, event.tool))
    whole = roster_coverage(content)
    return Coverage(frozenset(agents) & whole.all_agents, whole.all_agents,
                    frozenset(delegations) & whole.all_delegations, whole.all_delegations,
                    frozenset(grants) & whole.all_grants, whole.all_grants,
                    frozenset(gates) & whole.all_gates, whole.all_gates)


@dataclass
class SimulationResult:
    scenario: str
    kind: str  # written | coverage | adversarial
    status: str  # the run's final status
    events: list[ev.EngineEvent]
    expectations: list[ExpectationResult]
    cost_usd: float
    coverage: Coverage
    violations: list[Violation] = field(default_factory=list)
    cost_by_agent: dict[str, float] = field(default_factory=dict)
    model_calls: int = 0
    error: str = ""
    run_id: str = ""

    @property
    def passed(self) -> bool:
        return all(x.passed for x in self.expectations)

    @property
    def failures(self) -> list[ExpectationResult]:
        return [x for x in self.expectations if not x.passed]


def total_coverage(results: Sequence[SimulationResult]) -> Coverage:
    merged = Coverage()
    for result in results:
        merged = merged.merge(result.coverage)
    return merged


def describe(events: Sequence[ev.EngineEvent], index: int) -> str:
    """`event #SEQ Kind (the gist)`, for messages that name the event that broke something."""
    event = events[index]
    gist = ""
    if isinstance(event, ev.ToolCalled | ev.ToolFinished | ev.ToolDenied):
        gist = f"{event.agent} → {event.tool}"
        if isinstance(event, ev.ToolDenied):
            gist += f": {event.reason}"
    elif isinstance(event, ev.Delegated):
        gist = f"{event.caller} → {event.callee}"
    elif isinstance(event, ev.ModelCalled):
        gist = f"{event.agent} turn {event.turn}, ${event.cost_usd:.4f}"
    elif isinstance(event, ev.ApprovalRequested):
        gist = f"{event.agent} asks {event.human} for {event.tool}"
    elif isinstance(event, ev.ApprovalAnswered):
        gist = f"{event.human}: {event.decision}"
    elif isinstance(event, ev.LimitExceeded):
        gist = f"{event.limit}: {event.detail}"
    elif isinstance(event, ev.AgentStarted | ev.AgentFinished):
        gist = event.agent + (f" {event.status}" if isinstance(event, ev.AgentFinished) else "")
    elif isinstance(event, ev.RunFinished):
        gist = event.status + (f": {event.error}" if event.error else "")
    elif isinstance(event, ev.KillSwitchPressed):
        gist = event.reason
    return f"event #{event.seq} {type(event).__name__}" + (f" ({gist})" if gist else "")
