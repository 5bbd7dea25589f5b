"""Showing dry-run results: readable text, JSON and JUnit XML (for CI).

Text gives, per scenario, pass/fail, every expectation with its verdict,
cost and model calls, coverage and the unused grants; then a suite summary
with the grants no scenario used (least-privilege hints). JSON carries the
same plus the full event trace. JUnit XML has one test case per expectation,
grouped by scenario, so a CI server lists exactly which expectation failed.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from runtime.engine import events as ev
from runtime.roster.costs import format_usd
from runtime.simulation.result import Coverage, SimulationResult, describe, total_coverage


def grant_label(edge_id: str) -> str:
    """`agent:uses:tool` → `agent → tool`."""
    source, _, target = edge_id.split(":", 2)
    return f"{source} → {target.split(':', 1)[-1]}"


COVERAGE_LABELS = {"approvals": "approval gates"}


def coverage_line(coverage: Coverage) -> str:
    return ", ".join(f"{COVERAGE_LABELS.get(name, name)} {done}/{total}"
                     for name, (done, total) in coverage.summary().items())


def text(results: Sequence[SimulationResult], *, roster: str = "", trace: bool = False) -> str:
    out: list[str] = []
    for result in results:
        verdict = "PASS" if result.passed else "FAIL"
        out.append(f"{verdict}  {result.scenario}  [{result.kind}] — run {result.status}, "
                   f"{result.model_calls} model calls, {format_usd(result.cost_usd)}")
        if result.error:
            out.append(f"      run: {result.error}")
        for x in result.expectations:
            line = f"{x.name} — {x.message}" if x.passed else x.message
            out.append(f"  {'ok  ' if x.passed else 'FAIL'} {line}")
        checked = any(x.name == "no_policy_violation" for x in result.expectations)
        for v in result.violations[1:] if checked else result.violations:  # the rest as notes
            out.append(f"  note {v.rule}: {v.message} [{describe(result.events, v.event_index)}]")
        out.append(f"      coverage: {coverage_line(result.coverage)}")
        if trace:
            out.extend(f"      {describe(result.events, i)}" for i in range(len(result.events)))
        out.append("")
    passed = sum(r.passed for r in results)
    merged = total_coverage(results)
    head = f"{roster}: " if roster else ""
    out.append(f"{head}{passed} of {len(results)} scenarios passed; total "
               f"{format_usd(sum(r.cost_usd for r in results))} at catalog prices")
    out.append(f"coverage across the suite: {coverage_line(merged)}")
    unused = merged.unused_grants
    if unused:
        out.append(f"grants no scenario used ({len(unused)}; least privilege: remove them or add "
                   "a scenario that needs them):")
        out.extend(f"  {grant_label(g)}" for g in unused)
    return "\n".join(out) + "\n"


def _event(event: ev.EngineEvent) -> dict[str, Any]:
    return {"type": type(event).__name__, **dataclasses.asdict(event)}


def _coverage(coverage: Coverage) -> dict[str, Any]:
    return {"agents": sorted(coverage.agents), "delegations": sorted(coverage.delegations),
            "grants": sorted(coverage.grants), "gates": sorted(coverage.gates),
            "unused_grants": coverage.unused_grants,
            "summary": {k: {"exercised": a, "total": b}
                        for k, (a, b) in coverage.summary().items()}}


def as_json(results: Sequence[SimulationResult], *, roster: str = "") -> str:
    data = {
        "roster": roster,
        "passed": all(r.passed for r in results),
        "scenarios": [{
            "name": r.scenario, "kind": r.kind, "passed": r.passed, "status": r.status,
            "error": r.error, "cost_usd": r.cost_usd, "cost_by_agent": r.cost_by_agent,
            "model_calls": r.model_calls, "run_id": r.run_id,
            "expectations": [dataclasses.asdict(x) for x in r.expectations],
            "violations": [dataclasses.asdict(v) for v in r.violations],
            "coverage": _coverage(r.coverage),
            "events": [_event(e) for e in r.events],
        } for r in results],
        "coverage": _coverage(total_coverage(results)),
    }
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def junit(results: Sequence[SimulationResult], *, roster: str = "") -> str:
    suites = ET.Element("testsuites", name=f"roster simulate {roster}".strip())
    for r in results:
        suite = ET.SubElement(suites, "testsuite", name=r.scenario,
                              tests=str(len(r.expectations)), failures=str(len(r.failures)),
                              errors="0")
        for x in r.expectations:
            case = ET.SubElement(suite, "testcase", classname=r.scenario, name=x.name)
            if not x.passed:
                failure = ET.SubElement(case, "failure", message=x.message)
                failure.text = x.message
        if r.error:
            ET.SubElement(suite, "system-out").text = f"run {r.status}: {r.error}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"
