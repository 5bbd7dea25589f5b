"""docs/cli.md is generated from the argparse parsers and must match them."""

from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace

from runtime.cli.main import COMMAND_MODULES, build_parser

ROOT = Path(__file__).resolve().parents[2]
CLI_MD = ROOT / "docs" / "cli.md"


def _generator() -> SimpleNamespace:  # docs/ is not a package: run the script by path
    return SimpleNamespace(**runpy.run_path(str(ROOT / "docs" / "make_cli_reference.py")))


def test_docs_cli_md_is_current() -> None:
    expected = _generator().generate()
    assert CLI_MD.read_text(encoding="utf-8") == expected, (
        "docs/cli.md is out of date with the command-line parsers: "
        "run `.venv/bin/python docs/make_cli_reference.py` and commit docs/cli.md")


def test_every_command_and_sub_command_has_a_section() -> None:
    text = _generator().generate()
    commands = [name for name in build_parser()._subparsers._group_actions[0].choices]
    assert len(commands) >= len(COMMAND_MODULES) - 1
    for name in commands:
        assert f"\n## roster {name}\n" in text, name
    for nested in ("roster keys set", "roster runs show", "roster export yaml"):
        assert f"\n## {nested}\n" in text
    assert "\n## roster-designer\n" in text and "--self-test" in text


def test_the_reference_does_not_depend_on_the_terminal_width(monkeypatch) -> None:
    generator = _generator()
    monkeypatch.setenv("COLUMNS", "40")
    narrow = generator.generate()
    monkeypatch.setenv("COLUMNS", "250")
    assert generator.generate() == narrow
