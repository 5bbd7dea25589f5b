"""`roster check --format json|sarif`: one document for every file, load errors included.

CI tools parse the whole of standard output as one JSON value, so several files
must give one SARIF log (one run, an artifact per file) and one JSON document,
and a file that cannot be loaded must appear in it as a located error rather
than as nothing at all.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from runtime.cli.main import main
from runtime.cli.report import artifact_uri

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
BROKEN = "format: agent-roster\nversion: 1\nagents: [\n"


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Two sample rosters (one clean, one with findings) and a broken one, by relative name."""
    monkeypatch.chdir(tmp_path)
    for name in ("support-triage.roster.yaml", "governance-vacuum.roster.yaml"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    (tmp_path / "bad.roster.yaml").write_text(BROKEN, encoding="utf-8")
    return {"clean": "support-triage.roster.yaml", "findings": "governance-vacuum.roster.yaml",
            "broken": "bad.roster.yaml"}


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main(["check", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err  # the whole of stdout is one value


def test_sarif_for_several_files_is_one_log_with_one_run_and_an_artifact_per_file(
        files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, log, _ = check(capsys, files["clean"], files["findings"], "--format", "sarif")
    assert code == 1
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    assert [a["location"]["uri"] for a in run["artifacts"]] == [files["clean"], files["findings"]]
    assert run["results"], "the governance-vacuum sample has findings"
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        place = result["locations"][0]["physicalLocation"]
        assert place["artifactLocation"] == {"uri": files["findings"], "index": 1}
        assert place["region"]["startLine"] >= 1
        assert rules[result["ruleIndex"]] == result["ruleId"]


def test_a_file_that_does_not_parse_is_a_located_sarif_error_and_exit_2(
        files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, log, err = check(capsys, files["broken"], "--format", "sarif")
    assert code == 2
    run = log["runs"][0]
    assert run["artifacts"] == [{"location": {"uri": files["broken"]}}]
    [result] = run["results"]
    assert result["ruleId"] == "load-error"
    assert result["level"] == "error"
    assert "invalid YAML" in result["message"]["text"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 4, "startColumn": 1}
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["load-error"]
    assert "bad.roster.yaml:4:1" in err  # people reading the terminal still see it


def test_a_missing_file_is_a_result_without_a_region(
        files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, log, _ = check(capsys, files["clean"], "nowhere.roster.yaml", "--format", "sarif")
    assert code == 2
    [result] = log["runs"][0]["results"]
    place = result["locations"][0]["physicalLocation"]
    assert place == {"artifactLocation": {"uri": "nowhere.roster.yaml", "index": 1}}
    assert "file not found" in result["message"]["text"]


def test_json_for_several_files_is_one_document_with_totals_and_every_finding(
        files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = check(capsys, files["clean"], files["findings"], files["broken"],
                         "--format", "json")
    assert code == 2  # unreadable wins over findings
    by_file = {row["file"]: row for row in doc["files"]}
    assert by_file[files["clean"]] == {"file": files["clean"], "loaded": True, "errors": 0,
                                       "warnings": 0}
    assert by_file[files["findings"]]["errors"] > 0
    assert by_file[files["broken"]]["loaded"] is False
    assert doc["errors"] == sum(row["errors"] for row in doc["files"])
    assert doc["warnings"] == sum(row["warnings"] for row in doc["files"])
    [load] = [f for f in doc["findings"] if f["rule"] == "load-error"]
    assert (load["file"], load["line"], load["column"]) == (files["broken"], 4, 1)
    assert {f["file"] for f in doc["findings"]} == {files["findings"], files["broken"]}


def test_json_counts_match_the_text_summary(
        files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", files["findings"]])
    summary = capsys.readouterr().out.strip().splitlines()[-2]
    _, doc, _ = check(capsys, files["findings"], "--format", "json")
    assert summary == (f"{files['findings']}: {doc['errors']} error(s), "
                       f"{doc['warnings']} warning(s)")


def test_text_output_of_several_files_is_unchanged_in_shape(
        files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", files["clean"], files["broken"]]) == 2
    captured = capsys.readouterr()
    assert f"{files['clean']}: clean, no findings" in captured.out
    assert "bad.roster.yaml:4:1: invalid YAML" in captured.err


@pytest.mark.parametrize(("name", "uri"), [
    ("team.roster.yaml", "team.roster.yaml"),
    ("sub dir/team.roster.yaml", "sub%20dir/team.roster.yaml"),
    ("/srv/rosters/team.roster.yaml", "file:///srv/rosters/team.roster.yaml"),
])
def test_artifact_uris_are_relative_references_or_file_uris(name: str, uri: str) -> None:
    assert artifact_uri(name) == uri
