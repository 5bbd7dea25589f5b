"""GOVERNANCE.md's mutation tests for R01-R12: each mutation fires exactly the expected rules.

The mutations are applied both to the YAML (full check) and, where they are
single edits, through `Document.apply` with an `IncrementalChecker`, so the
designer's live problems panel and `roster check` agree.
"""

from __future__ import annotations

from typing import Any

from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster.checks.engine import IncrementalChecker
from runtime.roster.document import Document
from runtime.roster.io import loads
from tests.runtime.rules.conftest import base_roster_yaml, codes, mutate
from tests.runtime.rules.helpers import grant, of


def _live(*edit: e.Edit) -> set[str]:
    doc = Document(loads(base_roster_yaml()).content)
    checker = IncrementalChecker(doc)
    assert checker.findings() == []
    for item in edit:
        doc.apply(item)
    return {f.rule for f in checker.findings()}


def test_flip_ask_to_allow_on_payments_fires_exactly_r06() -> None:
    text = mutate(lambda d: d["agents"]["billing"]["uses"]["payments"].update(approval="allow"))
    assert codes(text) == {"R06"}
    assert _live(e.SetProperty("billing:uses:payments", "approval", "allow")) == {"R06"}


def test_back_edge_making_a_cycle_fires_exactly_r03() -> None:
    text = mutate(lambda d: d["agents"]["billing"].update(delegates_to=["lead"]))
    assert codes(text) == {"R03"}
    assert _live(e.Connect(m.Edge(m.EdgeKind.DELEGATION, "billing", "lead"))) == {"R03"}


def test_bounding_the_back_edge_clears_r03() -> None:
    assert _live(
        e.Connect(m.Edge(m.EdgeKind.DELEGATION, "billing", "lead")),
        e.SetProperty("billing:delegates_to:lead", "max_rounds", 2),
    ) == set()


def test_untrusted_tool_on_a_privileged_agent() -> None:
    """billing reads confidential orders and moves money; giving it the web fetch builds a
    trifecta (R07) and an exfiltration path for the order data (R31), nothing else."""
    def change(d: dict[str, Any]) -> None:
        d["agents"]["billing"]["uses"]["web-fetch"] = grant(purpose="check the carrier page")

    text = mutate(change)
    assert codes(text) == {"R07", "R31"}
    (f,) = of(text, "R07")
    assert f.path == ("agents", "billing", "uses", "web-fetch")
    edge = m.Edge(m.EdgeKind.TOOL_ACCESS, "billing", "web-fetch", "read", "allow", "carrier")
    assert _live(e.Connect(edge)) == {"R07", "R31"}


def test_untrusted_tool_behind_ask_is_contained() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agents"]["billing"]["uses"]["web-fetch"] = grant("read", "ask", "check the carrier")

    assert codes(mutate(change)) == set()


def test_deleting_the_checkpoint() -> None:
    """Without ops-lead nobody gates the refunds (R06) and no agent can reach a human (R21)."""
    def change(d: dict[str, Any]) -> None:
        del d["humans"]["ops-lead"]
        for agent in d["agents"].values():
            agent.pop("escalates_to", None)

    assert codes(mutate(change)) == {"R06", "R21"}
    assert _live(e.RemoveNode("ops-lead")) == {"R06", "R21"}
