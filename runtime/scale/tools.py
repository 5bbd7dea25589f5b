"""The idempotency key a tool with side effects passes on to the system it changes.

DBOS runs steps at least once: a worker can die after a tool's effect and before
the journal records its completion. The engine never re-executes a tool whose
completion was recorded, and a tool found started-but-unfinished is put to a
human (or refused, unattended) rather than silently run again; a tool that is
run again after that question must let the receiving system deduplicate. The
key is the tool step's identity: the run id and the model's tool_use id, which
are the same in every attempt of the run (a replayed model turn returns the
recorded tool_use ids), so it is stable across workers and retries.
"""

from __future__ import annotations

from runtime.engine.protocols import ToolContext


def idempotency_key(ctx: ToolContext) -> str:
    """`<run id>/<tool_use id>`: unique per tool call of a run, identical on every retry."""
    return f"{ctx.run_id}/{ctx.call_id}"


__all__ = ["idempotency_key"]
