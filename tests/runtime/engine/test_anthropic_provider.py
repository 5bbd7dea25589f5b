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

import json
import subprocess
import sys

import pytest

from runtime.engine import events as ev
from runtime.engine.protocols import (
    ModelRequest,
    ProviderError,
    ToolSpec,
)
from runtime.engine.providers.anthropic import AnthropicProvider
from runtime.engine.providers.breaker import OVERLOADED_MESSAGE, CircuitBreaker
from runtime.roster.catalog import load_catalog
from runtime.roster.costs import Usage, call_cost
from tests.messages_server import (
    Fail,
    MessagesServer,
    Msg,
    sha256_hex,
    text,
    thinking,
    tool_use,
)
from tests.runtime.engine import anthropic_support as support
from tests.runtime.engine.anthropic_support import (
    HAIKU,
    REFUNDS,
    SAMPLE,
    SONNET,
    TASK,
    TRIAGE,
    call,
    execute,
    failure,
    request_for,
    run,
)

key, server = support.key, support.server  # the loopback server and key fixtures, shared


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
