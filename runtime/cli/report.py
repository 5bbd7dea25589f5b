"""Rendering findings for people and machines: text, JSON and SARIF 2.1.0.

Each finding is placed at `file:line:col` through the position index of the
file it came from, so an editor or a CI annotation can jump to it. The text
form puts errors first, shows the fix under each finding and ends with a
count; acknowledged warnings are listed with who accepted them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from runtime import __version__
from runtime.roster import yaml_read
from runtime.roster.checks.base import Finding, Rule, Severity
from runtime.roster.errors import format_path

Index = dict[tuple[str | int, ...], tuple[int, int]]


def _where(index: Index, finding: Finding) -> tuple[int, int]:
    return yaml_read.locate(index, finding.path) or (1, 1)


def text(findings: Sequence[Finding], index: Index, filename: str) -> str:
    lines = []
    for finding in findings:
        line, col = _where(index, finding)
        label = "warning" if finding.severity is Severity.WARNING else "error"
        if finding.acknowledged:
            label = "acknowledged"
        dotted = format_path(finding.path)
        lines.append(f"{filename}:{line}:{col}: {label} {finding.rule}: {finding.message}")
        if dotted:
            lines.append(f"    at: {dotted}")
        if not finding.acknowledged:
            lines.append(f"    fix: {finding.fix}")
    errors = sum(1 for f in findings if f.blocking)
    warnings = sum(1 for f in findings if f.severity is Severity.WARNING and not f.acknowledged)
    acked = sum(1 for f in findings if f.acknowledged)
    if not findings:
        lines.append(f"{filename}: clean, no findings")
    else:
        summary = f"{filename}: {errors} error(s), {warnings} warning(s)"
        if acked:
            summary += f", {acked} acknowledged"
        lines.append(summary)
        if any(not f.acknowledged for f in findings):
            lines.append("Run `roster explain RULE` for what a rule checks and why.")
    return "\n".join(lines)


def as_dicts(findings: Sequence[Finding], index: Index, filename: str) -> list[dict[str, Any]]:
    out = []
    for finding in findings:
        line, col = _where(index, finding)
        out.append(
            {
                "rule": finding.rule,
                "severity": finding.severity.value,
                "acknowledged": finding.acknowledged,
                "message": finding.message,
                "fix": finding.fix,
                "subjects": list(finding.subjects),
                "path": format_path(finding.path),
                "file": filename,
                "line": line,
                "column": col,
            }
        )
    return out


def as_json(findings: Sequence[Finding], index: Index, filename: str) -> str:
    payload = {
        "file": filename,
        "errors": sum(1 for f in findings if f.blocking),
        "warnings": sum(
            1 for f in findings if f.severity is Severity.WARNING and not f.acknowledged
        ),
        "findings": as_dicts(findings, index, filename),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def as_sarif(
    findings: Sequence[Finding], index: Index, filename: str, rules: dict[str, Rule]
) -> str:
    used = sorted({f.rule for f in findings})
    rule_ids = {code: i for i, code in enumerate(used)}
    driver_rules = [
        {
            "id": code,
            "name": rules[code].title if code in rules else code,
            "shortDescription": {"text": rules[code].title if code in rules else code},
            "fullDescription": {"text": rules[code].explain if code in rules else ""},
            "defaultConfiguration": {
                "level": "error"
                if code in rules and rules[code].severity is Severity.ERROR
                else "warning"
            },
            "helpUri": f"https://agent-roster.invalid/rules/{code}",
        }
        for code in used
    ]
    results = []
    for finding in findings:
        line, col = _where(index, finding)
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": rule_ids[finding.rule],
            "level": "error" if finding.severity is Severity.ERROR else "warning",
            "message": {"text": f"{finding.message} Fix: {finding.fix}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": filename},
                        "region": {"startLine": line, "startColumn": col},
                    },
                    "logicalLocations": [{"fullyQualifiedName": format_path(finding.path)}],
                }
            ],
        }
        if finding.acknowledged:
            result["suppressions"] = [
                {"kind": "inSource", "justification": "acknowledged in roster"}
            ]
        results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "agent-roster",
                        "version": __version__,
                        "informationUri": "https://agent-roster.invalid",
                        "rules": driver_rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False)
