"""`roster forecast`: tables, JSON, what-if, workload discovery, exit 2 on bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from runtime.cli.main import main

TRIAGE = "resources/samples/support-triage.roster.yaml"


def test_prints_a_table_with_the_headline_metrics_and_the_workload_it_used(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["forecast", TRIAGE, "--tasks", "2000"]) == 0
    out = capsys.readouterr().out
    assert "workload: resources/samples/support-triage.workload.yaml" in out
    for label in ("cost per task p50", "cost per month", "latency p95",
                  "requests/day to support-lead", "bottleneck", "assumptions:"):
        assert label in out


def test_without_a_workload_file_the_defaults_are_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    alone = tmp_path / "team.roster.yaml"
    shutil.copy(TRIAGE, alone)
    assert main(["forecast", str(alone), "--tasks", "2000"]) == 0
    out = capsys.readouterr().out
    assert "defaults derived from the roster" in out
    assert "tasks a day" in out


def test_json_holds_both_engines_and_the_what_if_deltas(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["forecast", TRIAGE, "--tasks", "2000", "--engine", "both", "--json",
                 "--what-if", "refunds=claude-haiku-5-5"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["forecasts"]) == {"mc", "des"}
    deltas = {row["metric"]: row for row in data["what_if"]["deltas"]["mc"]}
    assert deltas["cost per month"]["delta"] < 0
    assert data["forecasts"]["des"]["cost_per_task_usd"]["p95"]["value"] > 0


def test_what_if_table_shows_baseline_and_change(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forecast", TRIAGE, "--tasks", "2000",
                 "--what-if", "refunds=claude-opus-5-5"]) == 0
    out = capsys.readouterr().out
    assert "What if refunds=claude-opus-5-5" in out
    assert "baseline" in out


@pytest.mark.parametrize("argv, message", [
    (["--what-if", "refunds"], "expected AGENT=MODEL"),
    (["--what-if", "nobody=claude-haiku-5-5"], "no agent 'nobody'"),
    (["--what-if", "refunds=gpt-9"], "not in the catalog"),
    (["--tasks", "5"], "at least"),
])
def test_bad_arguments_exit_2_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["forecast", TRIAGE, *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_bad_workload_file_exits_2_with_its_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "bad.workload.yaml"
    bad.write_text("format: agent-roster-workload\nversion: 1\ntasks_per_day: lots\n")
    assert main(["forecast", TRIAGE, "--workload", str(bad)]) == 2
    assert f"{bad}:3:16:" in capsys.readouterr().err


def test_an_unreadable_roster_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forecast", str(tmp_path / "missing.roster.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_a_roster_without_agents_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    empty = tmp_path / "empty.roster.yaml"
    empty.write_text("format: agent-roster\nversion: 1\nname: empty\n")
    assert main(["forecast", str(empty)]) == 2
    assert "no agent" in capsys.readouterr().err


def test_depth_warnings_are_repeated_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """A delegation loop under a shallow policy: tasks hit the depth limit, the CLI says so."""
    loop = tmp_path / "loop.roster.yaml"
    loop.write_text("format: agent-roster\nversion: 1\nname: loop\nentry: [a]\n"
                    "defaults: {model: claude-haiku-5-5}\npolicy: {max_delegation_depth: 2}\n"
                    "agents:\n  a: {delegates_to: [b]}\n  b: {delegates_to: [a]}\n")
    assert main(["forecast", str(loop), "--tasks", "2000"]) == 0
    captured = capsys.readouterr()
    assert "warning: delegation depth:" in captured.err
    assert "policy's delegation depth 2" in captured.err
    assert "policy's delegation depth 2" in captured.out  # also under notes
