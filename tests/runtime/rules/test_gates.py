"""R06 (high-impact tool needs a human gate) and R11 (read by default)."""

from __future__ import annotations

from typing import Any

from tests.runtime.rules.conftest import codes, mutate
from tests.runtime.rules.helpers import grant, of


def test_r06_allow_on_a_payments_grant() -> None:
    text = mutate(lambda d: d["agents"]["billing"]["uses"]["payments"].update(approval="allow"))
    assert codes(text) == {"R06"}
    (f,) = of(text, "R06")
    assert f.subjects[:2] == ("billing", "payments")
    assert f.path == ("agents", "billing", "uses", "payments")
    assert "financial, irreversible" in f.message
    assert "approval: ask" in f.fix


def test_r06_needs_a_human_that_denies_on_timeout() -> None:
    def change(d: dict[str, Any]) -> None:
        d["humans"]["helper"] = {"name": "Helper", "role": "Answers questions.",
                                 "timeout_s": 600, "on_timeout": "escalate"}
        d["agents"]["billing"]["escalates_to"] = ["helper"]
        d["agents"]["lead"]["escalates_to"].append("helper")

    text = mutate(change)
    assert codes(text) == {"R06", "R19"}  # R19: escalate needs a backup
    found = of(text, "R06")
    assert [f.path for f in found] == [("agents", "billing", "uses", "payments")]
    assert "on_timeout is deny" in found[0].message


def test_r06_escalate_with_a_backup_counts_as_a_gate() -> None:
    def change(d: dict[str, Any]) -> None:
        d["humans"]["helper"] = {"name": "Helper", "role": "Answers questions.",
                                 "timeout_s": 600, "on_timeout": "escalate", "backup": "ops-lead"}
        d["agents"]["billing"]["escalates_to"] = ["helper"]

    assert "R06" not in codes(mutate(change))


def test_r06_quiet_on_gated_and_read_only_grants(base: str) -> None:
    assert "R06" not in codes(base)
    text = mutate(lambda d: d["agents"]["billing"]["uses"]["payments"].update(mode="read"))
    assert "R06" not in codes(text)


def test_r06_unannotated_mcp_tool_is_destructive_by_default() -> None:
    def change(d: dict[str, Any]) -> None:
        d["tools"]["ledger"] = {"name": "Ledger", "kind": "mcp", "server": "payments-mcp",
                                "tool": "ledger_note", "capabilities": ["state_change"],
                                "risk": "low", "data": "public", "vetted": True, "audit": True}
        d["agents"]["billing"]["uses"]["ledger"] = grant("write", "allow", "note the refund")

    text = mutate(change)
    assert codes(text) == {"R06"}
    found = of(text, "R06")
    assert [f.path for f in found] == [("agents", "billing", "uses", "ledger")]


def test_r11_write_grant_on_a_read_only_tool() -> None:
    text = mutate(lambda d: d["agents"]["billing"]["uses"]["order-files"].update(mode="write"))
    assert codes(text) == {"R11"}
    (f,) = of(text, "R11")
    assert f.path == ("agents", "billing", "uses", "order-files")
    assert "only supports read" in f.message
    assert "mode: read" in f.fix


def test_r11_quiet_when_the_tool_supports_the_mode(base: str) -> None:
    assert "R11" not in codes(base)
