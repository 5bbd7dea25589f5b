"""The small protocols the engine core speaks to: providers, tools, approvals, steps.

The core never imports an SDK. A provider turns a `ModelRequest` into a
`ModelResponse` (content blocks as plain dicts, kept verbatim, so thinking and
tool_use blocks go back to the model unchanged); a tool turns arguments into a
`ToolResult`; an approval channel answers an `ApprovalRequest`; a step runner
executes a named step once and, when durable, returns the recorded result of a
step that already completed instead of running it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from runtime.engine.fastinit import fast_init
from runtime.engine.processes import ProcessRef
from runtime.roster.costs import Usage

T = TypeVar("T")
Block = dict[str, Any]


@fast_init  # built on every step: see fastinit.py
@dataclass(frozen=True, slots=True)
class ToolSpec:
    """How a tool is shown to the model."""

    name: str
    description: str
    input_schema: dict[str, Any]

    def as_param(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "input_schema": self.input_schema}


@fast_init  # built on every step: see fastinit.py
@dataclass(frozen=True, slots=True)
class ModelRequest:
    agent: str
    model: str
    system: str
    messages: list[dict[str, Any]]
    tools: list[ToolSpec]
    max_tokens: int
    metadata: dict[str, str] = field(default_factory=dict)


@fast_init  # built on every step: see fastinit.py
@dataclass(frozen=True, slots=True)
class ModelResponse:
    content: list[Block]
    stop_reason: str
    usage: Usage
    model: str
    retries: int = 0

    @property
    def text(self) -> str:
        return "".join(b.get("text", "") for b in self.content if b.get("type") == "text")

    def tool_uses(self) -> list[Block]:
        return [b for b in self.content if b.get("type") == "tool_use"]


class ProviderError(Exception):
    """A model call that failed after the provider's own retries; `retryable` says whether
    waiting could help (overload, rate limit) and `status` carries the HTTP status.
    `overloaded` marks a model that is overloaded or rate-limited past the retries (the
    engine pauses and asks a human), `retry_after_s` how long the server or breaker asked
    to wait, when it said."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False,
                 auth: bool = False, overloaded: bool = False,
                 retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.auth = auth
        self.overloaded = overloaded
        self.retry_after_s = retry_after_s


class Provider(Protocol):
    async def create(self, request: ModelRequest) -> ModelResponse: ...


@fast_init  # built on every step: see fastinit.py
@dataclass(frozen=True, slots=True)
class ToolResult:
    content: str
    is_error: bool = False


@dataclass(slots=True)
class ToolContext:
    """What a running tool may know: who calls it, the run, where to register child
    processes so the kill switch (and a timeout) can end them, and how long it may take.

    `register_process` takes a process handle (preferred: `asyncio.subprocess.Process`,
    `subprocess.Popen`, anything with `pid` and `returncode`) or a bare pid; a tool calls
    `unregister_process` with the same value once the process has exited. `timeout_s` is
    the time the tool may take (its configured timeout or the calling agent's remaining
    time, whichever is shorter; None when neither applies); the engine stops a call that
    overruns it with a "timed out after N s" error and kills its registered processes."""

    run_id: str
    agent: str
    call_id: str
    register_process: Callable[[ProcessRef], None] = lambda ref: None
    timeout_s: float | None = None
    unregister_process: Callable[[ProcessRef], None] = lambda ref: None


class Tool(Protocol):
    spec: ToolSpec

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult: ...


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    request_id: str
    run_id: str
    agent: str
    human: str
    tool: str
    arguments: dict[str, Any]
    reason: str
    risk: str
    timeout_s: float | None


@dataclass(frozen=True, slots=True)
class ApprovalDecision:
    approved: bool
    by: str
    note: str = ""
    timed_out: bool = False


class ApprovalChannel(Protocol):
    async def ask(self, request: ApprovalRequest) -> ApprovalDecision: ...


class StepRunner(Protocol):
    async def run(self, key: str, kind: str, fn: Callable[[], Awaitable[T]],
                  encode: Callable[[T], Any], decode: Callable[[Any], T]) -> T: ...
