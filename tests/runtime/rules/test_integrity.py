"""R00 (unknown node kind) and R01 (referential integrity): fires, stays quiet, points right."""

from __future__ import annotations

from typing import Any

from tests.runtime.rules.conftest import codes, mutate
from tests.runtime.rules.helpers import grant, of


def test_r00_fires_on_a_tool_of_an_unknown_kind() -> None:
    def change(d: dict[str, Any]) -> None:
        d["tools"]["frob"] = {"kind": "frobnicate", "name": "Frob"}

    text = mutate(change)
    assert codes(text) == {"R00"}
    (f,) = of(text, "R00")
    assert f.subjects == ("frob",)
    assert f.path == ("tools", "frob", "kind")
    assert f.message == "tool 'frob' has kind 'frobnicate' that no installed plugin provides"
    assert f.fix == "fix the kind or install the plugin"


def test_r00_quiet_on_known_kinds(base: str) -> None:
    assert "R00" not in codes(base)


def test_r01_unknown_tool_with_did_you_mean() -> None:
    text = mutate(lambda d: d["agents"]["researcher"]["uses"].update({"web-fetc": grant()}))
    assert codes(text) == {"R01"}
    (f,) = of(text, "R01")
    assert f.path == ("agents", "researcher", "uses", "web-fetc")
    assert f.subjects[:2] == ("researcher", "web-fetc")
    assert "unknown tool 'web-fetc'" in f.message
    assert "'order-files', 'payments', 'web-fetch'" in f.message
    assert "did you mean 'web-fetch'?" in f.message


def test_r01_delegation_to_a_human_points_at_the_list_item() -> None:
    text = mutate(lambda d: d["agents"]["lead"]["delegates_to"].append("ops-lead"))
    assert codes(text) == {"R01"}
    (f,) = of(text, "R01")
    assert f.path == ("agents", "lead", "delegates_to", 2)
    assert "'ops-lead' is a human, not an agent" in f.message
    assert "escalates_to" in f.fix


def test_r01_escalation_to_an_agent_and_grant_of_an_agent() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agents"]["researcher"]["escalates_to"].append("billing")
        d["agents"]["researcher"]["uses"]["lead"] = grant()

    text = mutate(change)
    assert codes(text) == {"R01"}
    paths = {f.path for f in of(text, "R01")}
    assert paths == {("agents", "researcher", "escalates_to", 1),
                     ("agents", "researcher", "uses", "lead")}


def test_r01_entry_that_is_not_an_agent() -> None:
    text = mutate(lambda d: d["entry"].append("payments"))
    assert codes(text) == {"R01"}
    (f,) = of(text, "R01")
    assert f.path == ("entry", 1)
    assert "'payments' is a tool, not an agent" in f.message


def test_r01_tool_server_and_human_backup() -> None:
    def change(d: dict[str, Any]) -> None:
        d["tools"]["payments"]["server"] = "payment-mcp"
        d["humans"]["ops-lead"]["backup"] = "billing"

    text = mutate(change)
    assert codes(text) == {"R01", "R02"}  # R02: the payments server is no longer reachable
    found = {f.path: f for f in of(text, "R01")}
    assert set(found) == {("tools", "payments", "server"), ("humans", "ops-lead", "backup")}
    assert "did you mean 'payments-mcp'?" in found[("tools", "payments", "server")].message
    assert "'billing' is an agent, not a human" in found[("humans", "ops-lead", "backup")].message


def test_r01_mcp_tool_without_server() -> None:
    text = mutate(lambda d: d["tools"]["payments"].pop("server"))
    assert codes(text) == {"R01", "R02"}  # R02: the payments server is no longer reachable
    found = of(text, "R01")
    assert [f.path for f in found] == [("tools", "payments")]


def test_r01_acknowledgement_of_unknown_rule_and_subject() -> None:
    def change(d: dict[str, Any]) -> None:
        d["acknowledged"] = [
            {"rule": "R99", "subject": "lead", "by": "ops", "reason": "r"},
            {"rule": "R10", "subject": "laed", "by": "ops", "reason": "r"},
        ]

    text = mutate(change)
    assert codes(text) == {"R01"}
    found = {f.path: f for f in of(text, "R01")}
    assert set(found) == {("acknowledged", 0, "rule"), ("acknowledged", 1, "subject")}
    assert "did you mean 'lead'?" in found[("acknowledged", 1, "subject")].message


def test_r01_quiet_on_the_base(base: str) -> None:
    assert "R01" not in codes(base)


def test_r01_messages_never_show_config_values() -> None:
    def change(d: dict[str, Any]) -> None:
        d["tools"]["web-fetch"]["config"]["allow_domains"] = ["secret-host.internal"]
        d["tools"]["web-fetch"]["server"] = "nowhere"

    for f in of(mutate(change), "R01"):
        assert "secret-host" not in f.message + f.fix
