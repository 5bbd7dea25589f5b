"""What a forecast says it assumed is exactly what it assumed: a workload file that sets a
value drops that value's default from the list; absurd magnitudes are refused, located."""

from __future__ import annotations

import pytest

from runtime.forecast import default_workload, loads_workload
from runtime.roster.errors import RosterLoadError
from runtime.roster.io import loads
from tests.runtime.forecast.conftest import SINGLE_HUMAN_GATE

HEAD = "format: agent-roster-workload\nversion: 1\n"


@pytest.fixture
def gate():
    return loads(SINGLE_HUMAN_GATE).content


def _assumed(gate, body: str) -> str:
    return "\n".join(loads_workload(HEAD + body, gate, filename="w.workload.yaml").assumptions)


def test_defaults_list_every_default_in_force(gate) -> None:
    text = "\n".join(default_workload(gate).assumptions)
    for phrase in ("tasks a day", "tasks arrive", "usage tier", "approve every request"):
        assert phrase in text


def test_a_file_that_sets_tasks_per_day_and_hours_no_longer_lists_their_defaults(gate) -> None:
    text = _assumed(gate, "tasks_per_day: 60\narrival:\n  hours: {start: 9, end: 18}\n")
    assert "tasks a day" not in text
    assert "tasks arrive" not in text
    assert "values not given in w.workload.yaml" in text
    assert "model call time" in text  # still a default


def test_a_file_that_sets_the_api_tier_drops_the_tier_default(gate) -> None:
    assert "usage tier" not in _assumed(gate, "api_tier: 3\n")


def test_denial_probabilities_in_the_file_reword_the_no_denials_default(gate) -> None:
    text = _assumed(gate, "humans:\n  reviewer: {deny: 0.1}\n")
    assert "no denials" not in text
    assert "given no deny probability approve" in text


@pytest.mark.parametrize("body, where", [
    ("tasks_per_day: 1e30\n", "w.workload.yaml:3"),
    ("agents:\n  solo: {input_tokens: 1e15}\n", "w.workload.yaml:4"),
])
def test_absurd_magnitudes_are_refused_where_they_are_written(gate, body, where) -> None:
    with pytest.raises(RosterLoadError) as caught:
        loads_workload(HEAD + body, gate, filename="w.workload.yaml")
    assert where in str(caught.value)
    assert "at most" in str(caught.value)
