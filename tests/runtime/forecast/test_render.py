"""How forecast numbers read: a what-if row keeps one unit across baseline, variant and
change; a share's change is in percentage points beside the relative change; per-task
dollars keep their trailing zeros."""

from __future__ import annotations

import re

import pytest

from runtime.cli.main import main
from runtime.forecast.render import duration, usd

TRIAGE = "resources/samples/support-triage.roster.yaml"


def test_a_duration_can_take_the_unit_of_another_value() -> None:
    assert duration(59.4) == "59.4 s"
    assert duration(59.4, like=371.0) == "0.99 min"
    assert duration(3600.0, like=10.0) == "3.6e+03 s"


def test_per_task_dollars_keep_three_significant_digits_with_their_zeros() -> None:
    assert usd(0.47) == "$0.470"
    assert usd(-0.11) == "-$0.110"
    assert usd(12.5) == "$12.50"


def test_the_what_if_table_labels_every_column_and_keeps_units_per_row(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["forecast", TRIAGE, "--tasks", "2000",
                 "--what-if", "refunds=claude-haiku-5-5"]) == 0
    table = capsys.readouterr().out.split("What if refunds=claude-haiku-5-5", 1)[1]
    head = table.splitlines()[1].split()
    assert head[-2:] == ["change", "relative"]
    for line in table.splitlines():
        if line.startswith(("latency p50", "latency p95")):
            units = re.findall(r"\d (s|min|h|d)\b", line)
            assert len(units) == 3 and len(set(units)) == 1, line
        if line.startswith("escalation rate"):
            assert " pp" in line, "a share's change is in percentage points"
