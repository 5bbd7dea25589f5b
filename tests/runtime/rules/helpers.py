"""Small helpers shared by the rule tests (the fixtures themselves live in conftest.py)."""

from __future__ import annotations

from typing import Any

from runtime.roster.checks.base import Finding
from tests.runtime.rules.conftest import findings_for


def of(yaml_text: str, code: str) -> list[Finding]:
    """The findings of one rule on the roster in `yaml_text`."""
    return [f for f in findings_for(yaml_text) if f.rule == code]


def tool(kind: str, **fields: Any) -> dict[str, Any]:
    """A tool mapping that is clean on its own: vetted, audited, low risk, public data."""
    out: dict[str, Any] = {"name": fields.pop("name", kind), "kind": kind, "risk": "low",
                           "data": "public", "vetted": True, "audit": True}
    out.update(fields)
    return out


def grant(mode: str = "read", approval: str = "allow", purpose: str | None = "needed") -> dict[
    str, Any
]:
    out: dict[str, Any] = {"mode": mode, "approval": approval}
    if purpose is not None:
        out["purpose"] = purpose
    return out


def finding_key(f: Finding) -> tuple[Any, ...]:
    """Everything a finding says, for comparing two runs finding for finding."""
    return (f.rule, f.severity, f.message, f.fix, f.subjects, f.path, f.acknowledged)


def edit_agrees(doc: Any, checker: Any, edit: Any, undo: bool) -> None:
    """Apply `edit` to the `Document` (nothing when it is illegal there), then assert the
    `IncrementalChecker` on it agrees with a full check; with `undo`, the same after
    undoing it (edges come back at their old position)."""
    from runtime.roster import edits as e

    try:
        inverse = doc.apply(edit)
    except e.EditError:
        return
    assert agrees(doc, checker), edit
    if undo:
        doc.apply(inverse)
        assert agrees(doc, checker), ("undo", edit)


def agrees(doc: Any, checker: Any) -> bool:
    """Whether the incremental findings equal a full check's on the document, now."""
    from runtime.roster.checks.engine import check_roster

    full = sorted(map(finding_key, check_roster(doc.content())))
    return sorted(map(finding_key, checker.findings())) == full
