"""R13 (filesystem scopes) and R14 (shared memory poisoning) on minimal mutations of the base.

In the base, `order-files` (fs_read) is scoped to /srv/data/orders and read by
`billing`; `researcher` is tainted (it holds the web-fetch tool, an untrusted_input
source) but returns only bounded values, so nobody it reports to is tainted.
"""

from __future__ import annotations

from typing import Any

import pytest

from runtime.roster.checks.base import Finding, Severity
from runtime.roster.checks.rules.filesystem import forbidden, normalise
from tests.runtime.rules.conftest import codes, findings_for, mutate

SCRATCH: dict[str, Any] = {
    "name": "Research scratch space",
    "kind": "fs_write",
    "description": "Keeps notes the researcher writes while reading.",
    "capabilities": ["filesystem_write", "state_change"],
    "risk": "medium",
    "data": "internal",
    "vetted": True,
    "fs_roots": ["/srv/data"],
    "network": "none",
}
NOTES: dict[str, Any] = {
    "name": "Team notes",
    "kind": "memory",
    "description": "Notes the agents share between tasks.",
    "data": "internal",
    "vetted": True,
}


def _only(text: str, code: str) -> list[Finding]:
    found = findings_for(text)
    assert {f.rule for f in found} == {code}, [(f.rule, f.message) for f in found]
    return found


def _roots(*roots: str) -> str:
    return mutate(lambda d: d["tools"]["order-files"].update(fs_roots=list(roots)))


# ---------------------------------------------------------------- R13


def test_r13_file_tool_without_roots() -> None:
    text = mutate(lambda d: d["tools"]["order-files"].pop("fs_roots"))
    (finding,) = _only(text, "R13")
    assert finding.subjects == ("order-files",)
    assert finding.path == ("tools", "order-files")
    assert "declares no fs_roots" in finding.message


@pytest.mark.parametrize("root", [
    "/", "~", "~/", "$HOME", "${HOME}/", "/home", "/home/alice", "/root", "/Users/alice/",
    "~/.ssh", "~/.ssh/id_ed25519", "/home/alice/.ssh", "~/.local", "~/.local/share",
    "~/.local/share/keyrings", "$XDG_DATA_HOME/keyrings", "~/.config",
    "~/.config/agent-roster", "${XDG_CONFIG_HOME}/agent-roster/rosters",
])
def test_r13_forbidden_roots(root: str) -> None:
    (finding,) = _only(_roots("/srv/data/orders", root), "R13")
    assert finding.subjects == ("order-files",)
    assert finding.path == ("tools", "order-files", "fs_roots", 1)
    assert finding.severity is Severity.ERROR


@pytest.mark.parametrize("root", [
    "/srv/data/orders", "~/projects/orders", "/home/alice/projects", "./exports",
    "~/.config/other-app", "/srv/ssh",
])
def test_r13_ordinary_roots_are_fine(root: str) -> None:
    assert codes(_roots(root)) == set()
    assert forbidden(root) is None


def test_r13_normalise() -> None:
    assert normalise("${HOME}/.ssh/") == "~/.ssh"
    assert normalise("/home/bob/x/../y") == "~/y"
    assert normalise("$XDG_CONFIG_HOME") == "~/.config"


def test_r13_sandbox_roots_are_checked_too() -> None:
    def change(d: dict[str, Any]) -> None:
        d["mcp_servers"]["payments-mcp"]["sandbox"] = {
            "network": "allowlist", "fs_roots": ["/"], "cpu_s": 10, "memory_mb": 256,
            "timeout_s": 30}

    (finding,) = _only(mutate(change), "R13")
    assert finding.subjects == ("payments-mcp",)
    assert finding.path == ("mcp_servers", "payments-mcp", "sandbox", "fs_roots", 0)


def _scratch(*roots: str) -> str:
    def change(d: dict[str, Any]) -> None:
        d["tools"]["scratch"] = {**SCRATCH, "fs_roots": list(roots)}
        d["agents"]["researcher"]["uses"]["scratch"] = {
            "mode": "write", "approval": "ask", "purpose": "keep notes while reading"}

    return mutate(change)


def test_r13_tainted_writer_over_another_agents_read_root() -> None:
    """researcher (tainted by web-fetch) writes /srv/data, which contains the
    /srv/data/orders directory billing reads: a persistent injection channel."""
    (finding,) = _only(_scratch("/srv/data"), "R13")
    assert finding.subjects == ("researcher", "scratch", "billing")
    assert finding.path == ("agents", "researcher", "uses", "scratch")
    assert "tainted agent 'researcher'" in finding.message


def test_r13_tainted_writer_in_its_own_directory_is_fine() -> None:
    assert codes(_scratch("/srv/agent-work/research")) == set()


# ---------------------------------------------------------------- R14


def _notes(writer_mode: str, **store: Any) -> str:
    def change(d: dict[str, Any]) -> None:
        d["tools"]["team-notes"] = {k: v for k, v in {**NOTES, **store}.items() if v is not None}
        d["agents"]["researcher"]["uses"]["team-notes"] = {
            "mode": writer_mode, "approval": "ask", "purpose": "keep notes for the team"}
        d["agents"]["billing"]["uses"]["team-notes"] = {
            "mode": "read", "approval": "allow", "purpose": "read notes about the order"}

    return mutate(change)


def test_r14_tainted_writer_poisons_a_store_an_actor_reads() -> None:
    (finding,) = _only(_notes("write"), "R14")
    assert finding.severity is Severity.WARNING
    assert finding.subjects == ("researcher", "team-notes", "billing")
    assert finding.path == ("agents", "researcher", "uses", "team-notes")


def test_r14_unclassified_store_is_an_error() -> None:
    (finding,) = _only(_notes("write", data=None), "R14")
    assert finding.severity is Severity.ERROR
    assert "declares no data classification" in finding.message


def test_r14_read_only_tainted_agent_is_fine() -> None:
    assert codes(_notes("read")) == set()


def test_r14_can_be_acknowledged() -> None:
    text = _notes("write").replace(
        "layout:", "acknowledged:\n- {rule: R14, subject: researcher, by: ops-lead, "
        "reason: notes are reviewed daily}\nlayout:", 1)
    (finding,) = findings_for(text)
    assert finding.rule == "R14" and finding.acknowledged and not finding.blocking


def test_r13_overlap_index_matches_pairwise_comparison() -> None:
    from runtime.roster.checks.rules.filesystem import _overlapping, overlaps

    roots = ["/srv", "/srv/data", "/srv/data/orders", "/srv/database", "/srv/data-x", "~/a",
             "~/a/b", "exports", "exports/2026", "/opt"]
    ordered = sorted(roots)
    index = dict.fromkeys(roots, None)
    for path in [*roots, "/srv/data/orders/2026", "/srv/dat", "~", "/", "exports/2026/q1"]:
        expected = {r for r in roots if overlaps(path, r)}
        assert set(_overlapping(path, index, ordered)) == expected, path
        with_slash = {**index, "/": None}
        assert set(_overlapping(path, with_slash, sorted(with_slash))) == {
            r for r in with_slash if overlaps(path, r)}, path
