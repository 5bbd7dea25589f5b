"""The engine's per-step shortcuts keep the behaviour they replace.

`Slots` (the limiter for max_parallel_agents and delegations), the per-agent
`AgentPlan` (tool specs and settings worked out once per run), the redactor's
memory of strings it has seen, and a run with no listener doing no event work
while one with a listener sees every event.
"""

from __future__ import annotations

import asyncio

import pytest

from runtime.engine import events as ev
from runtime.engine.approvals import DenyChannel
from runtime.engine.plan import RunIndex
from runtime.engine.protocols import ModelRequest, ModelResponse
from runtime.engine.redact import Redactor
from runtime.engine.run import Run, RunConfig
from runtime.engine.slots import Slots
from runtime.engine.steps import DuplicateStep, MemoryStepRunner
from runtime.roster.catalog import load_catalog
from runtime.roster.costs import Usage
from runtime.roster.io import loads

TEAM = """\
format: agent-roster
version: 1
name: Team
entry: [lead]
defaults: {model: claude-haiku-5-5, max_turns: 4, max_tokens_per_call: 256, timeout_s: 60,
           budget_usd: 1.0, max_parallel_delegations: 2}
agents:
  lead:
    name: Lead
    role: Splits the work.
    instructions: Delegate.
    delegates_to: [a, b, c]
    escalates_to: [boss]
  a: {name: A, role: Does a., instructions: Do a.}
  b: {name: B, role: Does b., instructions: Do b.}
  c: {name: C, role: Does c., instructions: Do c.}
humans:
  boss: {name: Boss, role: Decides.}
"""


def test_slots_hand_a_released_slot_to_the_oldest_waiter() -> None:
    async def main() -> list[str]:
        slots, order = Slots(1), []

        async def worker(name: str) -> None:
            async with slots:
                order.append(name)
                await asyncio.sleep(0.01)

        await asyncio.gather(*(worker(n) for n in "abcd"))
        assert slots.free == 1
        return order

    assert asyncio.run(main()) == ["a", "b", "c", "d"]


def test_a_cancelled_waiter_never_loses_a_slot() -> None:
    async def main() -> int:
        slots = Slots(1)
        await slots.acquire()
        waiting = asyncio.ensure_future(slots.acquire())
        await asyncio.sleep(0)
        slots.release()  # handed to the waiter ...
        waiting.cancel()  # ... which is cancelled before it runs: it passes the slot on
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert slots.free == 1
        await slots.acquire()
        queued = asyncio.ensure_future(slots.acquire())
        await asyncio.sleep(0)
        queued.cancel()  # cancelled while queued: simply leaves the queue
        with pytest.raises(asyncio.CancelledError):
            await queued
        slots.release()
        return slots.free

    assert asyncio.run(main()) == 1
    with pytest.raises(ValueError):
        Slots(0)


def test_an_agent_plan_is_built_once_with_its_tools_in_roster_order() -> None:
    content = loads(TEAM).content
    index = RunIndex(content, {}, load_catalog())
    lead = content.nodes["lead"]
    plan = index.plan(lead)  # type: ignore[arg-type]
    assert index.plan(lead) is plan  # type: ignore[arg-type]
    assert [s.name for s in plan.specs] == ["agent__a", "agent__b", "agent__c", "ask__boss"]
    assert (plan.model_id, plan.max_turns, plan.parallel, plan.humans) == (
        "claude-haiku-5-5", 4, 2, ("boss",))
    assert plan.model is not None and plan.model.id == "claude-haiku-5-5"


def test_the_redactor_remembers_but_never_returns_a_secret() -> None:
    secret = "sk-live-" + "q" * 24
    redactor = Redactor((secret,))
    text = f"the key is {secret}"
    first = redactor(text)
    assert secret not in first and redactor(text) == first
    long = "x" * 10_000 + secret
    assert secret not in redactor(long)


class Fanout:
    """The lead delegates to a, b and c in one reply; everyone else answers."""

    def __init__(self) -> None:
        self.requests: list[ModelRequest] = []

    async def create(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        if request.agent == "lead" and len(request.messages) == 1:
            return ModelResponse([{"type": "tool_use", "id": f"toolu_{x}", "name": f"agent__{x}",
                                   "input": {"task": f"part {x}"}} for x in "abc"],
                                 "tool_use", Usage(30, 10), request.model)
        return ModelResponse([{"type": "text", "text": f"{request.agent} done"}], "end_turn",
                             Usage(20, 5), request.model)


def test_runs_with_and_without_listeners_do_the_same_work() -> None:
    content = loads(TEAM).content
    heard: list[ev.EngineEvent] = []
    results = []
    for listeners in ((), (heard.append,)):
        provider = Fanout()
        run = Run(content, RunConfig(task="go"), provider, {}, DenyChannel(),
                  listeners=listeners)
        results.append((asyncio.run(run.execute()), run.status, run.model_calls,
                        run.usage, len(provider.requests)))
    assert results[0] == results[1] == ("lead done", "completed", 5, Usage(110, 30), 5)
    kinds = [type(e).__name__ for e in heard]
    assert kinds.count("AgentStarted") == kinds.count("AgentFinished") == 4
    assert kinds.count("Delegated") == 3 and kinds.count("ModelCalled") == 5
    assert [e.seq for e in heard] == list(range(1, len(heard) + 1))
    last_request = provider.requests[-1]  # the lead's second turn sees all three answers
    answers = last_request.messages[-1]["content"]
    assert [a["content"] for a in answers] == ["a done", "b done", "c done"]


def test_the_memory_runner_refuses_a_key_used_twice() -> None:
    async def main() -> None:
        steps = MemoryStepRunner()

        async def one() -> int:
            return 1

        assert await steps.run("k", "model", one, lambda r: r, lambda d: d) == 1
        with pytest.raises(DuplicateStep):
            await steps.run("k", "model", one, lambda r: r, lambda d: d)

    asyncio.run(main())
