"""R15 (no secret literals) and R16 (credential scoping) on minimal mutations of the base.

Every key-shaped string is generated at test time from a seeded RNG
(RELIABILITY.md: never commit a literal key), planted in one field of the clean
base, and the full check must report exactly R15 at that field, naming the kind
of secret and never the value. The incremental checker must pick up a planted
secret, in a node or in the roster settings, and drop it when it is removed.
"""

from __future__ import annotations

import dataclasses
import random
import string
from collections.abc import Callable
from typing import Any

import pytest

from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster.checks.base import Finding, Severity
from runtime.roster.checks.context import CheckContext
from runtime.roster.checks.engine import IncrementalChecker
from runtime.roster.checks.rules.secrets import check_credentials
from runtime.roster.document import Document
from runtime.roster.io import loads
from tests.runtime.rules.conftest import base_roster_yaml, codes, findings_for, mutate

RNG = random.Random(20260722)
KEY_CHARS = string.ascii_letters + string.digits + "_-"


def anthropic_key() -> str:
    return "sk-ant-api03-" + "".join(RNG.choice(KEY_CHARS) for _ in range(93)) + "AA"


def github_token() -> str:
    return "ghp_" + "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(36))


def aws_key_id() -> str:
    return "AKIA" + "".join(RNG.choice(string.ascii_uppercase + "234567") for _ in range(16))


Plant = Callable[[dict[str, Any], str], object]

# where -> (how to plant a secret there, the path R15 must report)
PLACES: dict[str, tuple[Plant, tuple[str | int, ...]]] = {
    "agent instructions": (
        lambda d, s: d["agents"]["lead"].update(
            instructions=d["agents"]["lead"]["instructions"] + f"Use the key {s} for the API.\n"),
        ("agents", "lead", "instructions")),
    "agent role": (
        lambda d, s: d["agents"]["billing"].update(role=d["agents"]["billing"]["role"] + " " + s),
        ("agents", "billing", "role")),
    "grant purpose": (
        lambda d, s: d["agents"]["billing"]["uses"]["payments"].update(purpose=f"token {s}"),
        ("agents", "billing", "uses", "payments", "purpose")),
    "tool description": (
        lambda d, s: d["tools"]["order-files"].update(description=f"Reads orders; key {s}"),
        ("tools", "order-files", "description")),
    "tool config": (
        lambda d, s: d["tools"]["payments"].update(config={"api_token": s}),
        ("tools", "payments", "config", "api_token")),
    "tool config list": (
        lambda d, s: d["tools"]["web-fetch"]["config"]["allow_domains"].append(s),
        ("tools", "web-fetch", "config", "allow_domains", 1)),
    "mcp env": (
        lambda d, s: d["mcp_servers"]["payments-mcp"]["env"].update(EXTRA_TOKEN=s),
        ("mcp_servers", "payments-mcp", "env", "EXTRA_TOKEN")),
    "mcp args": (
        lambda d, s: d["mcp_servers"]["payments-mcp"]["args"].extend(["--token", s]),
        ("mcp_servers", "payments-mcp", "args", 3)),
    "human role": (
        lambda d, s: d["humans"]["ops-lead"].update(role=f"Approves refunds. PIN {s}"),
        ("humans", "ops-lead", "role")),
    "agent extensions": (
        lambda d, s: d["agents"]["lead"].update(extensions={"x-claude-code": {"token": s}}),
        ("agents", "lead", "extensions", "x-claude-code", "token")),
    "roster description": (
        lambda d, s: d.update(description=f"Shared roster; admin key {s}"), ("description",)),
    "acknowledgement reason": (
        lambda d, s: d.update(acknowledged=[{"rule": "R10", "subject": "lead", "by": "ops-lead",
                                             "reason": f"temporary, uses {s}"}]),
        ("acknowledged", 0, "reason")),
    "roster extensions": (
        lambda d, s: d.update(extensions={"x-ci": {"deploy_key": s}}),
        ("extensions", "x-ci", "deploy_key")),
}
SECRETS: dict[str, tuple[Callable[[], str], str]] = {
    "anthropic": (anthropic_key, "Anthropic API key"),
    "github": (github_token, "GitHub token"),
    "aws": (aws_key_id, "AWS access key ID"),
}


def _assert_hidden(finding: Finding, secret: str) -> None:
    for text in (finding.message, finding.fix, repr(finding.path), repr(finding.subjects)):
        assert secret not in text
        assert secret[-20:] not in text


