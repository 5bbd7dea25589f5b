"""The clean base is clean, the shipped sample is clean for R00-R12 and R24-R28/R32,
and every rule of this set documents itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.roster.checks.base import Severity
from runtime.roster.checks.engine import check_roster, load_rules
from runtime.roster.io import load_roster
from tests.runtime.rules.conftest import base_data, codes, dump, findings_for

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "resources" / "samples" / "support-triage.roster.yaml"
OURS = {
    "R00": Severity.ERROR, "R01": Severity.ERROR, "R02": Severity.WARNING,
    "R03": Severity.ERROR, "R04": Severity.WARNING, "R05": Severity.ERROR,
    "R06": Severity.ERROR, "R07": Severity.ERROR, "R08": Severity.ERROR,
    "R09": Severity.ERROR, "R10": Severity.WARNING, "R11": Severity.ERROR,
    "R12": Severity.ERROR, "R24": Severity.ERROR, "R25": Severity.WARNING,
    "R26": Severity.WARNING, "R27": Severity.ERROR, "R28": Severity.WARNING,
    "R32": Severity.WARNING,
}  # fmt: skip


def test_base_has_no_findings_from_any_rule(base: str) -> None:
    assert findings_for(base) == []
    assert codes(dump(base_data())) == set()


def test_sample_is_clean_for_these_rules() -> None:
    found = check_roster(load_roster(SAMPLE).content)
    assert [f for f in found if f.rule in OURS] == []


@pytest.mark.parametrize("code", sorted(OURS))
def test_rule_is_registered_and_explained(code: str) -> None:
    rule = load_rules()[code]
    assert rule.severity is OURS[code]
    assert rule.anchors
    paragraphs = [p for p in rule.explain.strip().split("\n\n") if p.strip()]
    assert len(paragraphs) >= 3, "what, why (with anchors) and how to fix"
    assert "Fix" in rule.explain and "    " in rule.explain  # an indented YAML example
