"""Semantic diff: risk first, layout ignored, wording that names the risk."""

from __future__ import annotations

from dataclasses import replace

from runtime.interop.diff import diff
from runtime.roster import codec, io
from runtime.roster import model as m

BASE = """format: agent-roster
version: 1
name: Support
policy: {budget_usd_per_run: 5}
agents:
  billing:
    model: claude-haiku-5-5
    uses:
      payments: {mode: read, approval: ask}
    escalates_to: [ops-lead]
  triage:
    model: claude-haiku-5-5
    delegates_to: [billing]
tools:
  payments:
    kind: mcp
    server: pay
    tool: refund
    capabilities: [financial]
    risk: critical
mcp_servers:
  pay: {command: python, trust: untrusted}
humans:
  ops-lead: {name: Ops lead}
layout:
  billing: {x: 0, y: 0}
"""


def load(text: str = BASE) -> codec.RosterContent:
    return io.loads(text).content


def messages(old: codec.RosterContent, new: codec.RosterContent) -> list[str]:
    return [c.message for c in diff(old, new)]


def test_identical_rosters_have_no_changes() -> None:
    assert diff(load(), load()) == []


def test_layout_is_ignored() -> None:
    moved = load(BASE.replace("{x: 0, y: 0}", "{x: 300, y: -20}"))
    assert diff(load(), moved) == []


def test_gaining_write_without_approval_is_high_risk_and_worded_as_such() -> None:
    new = load(BASE.replace("payments: {mode: read, approval: ask}",
                            "payments: {mode: write, approval: allow}"))
    changes = diff(load(), new)
    assert [c.risk for c in changes] == ["high", "high"]
    assert "billing now uses payments (write) without approval (was ask)" in messages(load(), new)
    assert any("widened from read to write" in c.message for c in changes)


def test_a_new_grant_without_approval_reads_like_the_issue() -> None:
    new = load(BASE.replace("      payments: {mode: read, approval: ask}\n",
                            "      payments: {mode: read, approval: ask}\n").replace(
        "    delegates_to: [billing]\n",
        "    delegates_to: [billing]\n    uses:\n      payments: {mode: write, approval: allow}\n"))
    change = diff(load(), new)[0]
    assert change.message == "triage gained write on payments without approval"
    assert (change.risk, change.category) == ("high", "permission")


def test_losing_an_escalation_is_high_risk() -> None:
    new = load(BASE.replace("    escalates_to: [ops-lead]\n", ""))
    change = diff(load(), new)[0]
    assert change.category == "escalation" and change.risk == "high"
    assert change.message.startswith("billing no longer escalates to ops-lead")


def test_permission_and_escalation_changes_come_before_everything_else() -> None:
    new = load(BASE.replace("name: Support", "name: Support 2")
               .replace("model: claude-haiku-5-5\n    uses", "model: claude-opus-5-5\n    uses")
               .replace("    escalates_to: [ops-lead]\n", "")
               .replace("budget_usd_per_run: 5", "budget_usd_per_run: 50"))
    categories = [c.category for c in diff(load(), new)]
    assert categories[0] == "escalation"
    assert categories.index("model") > 0 and categories[-1] == "roster"


def test_model_changes_name_the_tiers() -> None:
    new = load(BASE.replace("model: claude-haiku-5-5\n    uses",
                            "model: claude-opus-5-5\n    uses"))
    (change,) = diff(load(), new)
    assert change.message == "billing model claude-haiku-5-5 → claude-opus-5-5 (economy → premium)"
    assert change.risk == "medium"


def test_tool_capabilities_server_trust_and_policy_are_compared() -> None:
    new = load(BASE.replace("capabilities: [financial]", "capabilities: [financial, irreversible]")
               .replace("trust: untrusted", "trust: trusted")
               .replace("budget_usd_per_run: 5", "budget_usd_per_run: 50"))
    texts = messages(load(), new)
    assert "payments gained irreversible" in texts
    assert any(t.startswith("pay is now trusted") for t in texts)
    assert "policy.budget_usd_per_run 5 → 50" in texts


def test_added_and_removed_nodes_and_delegations_are_listed() -> None:
    old = load()
    new = load()
    new.nodes["auditor"] = m.Agent("auditor", name="Auditor")
    del new.edges[m.edge_id(m.EdgeKind.DELEGATION, "triage", "billing")]
    texts = messages(old, new)
    assert "agent auditor added" in texts
    assert "triage no longer delegates to billing" in texts


def test_every_change_has_a_path_and_serialisable_values() -> None:
    import json

    new = load(BASE.replace("approval: ask", "approval: allow"))
    new.nodes["billing"] = replace(new.nodes["billing"], budget_usd=3.0)  # type: ignore[arg-type]
    payload = json.dumps([c.as_dict() for c in diff(load(), new)])
    assert '"path": "agents.billing.uses.payments.approval"' in payload
