"""The run journal: what a run leaves behind, and how an attempt after a crash continues it.

Qt-free. Runs use the `ScriptedProvider` (rule-based turns, so a fresh provider
after a "crash" picks up where the run stopped) and stub tools. A crash is
simulated in-process by a `BaseException` the engine does not catch, raised
inside a model call, a tool or an approval: the journal is then exactly as a
SIGKILL at that point would leave it (the subprocess version is
test_crash_resume.py). Runs through `LocalExecutor` use DBOS on a SQLite file
in the test's temporary directory.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from runtime.engine import journal as jn
from runtime.engine.approvals import ScriptedChannel
from runtime.engine.executor import (
    ApprovalAnswer,
    LocalExecutor,
    RunBuilder,
    RunFactories,
    RunSpec,
)
from runtime.engine.protocols import (
    ApprovalChannel,
    ApprovalDecision,
    ApprovalRequest,
    ModelRequest,
    ModelResponse,
    Tool,
    ToolContext,
    ToolResult,
    ToolSpec,
)
from runtime.engine.providers.scripted import ScriptedProvider
from runtime.roster.costs import Usage

ROSTER = """\
format: agent-roster
version: 1
name: Journal test
entry: [worker]
defaults: {model: claude-haiku-5-5, max_turns: 6, max_tokens_per_call: 512, timeout_s: 60,
           budget_usd: 1.0}
policy: {budget_usd_per_run: 2.0, max_model_calls_per_run: 20}
audit: {sink: journal, redact: true}
agents:
  worker:
    name: Worker
    role: Writes notes.
    instructions: Write the notes you are asked for, then report.
    uses:
      notes: {mode: write, approval: APPROVAL, purpose: write notes}
    escalates_to: [lead]
tools:
  notes:
    name: Notes
    kind: memory
    description: Appends a note.
    capabilities: [state_change]
    risk: medium
    vetted: true
    modes: [write]
    input_schema: {type: object, properties: {note: {type: string}}}
humans:
  lead: {name: Lead, role: Approves notes., timeout_s: 600, on_timeout: deny}
