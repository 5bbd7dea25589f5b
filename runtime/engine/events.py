"""The engine's typed event stream: one vocabulary for CLI progress, the designer's live
view, the journal and scenario assertions.

Every event carries the run id and a monotonic sequence number assigned by the
bus. Arguments and outputs in events are already redacted (resolved keys and
anything the secret scanner recognises are replaced) and truncated, so any
consumer may log or display them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runtime.engine.fastinit import fast_init
from runtime.roster.costs import Usage


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class EngineEvent:
    run_id: str
    seq: int = 0
    at: float = 0.0  # time.time() when emitted


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted(EngineEvent):
    roster: str
    task: str
    entry: str
    budget_usd: float | None


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStarted(EngineEvent):
    agent: str
    model: str
    depth: int
    caller: str | None
    task: str
    frame: str  # call path, e.g. "manager/seo#2"


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ModelCalled(EngineEvent):
    agent: str
    frame: str
    model: str
    turn: int
    usage: Usage
    cost_usd: float
    stop_reason: str
    duration_s: float
    text: str = ""
    retries: int = 0


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ModelRetrying(EngineEvent):
    """The provider is waiting before it retries a failed call (429, 529, 5xx, connection).
    `asked_s` is what the server asked for (retry-after), `wait_s` what is actually waited:
    never more than the provider's cap, so a server asking for ten minutes cannot stall a
    run silently (`capped` says it was cut)."""

    agent: str
    model: str
    attempt: int  # the retry about to be made, 1-based
    status: int | None
    wait_s: float
    asked_s: float | None = None
    capped: bool = False


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ModelOverloaded(EngineEvent):
    """A model call failed as overloaded or rate-limited after every retry. The run pauses
    and asks a human whether to wait `wait_s` and try again or to stop the agent
    (`action` says what happens: "ask", or "stop" when nobody can be asked)."""

    agent: str
    frame: str
    model: str
    status: int | None
    error: str
    pause: int  # 1 for the first pause of this call
    wait_s: float
    action: str


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCalled(EngineEvent):
    agent: str
    frame: str
    tool: str
    call_id: str
    arguments: dict[str, Any] = field(default_factory=dict)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ToolFinished(EngineEvent):
    agent: str
    frame: str
    tool: str
    call_id: str
    ok: bool
    output: str
    duration_s: float


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ToolDenied(EngineEvent):
    agent: str
    frame: str
    tool: str
    call_id: str
    reason: str


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Delegated(EngineEvent):
    caller: str
    callee: str
    frame: str
    call_id: str
    message: str


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalRequested(EngineEvent):
    request_id: str
    agent: str
    human: str
    tool: str
    arguments: dict[str, Any]
    reason: str
    risk: str
    timeout_s: float | None


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalAnswered(EngineEvent):
    request_id: str
    human: str
    decision: str  # "approve" | "deny" | "timeout"
    by: str
    note: str = ""


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class LimitExceeded(EngineEvent):
    agent: str | None
    limit: str  # max_turns, budget, run_budget, timeout, depth, model_calls, approvals
    detail: str


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class AgentFinished(EngineEvent):
    agent: str
    frame: str
    status: str  # completed | failed | stopped
    output: str
    cost_usd: float


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class KillSwitchPressed(EngineEvent):
    reason: str


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class RunFinished(EngineEvent):
    status: str  # completed | failed | stopped | limit
    output: str
    cost_usd: float
    usage: Usage
    model_calls: int
    error: str = ""


Listener = Callable[[EngineEvent], None]
EVENT_TYPES: tuple[type[EngineEvent], ...] = (
    RunStarted, AgentStarted, ModelCalled, ModelRetrying, ModelOverloaded, ToolCalled,
    ToolFinished, ToolDenied, Delegated,
    ApprovalRequested, ApprovalAnswered, LimitExceeded, AgentFinished, KillSwitchPressed,
    RunFinished,
)
