"""R29–R31, the data-flow rules: each fires on a minimal mutation of the clean base, alone.

The base: `billing` (clearance confidential) reads `order-files` (confidential) and
returns a bounded result to `lead` (clearance internal); `researcher` reads public web
pages. Mutations add an outbound or unvetted tool, lower a clearance or open the
billing agent's output to free text, and each test asserts the exact set of rule codes
of a full check, so a neighbouring rule firing too shows up here.
"""

from __future__ import annotations

from typing import Any

from runtime.roster.checks.base import Finding, Severity
from tests.runtime.rules.conftest import codes, findings_for, mutate

NOTIFY: dict[str, Any] = {
    "name": "Customer notes",
    "kind": "mcp",
    "description": "Posts a note to the customer about their order.",
    "server": "payments-mcp",
    "tool": "post_note",
    "capabilities": ["external_comm"],
    "risk": "low",
    "data": "internal",
    "vetted": True,
    "modes": ["write"],
    "input_schema": {
        "type": "object",
        "properties": {"order_id": {"type": "string", "pattern": "^O[0-9]{8}$"}},
    },
}


def _grant(data: dict[str, Any], agent: str, tool_id: str, spec: dict[str, Any],
           mode: str = "write", approval: str = "allow") -> None:
    data["tools"][tool_id] = spec
    data["agents"][agent].setdefault("uses", {})[tool_id] = {
        "mode": mode, "approval": approval, "purpose": "tell the customer about the refund"}


def _only(text: str, code: str) -> list[Finding]:
    found = findings_for(text)
    assert {f.rule for f in found} == {code}, [(f.rule, f.message) for f in found]
    return found


def test_base_is_clean(base: str) -> None:
    assert codes(base) == set()


# ---------------------------------------------------------------- R29


def test_r29_confidential_reader_with_unvetted_writer() -> None:
    text = mutate(lambda d: _grant(d, "billing", "pastebin",
                                   {**NOTIFY, "tool": "create_paste", "vetted": False},
                                   approval="ask"))
    (finding,) = _only(text, "R29")
    assert finding.severity is Severity.ERROR
    assert finding.subjects == ("order-files", "billing", "pastebin")
    assert finding.path == ("agents", "billing", "uses", "pastebin")
    assert "order-files (confidential) → billing → pastebin (unvetted)" in finding.message


def test_r29_vetted_tool_is_fine() -> None:
    text = mutate(lambda d: _grant(d, "billing", "pastebin",
                                   {**NOTIFY, "tool": "create_paste"}, approval="ask"))
    assert codes(text) == set()


def test_r29_agent_without_sensitive_reads_may_hold_unvetted_tool() -> None:
    def change(d: dict[str, Any]) -> None:
        _grant(d, "billing", "pastebin", {**NOTIFY, "tool": "create_paste", "vetted": False},
               approval="ask")
        d["tools"]["order-files"]["data"] = "internal"

    assert codes(mutate(change)) == set()


# ---------------------------------------------------------------- R30


def test_r30_agent_below_the_data_it_reads() -> None:
    text = mutate(lambda d: d["agents"]["billing"].update(clearance="internal"))
    (finding,) = _only(text, "R30")
    assert finding.subjects == ("order-files", "billing")
    assert finding.path == ("agents", "billing", "uses", "order-files")
    assert "clearance internal" in finding.message and "confidential" in finding.message


def test_r30_results_flow_back_to_a_delegator_below_clearance() -> None:
    """billing's output gains a free-text field, so it is no longer a quarantine agent and
    the confidential order data can flow back to lead (clearance internal)."""

    def change(d: dict[str, Any]) -> None:
        d["agents"]["billing"]["output"]["schema"]["properties"]["note"] = {"type": "string"}

    (finding,) = _only(mutate(change), "R30")
    assert finding.subjects == ("order-files", "billing", "lead")
    assert finding.path == ("agents", "lead", "delegates_to", 1)
    assert "order-files (confidential) → billing → lead" in finding.message


def test_r30_bounded_result_or_cleared_delegator_is_fine() -> None:
    def bounded(d: dict[str, Any]) -> None:
        d["agents"]["billing"]["output"]["schema"]["properties"]["note"] = {
            "type": "string", "enum": ["ok", "late"]}

    def cleared(d: dict[str, Any]) -> None:
        d["agents"]["billing"]["output"]["schema"]["properties"]["note"] = {"type": "string"}
        d["agents"]["lead"]["clearance"] = "confidential"

    assert codes(mutate(bounded)) == set()
    assert codes(mutate(cleared)) == set()


# ---------------------------------------------------------------- R31


def test_r31_confidential_data_to_an_ungated_outbound_tool() -> None:
    text = mutate(lambda d: _grant(d, "billing", "notify", NOTIFY))
    (finding,) = _only(text, "R31")
    assert finding.subjects == ("order-files", "billing", "notify")
    assert finding.path == ("agents", "billing", "uses", "notify")
    assert "order-files (confidential) → billing → notify (external)" in finding.message


def test_r31_ask_on_the_outbound_grant_is_fine() -> None:
    assert codes(mutate(lambda d: _grant(d, "billing", "notify", NOTIFY, approval="ask"))) == set()


def test_r31_exfiltration_through_delegation_results() -> None:
    """lead may see confidential data (clearance confidential), billing returns free text,
    and lead itself holds the ungated outbound tool: the path runs through delegation."""

    def change(d: dict[str, Any]) -> None:
        d["agents"]["billing"]["output"]["schema"]["properties"]["note"] = {"type": "string"}
        d["agents"]["lead"]["clearance"] = "confidential"
        d["agents"]["lead"]["tasks"].append("tell the customer about the refund")
        _grant(d, "lead", "notify", NOTIFY)

    (finding,) = _only(mutate(change), "R31")
    assert finding.subjects == ("order-files", "billing", "lead", "notify")
    assert "order-files (confidential) → billing → lead → notify (external)" in finding.message


def test_r31_quarantine_delegate_stops_the_flow() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agents"]["lead"]["clearance"] = "confidential"
        d["agents"]["lead"]["tasks"].append("tell the customer about the refund")
        _grant(d, "lead", "notify", NOTIFY)

    assert codes(mutate(change)) == set()
