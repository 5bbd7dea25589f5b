"""Rendering findings for people and machines: text, JSON and SARIF 2.1.0.

Each finding is placed at `file:line:col` through the position index of the
file it came from, so an editor or a CI annotation can jump to it. The text
form puts errors first, shows the fix under each finding and ends with a
count; acknowledged warnings are listed with who accepted them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from runtime import __version__
from runtime.roster import yaml_read
from runtime.roster.checks.base import Finding, Rule, Severity
from runtime.roster.errors import RosterLoadError, format_path

Index = dict[tuple[str | int, ...], tuple[int, int]]


def _where(index: Index, finding: Finding) -> tuple[int, int]:
    return yaml_read.locate(index, finding.path) or (1, 1)


def text(findings: Sequence[Finding], index: Index, filename: str, *,
         errors_only: bool = False) -> str:
    """Findings for people, errors first; `errors_only` lists only the blocking ones but
    counts every finding, as `roster check` does."""
    lines = []
    for finding in findings:
        if errors_only and not finding.blocking:
            continue
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
    errors = _errors(findings)
    warnings = _warnings(findings)
    acked = sum(1 for f in findings if f.acknowledged)
    if not findings:
        lines.append(f"{filename}: clean, no findings")
    else:
        summary = f"{filename}: {errors} error(s), {warnings} warning(s)"
        if acked:
            summary += f", {acked} acknowledged"
        lines.append(summary)
        if errors_only and len(findings) > errors:
            lines.append(f"Only errors are listed here; `roster check {filename}` shows every "
                         "finding.")
        elif any(not f.acknowledged for f in findings):
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


@dataclass
class FileResult:
    """What checking one file produced: its findings, or the error that stopped its load."""

    filename: str
    findings: Sequence[Finding] = ()
    index: Index = dc_field(default_factory=dict)
    error: RosterLoadError | None = None


LOAD_RULE = "load-error"
LOAD_RULE_TITLE = "The file could not be loaded as a roster"
LOAD_RULE_HELP = (
    "The file is not valid YAML, is not an Agent Roster file, or breaks the format. No rule "
    "ran on it. Fix the problem at the reported location and check the file again."
)


def _errors(findings: Sequence[Finding]) -> int:
    return sum(1 for f in findings if f.blocking)


def _warnings(findings: Sequence[Finding]) -> int:
    return sum(1 for f in findings if f.severity is Severity.WARNING and not f.acknowledged)


def _load_error_dict(result: FileResult) -> dict[str, Any]:
    error = result.error
    assert error is not None
    return {
        "rule": LOAD_RULE,
        "severity": "error",
        "acknowledged": False,
        "message": error.message,
        "expected": error.expected,
        "fix": error.hint,
        "subjects": [],
        "path": format_path(error.path),
        "file": result.filename,
        "line": error.line,
        "column": error.column,
    }


def as_json(results: Sequence[FileResult]) -> str:
    """One JSON document for every file checked: totals, a row per file, every finding.

    A file that could not be loaded counts as one error and contributes a finding with
    rule `load-error` at the location of the problem.
    """
    files: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for result in results:
        if result.error is not None:
            files.append({"file": result.filename, "loaded": False, "errors": 1, "warnings": 0})
            findings.append(_load_error_dict(result))
            continue
        files.append({"file": result.filename, "loaded": True,
                      "errors": _errors(result.findings),
                      "warnings": _warnings(result.findings)})
        findings.extend(as_dicts(result.findings, result.index, result.filename))
    payload = {
        "errors": sum(row["errors"] for row in files),
        "warnings": sum(row["warnings"] for row in files),
        "files": files,
        "findings": findings,
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def artifact_uri(filename: str) -> str:
    """A SARIF artifact URI: a relative reference for relative paths, file:// otherwise."""
    path = Path(filename)
    if path.is_absolute():
        return path.as_uri()
    return quote(path.as_posix())


def _driver_rule(code: str, rules: dict[str, Rule]) -> dict[str, Any]:
    if code == LOAD_RULE:
        title, explain, level = LOAD_RULE_TITLE, LOAD_RULE_HELP, "error"
    else:
        rule = rules.get(code)
        title = rule.title if rule else code
        explain = rule.explain if rule else ""
        level = "error" if rule and rule.severity is Severity.ERROR else "warning"
    return {
        "id": code,
        "name": title,
        "shortDescription": {"text": title},
        "fullDescription": {"text": explain},
        "defaultConfiguration": {"level": level},
        "helpUri": f"https://agent-roster.invalid/rules/{code}",
    }


def _location(artifact: int, uri: str, where: tuple[int, int] | None,
              logical: str) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri, "index": artifact}}
    if where is not None:
        physical["region"] = {"startLine": where[0], "startColumn": where[1]}
    location: dict[str, Any] = {"physicalLocation": physical}
    if logical:
        location["logicalLocations"] = [{"fullyQualifiedName": logical}]
    return location


def _finding_result(finding: Finding, result: FileResult, artifact: int,
                    rule_ids: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_ids[finding.rule],
        "level": "error" if finding.severity is Severity.ERROR else "warning",
        "message": {"text": f"{finding.message} Fix: {finding.fix}"},
        "locations": [_location(artifact, artifact_uri(result.filename),
                                _where(result.index, finding), format_path(finding.path))],
    }
    if finding.acknowledged:
        out["suppressions"] = [{"kind": "inSource", "justification": "acknowledged in roster"}]
    return out


def _load_result(result: FileResult, artifact: int, rule_ids: dict[str, int]) -> dict[str, Any]:
    error = result.error
    assert error is not None
    text = error.message.rstrip(".") + "."
    if error.expected:
        text += f" Expected: {error.expected}."
    if error.hint:
        text += f" Fix: {error.hint}"
    where = (error.line, error.column or 1) if error.line is not None else None
    return {
        "ruleId": LOAD_RULE,
        "ruleIndex": rule_ids[LOAD_RULE],
        "level": "error",
        "message": {"text": text},
        "locations": [_location(artifact, artifact_uri(result.filename), where,
                                format_path(error.path))],
    }


def as_sarif(results: Sequence[FileResult], rules: dict[str, Rule]) -> str:
    """One SARIF 2.1.0 log with a single run: an artifact per file, every result in it.

    A file that could not be loaded becomes an error result of rule `load-error`.
    """
    used: set[str] = set()
    for result in results:
        used |= {LOAD_RULE} if result.error is not None else {f.rule for f in result.findings}
    codes = sorted(used)
    rule_ids = {code: i for i, code in enumerate(codes)}
    out: list[dict[str, Any]] = []
    for artifact, result in enumerate(results):
        if result.error is not None:
            out.append(_load_result(result, artifact, rule_ids))
            continue
        out.extend(_finding_result(f, result, artifact, rule_ids) for f in result.findings)
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
                        "rules": [_driver_rule(code, rules) for code in codes],
                    }
                },
                "artifacts": [{"location": {"uri": artifact_uri(r.filename)}}
                              for r in results],
                "results": out,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False)
