"""An agent's timeout_s and its max_parallel_delegations, as callers and delegates see them.

An agent over its own timeout stops with a "timeout" limit and its caller goes
on with the error text; a caller over its timeout stops its whole call chain,
and its delegates (inline or in tasks of their own) end "stopped". The engine
arms no timer for a delegate whose deadline is later than a timed caller's (the
caller's timer stops it first), so these tests pin down that the outcome is the
same either way. A reply with more delegations than max_parallel_delegations
runs at most that many at once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from runtime.engine import events as ev
from runtime.engine.approvals import DenyChannel
from runtime.engine.protocols import ModelRequest, ModelResponse
from runtime.engine.providers.scripted import ScriptedProvider, Turn
from runtime.engine.run import Run, RunConfig
from runtime.roster.costs import Usage
from runtime.roster.io import loads


def roster(lead_timeout: float, worker_timeout: float, parallel: int = 4) -> str:
    return f"""\
format: agent-roster
version: 1
name: Timeouts
entry: [lead]
defaults: {{model: claude-haiku-5-5, max_turns: 4, max_tokens_per_call: 256, budget_usd: 5}}
agents:
  lead:
    name: Lead
    role: Hands out work.
    instructions: Delegate.
    timeout_s: {lead_timeout}
    max_parallel_delegations: {parallel}
    delegates_to: [w1, w2, w3]
  w1: {{name: W1, role: Works., instructions: Work., timeout_s: {worker_timeout}}}
  w2: {{name: W2, role: Works., instructions: Work., timeout_s: {worker_timeout}}}
  w3: {{name: W3, role: Works., instructions: Work., timeout_s: {worker_timeout}}}
"""


def run(text: str, scripts: dict[str, Any]) -> tuple[Run, list[ev.EngineEvent], float]:
    heard: list[ev.EngineEvent] = []
    the_run = Run(loads(text).content, RunConfig(task="go"), ScriptedProvider(scripts), {},
                  DenyChannel(), listeners=(heard.append,))
    started = time.monotonic()
    asyncio.run(the_run.execute())
    return the_run, heard, time.monotonic() - started


def finished(heard: list[ev.EngineEvent]) -> dict[str, str]:
    return {e.agent: e.status for e in heard if isinstance(e, ev.AgentFinished)}


def timeouts(heard: list[ev.EngineEvent]) -> list[str | None]:
    return [e.agent for e in heard if isinstance(e, ev.LimitExceeded) and e.limit == "timeout"]


def test_a_delegate_over_its_timeout_stops_and_its_caller_goes_on() -> None:
    the_run, heard, took = run(roster(60, 0.2), {
        "lead": [[("delegate", "w1", "slow work")], "Done without w1."],
        "w1": [Turn([("text", "never")], delay_s=5)]})
    assert timeouts(heard) == ["w1"]
    assert finished(heard) == {"w1": "limit", "lead": "completed"}
    assert the_run.status == "completed" and took < 2
    answer = next(e for e in heard if isinstance(e, ev.ModelCalled) and e.agent == "lead"
                  and e.turn == 2)
    assert answer.text == "Done without w1."


def test_a_caller_over_its_timeout_stops_its_inline_delegate() -> None:
    the_run, heard, took = run(roster(0.3, 60), {
        "lead": [[("delegate", "w1", "slow work")]],
        "w1": [Turn([("text", "never")], delay_s=5)]})
    assert timeouts(heard) == ["lead"]  # w1 has no timer of its own: lead's stops both
    assert finished(heard) == {"w1": "stopped", "lead": "limit"}
    assert the_run.status == "limit" and took < 2


def test_a_caller_over_its_timeout_stops_delegates_running_in_parallel() -> None:
    the_run, heard, took = run(roster(0.3, 60), {
        "lead": [[("delegate", "w1", "a"), ("delegate", "w2", "b"), ("delegate", "w3", "c")]],
        **{w: [Turn([("text", "never")], delay_s=5)] for w in ("w1", "w2", "w3")}})
    assert timeouts(heard) == ["lead"]
    assert finished(heard) == {"w1": "stopped", "w2": "stopped", "w3": "stopped",
                               "lead": "limit"}
    assert the_run.status == "limit" and took < 2


def test_a_delegate_with_a_shorter_timeout_than_its_timed_caller_keeps_its_own() -> None:
    the_run, heard, _ = run(roster(5, 0.2), {
        "lead": [[("delegate", "w1", "a"), ("delegate", "w2", "b")], "Partial."],
        "w1": [Turn([("text", "never")], delay_s=5)], "w2": ["w2 done"]})
    assert timeouts(heard) == ["w1"]
    assert finished(heard) == {"w2": "completed", "w1": "limit", "lead": "completed"}
    assert the_run.status == "completed"


class Counting:
    """Workers take 50 ms; counts how many worker calls are in flight at once."""

    def __init__(self) -> None:
        self.now = self.most = 0

    async def create(self, request: ModelRequest) -> ModelResponse:
        if request.agent == "lead":
            if len(request.messages) == 1:
                return ModelResponse([{"type": "tool_use", "id": f"toolu_{w}",
                                       "name": f"agent__{w}", "input": {"task": w}}
                                      for w in ("w1", "w2", "w3")], "tool_use",
                                     Usage(10, 10), request.model)
            return ModelResponse([{"type": "text", "text": "all done"}], "end_turn",
                                 Usage(10, 2), request.model)
        self.now += 1
        self.most = max(self.most, self.now)
        await asyncio.sleep(0.05)
        self.now -= 1
        return ModelResponse([{"type": "text", "text": "ok"}], "end_turn", Usage(5, 1),
                             request.model)


def test_max_parallel_delegations_bounds_a_reply_with_more_delegations() -> None:
    for parallel, expected in ((1, 1), (2, 2), (3, 3), (8, 3)):
        provider = Counting()
        the_run = Run(loads(roster(60, 60, parallel)).content, RunConfig(task="go"), provider,
                      {}, DenyChannel())
        assert asyncio.run(the_run.execute()) == "all done"
        assert provider.most == expected, parallel
