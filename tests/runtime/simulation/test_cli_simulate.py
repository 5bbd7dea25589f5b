"""`roster simulate`: scenario selection, readable output, JSON, JUnit, --write, exit codes."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from runtime.cli.main import main
from runtime.simulation import load_scenario
from tests.runtime.simulation.conftest import BROKEN, SAMPLES

STUDIO = str(SAMPLES / "content-studio.roster.yaml")
VACUUM = str(SAMPLES / "governance-vacuum.roster.yaml")


def test_without_scenarios_it_runs_the_sibling_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", STUDIO]) == 0
    out = capsys.readouterr()
    assert "2 scenario file(s)" in out.err
    assert "PASS  Client status email" in out.out
    assert "PASS  Article with quarantined research" in out.out
    assert "2 of 2 scenarios passed" in out.out
    assert "grants no scenario used" in out.out and "analyst → analytics" in out.out


def test_with_no_sibling_files_it_runs_the_coverage_suite(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "studio.roster.yaml"
    shutil.copy(STUDIO, roster)
    assert main(["simulate", str(roster)]) == 0
    out = capsys.readouterr()
    assert "generated coverage suite" in out.err
    assert "coverage across the suite: agents 14/14, delegations 15/15, grants 27/27" in out.out


def test_a_failed_expectation_exits_1_and_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", STUDIO, "-s", str(BROKEN / "content-studio.broken.scenario.yaml")])
    assert code == 1
    out = capsys.readouterr().out
    assert "FAIL  Client status email (client lead declines)" in out
    assert "FAIL tools_called: client-email: 'client-email' was never called" in out
    assert "ToolDenied (client-success → client-email" in out


def test_the_adversarial_suite_fails_governance_vacuum_with_junit(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junit = tmp_path / "out.xml"
    assert main(["simulate", VACUUM, "--generate", "adversarial", "--junit", str(junit)]) == 1
    root = ET.parse(junit).getroot()
    failures = [f.get("message", "") for f in root.iter("failure")]
    assert any("outbound-mail" in m for m in failures)
    assert sum(int(s.get("failures", "0")) for s in root.iter("testsuite")) == len(failures)
    capsys.readouterr()


def test_json_output_has_expectations_coverage_and_the_trace(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", STUDIO, "--json", "--seed", "9"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is True
    first = data["scenarios"][0]
    assert first["run_id"].endswith("-9")
    assert first["events"][0]["type"] == "RunStarted"
    assert {"name", "passed", "message", "event_index"} <= first["expectations"][0].keys()
    assert "unused_grants" in data["coverage"]


def test_write_saves_loadable_scenarios(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "generated"
    assert main(["simulate", STUDIO, "--generate", "adversarial", "--write", str(out)]) == 0
    files = sorted(out.glob("*.scenario.yaml"))
    assert len(files) >= 4
    assert all(f.name.startswith("content-studio.") for f in files)
    for path in files:
        assert load_scenario(path).roster == "content-studio.roster.yaml"
    capsys.readouterr()


def test_a_bad_scenario_exits_2_with_a_located_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.scenario.yaml"
    bad.write_text("format: agent-roster-scenario\nversion: 1\nname: b\ntask: t\n"
                   "expect: {}\nagents:\n  manger: {final: hi}\n", encoding="utf-8")
    assert main(["simulate", STUDIO, "-s", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:7:3:" in err
    assert "did you mean 'manager'?" in err


def test_an_unreadable_roster_exits_2(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(tmp_path / "missing.roster.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_several_scenarios_follow_one_flag(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(SAMPLES / "content-studio.scenario.yaml"),
             str(SAMPLES / "content-studio.article.scenario.yaml")]
    assert main(["simulate", STUDIO, "-s", *files]) == 0
    assert "2 of 2 scenarios passed" in capsys.readouterr().out


def test_scenario_files_and_generation_do_not_mix(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["simulate", STUDIO, "-s", "x.scenario.yaml", "--generate", "coverage"])
    assert stopped.value.code == 2
    assert "not allowed with" in capsys.readouterr().err
