"""Token-free dry runs of a roster through the real engine (issue #5, scenarios half).

A scenario (`NAME.scenario.yaml`, docs/scenarios.md) scripts the model turns,
tool outputs and human answers of one task; `run_scenario` plays it through
`runtime.engine.run.Run` with a scripted provider, stub tools and scripted
approvals, and judges the trace against the scenario's expectations.
`generate` derives a coverage suite and adversarial cases from a roster alone.

Public API (for the CLI and the designer):

- `load_scenario(path_or_text) -> Scenario`; raises `ScenarioError` (located)
- `generate(content, "coverage" | "adversarial") -> list[Scenario]`
- `await run_scenario(content, scenario, *, on_event=None, journal=None) -> SimulationResult`
  and `run_scenario_sync(...)`; `run_suite(content, scenarios)`
- `SimulationResult`: `.events`, `.expectations` (name, passed, message,
  event_index), `.cost_usd`, `.coverage` (agents, delegations, grants, gates,
  `unused_grants`), `.violations`, `.passed`
- `to_data(scenario)` for writing a scenario back to a file
"""

from runtime.simulation.generate import generate
from runtime.simulation.loader import ScenarioError, check_against, load_scenario, sibling_scenarios
from runtime.simulation.result import (
    Coverage,
    ExpectationResult,
    SimulationResult,
    Violation,
    total_coverage,
)
from runtime.simulation.runner import run_scenario, run_scenario_sync, run_suite
from runtime.simulation.scenario import Expectations, Scenario, to_data

__all__ = [
    "Coverage",
    "ExpectationResult",
    "Expectations",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "Violation",
    "check_against",
    "generate",
    "load_scenario",
    "run_scenario",
    "run_scenario_sync",
    "run_suite",
    "sibling_scenarios",
    "to_data",
    "total_coverage",
]
