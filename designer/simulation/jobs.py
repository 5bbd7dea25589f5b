"""Scenario runs as background work: what is asked, and how each scenario is run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from designer.background import Progress
from runtime.roster.catalog import Catalog
from runtime.roster.codec import RosterContent
from runtime.simulation import Scenario, ScenarioError, SimulationResult, run_scenario_sync


@dataclass(frozen=True)
class ScenarioOutcome:
    """One scenario's result, or why it could not run (a located error, nothing ran)."""

    key: str
    result: SimulationResult | None
    error: str = ""


def run_all(content: RosterContent, scenarios: Sequence[tuple[str, Scenario]],
            catalog: Catalog, progress: Progress) -> list[ScenarioOutcome]:
    """Run each scenario in turn (deterministic traces), reporting each outcome as it lands."""
    outcomes = []
    for key, scenario in scenarios:
        try:
            outcome = ScenarioOutcome(key, run_scenario_sync(content, scenario, catalog=catalog))
        except ScenarioError as error:
            outcome = ScenarioOutcome(key, None, str(error))
        progress(outcome)
        outcomes.append(outcome)
    return outcomes
