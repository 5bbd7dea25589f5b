"""Every `roster` command that writes a file refuses a bad output path with one clear line.

`error: cannot write PATH: why`, exit 2, no traceback and nothing written -
the same for `new -o`, `schema -o`, `doc -o`, `export`, `import` and
`simulate --junit/--write`; and the numeric options of `forecast` are checked
by argparse, naming the option.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from runtime.cli.common import directory_problem, output_problem
from runtime.cli.main import main

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
ROSTER = "support-triage.roster.yaml"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in (ROSTER, "support-triage.scenario.yaml"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    return tmp_path


COMMANDS = {
    "new": ["new", "x", "-o", "{out}"],
    "schema": ["schema", "-o", "{out}"],
    "doc": ["doc", ROSTER, "-o", "{out}"],
    "export yaml": ["export", "yaml", ROSTER, "-o", "{out}"],
    "simulate --junit": ["simulate", ROSTER, "--junit", "{out}"],
}
BAD = {
    "missing directory": ("nodir/x.out", "directory nodir does not exist"),
    "file as directory": ("a-file/x.out", "a-file is not a directory"),
    "deep missing directory": ("/nonexist/dir/x.out", "directory /nonexist/dir does not exist"),
}


@pytest.mark.parametrize("bad", list(BAD), ids=str)
@pytest.mark.parametrize("command", list(COMMANDS), ids=str)
def test_a_bad_output_file_is_one_located_error_and_exit_2(
        here: Path, command: str, bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    out, why = BAD[bad]
    before = sorted(p.name for p in here.iterdir())
    code = main([part.format(out=out) for part in COMMANDS[command]])
    err = capsys.readouterr().err
    assert code == 2
    assert f"error: cannot write {out}: {why}\n" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in here.iterdir()) == before


def test_an_existing_directory_is_not_a_file_name(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "-o", str(here)]) == 2
    assert f"cannot write {here}: {here} is a directory; give a file name" in (
        capsys.readouterr().err)


@pytest.mark.parametrize(("target", "why"), [
    ("a-file/scenarios", "a-file is not a directory"),
    ("a-file", "a-file is not a directory"),
])
def test_simulate_write_checks_its_directory_before_running(
        here: Path, target: str, why: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", ROSTER, "--write", target]) == 2
    captured = capsys.readouterr()
    assert f"error: cannot write {target}: {why}" in captured.err
    assert captured.out == ""  # failed before the suite ran


def test_simulate_write_creates_missing_directories(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["simulate", ROSTER, "--write", "new/scenarios", "--junit", "new-report.xml"])
    assert list((here / "new" / "scenarios").glob("*.scenario.yaml"))
    assert (here / "new-report.xml").read_text(encoding="utf-8").startswith("<?xml")


def test_export_to_a_folder_inside_a_file_is_refused(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "claude-code", ROSTER, "-o", "a-file/out"]) == 2
    assert "error: cannot write a-file/out: a-file is not a directory" in capsys.readouterr().err


def test_schema_written_to_a_good_path_says_where(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "-o", "s.json"]) == 0
    assert capsys.readouterr().err == "wrote s.json\n"
    assert (here / "s.json").read_text(encoding="utf-8").startswith("{")


def test_problems_are_none_for_writable_places(tmp_path: Path) -> None:
    assert output_problem(tmp_path / "x.yaml") is None
    assert directory_problem(tmp_path / "new" / "deeper") is None
    assert directory_problem(tmp_path) is None


@pytest.mark.parametrize(("args", "message"), [
    (["--tasks", "99999999999999999999"],
     "argument --tasks: expected a whole number up to 10,000,000, got '99999999999999999999'"),
    (["--tasks", "10000001"], "argument --tasks: expected a whole number up to 10,000,000"),
    (["--tasks", "many"], "argument --tasks: expected a whole number up to 10,000,000"),
    (["--seed", "-1"], "argument --seed: expected a whole number, 0 or more, got '-1'"),
])
def test_forecast_numbers_out_of_range_name_the_option(
        here: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["forecast", ROSTER, *args])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", [
    ["simulate", ROSTER, "--journal", "{db}"],
    ["run", ROSTER, "hi", "--db", "{db}"],
    ["submit", ROSTER, "hi", "--db", "{db}"],
    ["worker", "--db", "{db}"],
    ["runs", "list", "--db", "{db}"],
], ids=lambda c: " ".join(c[:2]))
def test_a_journal_inside_a_file_is_refused_by_every_command_that_opens_one(
        here: Path, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([part.format(db="a-file/runs.db") for part in command])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    option = "--journal" if command[0] == "simulate" else "--db"
    assert (f"argument {option}: cannot use a-file/runs.db as the run journal: a-file is not "
            "a directory") in err
    assert "Traceback" not in err


def test_a_journal_that_is_a_directory_suggests_a_file_in_it(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["runs", "list", "--db", str(here)])
    assert f"give a file name such as {here / 'runs.db'}" in capsys.readouterr().err


def test_database_urls_are_left_to_the_database(here: Path) -> None:
    from runtime.cli.common import journal_arg

    assert journal_arg("postgresql://u@h/db") == "postgresql://u@h/db"
    assert journal_arg("new-folder/runs.db") == "new-folder/runs.db"  # created on open
