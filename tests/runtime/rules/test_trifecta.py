"""R07 (lethal trifecta), R08 (taint across delegation), R09 (confused deputy), quarantine."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.roster.checks.rules.trifecta import is_quarantine
from tests.runtime.rules.conftest import codes, mutate
from tests.runtime.rules.helpers import grant, of, tool

NOTES = tool("fs_read", name="Team notes", capabilities=["reads_private_data"],
             data="internal", fs_roots=["/srv/data/notes"])


def _trifecta(approval: str) -> str:
    def change(d: dict[str, Any]) -> None:
        d["tools"]["notes"] = NOTES
        d["agents"]["researcher"]["uses"]["notes"] = grant(purpose="check earlier answers")
        d["agents"]["researcher"]["uses"]["web-fetch"]["approval"] = approval

    return mutate(change)


def test_r07_untrusted_private_and_outbound_in_one_agent() -> None:
    text = _trifecta("allow")
    assert codes(text) == {"R07"}
    (f,) = of(text, "R07")
    assert f.subjects[:2] == ("researcher", "web-fetch")
    assert "notes" in f.subjects
    assert f.path == ("agents", "researcher", "uses", "web-fetch")
    assert "via 'web-fetch'" in f.message and "via 'notes'" in f.message


def test_r07_quiet_when_the_outbound_grant_asks() -> None:
    assert "R07" not in codes(_trifecta("ask"))


def test_r07_quiet_on_two_legs(base: str) -> None:
    assert "R07" not in codes(base)  # researcher: untrusted + outbound, no private data


def _status_post(d: dict[str, Any], approval: str = "allow") -> None:
    d["mcp_servers"]["status-mcp"] = {
        "name": "Status server", "command": "/opt/status-mcp/bin/status-mcp",
        "args": ["--version-pin", "1.0.2"], "trust": "trusted", "tools_sha256": "ab" * 32,
    }
    d["tools"]["status-post"] = tool("mcp", name="Status post", server="status-mcp",
                                     tool="post_status", capabilities=["external_comm"],
                                     modes=["write"])
    d["agents"]["lead"]["uses"] = {"status-post": grant("write", approval, "post status")}


def test_r08_taint_from_a_delegate_without_an_output_schema() -> None:
    def change(d: dict[str, Any]) -> None:
        _status_post(d)
        del d["agents"]["researcher"]["output"]

    text = mutate(change)
    assert codes(text) == {"R08"}
    (f,) = of(text, "R08")
    assert f.subjects[:4] == ("lead", "status-post", "researcher", "web-fetch")
    assert f.path == ("agents", "lead", "uses", "status-post")
    assert "receives results from 'researcher'" in f.message
    assert "'researcher' an output schema" in f.fix


def test_r08_quarantine_delegate_stops_taint() -> None:
    assert codes(mutate(_status_post)) == set()


def test_r08_quiet_when_the_outbound_grant_asks() -> None:
    def change(d: dict[str, Any]) -> None:
        _status_post(d, "ask")
        del d["agents"]["researcher"]["output"]

    assert "R08" not in codes(mutate(change))


def test_r08_follows_chains() -> None:
    def change(d: dict[str, Any]) -> None:
        _status_post(d)
        d["agents"]["helper"] = {"name": "Helper", "role": "Relays research.",
                                 "delegates_to": ["researcher"], "escalates_to": ["ops-lead"]}
        d["agents"]["lead"]["delegates_to"] = ["helper", "billing"]
        del d["agents"]["researcher"]["output"]

    text = mutate(change)
    assert codes(text) == {"R08"}
    (f,) = of(text, "R08")
    assert f.subjects[:5] == ("lead", "status-post", "helper", "researcher", "web-fetch")
    assert "'helper' → 'researcher'" in f.message


SALARIES = tool("fs_read", name="Salary bands", capabilities=["reads_private_data"],
                risk="high", data="internal", fs_roots=["/srv/data/hr"])


def _deputy(approval: str, lead_holds: bool = False) -> str:
    def change(d: dict[str, Any]) -> None:
        d["tools"]["salaries"] = SALARIES
        d["agents"]["billing"]["uses"]["salaries"] = grant("read", approval, "check bands")
        if lead_holds:
            d["agents"]["lead"]["uses"] = {"salaries": grant("read", "allow", "check bands")}

    return mutate(change)


def test_r09_delegator_reaches_a_risky_tool_through_an_ungated_deputy() -> None:
    text = _deputy("allow")
    assert codes(text) == {"R09"}
    (f,) = of(text, "R09")
    assert f.subjects[:3] == ("billing", "lead", "salaries")
    assert f.path == ("agents", "billing", "uses", "salaries")


def test_r09_quiet_when_the_deputy_asks_or_the_delegator_holds_the_tool() -> None:
    assert "R09" not in codes(_deputy("ask"))
    assert "R09" not in codes(_deputy("allow", lead_holds=True))


def test_r09_leaves_high_impact_writes_to_r06() -> None:
    text = mutate(lambda d: d["agents"]["billing"]["uses"]["payments"].update(approval="allow"))
    assert "R09" not in codes(text)


STRING = {"type": "string"}


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        (None, False),
        ({"type": "object", "properties": {"v": {"type": "string", "enum": ["a"]}}}, True),
        ({"type": "object", "properties": {"v": STRING}}, False),
        ({"type": "object", "properties": {"n": {"type": "number"}},
          "additionalProperties": True}, False),
        ({"type": "object", "properties": {"n": {"type": "number"}},
          "additionalProperties": False}, True),
        ({"type": "array", "items": {"type": "string", "format": "uri"}}, True),
        ({"type": "array"}, False),
        ({"type": "string", "pattern": "^[A-Z]{3}$"}, True),
        ({"const": "done"}, True),
        ({"$ref": "#/defs/x"}, False),
        ({"anyOf": [{"type": "integer"}, STRING]}, False),
        ({"anyOf": [{"type": "integer"}, {"type": "boolean"}]}, True),
        ({"type": ["string", "null"], "format": "date"}, True),
        ({"type": "object", "patternProperties": {".*": {"type": "number"}}}, False),
        ({}, False),
    ],
)
def test_is_quarantine(schema: dict[str, Any] | None, expected: bool) -> None:
    assert is_quarantine(schema) is expected
