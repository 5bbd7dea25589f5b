"""The real Anthropic SDK, through `AnthropicProvider` and the engine, against a loopback server.

Every test points `anthropic.AsyncAnthropic` at `tests.messages_server.MessagesServer`
and checks what the engine and the server saw: plain replies with usage and cost,
tool_use round trips with the assistant content sent back verbatim, streaming
equal to non-streaming, and each model-API fault of RELIABILITY.md "2 Faults
injected into the runtime" (429 with retry-after, 529 beyond the SDK's retries and
the circuit breaker, 5xx / reset / read timeout, 400/401/403/413, a cut stream,
malformed JSON, bad or forbidden tool_use, a model that never stops, a budget
exhausted by three parallel delegations). The server fixture also asserts, after
every test, that no request carried temperature or tool_choice and that the key
reached the server only in the authentication header (anthropic 2.10.0 sends it
as `Authorization: Bearer`, not x-api-key) and never in a body.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
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
from runtime.engine.providers.anthropic import INVALID_JSON_KEY, REENTER_KEY, AnthropicProvider
from runtime.engine.providers.breaker import OVERLOADED_MESSAGE, CircuitBreaker
from runtime.engine.run import Run, RunConfig
from runtime.resources import resource
from runtime.roster.catalog import load_catalog
from runtime.roster.costs import Usage, call_cost
from runtime.roster.io import loads
from tests.conftest import make_anthropic_key
from tests.messages_server import (
    Cut,
    Fail,
    Malformed,
    MessagesServer,
    Msg,
    RateLimit,
    Reply,
    Reset,
    StreamError,
    sha256_hex,
    text,
    thinking,
    tool_use,
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


# ----------------------------------------------------------------------------- happy paths


def test_plain_reply_gives_text_usage_and_cost(server: MessagesServer, key: str) -> None:
    server.script.push(Msg("Billing: a duplicate charge.", input_tokens=1200, output_tokens=30,
                           cache_write_5m=100, cache_read=500))
    outcome = run(execute(server, key))
    assert outcome.run.status == "completed"
    assert outcome.run.output == "Billing: a duplicate charge."
    (called,) = outcome.of(ev.ModelCalled)
    usage = Usage(input_tokens=1200, output_tokens=30, cache_write_5m_tokens=100,
                  cache_read_tokens=500)
    assert called.usage == usage
    assert called.retries == 0 and called.stop_reason == "end_turn"
    haiku = load_catalog().get(HAIKU)
    assert haiku is not None
    assert called.cost_usd == pytest.approx(call_cost(haiku, usage))
    assert called.cost_usd == pytest.approx((1200 * 0.10 + 30 * 0.50 + 100 * 0.125
                                             + 500 * 0.01) / 1e6)
    assert outcome.finished.cost_usd == pytest.approx(called.cost_usd)
    (body,) = server.bodies()
    assert set(body) == {"model", "max_tokens", "system", "messages", "tools"}
    assert body["model"] == HAIKU and body["max_tokens"] == 2048
    assert body["messages"] == [{"role": "user", "content": TASK}]
    assert {t["name"] for t in body["tools"]} == {"crm-read", "agent__refunds",
                                                  "ask__support-lead"}


def test_one_hour_cache_writes_and_count_tokens(server: MessagesServer, key: str) -> None:
    server.script.push(Msg("ok", input_tokens=10, output_tokens=2, cache_write_1h=300))
    response = run(call(server, key))
    assert response.usage == Usage(10, 2, 0, 300, 0)

    async def count() -> int:
        provider = AnthropicProvider(key, server.base_url)
        try:
            return await provider.count_tokens(request_for("You classify tickets."))
        finally:
            await provider.aclose()

    assert run(count()) > 0
    assert server.requests[-1].path == "/v1/messages/count_tokens"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_tool_use_round_trip_sends_assistant_content_verbatim(
        server: MessagesServer, key: str, stream: bool) -> None:
    first = [thinking("The ticket names a customer; look them up."), text("Looking up."),
             tool_use("crm-read", {"customer_id": "C000123", "note": None})]
    server.script.push(Msg(first), Msg("Billing: duplicate charge for Ada."),
                       system_contains=TRIAGE)
    outcome = run(execute(server, key, stream=stream))
    assert outcome.run.status == "completed"
    assert outcome.run.output == "Billing: duplicate charge for Ada."
    assert outcome.tools["crm-read"].calls == [{"customer_id": "C000123", "note": None}]
    one, two = server.bodies()
    assert two["messages"][0] == one["messages"][0]
    assert two["messages"][1] == {"role": "assistant", "content": first}
    assert two["messages"][2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": first[2]["id"],
         "content": "C000123: Ada Lovelace, order O00000042, $40", "is_error": False}]}
    assert [e.tool for e in outcome.of(ev.ToolFinished)] == ["crm-read"]
    assert all(r.headers.get("content-type") == "application/json" for r in
               server.message_requests)
    assert [b.get("stream", False) for b in server.bodies()] == [stream, stream]


def test_delegation_with_approval_over_the_real_sdk(server: MessagesServer, key: str) -> None:
    server.script.push(
        Msg([tool_use("agent__refunds", {"task": "Refund the duplicate charge on O00000042"})]),
        Msg("Refunded; ticket closed."), system_contains=TRIAGE)
    server.script.push(
        Msg([tool_use("crm-read", {"customer_id": "C000123"})]),
        Msg([tool_use("payments", {"order_id": "O00000042", "amount_usd": 40})]),
        Msg('{"decision": "refunded", "refund_usd": 40}'), system_contains=REFUNDS)
    outcome = run(execute(server, key))
    assert outcome.run.status == "completed"
    assert outcome.run.output == "Refunded; ticket closed."
    assert outcome.tools["payments"].calls == [{"order_id": "O00000042", "amount_usd": 40}]
    (answered,) = outcome.of(ev.ApprovalAnswered)
    assert answered.decision == "approve" and answered.human == "support-lead"
    models = [b["model"] for b in server.bodies()]
    assert models == [HAIKU, SONNET, SONNET, SONNET, HAIKU]
    final = server.bodies()[-1]["messages"][-1]["content"][0]
    assert final["type"] == "tool_result" and "refunded" in final["content"]


def test_a_call_too_long_for_json_is_streamed(server: MessagesServer, key: str) -> None:
    # the SDK refuses non-streaming calls that may take over 10 minutes (large max_tokens)
    big = ModelRequest("triage", HAIKU, "sys", [{"role": "user", "content": "Hi"}], [], 64_000)
    response = run(call(server, key, big))
    assert response.text == "Done."
    assert [b["stream"] for b in server.bodies()] == [True]


def test_streaming_gives_the_same_response_as_json(server: MessagesServer, key: str) -> None:
    reply = Msg([thinking("Two charges, same order." * 5), text("Refund it. " * 20),
                 tool_use("crm-read", {"customer_id": "C000123", "nested": {"a": [1, None]}},
                          id="toolu_fixed")],
                input_tokens=900, output_tokens=120, cache_write_5m=40, cache_write_1h=60,
                cache_read=700, model=HAIKU)
    server.script.push(reply, reply)
    spec = [ToolSpec("crm-read", "look up", {"type": "object"})]
    plain = run(call(server, key, request_for(tools=spec)))
    streamed = run(call(server, key, request_for(tools=spec), stream=True))
    assert streamed == plain
    assert plain.stop_reason == "tool_use"
    assert plain.usage == Usage(900, 120, 40, 60, 700)
    assert [b["type"] for b in plain.content] == ["thinking", "text", "tool_use"]
    assert plain.content[0]["signature"] == "sig-EqQBCkYIARgCIkA"


def test_no_request_carries_temperature_or_tool_choice(server: MessagesServer, key: str) -> None:
    for _ in range(2):
        server.script.push(Msg([tool_use("crm-read", {"customer_id": "C000123"})]),
                           Msg("done"), system_contains=TRIAGE)
    run(execute(server, key))
    run(execute(server, key, stream=True))
    bodies = server.bodies()
    assert len(bodies) == 4 and all(b["tools"] for b in bodies)
    for body in bodies:
        assert "temperature" not in body and "tool_choice" not in body
        assert "top_p" not in body and "top_k" not in body and "metadata" not in body


def test_the_key_travels_only_in_the_auth_header(server: MessagesServer, key: str) -> None:
    server.script.push(Msg([tool_use("crm-read", {"customer_id": "C000123"})]), Msg("done"),
                       system_contains=TRIAGE)
    outcome = run(execute(server, key))
    assert outcome.run.status == "completed"
    hashed = sha256_hex(key)
    for recorded in server.requests:
        # anthropic 2.10.0 sends `api_key` as `Authorization: Bearer <key>`, not x-api-key
        assert recorded.headers["authorization"] == f"Bearer sha256:{hashed}"
        assert "x-api-key" not in recorded.headers
        others = {k: v for k, v in recorded.headers.items() if k != "authorization"}
        assert hashed not in json.dumps(others)
    # an API error that echoes the key back is redacted before it reaches anyone
    server.script.push(Fail(400, message=f"malformed key {key}"),
                       Fail(401, message=f"invalid x-api-key {key}"))
    for _ in range(2):
        error = run(failure(server, key))
        assert key not in str(error) and key not in repr(error.args)
        assert "REDACTED" in str(error)
    provider = AnthropicProvider(key, server.base_url)
    assert key not in repr(provider)
    run(provider.aclose())


def test_the_provider_module_does_not_import_the_sdk() -> None:
    probe = ("import sys, runtime.engine.providers.anthropic, runtime.engine.providers.breaker;"
             "print('anthropic' in sys.modules, 'httpx2' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120, cwd=str(SAMPLE.parents[2]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_breaker_counts_only_consecutive_failures_within_the_window() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=3, window_s=60.0, cooldown_s=30.0, clock=lambda: now[0])
    for _ in range(5):  # failures further apart than the window never open it
        breaker.record_failure("m")
        now[0] += 61
    assert not breaker.is_open("m")
    breaker.record_failure("m")
    breaker.record_failure("m")
    breaker.record_success("m")  # a success in between resets the count
    breaker.record_failure("m")
    assert not breaker.is_open("m")
    breaker.record_failure("m")
    breaker.record_failure("m")
    assert breaker.is_open("m") and not breaker.is_open("other model")
    with pytest.raises(ProviderError) as caught:
        breaker.before_call("m")
    assert caught.value.retryable and str(caught.value).startswith(OVERLOADED_MESSAGE)
    now[0] += 30
    breaker.before_call("m")  # half-open: one call may try
    breaker.record_failure("m")  # and one failure opens it again at once
    assert breaker.is_open("m")


# ----------------------------------------------------------------------------- faults


def test_429_with_retry_after_twice_then_success(server: MessagesServer, key: str) -> None:
    limited = Fail(429, headers={"retry-after": "1"})
    server.script.push(limited, limited, Msg("Billing."))
    outcome = run(execute(server, key, max_retries=2))
    assert outcome.run.status == "completed" and outcome.run.output == "Billing."
    assert outcome.elapsed >= 1.8
    times = [r.at for r in server.message_requests]
    assert len(times) == 3
    assert all(later - earlier >= 0.9 for earlier, later in itertools.pairwise(times))
    assert [r.headers["x-stainless-retry-count"] for r in server.message_requests] == [
        "0", "1", "2"]
    (called,) = outcome.of(ev.ModelCalled)
    assert called.retries == 2


def test_529_beyond_sdk_retries_opens_the_breaker(server: MessagesServer, key: str) -> None:
    now = [1000.0]
    breaker = CircuitBreaker(threshold=3, cooldown_s=30.0, clock=lambda: now[0])
    server.script.default = Fail(529, headers=FAST)

    async def calls(count: int) -> list[ProviderError]:
        provider = AnthropicProvider(key, server.base_url, max_retries=2, breaker=breaker)
        errors = []
        try:
            for _ in range(count):
                with pytest.raises(ProviderError) as caught:
                    await provider.create(request_for())
                errors.append(caught.value)
        finally:
            await provider.aclose()
        return errors

    errors = run(calls(6))
    assert [e.status for e in errors[:3]] == [529, 529, 529]
    assert all(e.retryable and not e.auth for e in errors)
    assert "overloaded" in str(errors[0])
    assert all(str(e).startswith(OVERLOADED_MESSAGE) for e in errors[3:])
    assert len(server.message_requests) == 9  # 3 calls x (1 + 2 SDK retries), then nothing
    assert breaker.is_open(HAIKU) and breaker.rejected == 3
    # after the cool-down one call goes through; a success closes the breaker
    now[0] += 31
    server.script.default = Msg("back")
    response = run(call(server, key, breaker=breaker))
    assert response.text == "back" and not breaker.is_open(HAIKU)


def test_overload_fails_the_run_without_a_hot_loop(server: MessagesServer, key: str) -> None:
    """The user answers "stop" to each overload pause (test_overload.py covers "wait")."""
    server.script.default = Fail(529, headers=FAST)

    async def five_runs() -> list[Outcome]:
        provider = AnthropicProvider(key, server.base_url, max_retries=2)
        try:
            return [await execute(server, key, provider=provider, approvals="deny")
                    for _ in range(5)]
        finally:
            await provider.aclose()

    outcomes = run(five_runs())
    assert [o.run.status for o in outcomes] == ["failed"] * 5
    assert "model overloaded" in outcomes[0].finished.error
    assert OVERLOADED_MESSAGE in outcomes[4].finished.error
    assert len(server.message_requests) == 9  # runs 4 and 5 never reached the server
    for outcome in outcomes:  # each run paused once, asked, and stopped when told to
        (paused,) = outcome.of(ev.ModelOverloaded)
        assert paused.action == "ask"
        (answered,) = outcome.of(ev.ApprovalAnswered)
        assert answered.decision == "deny"


SERVER_FAULTS: dict[str, Callable[[], Reply]] = {
    "500": lambda: Fail(500, headers=FAST),
    "503": lambda: Fail(503, headers=FAST),
    "504": lambda: Fail(504, headers=FAST),
    "reset": Reset,
    "read-timeout": lambda: Msg("too late", delay_s=1.5),
}


@pytest.mark.parametrize("fault", SERVER_FAULTS)
def test_server_faults_are_retried_then_fail_the_agent_keeping_results(
        server: MessagesServer, key: str, fault: str) -> None:
    server.script.push(Msg([tool_use("crm-read", {"customer_id": "C000123"})]),
                       system_contains=TRIAGE)
    server.script.default = SERVER_FAULTS[fault]()
    options: dict[str, Any] = {"max_retries": 1}
    if fault == "read-timeout":
        options["timeout"] = 0.5
    outcome = run(execute(server, key, **options))
    assert len(server.message_requests) == 1 + 2  # the good turn, then 1 try + 1 retry
    assert outcome.run.status == "failed"
    assert "ProviderError" in outcome.finished.error
    expected = {"500": "500 api_error", "503": "503", "504": "504 timeout_error",
                "reset": "could not reach", "read-timeout": "did not answer in time"}[fault]
    assert expected in outcome.finished.error
    # partial results are kept: the first turn and its tool call are in the record
    assert [e.turn for e in outcome.of(ev.ModelCalled)] == [1]
    assert [e.tool for e in outcome.of(ev.ToolFinished)] == ["crm-read"]
    assert outcome.tools["crm-read"].calls == [{"customer_id": "C000123"}]
    (finished,) = outcome.of(ev.AgentFinished)
    assert finished.agent == "triage" and finished.status == "failed"
    assert outcome.finished.model_calls == 1


def test_a_failing_delegate_is_a_tool_error_for_its_caller(
        server: MessagesServer, key: str) -> None:
    server.script.push(Msg([tool_use("agent__refunds", {"task": "refund O00000042"})]),
                       Msg("The refund system is down; I told the customer."),
                       system_contains=TRIAGE)
    server.script.push(Fail(503, headers=FAST), Fail(503, headers=FAST),
                       system_contains=REFUNDS)
    outcome = run(execute(server, key, max_retries=1))
    assert outcome.run.status == "completed"
    refunds = [e for e in outcome.of(ev.AgentFinished) if e.agent == "refunds"]
    assert [e.status for e in refunds] == ["failed"]
    result = server.bodies()[-1]["messages"][-1]["content"][0]
    assert result["is_error"] is True
    assert result["content"].startswith("the delegate failed: the Anthropic API failed (503")


@pytest.mark.parametrize("status", [400, 401, 403, 413])
def test_client_errors_are_not_retried(server: MessagesServer, key: str, status: int) -> None:
    message = {400: "max_tokens: must be at least 1", 401: "invalid x-api-key",
               403: "this key may not use this model", 413: "request exceeds 32 MB"}[status]
    server.script.default = Fail(status, message=message, headers={"retry-after": "1"})
    breaker = CircuitBreaker(threshold=1)
    error = run(failure(server, key, max_retries=2, breaker=breaker))
    assert len(server.message_requests) == 1
    assert error.status == status and not error.retryable
    assert message in str(error)
    assert error.auth is (status in (401, 403))
    if status in (401, 403):
        assert f"re-enter it with `{REENTER_KEY}`" in str(error)
    assert not breaker.is_open(HAIKU)  # the API answered: not an overload


def test_401_fails_the_run_with_a_re_enter_key_message(server: MessagesServer,
                                                       key: str) -> None:
    server.script.default = Fail(401, message="invalid x-api-key")
    outcome = run(execute(server, key))
    assert outcome.run.status == "failed"
    assert REENTER_KEY in outcome.finished.error
    assert len(server.message_requests) == 1


@pytest.mark.parametrize("clean", [False, True], ids=["reset-mid-event", "no-message-stop"])
def test_stream_cut_mid_event_is_a_provider_error(server: MessagesServer, key: str,
                                                  clean: bool) -> None:
    server.script.push(Cut(Msg("A long answer. " * 40), after_events=5, clean=clean))
    error = run(failure(server, key, stream=True))
    assert error.retryable
    assert ("was cut" if not clean else "ended before message_stop") in str(error)
    assert len(server.message_requests) == 1  # the SDK does not retry a started stream


def test_body_cut_without_streaming_is_retried_as_a_connection_error(
        server: MessagesServer, key: str) -> None:
    server.script.default = Cut(Msg("A long answer. " * 40))
    error = run(failure(server, key, max_retries=1))
    assert error.retryable and "could not reach" in str(error)
    assert len(server.message_requests) == 2


def test_a_cut_stream_in_a_delegate_is_a_tool_error(server: MessagesServer, key: str) -> None:
    server.script.push(Msg([tool_use("agent__refunds", {"task": "refund O00000042"})]),
                       Msg("Could not refund yet."), system_contains=TRIAGE)
    server.script.push(Cut(Msg("Checking the order " * 20), after_events=4),
                       system_contains=REFUNDS)
    outcome = run(execute(server, key, stream=True))
    assert outcome.run.status == "completed"
    result = server.bodies()[-1]["messages"][-1]["content"][0]
    assert result["is_error"] is True and "stream" in result["content"]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_malformed_json_is_a_provider_error(server: MessagesServer, key: str,
                                            stream: bool) -> None:
    server.script.push(Malformed())
    error = run(failure(server, key, stream=stream))
    assert "could not be read" in str(error)
    assert len(server.message_requests) == 1
    # and in a run it ends the agent cleanly
    server.script.push(Malformed())
    outcome = run(execute(server, key, stream=stream))
    assert outcome.run.status == "failed" and "could not be read" in outcome.finished.error


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_tool_use_with_invalid_json_input_is_denied_and_the_run_goes_on(
        server: MessagesServer, key: str, stream: bool) -> None:
    bad = '{"customer_id": C000123}'
    block = tool_use("crm-read", raw_input=bad)
    server.script.push(Msg([text("Looking up."), block]), Msg("Sorry, I could not look it up."),
                       system_contains=TRIAGE)
    outcome = run(execute(server, key, stream=stream))
    assert outcome.run.status == "completed"
    assert outcome.run.output == "Sorry, I could not look it up."
    assert outcome.tools["crm-read"].calls == []
    (denied,) = outcome.of(ev.ToolDenied)
    assert denied.tool == "crm-read" and "not a JSON object" in denied.reason
    two = server.bodies()[1]["messages"]
    # sent back as an object the API accepts (the server refuses anything else with 400)
    assert two[1]["content"][1] == {"type": "tool_use", "id": block["id"], "name": "crm-read",
                                    "input": {INVALID_JSON_KEY: bad}}
    (result,) = two[2]["content"]
    assert result["tool_use_id"] == block["id"] and result["is_error"] is True


def test_unknown_tool_and_deny_edge_are_denied_and_the_run_goes_on(
        server: MessagesServer, key: str) -> None:
    allow = "crm-read: {mode: read, approval: allow, purpose: look up the customer and order}"
    yaml_text = SAMPLE.read_text(encoding="utf-8")
    assert allow in yaml_text
    yaml_text = yaml_text.replace(allow, allow.replace("approval: allow", "approval: deny"))
    unknown = tool_use("delete_everything", {"confirm": True})
    denied_edge = tool_use("crm-read", {"customer_id": "C000123"})
    server.script.push(Msg([unknown, denied_edge]), Msg("I could not look it up."),
                       system_contains=TRIAGE)
    outcome = run(execute(server, key, yaml_text=yaml_text))
    assert outcome.run.status == "completed"
    assert outcome.tools["crm-read"].calls == []
    reasons = {e.tool: e.reason for e in outcome.of(ev.ToolDenied)}
    assert "no grant" in reasons["delete_everything"]
    assert "deny" in reasons["crm-read"]
    one, two = server.bodies()
    assert "crm-read" not in {t["name"] for t in one["tools"]}  # a deny edge is not offered
    results = two["messages"][2]["content"]
    assert [r["tool_use_id"] for r in results] == [unknown["id"], denied_edge["id"]]
    assert all(r["is_error"] and r["content"].startswith("denied:") for r in results)


def test_a_model_that_always_calls_a_tool_stops_at_max_turns(
        server: MessagesServer, key: str) -> None:
    server.script.handler = always(lambda: Msg([tool_use("crm-read",
                                                         {"customer_id": "C000123"})]))
    outcome = run(execute(server, key))
    assert len(server.message_requests) == 8  # defaults.max_turns of the sample
    (limit,) = outcome.of(ev.LimitExceeded)
    assert limit.limit == "max_turns" and limit.agent == "triage"
    (finished,) = outcome.of(ev.AgentFinished)
    assert finished.status == "limit"
    assert outcome.finished.status == "limit"  # the run says why it stopped
    assert len(outcome.tools["crm-read"].calls) == 8
    assert outcome.finished.model_calls == 8


def test_budget_exhausted_with_three_parallel_delegations(
        server: MessagesServer, key: str) -> None:
    three = [tool_use("agent__refunds", {"task": f"refund order {n}"}) for n in range(3)]
    server.script.push(Msg(three), system_contains=TRIAGE)

    def refunds(body: dict[str, Any]) -> Reply | None:
        """Every refund turn uses its whole max_tokens (2048) and a 2k-token prompt; order 0
        answers at once, the other two are still in flight when order 0 needs its next call."""
        if REFUNDS not in body.get("system", ""):
            return None
        fast = "refund order 0" in body["messages"][0]["content"]
        return Msg([tool_use("crm-read", {"customer_id": "C000123"})], input_tokens=2000,
                   output_tokens=2048, delay_s=0.0 if fast else 0.6)

    server.script.handler = refunds
    cap = 0.1
    outcome = run(execute(server, key, max_usd=cap, settle_s=0.5))
    assert outcome.run.status == "limit"
    assert "budget exhausted" in outcome.finished.error
    sonnet = load_catalog().get(SONNET)
    assert sonnet is not None
    per_call = call_cost(sonnet, Usage(input_tokens=2000, output_tokens=2048))
    # the three refund calls were in flight at once (1 triage request, then 3 parallel)
    refund_requests = [r for r in server.message_requests if REFUNDS in r.body["system"]]
    assert len(refund_requests) == 3
    assert max(r.at for r in refund_requests) - min(r.at for r in refund_requests) < 0.3
    # in-flight reservations are bounded: at most one call per parallel slot beyond the cap
    slots = 3
    assert outcome.run.ledger.spent <= cap + slots * per_call
    assert outcome.run.ledger.spent <= cap  # reserve-before-call keeps it under the cap
    # the run stops cleanly: the reply that could not reserve its next call ends the run,
    # its siblings are stopped, and nothing runs, spends or calls a tool after RunFinished
    statuses = sorted(e.status for e in outcome.of(ev.AgentFinished) if e.agent == "refunds")
    # The delegate that hit the cap failed; its siblings either hit it too or were stopped
    # when the run ended. None completed past the cap.
    assert "failed" in statuses and set(statuses) <= {"failed", "stopped"}
    assert outcome.late_events == []
    assert isinstance(outcome.events[-1], ev.RunFinished)
    assert outcome.finished.cost_usd == pytest.approx(outcome.run.ledger.spent)
    assert outcome.run.ledger.reserved == pytest.approx(0.0)
    assert len(outcome.tools["crm-read"].calls) == len(
        [e for e in outcome.of(ev.ModelCalled) if e.agent == "refunds"])


def test_an_error_event_inside_a_stream_maps_to_its_status(server: MessagesServer,
                                                            key: str) -> None:
    server.script.push(StreamError(Msg("Half an answer " * 10), after_events=4))
    error = run(failure(server, key, stream=True))
    assert error.status == 529 and error.retryable
    assert "model overloaded (529 overloaded_error)" in str(error)


def test_rate_limit_buckets_answer_429_and_the_sdk_waits(server: MessagesServer,
                                                         key: str) -> None:
    # 600 requests a minute with a burst of one: back-to-back calls wait about 0.1 s
    server.rate_limit = RateLimit(rpm=600, request_burst=1, retry_after_ms=True)
    server.script.default = Msg("ok", output_tokens=5)

    async def three() -> list[ModelResponse]:
        provider = AnthropicProvider(key, server.base_url, max_retries=3)
        try:
            return [await provider.create(request_for()) for _ in range(3)]
        finally:
            await provider.aclose()

    responses = run(three())
    assert [r.text for r in responses] == ["ok"] * 3
    assert server.rate_limit.limited >= 2 and sum(r.retries for r in responses) >= 2
    # output tokens per minute: the bucket reserves max_tokens (256) and refunds the unused
    server.rate_limit = RateLimit(otpm=60_000, token_burst=300, retry_after_ms=True)
    server.script.default = Msg("long", output_tokens=250)
    responses = run(three())
    assert server.rate_limit.limited >= 1 and sum(r.retries for r in responses) >= 1
