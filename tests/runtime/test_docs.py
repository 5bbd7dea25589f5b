"""Generated documentation stays current, and the README's commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from runtime.cli.explain import rules_markdown
from runtime.roster.checks.engine import load_rules

ROOT = Path(__file__).resolve().parents[2]


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "the Quick start has no ```sh block"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_docs_rules_md_is_generated_from_the_registry() -> None:
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == rules_markdown(), (
        "docs/rules.md is stale: run `roster explain --markdown > docs/rules.md`")


def test_every_rule_has_an_explanation_with_a_fix() -> None:
    for code, rule in load_rules().items():
        assert len(rule.explain) > 200, code
        assert "fix" in rule.explain.lower(), code


def test_the_quick_start_has_exactly_two_commands() -> None:
    assert len(_quick_start_commands()) == 2


def test_ci_runs_the_quick_start_test_command() -> None:
    test_command = _quick_start_commands()[1]
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
