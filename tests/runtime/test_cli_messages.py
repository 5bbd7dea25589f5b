"""What the `roster` commands say when the user slips: advice that helps, never harms.

A scenario or workload passed as the roster is named as such (adding a roster
header to it would corrupt it); a wrong --entry lists the agents to choose
from; the pre-run check counts findings as `roster check` does; `keys check`
explains its argument; a read-only `runs list` creates nothing; accented
roster names make readable file names; a run's failure reason reads without a
Python class name when the problem is the user's to fix.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from runtime.cli.main import main
from runtime.cli.new import file_stem
from runtime.engine.failures import RunSetupError, failure_reason
from runtime.roster.errors import RosterLoadError
from runtime.roster.io import load_roster
from runtime.secrets.keystore import NoSecureBackend

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for path in SAMPLES.glob("support-triage.*"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(SAMPLES / "governance-vacuum.roster.yaml", tmp_path)
    return tmp_path


@pytest.mark.parametrize(("name", "kind", "option"), [
    ("support-triage.scenario.yaml", "scenario", "--scenario"),
    ("support-triage.workload.yaml", "workload", "--workload"),
])
def test_a_companion_file_where_the_roster_goes_is_named_and_not_given_a_roster_header(
        here: Path, name: str, kind: str, option: str) -> None:
    with pytest.raises(RosterLoadError) as caught:
        load_roster(here / name)
    text = str(caught.value)
    assert f"this is a {kind} file, not a roster" in text
    assert f"pass the roster, and the {kind} with {option}" in text
    assert "add 'format: agent-roster'" not in text
    assert caught.value.line is not None  # located at the format line


@pytest.mark.parametrize("command", [
    ["check", "support-triage.scenario.yaml"],
    ["simulate", "support-triage.scenario.yaml"],
    ["forecast", "support-triage.workload.yaml"],
])
def test_commands_given_a_companion_file_say_what_to_pass(
        here: Path, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(command) == 2
    err = capsys.readouterr().err
    assert "not a roster" in err and "fix: pass the roster" in err


def test_a_file_of_another_format_still_gets_the_header_advice(here: Path) -> None:
    (here / "other.yaml").write_text("format: something-else\nversion: 1\n", encoding="utf-8")
    with pytest.raises(RosterLoadError, match="not an Agent Roster file"):
        load_roster(here / "other.yaml")


@pytest.mark.parametrize("verb", ["run", "submit"])
def test_pre_run_check_counts_warnings_like_roster_check(
        here: Path, verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "governance-vacuum.roster.yaml"])
    summary = capsys.readouterr().out.splitlines()[-2]
    assert ", 0 warning(s)" not in summary
    extra = ["--db", str(here / "runs.db")] if verb == "submit" else []
    assert main([verb, "governance-vacuum.roster.yaml", "do it", *extra]) == 2
    err = capsys.readouterr().err
    assert summary + "\n" in err
    assert "warning R" not in err  # counted, not listed: they do not stop a run
    assert "`roster check governance-vacuum.roster.yaml` shows every finding" in err


def test_an_unknown_entry_agent_lists_the_agents_to_choose_from(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "support-triage.roster.yaml", "hi", "--entry", "nobody"]) == 2
    err = capsys.readouterr().err
    assert ("error: no agent 'nobody' in the roster (entry agents: triage; other agents: "
            "refunds); name one of them with --entry AGENT") in err


def test_a_misspelt_entry_agent_gets_a_suggestion(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "support-triage.roster.yaml", "hi", "--entry", "triag"]) == 2
    assert "did you mean 'triage'?" in capsys.readouterr().err


def test_keys_check_given_a_key_name_explains_it_takes_a_roster(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "check", "anthropic"]) == 1
    err = capsys.readouterr().err
    assert "cannot read anthropic: no such file" in err
    assert "takes a roster file" in err and "`roster keys list`" in err
    assert "No such file or directory" not in err


@pytest.mark.parametrize("action", [["list"], ["approvals"], ["show", "abc123"]])
def test_reading_the_runs_of_a_fresh_machine_creates_no_journal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, action: list[str],
        capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("ROSTER_DATA_DIR", str(data))
    code = main(["runs", *action])
    captured = capsys.readouterr()
    assert "no runs yet" in (captured.out + captured.err).lower()
    assert code == (2 if action[0] == "show" else 0)
    assert not data.exists()


def test_runs_list_reads_an_existing_journal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from runtime.engine.journal import Journal

    db = tmp_path / "runs.db"
    journal = Journal(f"sqlite:///{db}")
    journal.create_run("run000000001", roster_name="Refunds", content_hash="h", task="t")
    journal.close()
    assert main(["runs", "list", "--db", str(db)]) == 0
    assert "run000000001" in capsys.readouterr().out


@pytest.mark.parametrize(("name", "stem"), [
    ("Équipe Café", "equipe-cafe"),
    ("Support team", "support-team"),
    ("Ünïcödé naïve façade", "unicode-naive-facade"),
    ("日本", "roster"),
])
def test_new_roster_file_names_transliterate_accents(name: str, stem: str) -> None:
    assert file_stem(name) == stem


def test_new_keeps_the_accented_display_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new", "Équipe Café"]) == 0
    assert load_roster(tmp_path / "equipe-cafe.roster.yaml").content.meta.name == "Équipe Café"


def test_expected_failures_read_without_a_class_name() -> None:
    assert failure_reason(RunSetupError("no Anthropic key: run `roster keys set anthropic`")
                          ) == "no Anthropic key: run `roster keys set anthropic`"
    assert failure_reason(NoSecureBackend("no secure key storage")) == "no secure key storage"


def test_unexpected_failures_keep_their_class_name() -> None:
    assert failure_reason(KeyError("x")) == "KeyError: 'x'"
    assert failure_reason(RuntimeError("boom")) == "RuntimeError: boom"
    assert failure_reason(ZeroDivisionError()) == "ZeroDivisionError"
