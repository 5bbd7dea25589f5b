"""Oversight figures from the run journal: spend, failures, denials, approvals, versions.

`journal_stats(journal)` reads the journal's readable tables (runs,
model_calls, tool_calls, approvals, events) with a handful of grouped
queries and returns a plain `OversightStats`: spend per day (UTC, from the
run's start), per agent and per model (from the recorded model calls), the
run error rate (failed, limit or stopped runs over finished ones), the
tool-call denial and error rates, approvals requested and how long humans
took (median and p95 of answered ones, per human), runs per roster version
(content hash), and the most expensive and most failing agents. Qt-free,
so the dashboard and its tests read the same numbers.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # SQLAlchemy costs the designer's cold start most of a second
    from runtime.engine.journal import Journal

FAILED = frozenset({"failed", "limit", "stopped"})


@dataclass(frozen=True, slots=True)
class HumanLatency:
    human: str
    asked: int
    answered: int
    timed_out: int
    median_s: float | None
    p95_s: float | None


@dataclass(frozen=True, slots=True)
class OversightStats:
    runs: int = 0
    finished: int = 0
    failed_runs: int = 0
    total_usd: float = 0.0
    spend_per_day: dict[str, float] = field(default_factory=dict)
    spend_per_agent: dict[str, float] = field(default_factory=dict)
    spend_per_model: dict[str, float] = field(default_factory=dict)
    tool_calls: int = 0
    tool_denied: int = 0
    tool_errors: int = 0
    approvals_requested: int = 0
    approvals_denied: int = 0
    humans: tuple[HumanLatency, ...] = ()
    runs_per_version: tuple[tuple[str, str, int], ...] = ()  # (hash, roster name, runs)
    failures_per_agent: dict[str, int] = field(default_factory=dict)

    @property
    def error_rate(self) -> float:
        return self.failed_runs / self.finished if self.finished else 0.0

    @property
    def denial_rate(self) -> float:
        return self.tool_denied / self.tool_calls if self.tool_calls else 0.0

    @property
    def tool_error_rate(self) -> float:
        return self.tool_errors / self.tool_calls if self.tool_calls else 0.0

    @property
    def most_expensive_agent(self) -> tuple[str, float] | None:
        if not self.spend_per_agent:
            return None
        return max(self.spend_per_agent.items(), key=lambda kv: (kv[1], kv[0]))

    @property
    def most_failing_agent(self) -> tuple[str, int] | None:
        failing = {a: n for a, n in self.failures_per_agent.items() if n}
        return max(failing.items(), key=lambda kv: (kv[1], kv[0])) if failing else None


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def journal_stats(journal: Journal) -> OversightStats:
    import sqlalchemy as sa

    from runtime.engine.journal import approvals, events, model_calls, runs, tool_calls

    with journal.engine.connect() as conn:
        run_rows = conn.execute(sa.select(runs.c.status, runs.c.cost_usd, runs.c.started_at,
                                          runs.c.content_hash, runs.c.roster_name)).all()
        agent_rows = conn.execute(sa.select(model_calls.c.agent, model_calls.c.model,
                                            model_calls.c.cost_usd)).all()
        tool_rows = conn.execute(sa.select(tool_calls.c.agent, tool_calls.c.status,
                                           tool_calls.c.ok)).all()
        approval_rows = [tuple(r) for r in conn.execute(sa.select(
            approvals.c.human, approvals.c.decision, approvals.c.asked_at,
            approvals.c.answered_at)).all()]
        finished_rows = conn.execute(sa.select(events.c.json).where(
            events.c.type == "AgentFinished", events.c.replayed.is_not(True))).all()
    per_day: dict[str, float] = defaultdict(float)
    versions: Counter[tuple[str, str]] = Counter()
    failed = finished = 0
    total = 0.0
    for status, cost, started, content_hash, name in run_rows:
        cost = cost or 0.0
        total += cost
        if started:
            per_day[datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d")] += cost
        versions[(content_hash or "", name or "")] += 1
        if status not in ("pending", "running"):
            finished += 1
            failed += status in FAILED
    per_agent: dict[str, float] = defaultdict(float)
    per_model: dict[str, float] = defaultdict(float)
    for agent, model, cost in agent_rows:
        per_agent[agent or "?"] += cost or 0.0
        per_model[model or "?"] += cost or 0.0
    failures: Counter[str] = Counter()
    denied = errors = 0
    for agent, status, ok in tool_rows:
        if status == "denied":
            denied += 1
            failures[agent or "?"] += 1
        elif status == "finished" and ok is False:
            errors += 1
            failures[agent or "?"] += 1
    for (text,) in finished_rows:
        data = json.loads(text)
        if data.get("status") in ("failed", "limit"):
            failures[str(data.get("agent", "?"))] += 1
    return OversightStats(
        runs=len(run_rows), finished=finished, failed_runs=failed, total_usd=total,
        spend_per_day=dict(sorted(per_day.items())),
        spend_per_agent=dict(sorted(per_agent.items(), key=lambda kv: -kv[1])),
        spend_per_model=dict(sorted(per_model.items(), key=lambda kv: -kv[1])),
        tool_calls=len(tool_rows), tool_denied=denied, tool_errors=errors,
        approvals_requested=len(approval_rows),
        approvals_denied=sum(1 for r in approval_rows if r[1] in ("deny", "timeout")),
        humans=_latencies(approval_rows),
        runs_per_version=tuple((h, n, c) for (h, n), c in versions.most_common()),
        failures_per_agent=dict(failures))


def _latencies(rows: list[tuple[Any, ...]]) -> tuple[HumanLatency, ...]:
    """Per human: (human, decision, asked_at, answered_at) rows -> counts and answer times."""
    by_human: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        by_human[row[0] or "?"].append(row)
    out = []
    for human, items in sorted(by_human.items()):
        waits = [r[3] - r[2] for r in items if r[1] in ("approve", "deny") and r[2] and r[3]]
        out.append(HumanLatency(
            human, len(items), sum(1 for r in items if r[1] in ("approve", "deny")),
            sum(1 for r in items if r[1] == "timeout"),
            statistics.median(waits) if waits else None,
            _percentile(waits, 0.95) if waits else None))
    return tuple(out)


__all__ = ["HumanLatency", "OversightStats", "journal_stats"]