@pytest.mark.parametrize("kind", sorted(SECRETS))
@pytest.mark.parametrize("place", sorted(PLACES))
def test_r15_secret_in_any_field(place: str, kind: str) -> None:
    plant, path = PLACES[place]
    make, words = SECRETS[kind]
    secret = make()
    found = findings_for(mutate(lambda d: plant(d, secret)))
    assert {f.rule for f in found} == {"R15"}, [(f.rule, f.message) for f in found]
    assert [f.path for f in found] == [path]
    (finding,) = found
    assert finding.severity is Severity.ERROR
    assert words in finding.message
    _assert_hidden(finding, secret)
    if path[0] in ("agents", "tools", "humans", "mcp_servers"):
        assert finding.subject == path[1]
    else:
        assert finding.subjects == ()


def test_r15_secret_in_a_mapping_key_is_not_shown() -> None:
    secret = anthropic_key()
    (finding,) = findings_for(
        mutate(lambda d: d["tools"]["payments"].update(config={secret: "yes"})))
    assert finding.rule == "R15"
    assert finding.path == ("tools", "payments", "config")
    assert "mapping key" in finding.message
    _assert_hidden(finding, secret)


def test_r15_references_and_digests_are_not_secrets(base: str) -> None:
    assert codes(base) == set()  # keyring: references, a tools_sha256 digest, a pattern


def test_r15_incremental_checker_follows_edits() -> None:
    document = Document(loads(base_roster_yaml()).content)
    checker = IncrementalChecker(document)
    assert checker.findings() == []
    secret = github_token()
    lead = document.nodes["lead"]
    assert isinstance(lead, m.Agent)
    undo = document.apply(e.SetProperty("lead", "instructions", lead.instructions + secret))
    assert [(f.rule, f.path) for f in checker.findings()] == [
        ("R15", ("agents", "lead", "instructions"))]
    document.apply(undo)
    assert checker.findings() == []
    undo = document.apply(e.SetProperty(e.ROSTER, "description", f"key {secret}"))
    assert [(f.rule, f.path) for f in checker.findings()] == [("R15", ("description",))]
    document.apply(undo)
    assert checker.findings() == []


# ---------------------------------------------------------------- R16


@pytest.mark.parametrize("ref", ["keyring:agent-roster/anthropic-admin",
                                 "env:ANTHROPIC_ADMIN_KEY"])
def test_r16_admin_key_as_runtime_key(ref: str) -> None:
    text = mutate(lambda d: d["providers"]["anthropic"].update(api_key=ref))
    (finding,) = findings_for(text)
    assert (finding.rule, finding.severity) == ("R16", Severity.ERROR)
    assert finding.path == ("providers", "anthropic", "api_key")
    assert "admin" in finding.message


def test_r16_literal_provider_key_is_refused_without_showing_it() -> None:
    """The loader already refuses a literal; an edit made in memory is still caught."""
    content = loads(base_roster_yaml()).content
    literal = "not-a-reference-" + github_token()
    meta = dataclasses.replace(
        content.meta, providers={"anthropic": m.Provider(api_key=literal)})
    ctx = CheckContext(meta, content.nodes, content.edges)
    (finding,) = check_credentials(ctx)
    assert finding.rule == "R16" and "not a key reference" in finding.message
    _assert_hidden(finding, literal)


def _shared_credential(ref: str) -> str:
    def change(d: dict[str, Any]) -> None:
        d["tools"]["shop-search"] = {
            "name": "Shop search", "kind": "http_fetch",
            "description": "Searches the public shop pages.",
            "capabilities": ["untrusted_input", "external_comm"], "risk": "medium",
            "data": "public", "vetted": True, "network": "allowlist", "credential": ref,
            "audit": True, "config": {"allow_domains": ["shop.example.com"]},
        }
        d["agents"]["researcher"]["uses"]["shop-search"] = {
            "mode": "read", "approval": "allow", "purpose": "read the product documentation"}

    return mutate(change)


def test_r16_credential_shared_by_tainted_and_high_impact_tools() -> None:
    """researcher (tainted) runs shop-search with the same credential billing's payments
    tool uses: whoever steers researcher's calls holds the payments key."""
    (finding,) = findings_for(_shared_credential("keyring:agent-roster/payments"))
    assert (finding.rule, finding.severity) == ("R16", Severity.WARNING)
    assert finding.subjects == ("researcher", "shop-search", "payments", "billing")
    assert finding.path == ("tools", "payments", "credential")


def test_r16_separate_credentials_are_fine() -> None:
    assert codes(_shared_credential("keyring:agent-roster/shop")) == set()
