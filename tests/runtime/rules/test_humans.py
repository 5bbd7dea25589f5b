"""R19 (checkpoint liveness), R20 (approval load), R21 (escalation reachability).

In the base every agent escalates to `ops-lead` (timeout 3600 s, on_timeout deny,
at most 40 requests per run); `billing` has one gated grant (payments, ask), runs
8 turns and may run twice at once (lead's max_parallel_delegations is 2), so
ops-lead expects 1 × 8 × 2 = 16 requests per run.
"""

from __future__ import annotations

from typing import Any

from runtime.roster import edits as e
from runtime.roster.checks.base import Finding, Severity
from runtime.roster.checks.engine import check_roster
from runtime.roster.document import Document
from runtime.roster.io import loads
from tests.runtime.rules.conftest import base_roster_yaml, codes, findings_for, mutate

DUTY_MANAGER: dict[str, Any] = {
    "name": "Duty manager", "role": "Takes approvals the operations lead does not answer.",
    "timeout_s": 1800, "on_timeout": "deny",
}


def _of(found: list[Finding], code: str) -> list[Finding]:
    return [f for f in found if f.rule == code]


def _human(**change: Any) -> str:
    def apply(d: dict[str, Any]) -> None:
        for key, value in change.items():
            if value is None:
                d["humans"]["ops-lead"].pop(key, None)
            else:
                d["humans"]["ops-lead"][key] = value

    return mutate(apply)


def test_delete_a_checkpoint() -> None:
    """GOVERNANCE.md mutation: removing the only human (the document cascades its
    escalation edges away) leaves every agent without anyone to reach (R21 for lead,
    researcher and billing) and billing's gated payments grant without a deny-on-timeout
    checkpoint (R06). R19 has no human left to judge, and no other rule is affected."""
    document = Document(loads(base_roster_yaml()).content)
    document.apply(e.RemoveNode("ops-lead"))
    found = check_roster(document.content())
    assert {f.rule for f in found} == {"R06", "R21"}
    assert sorted(f.subject for f in _of(found, "R21")) == ["billing", "lead", "researcher"]


# ---------------------------------------------------------------- R19


def test_r19_missing_role_or_timeout() -> None:
    for text, missing in ((_human(role=""), "role"), (_human(timeout_s=None), "timeout_s")):
        (finding,) = findings_for(text)
        assert (finding.rule, finding.subjects) == ("R19", ("ops-lead",))
        assert finding.path == ("humans", "ops-lead")
        assert f"no {missing}" in finding.message


def test_r19_missing_on_timeout() -> None:
    """Without on_timeout nothing denies an unanswered request: R19 for the human, and
    R06 because billing's high-impact grant no longer has a deny-on-timeout checkpoint."""
    found = findings_for(_human(on_timeout=None))
    assert {f.rule for f in found} == {"R06", "R19"}
    assert "no on_timeout" in _of(found, "R19")[0].message


def test_r19_escalate_without_backup() -> None:
    """R06 fires too: the only checkpoint no longer denies on timeout."""
    found = findings_for(_human(on_timeout="escalate"))
    assert {f.rule for f in found} == {"R06", "R19"}
    assert "names no backup" in _of(found, "R19")[0].message


def _chain(d: dict[str, Any]) -> None:
    d["humans"]["ops-lead"].update(on_timeout="escalate", backup="duty-manager")
    d["humans"]["duty-manager"] = dict(DUTY_MANAGER)


def test_r19_backup_chain_ending_in_deny_is_fine() -> None:
    assert codes(mutate(_chain)) == set()


def test_r19_backup_chain_that_loops() -> None:
    def loop(d: dict[str, Any]) -> None:
        _chain(d)
        d["humans"]["duty-manager"].update(on_timeout="escalate", backup="ops-lead")

    (finding,) = findings_for(mutate(loop))
    assert finding.rule == "R19" and finding.severity is Severity.ERROR
    assert finding.subjects == ("ops-lead", "duty-manager")
    assert "ops-lead → duty-manager → ops-lead loops" in finding.message


def test_r19_backup_that_is_not_a_human() -> None:
    """R01 reports the wrong-type reference; R19 reports the broken chain."""
    found = findings_for(_human(on_timeout="escalate", backup="billing"))
    assert {f.rule for f in found} == {"R01", "R19"}
    assert _of(found, "R19")[0].path == ("humans", "ops-lead", "backup")


# ---------------------------------------------------------------- R20


def test_r20_too_many_approval_requests() -> None:
    (finding,) = findings_for(_human(max_requests_per_run=10))
    assert (finding.rule, finding.severity) == ("R20", Severity.WARNING)
    assert finding.subjects == ("ops-lead", "billing")
    assert "about 16 approval requests" in finding.message


def test_r20_within_the_limit() -> None:
    assert codes(_human(max_requests_per_run=16)) == set()


def test_r20_fan_out_multiplies() -> None:
    """With lead running one delegation at a time billing's 8 requests fit a limit of 10."""

    def change(d: dict[str, Any]) -> None:
        d["humans"]["ops-lead"]["max_requests_per_run"] = 10
        d["agents"]["lead"]["max_parallel_delegations"] = 1

    assert codes(mutate(change)) == set()


def test_r20_default_limit_is_20() -> None:
    def change(d: dict[str, Any]) -> None:
        del d["humans"]["ops-lead"]["max_requests_per_run"]
        d["agents"]["billing"]["max_turns"] = 11  # 1 × 11 × 2 = 22 > 20

    (finding,) = findings_for(mutate(change))
    assert finding.rule == "R20" and "limit 20" in finding.message


def test_r20_can_be_acknowledged() -> None:
    text = _human(max_requests_per_run=10).replace(
        "layout:", "acknowledged:\n- {rule: R20, subject: ops-lead, by: ops-lead, "
        "reason: refunds come in batches of two}\nlayout:", 1)
    (finding,) = findings_for(text)
    assert finding.acknowledged and not finding.blocking


# ---------------------------------------------------------------- R21


def test_r21_delegate_reaches_a_human_through_its_delegator() -> None:
    assert codes(mutate(lambda d: d["agents"]["researcher"].pop("escalates_to"))) == set()


def test_r21_agents_with_no_way_to_a_human() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agents"]["researcher"].pop("escalates_to")
        d["agents"]["lead"].pop("escalates_to")

    found = findings_for(mutate(change))
    assert {f.rule for f in found} == {"R21"}
    assert sorted(f.subject for f in found) == ["lead", "researcher"]
    assert all(f.path == ("agents", f.subject) for f in found)
