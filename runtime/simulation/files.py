"""Scenario file names and writing scenarios back as files (CLI `--write`, designer Save)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from runtime.roster.atomic import write_atomic
from runtime.roster.yaml_write import dumps
from runtime.simulation.scenario import Scenario, to_data


def slug(name: str, width: int = 60) -> str:
    """`name` as lower-case words joined by '-', at most `width` characters."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:width] or "scenario"


def write_scenarios(scenarios: list[Scenario], directory: str, roster: str) -> list[Path]:
    """Write each scenario as `ROSTER-STEM.SLUG.scenario.yaml` in `directory`, atomically."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    stem = Path(roster).name.split(".")[0]
    for scenario in scenarios:
        path = target / f"{stem}.{slug(scenario.name)}.scenario.yaml"
        data = to_data(replace(scenario, roster=scenario.roster or Path(roster).name))
        write_atomic(path, dumps(data).encode("utf-8"))
        written.append(path)
    return written
