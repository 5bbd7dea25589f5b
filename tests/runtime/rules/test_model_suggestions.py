"""A rule's fix never recommends a model another rule would flag.

R26 used to suggest the delegate's own model, so on governance-vacuum it told the
user to move 'ops-bot' to claude-opus-4-5, which R25 flags as deprecated. Its
suggestion must be a current (not deprecated) catalog model the policy allows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runtime.roster.catalog import load_catalog
from tests.runtime.rules.conftest import mutate
from tests.runtime.rules.helpers import of

SAMPLES = Path(__file__).resolve().parents[3] / "resources" / "samples"


def _deprecated() -> set[str]:
    return {x.id for x in load_catalog().models() if x.deprecated}


def test_r26_on_governance_vacuum_suggests_a_current_model() -> None:
    found = of((SAMPLES / "governance-vacuum.roster.yaml").read_text(), "R26")
    assert found, "governance-vacuum is expected to trigger R26"
    for finding in found:
        assert "claude-opus-4-5" not in finding.fix
        assert not any(f"e.g. {name})" in finding.fix for name in _deprecated()), finding.fix
        assert "e.g. claude-opus-5-5" in finding.fix


def test_r26_suggests_only_a_model_the_policy_allows() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agents"]["lead"]["model"] = "claude-haiku-5-5"
        d["agents"]["researcher"]["model"] = "claude-sonnet-4-5"  # deprecated delegate
        d["agents"]["researcher"].pop("output")
        d["policy"]["allowed_models"].append("claude-sonnet-4-5")

    (finding,) = of(mutate(change), "R26")
    assert "claude-sonnet-4-5" not in finding.fix
    suggested = finding.fix.split("e.g. ")[1].rstrip(").")
    assert suggested in {"claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5"}
    assert suggested not in _deprecated()
