"""Shared by the Anthropic provider tests: the loopback server and key fixtures (the server
asserts after every test that the key travelled only in the auth header and no request
carried temperature or tool_choice), the support-triage run on the real SDK, stub tools."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from runtime.engine import events as ev
from runtime.engine.approvals import ScriptedChannel
from runtime.engine.protocols import (
    ModelRequest,
    ModelResponse,
    ProviderError,
    ToolContext,
    ToolResult,
    ToolSpec,
)
from runtime.engine.providers.anthropic import AnthropicProvider
from runtime.engine.run import Run, RunConfig
from runtime.resources import resource
from runtime.roster.io import loads
from tests.conftest import make_anthropic_key
from tests.messages_server import (
    MessagesServer,
    Reply,
    sha256_hex,
)

T = TypeVar("T")

SAMPLE = resource("samples", "support-triage.roster.yaml")
TRIAGE = "Classify the customer's ticket"  # in the triage agent's instructions
REFUNDS = "Check the order in the CRM"  # in the refund agent's instructions
HAIKU = "claude-haiku-5-5"
SONNET = "claude-sonnet-5-5"
TASK = "Ticket from customer C000123: I was charged twice for order O00000042."
FAST = {"retry-after-ms": "20"}  # the SDK prefers retry-after-ms; keeps retries quick


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def key() -> str:
    return make_anthropic_key()


@pytest.fixture
def server(key: str) -> Iterator[MessagesServer]:
    with MessagesServer(expect_key_sha256=sha256_hex(key)) as srv:
        yield srv
    # invariants for every test: what the runtime sent
    for recorded in srv.requests:
        assert recorded.key_sha256 == sha256_hex(key), "the key must authenticate the call"
        assert key not in json.dumps(recorded.headers), "only a hash of the key is recorded"
        assert key not in json.dumps(recorded.body), "the key must never be in a body"
        if isinstance(recorded.body, dict):
            assert "temperature" not in recorded.body
            assert "tool_choice" not in recorded.body


class StubTool:
    def __init__(self, name: str, output: str = "ok") -> None:
        self.spec = ToolSpec(name, f"stub {name}", {"type": "object"})
        self.output = output
        self.calls: list[dict[str, Any]] = []

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        self.calls.append(arguments)
        return ToolResult(self.output)


def stub_tools() -> dict[str, StubTool]:
    return {"crm-read": StubTool("crm-read", "C000123: Ada Lovelace, order O00000042, $40"),
            "payments": StubTool("payments", "refund R-1 created")}


@dataclass
class Outcome:
    run: Run
    events: list[ev.EngineEvent]
    tools: dict[str, StubTool]
    elapsed: float
    late_events: list[ev.EngineEvent] = field(default_factory=list)

    def of(self, kind: type[ev.EngineEvent]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def finished(self) -> ev.RunFinished:
        (last,) = self.of(ev.RunFinished)
        return last


async def execute(server: MessagesServer, key: str, *, yaml_text: str | None = None,
                  max_usd: float | None = None, approvals: str = "approve",
                  provider: AnthropicProvider | None = None, settle_s: float = 0.0,
                  **provider_options: Any) -> Outcome:
    """Run the support-triage roster on the real SDK against `server`."""
    content = loads(yaml_text or SAMPLE.read_text(encoding="utf-8")).content
    events: list[ev.EngineEvent] = []
    own = provider is None
    prov = provider or AnthropicProvider(key, server.base_url,
                                         **{"max_retries": 2, **provider_options})
    tools = stub_tools()
    the_run = Run(content, RunConfig(TASK, max_usd=max_usd, secrets=(key,)), prov, tools,
                  ScriptedChannel({"*": approvals}), listeners=(events.append,))
    started = time.monotonic()
    try:
        await the_run.execute()
        elapsed = time.monotonic() - started
        seen = len(events)
        if settle_s:
            await asyncio.sleep(settle_s)  # anything still running after RunFinished?
        late = events[seen:]
    finally:
        if own:
            await prov.aclose()
    for event in events:
        assert key not in repr(event), f"the key leaked into {type(event).__name__}"
    return Outcome(the_run, events, tools, elapsed, late)


def request_for(agent_system: str = "sys", *, tools: list[ToolSpec] | None = None,
                model: str = HAIKU) -> ModelRequest:
    return ModelRequest("triage", model, agent_system,
                        [{"role": "user", "content": "Hello"}], tools or [], 256)


async def call(server: MessagesServer, key: str, request: ModelRequest | None = None,
               **options: Any) -> ModelResponse:
    provider = AnthropicProvider(key, server.base_url, **{"max_retries": 2, **options})
    try:
        return await provider.create(request or request_for())
    finally:
        await provider.aclose()


async def failure(server: MessagesServer, key: str, **options: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await call(server, key, **options)
    return caught.value


def always(reply: Callable[[], Reply]) -> Callable[[dict[str, Any]], Reply]:
    return lambda body: reply()


