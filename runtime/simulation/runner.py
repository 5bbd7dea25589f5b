"""Playing a scenario through the real engine: `Run` with scripted model, stub tools, answers.

The dry run is an ordinary `Run` (runtime/engine/run.py): the same policy
gate, approvals, budgets, depth and turn limits, delegation and events as a
real run; only the provider (`ScriptedProvider`), the tool implementations
(`StubTool`) and the approval channel (`ScriptedAnswers`) are the
simulation's. With `journal=PATH` the run goes through the durable journal's
step runner as `roster run` does. A guard stops a run one model call after
the number the scenario allows (`expect.max_model_calls`, else 1000), so a
roster with no bound of its own cannot make a dry run spin forever; it stops
the run by raising from the provider, so the engine unwinds every frame
through its ordinary limit path.
Determinism: the run id comes from the scenario and its seed, tool call ids
are counted, stub outputs picked at random use the seed, and nothing reads
the clock except the events' own timestamps and durations.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from runtime.engine import events as ev
from runtime.engine.budget import BudgetExceeded
from runtime.engine.protocols import ModelRequest, ModelResponse, Provider
from runtime.engine.run import Run, RunConfig
from runtime.roster.catalog import Catalog
from runtime.roster.codec import RosterContent
from runtime.simulation.behaviour import ScriptedAnswers, provider_for, tools_for
from runtime.simulation.expectations import judge
from runtime.simulation.files import slug
from runtime.simulation.loader import check_against
from runtime.simulation.result import SimulationResult, coverage_of
from runtime.simulation.scenario import DEFAULT_GUARD_CALLS, Scenario
from runtime.simulation.violations import find_violations

EventCallback = Callable[[ev.EngineEvent], None]


class GuardStopped(BudgetExceeded):
    """The simulation's own cap on model calls; raised from the provider so the engine
    unwinds the run through its ordinary limit path (status `limit`)."""

    def __init__(self, limit: int) -> None:
        Exception.__init__(self, f"the dry run was stopped after {limit} model calls "
                                 "(simulation guard); nothing in the roster ended it")
        self.scope, self.needed, self.remaining = "simulation", 0.0, 0.0


class GuardedProvider:
    """Lets `limit` model calls through, then stops the run."""

    def __init__(self, inner: Provider, limit: int) -> None:
        self.inner, self.limit, self.calls, self.tripped = inner, limit, 0, False

    async def create(self, request: ModelRequest) -> ModelResponse:
        self.calls += 1
        if self.calls > self.limit:
            self.tripped = True
            raise GuardStopped(self.limit)
        return await self.inner.create(request)


def run_id_for(scenario: Scenario) -> str:
    return f"sim-{slug(scenario.name, 40)}-{scenario.seed}"


async def run_scenario(content: RosterContent, scenario: Scenario, *,
                       on_event: EventCallback | None = None, catalog: Catalog | None = None,
                       journal: str | None = None) -> SimulationResult:
    """Dry-run `scenario` on `content` and judge it. Raises `ScenarioError` (located) if the
    scenario names an agent, tool or human the roster lacks; then nothing runs."""
    check_against(scenario, content)
    events: list[ev.EngineEvent] = []
    guard = scenario.expect.max_model_calls or DEFAULT_GUARD_CALLS

    def listen(event: ev.EngineEvent) -> None:
        events.append(event)
        if on_event is not None:
            on_event(event)

    config = RunConfig(task=scenario.task, entry=scenario.entry, max_usd=scenario.max_usd,
                       unattended=scenario.unattended, run_id=run_id_for(scenario))
    tools = tools_for(content, scenario)
    channel = ScriptedAnswers(scenario.humans)
    provider = GuardedProvider(provider_for(scenario), guard + 1)
    if journal is None:
        run = Run(content, config, provider, tools, channel, catalog=catalog,
                  listeners=(listen,))
    else:
        run = _journaled_run(content, scenario, config, provider, tools, channel, journal,
                             listen)
    await run.execute()
    violations = find_violations(content, scenario, events)
    finished = next((e for e in reversed(events) if isinstance(e, ev.RunFinished)), None)
    cost_by_agent: dict[str, float] = {}
    for event in events:
        if isinstance(event, ev.ModelCalled):
            cost_by_agent[event.agent] = cost_by_agent.get(event.agent, 0.0) + event.cost_usd
    return SimulationResult(
        scenario=scenario.name, kind=scenario.kind, status=run.status, events=events,
        expectations=judge(scenario.expect, events, violations,
                           guard=guard if provider.tripped else None),
        cost_usd=finished.cost_usd if finished else 0.0,
        coverage=coverage_of(content, events), violations=violations,
        cost_by_agent=cost_by_agent, model_calls=run.model_calls,
        error=finished.error if finished else "", run_id=config.run_id)


def _journaled_run(content: RosterContent, scenario: Scenario, config: RunConfig,
                   provider: Any, tools: Any, channel: ScriptedAnswers, journal: str,
                   listen: EventCallback) -> Run:
    """The run built the way the durable executor builds it: journal step runner and all."""
    from runtime.engine.dbos_support import journal_url
    from runtime.engine.executor import RunBuilder, RunFactories, RunSpec
    from runtime.engine.journal import Journal

    factories = RunFactories(provider=lambda _: provider, tools=lambda _: tools,
                             approvals=lambda _: channel, listeners=(listen,))
    builder = RunBuilder(Journal(journal_url(journal)), factories)
    # A journal keeps every run, so each dry run gets its own id there.
    run_id = builder.create(RunSpec(task=scenario.task, content=content, entry=scenario.entry,
                                    max_usd=scenario.max_usd, unattended=scenario.unattended,
                                    run_id=f"{config.run_id}-{uuid.uuid4().hex[:6]}"))
    return builder.build(run_id, "simulate")


def run_scenario_sync(content: RosterContent, scenario: Scenario, **kwargs: Any
                      ) -> SimulationResult:
    """`run_scenario` for callers without an event loop (CLI, scripts, a worker thread)."""
    return asyncio.run(run_scenario(content, scenario, **kwargs))


async def run_suite(content: RosterContent, scenarios: Sequence[Scenario], **kwargs: Any
                    ) -> list[SimulationResult]:
    """Each scenario in turn (never concurrently, so traces stay deterministic)."""
    return [await run_scenario(content, s, **kwargs) for s in scenarios]
