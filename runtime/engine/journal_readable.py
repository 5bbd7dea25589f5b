"""The readable tables that go with a stored event: model calls, tool calls, approvals and the
run's totals, as a write for the journal's writer (in the event's own transaction).

`roster runs show`, the designer's run views and `roster runs list` read these tables
rather than the event stream. Each event that has a row there gives one write: insert the
row unless present (a resumed run re-emits events), then apply the event's update if it has
one. The statements are built once per shape and run on the driver (journal_sql.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from runtime.engine.journal_tables import approvals, model_calls, runs, tool_calls

if TYPE_CHECKING:
    from runtime.engine.journal import Journal

MAX_OUTPUT = 4000  # characters of a tool's output kept in tool_calls
Write = Callable[[sa.Connection], None]


def readable_write(journal: Journal, run_id: str, kind: str, d: dict[str, Any]
                   ) -> Write | None:
    """The readable-table write for event `kind` with (redacted, plain) fields `d`."""
    at, call_id, request_id = d["at"], d.get("call_id"), d.get("request_id")
    if kind == "ModelCalled":
        return _upsert(journal, run_id, model_calls, {"key": f"{d['frame']}/model/{d['turn']}"}, {
            **{n: d[n] for n in ("agent", "frame", "model", "turn", "cost_usd", "at",
                                 "stop_reason", "retries", "duration_s")}, **d["usage"]})
    if kind in ("ToolCalled", "ToolDenied"):
        from runtime.engine.journal import dumps

        denied = kind == "ToolDenied"
        return _upsert(journal, run_id, tool_calls, {"call_id": call_id}, {
            "agent": d["agent"], "frame": d["frame"], "tool": d["tool"], "started_at": at,
            "key": f"{d['frame']}/tool/{call_id}", "status": "denied" if denied else "called",
            "arguments_json": dumps(d.get("arguments", {})), "ok": False if denied else None,
            "output": d.get("reason")})
    if kind == "ToolFinished":
        return _upsert(journal, run_id, tool_calls, {"call_id": call_id}, {}, {
            "status": "finished", "ok": d["ok"], "output": d["output"][:MAX_OUTPUT],
            "finished_at": at})
    if kind == "ApprovalRequested":
        from runtime.engine.journal import dumps

        return _upsert(journal, run_id, approvals, {"request_id": request_id}, {
            **{n: d[n] for n in ("agent", "human", "tool", "risk", "reason", "timeout_s")},
            "arguments_json": dumps(d["arguments"]), "asked_at": at})
    if kind == "ApprovalAnswered":
        return _upsert(journal, run_id, approvals, {"request_id": request_id}, {}, {
            "decision": d["decision"], "by": d["by"], "note": d["note"], "answered_at": at})
    if kind == "RunFinished":
        values = {"status": d["status"], "output": d["output"], "error": d["error"],
                  "cost_usd": d["cost_usd"], "model_calls": d["model_calls"],
                  "finished_at": at, "input_tokens": d["usage"]["input_tokens"],
                  "output_tokens": d["usage"]["output_tokens"]}
        return lambda c: _execute(c, runs.update().where(runs.c.id == run_id).values(**values))
    return None


def _upsert(journal: Journal, run_id: str, table: sa.Table, keys: dict[str, Any],
            insert: dict[str, Any], update: dict[str, Any] | None = None) -> Write:
    """Insert unless present (a resumed run re-emits), then apply `update` if given."""
    def write(conn: sa.Connection) -> None:
        journal.insert_ignore(conn, table, run_id=run_id, **insert, **keys)
        if update:
            journal.sql.execute(
                conn, _keyed_update(table, tuple(keys), tuple(update)),
                {"w_run_id": run_id, **{f"w_{k}": v for k, v in keys.items()},
                 **{f"v_{k}": v for k, v in update.items()}})
    return write


@functools.lru_cache(maxsize=64)
def _keyed_update(table: sa.Table, keys: tuple[str, ...], columns: tuple[str, ...]
                  ) -> sa.Executable:
    """UPDATE table SET columns WHERE run_id and keys match, all as parameters (w_key, v_col),
    built once per shape so the journal's driver statements compile it once."""
    return table.update().where(
        table.c.run_id == sa.bindparam("w_run_id"),
        *(table.c[k] == sa.bindparam(f"w_{k}") for k in keys)).values(
        {c: sa.bindparam(f"v_{c}") for c in columns})


def _execute(conn: sa.Connection, statement: sa.Executable) -> None:
    conn.execute(statement)


__all__ = ["MAX_OUTPUT", "readable_write"]
