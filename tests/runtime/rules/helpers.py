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
