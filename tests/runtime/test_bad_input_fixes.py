"""Bad-input errors carry a usable fix line (docs/format.md: "what was expected and how to fix it").

A fixture in tests/fixtures/bad/ may carry a third header line

    # fix: TEXT

naming a piece of text the error's fix line must contain. These cover the cases a QA
pass found without one or with a misleading one: out-of-range numbers (the fix names
the allowed range), a fraction where a whole number belongs, non-finite numbers, and
YAML indentation mistakes. A directory passed as the roster file is checked here too:
it cannot live in the fixture directory, whose files are globbed as roster files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from runtime.roster import io
from runtime.roster.errors import RosterLoadError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bad"
FIX = re.compile(rb"^# fix: (.*?)\r?$", re.MULTILINE)


def _with_fix_line() -> list[object]:
    params = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        match = FIX.search(path.read_bytes())
        if match is not None:
            params.append(pytest.param(path, match.group(1).decode(), id=path.stem))
    return params


def _refusal(path: Path) -> RosterLoadError:
    with pytest.raises(RosterLoadError) as caught:
        io.load_roster(path)
    return caught.value


def test_the_fix_line_corpus_covers_the_cases_found_without_one() -> None:
    names = {param.id for param in _with_fix_line()}  # type: ignore[attr-defined]
    assert {
        "policy-budget-negative",
        "agent-timeout-zero",
        "agent-max-turns-too-big",
        "agent-max-turns-float",
        "yaml-bad-indentation",
        "policy-budget-nan",
    } <= names


@pytest.mark.parametrize(("path", "fix"), _with_fix_line())
def test_bad_file_error_has_the_promised_fix_line(path: Path, fix: str) -> None:
    error = _refusal(path)
    assert error.hint is not None, str(error)
    assert fix.lower() in error.hint.lower(), str(error)
    assert f"  fix: {error.hint}" in str(error)


def test_a_fraction_where_a_whole_number_belongs_is_not_told_to_drop_true_false() -> None:
    error = _refusal(FIXTURES / "agent-max-turns-float.yaml")
    assert error.hint is not None
    assert "true/false" not in error.hint
    assert "whole number" in error.hint


def test_out_of_range_fix_states_both_ends_of_the_range_when_there_are_two() -> None:
    error = _refusal(FIXTURES / "agent-max-turns-too-big.yaml")
    assert error.hint == "use a whole number from 1 to 1000"


def test_a_directory_passed_as_the_roster_is_told_to_pass_the_file_inside(tmp_path: Path) -> None:
    folder = tmp_path / "dir.roster.yaml"
    folder.mkdir()
    error = _refusal(folder)
    assert "directory" in error.message
    assert error.hint is not None and "pass the roster file inside it" in error.hint


def test_a_directory_fix_names_the_roster_files_it_holds(tmp_path: Path) -> None:
    (tmp_path / "team.roster.yaml").write_text("format: agent-roster\nversion: 1\n")
    error = _refusal(tmp_path)
    assert error.hint is not None and str(tmp_path / "team.roster.yaml") in error.hint
