"""The interop commands: import, export claude-code/crewai, doc, diff (also as a git diff)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.cli.main import main
from runtime.roster import io

from .conftest import CC_BAD, CC_PROJECT, CREWAI, SAMPLES

SUPPORT = next(p for p in SAMPLES if "support" in p.name)


def test_import_claude_code_reports_per_file_and_writes_a_roster_with_the_schema_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "team.roster.yaml"
    assert main(["import", "claude-code", str(CC_PROJECT), "-o", str(out)]) == 0
    printed = capsys.readouterr()
    assert "imported: agent code-reviewer" in printed.out
    assert "mapped: model sonnet → claude-sonnet-5-5" in printed.out
    assert "kept: kept as-is: color" in printed.out
    assert "wrote" in printed.err
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    assert io.load_roster(out).content.nodes["code-reviewer"]


def test_import_with_refused_files_exits_1_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bad.roster.yaml"
    assert main(["import", "claude-code", str(CC_BAD), "-o", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "refused" in printed and "no-frontmatter.md:1:1: no frontmatter" in printed
    assert out.exists()


def test_import_of_a_folder_without_agents_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "none.roster.yaml"
    assert main(["import", "crewai", str(CREWAI / "bad" / "empty"), "-o", str(out)]) == 2
    assert "no CrewAI project here" in capsys.readouterr().err
    assert not out.exists()


def test_import_crewai_then_export_both_formats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "crew.roster.yaml"
    assert main(["import", "crewai", str(CREWAI / "classic_sequential"), "-o", str(roster)]) == 0
    # an imported crew has no budgets or approvals yet: the checks stop a plain export
    assert main(["export", "crewai", str(roster), "-o", str(tmp_path / "crew")]) == 1
    assert main(["export", "crewai", str(roster), "-o", str(tmp_path / "crew"), "--force"]) == 0
    assert (tmp_path / "crew" / "config" / "agents.yaml").exists()
    assert (tmp_path / "crew" / "crew.py").exists()
    assert main(["export", "claude-code", str(SUPPORT), "-o", str(tmp_path / "cc")]) == 0
    assert (tmp_path / "cc" / ".claude" / "agents" / "triage.md").exists()
    assert json.loads((tmp_path / "cc" / ".claude" / "settings.json").read_text())["permissions"]
    assert (tmp_path / "cc" / ".mcp.json").exists()
    assert "wrote: permissions" in capsys.readouterr().out


def test_export_is_refused_while_the_roster_has_governance_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vacuum = next(p for p in SAMPLES if "vacuum" in p.name)
    assert main(["export", "claude-code", str(vacuum), "-o", str(tmp_path / "x")]) == 1
    assert "governance error" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert main(["export", "claude-code", str(vacuum), "-o", str(tmp_path / "x"), "--force"]) == 0


def test_doc_writes_markdown_to_stdout_or_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doc", str(SUPPORT)]) == 0
    assert "```mermaid" in capsys.readouterr().out
    target = tmp_path / "handbook.md"
    assert main(["doc", str(SUPPORT), "-o", str(target)]) == 0
    assert target.read_text().startswith("# Support triage: handbook")


def _changed(tmp_path: Path) -> Path:
    text = SUPPORT.read_text().replace("payments: {mode: write, approval: ask",
                                       "payments: {mode: write, approval: allow")
    assert text != SUPPORT.read_text()
    target = tmp_path / "changed.roster.yaml"
    target.write_text(text)
    return target


def test_diff_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    changed = _changed(tmp_path)
    assert main(["diff", str(SUPPORT), str(SUPPORT)]) == 0
    assert "no semantic changes" in capsys.readouterr().out
    assert main(["diff", str(SUPPORT), str(changed)]) == 1
    assert "HIGH   permission  refunds now uses payments (write) without approval" in \
        capsys.readouterr().out
    assert main(["diff", str(SUPPORT), str(changed), "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["changes"][0]["risk"] == "high"


def test_diff_accepts_git_external_diff_arguments_and_dev_null(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = _changed(tmp_path)
    args = ["team.roster.yaml", str(SUPPORT), "a" * 40, "100644", str(changed), "b" * 40,
            "100644"]
    assert main(["diff", *args]) == 1
    assert "a/team.roster.yaml → b/team.roster.yaml" in capsys.readouterr().out
    assert main(["diff", "/dev/null", str(SUPPORT)]) == 1
    assert "agent triage added" in capsys.readouterr().out


def test_diff_of_an_unreadable_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(SUPPORT), "/nonexistent.roster.yaml"]) == 2
    assert "file not found" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_uses_roster_diff_as_a_difftool_in_a_scratch_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    roster_bin = Path(sys.executable).parent / "roster"
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),
           "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(repo), *args], env=env, text=True,
                              capture_output=True, check=False)

    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    git("config", "difftool.roster.cmd", f'{roster_bin} diff "$LOCAL" "$REMOTE"')
    shutil.copy(SUPPORT, repo / "team.roster.yaml")
    git("add", ".")
    git("commit", "-qm", "base")
    (repo / "team.roster.yaml").write_text(_changed(tmp_path).read_text())
    result = git("difftool", "--no-prompt", "--tool=roster", "team.roster.yaml")
    assert "refunds now uses payments (write) without approval" in result.stdout, result.stderr


def test_quiet_import_prints_only_the_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bad.roster.yaml"
    assert main(["import", "claude-code", str(CC_BAD), "-o", str(out), "--quiet"]) == 1
    printed = capsys.readouterr().out
    assert "refused" in printed
    assert "imported: agent dup" not in printed
