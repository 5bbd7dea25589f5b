"""The workload model: what arrives, what each agent does per visit, who reviews, what limits apply.

A `Workload` is complete: every agent, tool and human of the roster has an
entry, filled either from a workload file or from the defaults derived from
the roster and the model catalog (defaults.py). The engines read nothing
else. Values are frozen; `with_models` returns a copy with some agents on
other models (the "what if" of a forecast).

One visit of an agent (an entry agent receiving a task, or a delegate
receiving a hand-off) is modelled as: a first stretch of work (model calls
and the tool calls between them, holding one of the agent's concurrency
slots), then human requests (escalations and approvals of `ask` tool grants,
each waiting in that human's queue), then delegations (each target with its
probability, depth-first), then, when anything was handed off, a final model
call that writes the answer. Delegations run up to the agent's `parallel`
bound at once; a human request may be denied or time out (and then be
approved, denied or escalated to a backup), and a denial ends the branch: the
visit delegates nothing. See docs/workloads.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Final

from runtime.forecast.calendar import ALWAYS, Hours
from runtime.forecast.dists import Dist

FORMAT_NAME: Final = "agent-roster-workload"
FORMAT_VERSION: Final = 1
ON_TIMEOUT: Final = ("approve", "deny", "escalate")


def _empty_floats() -> Mapping[str, float]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Arrival:
    """Tasks arrive as a Poisson stream, only within `hours` (around the clock by default)."""

    hours: Hours = ALWAYS


@dataclass(frozen=True, slots=True)
class AgentLoad:
    """What one visit of an agent costs and takes."""

    model: str
    calls: float
    """Mean model calls per visit (at least 1: one plus a Poisson number of follow-ups)."""
    input_tokens: Dist
    output_tokens: Dist
    cached_fraction: float
    seconds_per_call: Dist
    concurrency: int
    delegates: Mapping[str, float] = field(default_factory=_empty_floats)
    """Probability, per visit, of handing work to each delegate."""
    escalates: Mapping[str, float] = field(default_factory=_empty_floats)
    """Probability, per visit, of asking each human."""
    tools: Mapping[str, float] = field(default_factory=_empty_floats)
    """Mean calls per visit of each granted tool."""
    approver: str | None = None
    """The human who approves this agent's `ask` tool calls (its first escalation target)."""
    approval_tools: tuple[str, ...] = ()
    """Tools whose every call waits for the approver (grant approval `ask`)."""
    latency_from_model: bool = False
    """`seconds_per_call` was derived from the model's speed, so a what-if recomputes it."""
    parallel: int = 1
    """Delegations of one visit that run at once (the roster's `max_parallel_delegations`)."""
    deny: Mapping[str, float] = field(default_factory=_empty_floats)
    """Denial probability per gate of this agent (a human it escalates to, or an `ask` tool),
    overriding the human's own `deny`."""


@dataclass(frozen=True, slots=True)
class ToolLoad:
    seconds: Dist


@dataclass(frozen=True, slots=True)
class HumanLoad:
    """A person answering requests in FIFO order, `reviewers` at a time, within working hours."""

    response_seconds: Dist
    """Working time one request needs once a reviewer picks it up."""
    reviewers: int
    hours: Hours
    deny: float = 0.0
    """Probability that an answered request is denied (a denial ends that branch of the task)."""
    timeout_s: float | None = None
    """A request whose answer needs longer than this times out (None: waits for the answer)."""
    on_timeout: str = "deny"
    """What a timed-out request becomes: "approve", "deny" or "escalate" (to `backup`)."""
    backup: str | None = None
    """The human a timed-out request escalates to (when `on_timeout` is "escalate")."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A token bucket per model (or per model tier): requests and output tokens per minute."""

    requests_per_minute: float
    output_tokens_per_minute: float


@dataclass(frozen=True, slots=True)
class Workload:
    """Everything a forecast needs besides the roster: complete, validated, frozen."""

    name: str
    tasks_per_day: float
    arrival: Arrival
    mix: Mapping[str, float]
    """Share of tasks entering at each entry agent (sums to 1)."""
    agents: Mapping[str, AgentLoad]
    tools: Mapping[str, ToolLoad]
    humans: Mapping[str, HumanLoad]
    rate_limits: Mapping[str, RateLimit]
    """Buckets by model id or model tier name ("standard"); a model id wins over its tier."""
    api_tier: int | None
    """Anthropic usage tier whose published limits apply to models with no bucket (None: none)."""
    max_depth: int
    """Delegation depth limit (the roster policy's)."""
    assumptions: tuple[str, ...] = ()
    """Plain-language list of every value that came from a default, for people to check."""
    assumption_topics: tuple[str, ...] = ()
    """What each assumption is about ("tasks_per_day", "arrival", "agents", "deny", ...),
    parallel to `assumptions`, so a workload file that sets a value drops its default."""

    @property
    def days_per_month(self) -> float:
        """Days per month on which tasks arrive (30.44 around the clock, ~21.7 on weekdays)."""
        return 365.25 / 12 * len(set(self.arrival.hours.days)) / 7

    def with_agents(self, changed: Mapping[str, AgentLoad]) -> Workload:
        """A copy with some agents' loads replaced."""
        return replace(self, agents=MappingProxyType({**self.agents, **changed}))
