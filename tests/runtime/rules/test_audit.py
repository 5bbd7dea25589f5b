"""R22 (audit coverage) and R23 (structured arguments for dangerous sinks).

In the base, `payments` (financial, external) and `web-fetch` (external) are audited
and the roster sends audit records to the journal with redaction on. R23 mutations
add a SQLite tool to `billing` and vary its input schema and grant.
"""

from __future__ import annotations

from typing import Any

import pytest

from runtime.roster.checks.base import Severity
from runtime.roster.checks.rules.audit import strings_bounded
from tests.runtime.rules.conftest import codes, findings_for, mutate

REPORTS: dict[str, Any] = {
    "name": "Order reports", "kind": "sqlite",
    "description": "Runs the saved order reports on the reporting database.",
    "capabilities": ["reads_private_data"], "risk": "low", "data": "internal",
    "vetted": True, "modes": ["read"], "fs_roots": ["/srv/data/reports"], "network": "none",
    "config": {"database": "/srv/data/reports/orders.db"},
}


# ---------------------------------------------------------------- R22


@pytest.mark.parametrize("tool", ["payments", "web-fetch"])
def test_r22_audit_off_on_an_acting_tool(tool: str) -> None:
    (finding,) = findings_for(mutate(lambda d: d["tools"][tool].update(audit=False)))
    assert (finding.rule, finding.severity) == ("R22", Severity.ERROR)
    assert finding.subjects == (tool,)
    assert finding.path == ("tools", tool, "audit")


def test_r22_audit_off_on_a_read_only_tool_is_fine() -> None:
    assert codes(mutate(lambda d: d["tools"]["order-files"].update(audit=False))) == set()


def test_r22_no_audit_sink() -> None:
    for change in (lambda d: d.pop("audit"), lambda d: d["audit"].pop("sink")):
        (finding,) = findings_for(mutate(change))
        assert finding.rule == "R22" and finding.subjects == ()
        assert "no audit.sink" in finding.message


def test_r22_redaction_off() -> None:
    (finding,) = findings_for(mutate(lambda d: d["audit"].update(redact=False)))
    assert finding.rule == "R22" and finding.path == ("audit", "redact")


def test_r22_no_sink_needed_without_acting_tools() -> None:
    def change(d: dict[str, Any]) -> None:
        d.pop("audit")
        for tool in ("payments", "web-fetch"):
            d["tools"][tool]["audit"] = False
            d["tools"][tool]["capabilities"] = ["reads_private_data"]

    assert "R22" not in codes(mutate(change))


# ---------------------------------------------------------------- R23


def _reports(schema: dict[str, Any] | None, approval: str = "allow") -> str:
    def change(d: dict[str, Any]) -> None:
        d["tools"]["reports-db"] = dict(REPORTS)
        if schema is not None:
            d["tools"]["reports-db"]["input_schema"] = schema
        d["agents"]["billing"]["uses"]["reports-db"] = {
            "mode": "read", "approval": approval, "purpose": "check order records"}

    return mutate(change)


def test_r23_sql_tool_without_schema() -> None:
    (finding,) = findings_for(_reports(None))
    assert (finding.rule, finding.severity) == ("R23", Severity.WARNING)
    assert finding.subjects == ("reports-db", "billing")
    assert finding.path == ("tools", "reports-db")
    assert "declares no input_schema" in finding.message


def test_r23_sql_tool_with_free_text_argument() -> None:
    schema = {"type": "object", "properties": {"query": {"type": "string"}}}
    (finding,) = findings_for(_reports(schema))
    assert finding.rule == "R23" and "free-text" in finding.message


@pytest.mark.parametrize("leaf", [
    {"type": "string", "enum": ["daily_sales", "open_orders"]},
    {"type": "string", "pattern": "^[a-z_]{1,32}$"},
    {"type": "string", "maxLength": 32},
    {"type": "string", "format": "date"},
    {"const": "daily_sales"},
])
def test_r23_bounded_arguments_are_fine(leaf: dict[str, Any]) -> None:
    schema = {"type": "object", "properties": {"report": leaf, "limit": {"type": "integer"}},
              "additionalProperties": False}
    assert codes(_reports(schema)) == set()


def test_r23_gated_grant_needs_no_schema() -> None:
    assert codes(_reports(None, approval="ask")) == set()


@pytest.mark.parametrize(("schema", "bounded"), [
    ({"type": "object", "properties": {"a": {"type": "integer"}}}, True),
    ({"type": "object", "properties": {"a": {}}}, False),
    ({"type": "object", "additionalProperties": True}, False),
    ({"type": "object", "additionalProperties": {"type": "string"}}, False),
    ({"type": "object", "patternProperties": {".*": {"type": "number"}}}, False),
    ({"type": "array", "items": {"type": "string", "maxLength": 8}}, True),
    ({"type": "array"}, False),
    ({"anyOf": [{"type": "string", "enum": ["a"]}, {"type": "integer"}]}, True),
    ({"$ref": "#/definitions/x"}, False),
    ({"type": ["string", "null"]}, False),
])
def test_strings_bounded(schema: dict[str, Any], bounded: bool) -> None:
    assert strings_bounded(schema) is bounded
