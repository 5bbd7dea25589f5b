"""R10 (least functionality, open-ended tools) and R12 (code execution is sandboxed)."""

from __future__ import annotations

from typing import Any

from runtime.roster.checks.base import Severity
from tests.runtime.rules.conftest import codes, mutate
from tests.runtime.rules.helpers import grant, of, tool

SANDBOX = {"network": "none", "fs_roots": ["/srv/scratch"], "cpu_s": 30, "memory_mb": 512,
           "timeout_s": 60}


def test_r10_grant_with_no_purpose_nobody_mentions() -> None:
    def change(d: dict[str, Any]) -> None:
        d["tools"]["ledger-archive"] = tool("fs_read", name="Ledger archive",
                                            fs_roots=["/srv/data/ledger"])
        d["agents"]["lead"]["uses"] = {"ledger-archive": grant(purpose=None)}

    text = mutate(change)
    assert codes(text) == {"R10"}
    (f,) = of(text, "R10")
    assert f.severity is Severity.WARNING
    assert f.subjects[:2] == ("lead", "ledger-archive")
    assert f.path == ("agents", "lead", "uses", "ledger-archive")
    assert "purpose" in f.fix


def test_r10_quiet_when_a_task_names_the_tool() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agents"]["billing"]["uses"]["order-files"].pop("purpose")  # "order records" in tasks

    assert "R10" not in codes(mutate(change))


def test_r10_acknowledged_warning_does_not_block() -> None:
    def change(d: dict[str, Any]) -> None:
        d["tools"]["ledger-archive"] = tool("fs_read", fs_roots=["/srv/data/ledger"])
        d["agents"]["lead"]["uses"] = {"ledger-archive": grant(purpose=None)}
        d["acknowledged"] = [{"rule": "R10", "subject": "lead", "by": "ops-lead",
                              "reason": "archive lookups are part of research"}]

    text = mutate(change)
    assert codes(text) == {"R10"}
    (f,) = of(text, "R10")
    assert f.acknowledged and not f.blocking


def _open_fetch(approval: str, sandbox: bool) -> str:
    def change(d: dict[str, Any]) -> None:
        d["tools"]["web-fetch"]["config"].pop("allow_domains")
        d["agents"]["researcher"]["uses"]["web-fetch"]["approval"] = approval
        if sandbox:
            d["tools"]["web-fetch"]["sandbox"] = dict(SANDBOX, network="allowlist")

    return mutate(change)


def test_r10_open_ended_fetch_is_an_error() -> None:
    text = _open_fetch("allow", sandbox=False)
    assert codes(text) == {"R10"}
    (f,) = of(text, "R10")
    assert f.severity is Severity.ERROR
    assert "no allow_domains" in f.message
    assert "a sandbox and approval: ask" in f.message
    assert "docs.example.com" not in f.message + f.fix


def test_r10_open_ended_fetch_sandboxed_and_asked_is_fine() -> None:
    assert "R10" not in codes(_open_fetch("ask", sandbox=True))


def test_r10_raw_sql_and_network_any() -> None:
    def change(d: dict[str, Any]) -> None:
        d["tools"]["orders-db"] = tool("sqlite", config={"database": "/srv/data/o.db",
                                                         "raw_sql": True},
                                       fs_roots=["/srv/data"])
        d["agents"]["billing"]["uses"]["orders-db"] = grant(purpose="query orders")
        d["tools"]["web-fetch"]["network"] = "any"

    text = mutate(change)
    assert codes(text) == {"R10", "R23"}  # R23: raw SQL without a constrained schema
    found = {f.path: f for f in of(text, "R10")}
    assert set(found) == {("agents", "billing", "uses", "orders-db"),
                          ("agents", "researcher", "uses", "web-fetch")}
    assert "raw_sql" in found[("agents", "billing", "uses", "orders-db")].message
    assert "network: any" in found[("agents", "researcher", "uses", "web-fetch")].message


def _shell(sandbox: dict[str, Any] | None, holder: str = "runner") -> str:
    def change(d: dict[str, Any]) -> None:
        d["tools"]["sh"] = tool("shell", name="Shell", risk="critical",
                                capabilities=["code_exec", "state_change"],
                                input_schema={"type": "object", "properties": {
                                    "cmd": {"type": "string", "enum": ["make test"]}}})
        if sandbox is not None:
            d["tools"]["sh"]["sandbox"] = sandbox
        d["agents"][holder] = d["agents"].get(holder) or {
            "name": "Runner", "role": "Runs the test suite.", "escalates_to": ["ops-lead"]}
        d["agents"][holder].setdefault("uses", {})["sh"] = grant("execute", "ask", "run tests")
        if holder not in d["agents"]["lead"]["delegates_to"]:
            d["agents"]["lead"]["delegates_to"].append(holder)

    return mutate(change)


def test_r12_code_exec_without_sandbox() -> None:
    text = _shell(None)
    assert codes(text) == {"R10", "R12"}  # R10: an unsandboxed shell is open-ended
    (f,) = of(text, "R12")
    assert f.subjects == ("sh",)
    assert f.path == ("tools", "sh")


def test_r12_sandbox_missing_limits() -> None:
    text = _shell({"network": "any", "cpu_s": 30})
    assert codes(text) == {"R12"}
    (f,) = of(text, "R12")
    assert f.path == ("tools", "sh", "sandbox")
    assert "network: none or allowlist (not any)" in f.message
    assert "memory_mb" in f.message and "fs_roots" in f.message


def test_r12_full_sandbox_is_fine() -> None:
    assert codes(_shell(SANDBOX)) == set()


def test_r12_code_exec_next_to_private_data() -> None:
    text = _shell(SANDBOX, holder="billing")
    assert codes(text) == {"R12"}
    (f,) = of(text, "R12")
    assert f.subjects[:3] == ("billing", "sh", "order-files")
    assert f.path == ("agents", "billing", "uses", "sh")
