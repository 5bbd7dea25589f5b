"""Overload and long retry-after, through the real SDK against the loopback server.

RELIABILITY.md: "529 overloaded beyond the SDK retries: the run pauses with a
'model overloaded' prompt, there is no hot loop", and a server asking for a
very long wait must not stall a run silently. A model call still overloaded
(or rate-limited) after every retry pauses the agent and asks its escalation
human, through the run's approval channel, whether to wait and try again;
"stop", an unattended run or the pause budget end it as before. Every wait of
the SDK before a retry is capped and reported as a `ModelRetrying` event.
"""

from __future__ import annotations

import asyncio

import pytest

from runtime.engine import events as ev
from runtime.engine import overload
from runtime.engine.approvals import DenyChannel, ScriptedChannel
from runtime.engine.protocols import ModelRequest, ModelResponse, ProviderError
from runtime.engine.providers.anthropic import AnthropicProvider, retry_after
from runtime.engine.providers.breaker import CircuitBreaker
from runtime.engine.run import Run, RunConfig
from runtime.roster.costs import Usage
from runtime.roster.io import loads
from tests.messages_server import Fail, MessagesServer, Msg
from tests.runtime.engine import anthropic_support as base
from tests.runtime.engine.anthropic_support import (
    FAST,
    HAIKU,
    SAMPLE,
    TASK,
    execute,
    run,
    stub_tools,
)

key, server = base.key, base.server  # the loopback server and key fixtures, shared


def test_an_overloaded_model_pauses_asks_the_lead_and_continues_after_the_wait(
        server: MessagesServer, key: str) -> None:
    overloaded = Fail(529, headers=FAST)
    server.script.push(overloaded, overloaded, overloaded, Msg("Billing."))
    outcome = run(execute(server, key, approvals="approve"))
    assert outcome.run.status == "completed" and outcome.run.output == "Billing."
    assert len(server.message_requests) == 4  # 1 + 2 SDK retries, the pause, then success
    (paused,) = outcome.of(ev.ModelOverloaded)
    assert (paused.agent, paused.model, paused.status, paused.pause, paused.action) == (
        "triage", HAIKU, 529, 1, "ask")
    assert paused.wait_s == pytest.approx(0.02)  # what the server's retry-after-ms said
    (asked,) = outcome.of(ev.ApprovalRequested)
    assert (asked.human, asked.tool) == ("support-lead", f"model:{HAIKU}")
    assert "overloaded" in asked.reason and "wait" in asked.reason
    (answered,) = outcome.of(ev.ApprovalAnswered)
    assert answered.decision == "approve"
    (called,) = outcome.of(ev.ModelCalled)
    assert called.turn == 1  # the retried call is still the agent's first turn
    retrying = outcome.of(ev.ModelRetrying)
    assert [(r.attempt, r.status) for r in retrying] == [(1, 529), (2, 529)]
    assert all(r.wait_s == pytest.approx(0.02) and not r.capped for r in retrying)


def test_an_unattended_run_stops_at_an_overload_without_asking(
        server: MessagesServer, key: str) -> None:
    server.script.default = Fail(529, headers=FAST)
    content = loads(SAMPLE.read_text(encoding="utf-8")).content
    seen: list[ev.EngineEvent] = []
    channel = ScriptedChannel({"*": "approve"})

    async def main() -> Run:
        provider = AnthropicProvider(key, server.base_url, max_retries=1)
        try:
            the_run = Run(content, RunConfig(TASK, unattended=True, secrets=(key,)), provider,
                          stub_tools(), channel, listeners=(seen.append,))
            await the_run.execute()
            return the_run
        finally:
            await provider.aclose()

    the_run = run(main())
    assert the_run.status == "failed" and channel.asked == []
    assert len(server.message_requests) == 2
    (paused,) = [e for e in seen if isinstance(e, ev.ModelOverloaded)]
    assert paused.action == "stop"


def test_a_ten_minute_retry_after_is_capped_and_reported(
        server: MessagesServer, key: str) -> None:
    server.script.push(Fail(429, headers={"retry-after": "600"}), Msg("Billing."))
    outcome = run(execute(server, key, max_retry_wait_s=0.2))
    assert outcome.run.status == "completed" and outcome.elapsed < 10
    (retrying,) = outcome.of(ev.ModelRetrying)
    assert (retrying.agent, retrying.status, retrying.attempt) == ("triage", 429, 1)
    assert (retrying.asked_s, retrying.wait_s, retrying.capped) == (600.0, 0.2, True)
    (called,) = outcome.of(ev.ModelCalled)
    assert called.retries == 1


def test_the_open_breaker_offers_to_wait_out_its_cool_down(
        server: MessagesServer, key: str) -> None:
    now = [1000.0]
    breaker = CircuitBreaker(threshold=1, cooldown_s=45.0, clock=lambda: now[0])
    breaker.record_failure(HAIKU)  # opened by an earlier overload
    outcome = run(execute(server, key, approvals="deny", breaker=breaker))
    assert outcome.run.status == "failed" and server.message_requests == []
    (paused,) = outcome.of(ev.ModelOverloaded)
    assert paused.status is None and paused.wait_s == pytest.approx(45.0)


class Overloaded:
    """A provider that is overloaded for `times` calls, then answers."""

    def __init__(self, times: int, wait_s: float = 0.0) -> None:
        self.times, self.wait_s, self.calls = times, wait_s, 0

    async def create(self, request: ModelRequest) -> ModelResponse:
        self.calls += 1
        if self.calls <= self.times:
            raise ProviderError("model overloaded (529)", status=529, retryable=True,
                                overloaded=True, retry_after_s=self.wait_s)
        return ModelResponse([{"type": "text", "text": "done"}], "end_turn", Usage(10, 2),
                             request.model)


def run_scripted(provider: Overloaded, channel: ScriptedChannel | DenyChannel) -> Run:
    content = loads(SAMPLE.read_text(encoding="utf-8")).content
    the_run = Run(content, RunConfig(TASK), provider, stub_tools(), channel)
    asyncio.run(the_run.execute())
    return the_run


def test_each_pause_needs_a_yes_and_the_pauses_are_bounded() -> None:
    always = Overloaded(times=1_000)
    the_run = run_scripted(always, ScriptedChannel({"*": "approve"}))
    assert the_run.status == "failed"
    assert always.calls == overload.MAX_PAUSES + 1  # then the agent stops anyway
    denied = Overloaded(times=1_000)
    assert run_scripted(denied, DenyChannel()).status == "failed" and denied.calls == 1
    twice = Overloaded(times=2)
    the_run = run_scripted(twice, ScriptedChannel({"*": "approve"}))
    assert (the_run.status, the_run.output, twice.calls) == ("completed", "done", 3)


def test_pause_waits_follow_the_server_within_bounds() -> None:
    def error(seconds: float | None) -> ProviderError:
        return ProviderError("x", status=529, retryable=True, retry_after_s=seconds)

    assert overload.pause_wait(error(2.5)) == 2.5
    assert overload.pause_wait(error(None)) == overload.DEFAULT_WAIT_S
    assert overload.pause_wait(error(86_400)) == overload.MAX_WAIT_S
    assert overload.is_overload(error(1.0))
    assert overload.is_overload(ProviderError("x", status=429, retryable=True))
    assert not overload.is_overload(ProviderError("x", status=500, retryable=True))
    assert not overload.is_overload(ProviderError("x", status=400))


def test_retry_after_reads_milliseconds_seconds_and_dates() -> None:
    assert retry_after({"retry-after-ms": "250"}) == 0.25
    assert retry_after({"retry-after": "7"}) == 7.0
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None  # past
