"""R17 (MCP supply chain pinned) and R18 (no tool shadowing) on minimal mutations of the base.

The base runs one MCP server, `payments-mcp`, from a fixed path with a pinned
tools_sha256, serving `create_refund` as the tool `payments`. Mutations change its
launch command, drop the hash, or add a second, fully pinned and trusted server whose
tool collides with an existing name: that must fire R18 and nothing else.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from runtime.roster.checks.base import Finding
from tests.runtime.rules.conftest import base_data, codes, dump, findings_for, mutate

SHA = "a" * 64


def _only(text: str, code: str) -> list[Finding]:
    found = findings_for(text)
    assert {f.rule for f in found} == {code}, [(f.rule, f.message) for f in found]
    return found


def _launch(command: str, *args: str) -> str:
    return mutate(lambda d: d["mcp_servers"]["payments-mcp"].update(command=command,
                                                                     args=list(args)))


# ---------------------------------------------------------------- R17


@pytest.mark.parametrize(("command", "args", "words"), [
    ("npx", ["-y", "@acme/payments-mcp"], "without an exact version"),
    ("npx", ["-y", "@acme/payments-mcp@latest"], "not an exact version"),
    ("npx", ["payments-mcp@^2.4"], "not an exact version"),
    ("uvx", ["payments-mcp"], "without ==version"),
    ("uv", ["tool", "run", "payments-mcp"], "without ==version"),
    ("sh", ["-c", "pip install payments-mcp && payments-mcp"], "pip install"),
    ("python", ["-m", "pip", "install", "payments-mcp"], "pip install"),
    ("docker", ["run", "-i", "--rm", "-e", "PAYMENTS_TOKEN", "ghcr.io/acme/payments"],
     "without a version tag"),
    ("docker", ["run", "-i", "--rm", "ghcr.io/acme/payments:latest"], "without a version tag"),
    ("bash", ["-c", "npx -y payments-mcp"], "without an exact version"),
])
def test_r17_unpinned_launchers(command: str, args: list[str], words: str) -> None:
    (finding,) = _only(_launch(command, *args), "R17")
    assert finding.subjects == ("payments-mcp",)
    assert finding.path == ("mcp_servers", "payments-mcp", "command")
    assert words in finding.message


@pytest.mark.parametrize(("command", "args"), [
    ("npx", ["-y", "@acme/payments-mcp@2.4.1"]),
    ("uvx", ["payments-mcp==2.4.1"]),
    ("uvx", ["--from", "payments-mcp==2.4.1", "payments-mcp"]),
    ("docker", ["run", "-i", "--rm", "--name=pay", "ghcr.io/acme/payments:2.4.1"]),
    ("docker", ["run", "-i", "ghcr.io/acme/payments@sha256:" + SHA]),
    ("python", ["-m", "payments_mcp"]),
])
def test_r17_pinned_launchers_are_fine(command: str, args: list[str]) -> None:
    assert codes(_launch(command, *args)) == set()


def test_r17_missing_tools_hash() -> None:
    text = mutate(lambda d: d["mcp_servers"]["payments-mcp"].pop("tools_sha256"))
    (finding,) = _only(text, "R17")
    assert finding.path == ("mcp_servers", "payments-mcp")
    assert "record the sha256 of the server's tools/list when you approve it" in finding.fix


# ---------------------------------------------------------------- R18


def _second_server(tool_name: str) -> dict[str, Any]:
    """The base plus a pinned, trusted second server whose tool is granted to billing."""
    data = base_data()
    data["mcp_servers"]["refunds-mcp"] = {
        "name": "Legacy refunds server", "command": "/opt/refunds-mcp/bin/refunds-mcp",
        "args": ["--version-pin", "1.0.3"],
        "env": {"REFUNDS_TOKEN": "keyring:agent-roster/refunds"},
        "trust": "trusted", "tools_sha256": SHA,
    }
    data["tools"]["legacy-refunds"] = {
        **copy.deepcopy(data["tools"]["payments"]), "name": "Legacy refunds",
        "server": "refunds-mcp", "tool": tool_name, "credential": "keyring:agent-roster/refunds",
    }
    data["agents"]["billing"]["uses"]["legacy-refunds"] = {
        "mode": "write", "approval": "ask", "purpose": "issue the refund"}
    return data


def test_r18_second_server_exporting_the_same_tool_name() -> None:
    """GOVERNANCE.md mutation: a second MCP server exporting `create_refund` fires exactly
    R18 (the server is pinned and trusted, its tool is granted, gated and audited)."""
    (finding,) = _only(dump(_second_server("create_refund")), "R18")
    assert finding.subjects == ("payments", "legacy-refunds")
    assert finding.path == ("tools", "legacy-refunds", "tool")
    assert "'create_refund'" in finding.message


def test_r18_server_tool_named_like_another_tools_id() -> None:
    (finding,) = _only(dump(_second_server("order-files")), "R18")
    assert finding.subjects == ("order-files", "legacy-refunds")


def test_r18_two_roster_tools_for_one_server_tool() -> None:
    data = _second_server("create_refund")
    data["tools"]["legacy-refunds"]["server"] = "payments-mcp"
    del data["mcp_servers"]["refunds-mcp"]
    found = findings_for(dump(data))
    assert {f.rule for f in found} == {"R18"}
    (finding,) = found  # the bare and the namespaced name both collide: reported once
    assert finding.subjects == ("payments", "legacy-refunds")
    assert "'create_refund'" in finding.message


def test_r18_distinct_names_are_fine() -> None:
    assert codes(dump(_second_server("create_legacy_refund"))) == set()