"""


class Crash(BaseException):
    """Stands for the process dying at this point: nothing in the engine catches it."""


def tool_results(request: ModelRequest) -> list[dict[str, Any]]:
    return [b for m in request.messages if isinstance(m["content"], list)
            for b in m["content"] if b.get("type") == "tool_result"]


def writer(notes: int = 1, crash_at_turn: int | None = None) -> ScriptedProvider:
    """Turn n < notes+1 writes note n; then it reports the last tool result."""
    def turn(request: ModelRequest) -> ModelResponse:
        done = len(tool_results(request))
        if crash_at_turn is not None and done + 1 == crash_at_turn:
            raise Crash
        if done < notes:
            return ModelResponse([{"type": "tool_use", "id": f"toolu_{done + 1:02d}",
                                   "name": "notes", "input": {"note": f"n{done + 1}"}}],
                                 "tool_use", Usage(100, 20), request.model)
        last = tool_results(request)[-1]["content"] if done else ""
        return ModelResponse([{"type": "text", "text": f"report: {last}"}], "end_turn",
                             Usage(150, 10), request.model)
    return ScriptedProvider({}, default=turn)


class Notes:
    spec = ToolSpec("notes", "Appends a note.", {"type": "object"})

    def __init__(self, output: str = "noted", crash: bool = False) -> None:
        self.calls: list[dict[str, Any]] = []
        self.output, self.crash = output, crash

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        self.calls.append(arguments)
        if self.crash:
            raise Crash
        return ToolResult(f"{self.output} {arguments.get('note', '')}")


class CrashChannel:
    async def ask(self, request: ApprovalRequest) -> ApprovalDecision:
        raise Crash


def factories(provider: ScriptedProvider, tool: Notes, channel: ApprovalChannel | None = None,
              secrets: tuple[str, ...] = ()) -> RunFactories:
    tools: Mapping[str, Tool] = {"notes": tool}
    return RunFactories(provider=lambda c: provider, tools=lambda c: tools,
                        approvals=lambda r: channel or ScriptedChannel({"*": "approve"}),
                        secrets=lambda c: secrets)


@pytest.fixture
def roster(tmp_path: Path) -> Callable[[str], str]:
    def write(approval: str = "allow") -> str:
        path = tmp_path / f"journal-{approval}.roster.yaml"
        path.write_text(ROSTER.replace("APPROVAL", approval), encoding="utf-8")
        return str(path)
    return write


@pytest.fixture
def journal(tmp_path: Path) -> Any:
    store = jn.Journal(f"sqlite:///{tmp_path / 'runs.db'}")
    yield store
    store.close()


def rows(store: jn.Journal, table: sa.Table, run_id: str) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(table).where(table.c.run_id == run_id)).all())


def run_with_executor(tmp_path: Path, made: RunFactories, spec: RunSpec,
                      during: Callable[[LocalExecutor, str], Any] | None = None) -> jn.RunSummary:
    async def main() -> jn.RunSummary:
        async with LocalExecutor(made, db=str(tmp_path / "runs.db")) as executor:
            run_id = await executor.start(spec)
            if during is not None:
                await during(executor, run_id)
            return await executor.wait(run_id)
    return asyncio.run(main())


def attempt(store: jn.Journal, made: RunFactories, run_id: str, name: str) -> Any:
    return RunBuilder(store, made).build(run_id, name)


# ------------------------------------------------------------------ complete runs (DBOS)

def test_a_run_is_recorded_with_its_totals(tmp_path: Path, roster: Callable[[str], str]) -> None:
    provider, tool = writer(notes=2), Notes()
    summary = run_with_executor(tmp_path, factories(provider, tool),
                                RunSpec(task="write two notes", roster_path=roster("allow")))
    assert (summary.status, summary.model_calls, summary.attempts) == ("completed", 3, 1)
    assert (summary.input_tokens, summary.output_tokens) == (350, 50)
    assert summary.output == "report: noted n2"
    store = jn.Journal(f"sqlite:///{tmp_path / 'runs.db'}")
    try:
        calls = rows(store, jn.model_calls, summary.id)
        assert len(calls) == len(provider.requests) == 3
        assert summary.cost_usd == pytest.approx(sum(c.cost_usd for c in calls))
        assert [(t.tool, t.ok, t.status) for t in rows(store, jn.tool_calls, summary.id)] == [
            ("notes", True, "finished")] * 2
        assert {s.status for s in rows(store, jn.steps, summary.id)} == {"completed"}
        assert len(rows(store, jn.audit, summary.id)) == 2  # notes changes state
        assert store.costs(summary.id, "agent")[0][:2] == ("worker", 3)
        kinds = [kind for _, kind, _, _ in store.stored_events(summary.id)]
        assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished"
        assert [r.id for r in store.list_runs()] == [summary.id]
    finally:
        store.close()


def test_secrets_are_redacted_in_every_table_and_file(
        tmp_path: Path, roster: Callable[[str], str], anthropic_key: str) -> None:
    summary = run_with_executor(
        tmp_path, factories(writer(), Notes(output=f"the token is {anthropic_key}")),
        RunSpec(task=f"write a note; my key is {anthropic_key}", roster_path=roster("allow")))
    assert summary.status == "completed"
    assert anthropic_key not in summary.output and anthropic_key not in summary.task
    files = [p for p in tmp_path.iterdir() if p.is_file() and not p.name.endswith(".yaml")]
    assert {p.name for p in files} >= {"runs.db", "runs.dbos.sqlite"}
    for path in files:
        data = path.read_bytes()
        assert anthropic_key.encode() not in data, path.name
        assert anthropic_key[-40:].encode() not in data, path.name


def test_signal_answers_a_pending_approval(tmp_path: Path, roster: Callable[[str], str]) -> None:
    tool = Notes()

    async def answer(executor: LocalExecutor, run_id: str) -> None:
        for _ in range(200):
            pending = rows(executor.journal, jn.approvals, run_id)
            if pending:
                await executor.signal(run_id, ApprovalAnswer(pending[0].request_id, True, "ops"))
                return
            await asyncio.sleep(0.05)
        raise AssertionError("no approval was asked")

    made = factories(writer(), tool, ScriptedChannel({"*": "timeout"}))  # the channel never answers
    summary = run_with_executor(tmp_path, made, RunSpec(task="note", roster_path=roster("ask")),
                                during=answer)
    assert summary.status == "completed" and len(tool.calls) == 1
    store = jn.Journal(f"sqlite:///{tmp_path / 'runs.db'}")
    try:
        [row] = rows(store, jn.approvals, summary.id)
        assert (row.decision, row.by) == ("approve", "ops")
    finally:
        store.close()


def test_cancel_stops_a_run_waiting_for_a_human(
        tmp_path: Path, roster: Callable[[str], str]) -> None:
    async def cancel(executor: LocalExecutor, run_id: str) -> None:
        while not rows(executor.journal, jn.approvals, run_id):
            await asyncio.sleep(0.05)
        await executor.cancel(run_id)

    made = factories(writer(), Notes(), ScriptedChannel({"*": "timeout"}))
    summary = run_with_executor(tmp_path, made, RunSpec(task="note", roster_path=roster("ask")),
                                during=cancel)
    assert summary.status == "stopped" and summary.error == "cancelled"


# ------------------------------------------------------------------ crash and resume (journal)

def test_resume_returns_recorded_model_calls_without_calling_the_provider(
        journal: jn.Journal, roster: Callable[[str], str]) -> None:
    tool = Notes()
    first = factories(writer(notes=2, crash_at_turn=3), tool)
    run_id = RunBuilder(journal, first).create(RunSpec(task="two notes",
                                                       roster_path=roster("allow")))
    with pytest.raises(Crash):
        asyncio.run(attempt(journal, first, run_id, "one").execute())
    assert journal.get_run(run_id).status == "running"  # type: ignore[union-attr]

    provider = writer(notes=2)
    run = attempt(journal, factories(provider, tool), run_id, "two")
    assert asyncio.run(run.execute()) == "report: noted n2"
    assert len(provider.requests) == 1  # turns 1 and 2 came from the journal
    assert len(tool.calls) == 2  # each note written once
    summary = journal.get_run(run_id)
    assert summary is not None and (summary.status, summary.model_calls) == ("completed", 3)
    assert len(rows(journal, jn.model_calls, run_id)) == 3
    assert summary.cost_usd == pytest.approx(sum(c.cost_usd for c in
                                                 rows(journal, jn.model_calls, run_id)))
    shown = [(number, kind) for number, kind, replayed, _ in journal.stored_events(run_id)
             if not replayed and kind == "ModelCalled"]
    assert shown == [(1, "ModelCalled"), (1, "ModelCalled"), (2, "ModelCalled")]


@pytest.mark.parametrize(("answer", "runs"), [("deny", 1), ("approve", 2)])
def test_a_tool_started_but_not_finished_is_put_to_a_human(
        journal: jn.Journal, roster: Callable[[str], str], answer: str, runs: int) -> None:
    crashing = Notes(crash=True)
    first = factories(writer(), crashing)
    run_id = RunBuilder(journal, first).create(RunSpec(task="note", roster_path=roster("allow")))
    with pytest.raises(Crash):
        asyncio.run(attempt(journal, first, run_id, "one").execute())
    assert [a.tool for a in rows(journal, jn.audit, run_id)] == ["notes"]  # before it ran

    provider, tool, channel = writer(), Notes(), ScriptedChannel({"lead": answer})
    asyncio.run(attempt(journal, factories(provider, tool, channel), run_id, "two").execute())
    assert [r.request_id for r in channel.asked] == ["toolu_01:rerun"]
    assert len(crashing.calls) + len(tool.calls) == runs
    assert len(rows(journal, jn.audit, run_id)) == runs
    [result] = tool_results(provider.requests[-1])
    assert (result["content"] == jn.CRASH_NOTE) == (answer == "deny")
    decided = {r.request_id: r.decision for r in rows(journal, jn.approvals, run_id)}
    assert decided == {"toolu_01:rerun": answer}


def test_a_pending_approval_is_still_pending_after_resume(
        journal: jn.Journal, roster: Callable[[str], str]) -> None:
    tool = Notes()
    first = factories(writer(), tool, CrashChannel())
    run_id = RunBuilder(journal, first).create(RunSpec(task="note", roster_path=roster("ask")))
    with pytest.raises(Crash):
        asyncio.run(attempt(journal, first, run_id, "one").execute())
    [pending] = rows(journal, jn.approvals, run_id)
    assert pending.decision is None

    channel = ScriptedChannel({"lead": "approve"})
    asyncio.run(attempt(journal, factories(writer(), tool, channel), run_id, "two").execute())
    assert [r.request_id for r in channel.asked] == [pending.request_id]
    [answered] = rows(journal, jn.approvals, run_id)
    assert (answered.request_id, answered.asked_at) == (pending.request_id, pending.asked_at)
    assert answered.decision == "approve" and len(tool.calls) == 1


def test_a_resumed_approval_keeps_its_first_deadline(
        journal: jn.Journal, roster: Callable[[str], str]) -> None:
    tool = Notes()
    first = factories(writer(), tool, CrashChannel())
    run_id = RunBuilder(journal, first).create(RunSpec(task="note", roster_path=roster("ask")))
    with pytest.raises(Crash):
        asyncio.run(attempt(journal, first, run_id, "one").execute())
    with journal.engine.begin() as conn:  # the crash was longer ago than the 600 s timeout
        conn.execute(jn.steps.update().where(jn.steps.c.kind == "approval")
                     .values(started_at=time.time() - 601))

    started = time.monotonic()
    run = attempt(journal, factories(writer(), tool, ScriptedChannel({"*": "timeout"})), run_id,
                  "two")
    asyncio.run(run.execute())
    assert time.monotonic() - started < 5 and tool.calls == []
    [row] = rows(journal, jn.approvals, run_id)
    assert row.decision == "timeout"
