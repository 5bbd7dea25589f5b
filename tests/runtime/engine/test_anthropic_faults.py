"""Every model-API fault of RELIABILITY.md "2 Faults injected into the runtime", through the
real SDK and the engine against the loopback server: 429 with retry-after, 529 beyond the
SDK's retries and the circuit breaker, 5xx / reset / read timeout, 400/401/403/413, a cut
stream, malformed JSON, bad or forbidden tool_use, a model that never stops, a budget
exhausted by three parallel delegations."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from runtime.engine import events as ev
from runtime.engine.protocols import (
    ModelResponse,
    ProviderError,
)
from runtime.engine.providers.anthropic import INVALID_JSON_KEY, REENTER_KEY, AnthropicProvider
from runtime.engine.providers.breaker import OVERLOADED_MESSAGE, CircuitBreaker
from runtime.roster.catalog import load_catalog
from runtime.roster.costs import Usage, call_cost
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
    text,
    tool_use,
)
from tests.runtime.engine import anthropic_support as support
from tests.runtime.engine.anthropic_support import (
    FAST,
    HAIKU,
    REFUNDS,
    SAMPLE,
    SONNET,
    TRIAGE,
    Outcome,
    always,
    call,
    execute,
    failure,
    request_for,
    run,
)

key, server = support.key, support.server  # the loopback server and key fixtures, shared


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
