"""The run journal's own tables (beside DBOS's), as SQLAlchemy Core tables.

The same definitions serve the default SQLite file and PostgreSQL. `runs` holds
one row per run (roster, task, status, totals, owner); `steps` the durable step
records keyed by (run id, the engine's step key); `model_calls`, `tool_calls`
and `approvals` the readable tables `roster runs show` and the designer read;
`audit` the write-ahead record of state-changing tool calls; `events` the
redacted event stream; `signals` the durable mailbox for approval answers.
Migrations between schema versions are in journal_migrations.py.
"""

from __future__ import annotations

import sqlalchemy as sa

_md = sa.MetaData()
_S, _T, _F, _I = sa.String(200), sa.Text(), sa.Float(), sa.Integer()
runs = sa.Table(
    "runs", _md, sa.Column("id", sa.String(64), primary_key=True),
    *(sa.Column(n, _S) for n in ("roster_name", "content_hash", "entry", "status", "executor",
                                 "host")),
    *(sa.Column(n, _T) for n in ("roster_path", "roster_text", "task", "error", "output")),
    *(sa.Column(n, _F) for n in ("max_usd", "started_at", "finished_at", "heartbeat_at",
                                 "cost_usd")),
    *(sa.Column(n, _I, nullable=False, server_default="0")
      for n in ("unattended", "input_tokens", "output_tokens", "model_calls", "attempts", "pid",
                "cancel_requested")))
steps = sa.Table(
    "steps", _md, sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(500), primary_key=True), sa.Column("kind", _S),
    sa.Column("status", _S), sa.Column("result_json", _T), sa.Column("attempts", _I),
    sa.Column("started_at", _F), sa.Column("finished_at", _F))
model_calls = sa.Table(
    "model_calls", _md, sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(500), primary_key=True),
    *(sa.Column(n, _S) for n in ("agent", "model", "stop_reason")), sa.Column("frame", _T),
    *(sa.Column(n, _I) for n in ("turn", "input_tokens", "output_tokens",
                                 "cache_write_5m_tokens", "cache_write_1h_tokens",
                                 "cache_read_tokens", "retries")),
    *(sa.Column(n, _F) for n in ("cost_usd", "duration_s", "at")))
tool_calls = sa.Table(
    "tool_calls", _md, sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("call_id", sa.String(200), primary_key=True),
    *(sa.Column(n, _S) for n in ("agent", "tool", "status")),
    *(sa.Column(n, _T) for n in ("key", "frame", "arguments_json", "output")),
    sa.Column("ok", sa.Boolean), sa.Column("started_at", _F), sa.Column("finished_at", _F))
approvals = sa.Table(
    "approvals", _md, sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.String(300), primary_key=True),
    *(sa.Column(n, _S) for n in ("agent", "human", "tool", "risk", "decision", "by")),
    *(sa.Column(n, _T) for n in ("arguments_json", "reason", "note")),
    *(sa.Column(n, _F) for n in ("timeout_s", "asked_at", "answered_at")))
audit = sa.Table(
    "audit", _md, sa.Column("id", _I, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), index=True), sa.Column("key", _T),
    *(sa.Column(n, _S) for n in ("agent", "tool")),
    sa.Column("arguments_json", _T), sa.Column("at", _F))
events = sa.Table(
    "events", _md, sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("attempt", _I, primary_key=True), sa.Column("seq", _I, primary_key=True),
    sa.Column("type", _S), sa.Column("replayed", sa.Boolean), sa.Column("json", _T))
signals = sa.Table(
    "signals", _md, sa.Column("id", _I, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), index=True), sa.Column("request_id", sa.String(300)),
    sa.Column("payload_json", _T), sa.Column("at", _F), sa.Column("consumed_at", _F))



__all__ = ["approvals", "audit", "events", "model_calls", "runs", "signals", "steps",
           "tool_calls"]
