"""THE CRASH TEST: `roster run` SIGKILLed mid-tool and mid-approval, then `roster runs resume`.

The real CLI runs in a subprocess on a journal in the test's temporary
directory, with the test hooks `ROSTER_TEST_PROVIDER` / `ROSTER_TEST_TOOLS`
pointing at `provider` and `tools` below: a `ScriptedProvider` whose turns
depend only on the conversation (so the resumed process continues it) and
which appends a line to a file each time it is really invoked, and a stub
`notes` tool that appends a line each time it really runs, then sleeps. The
parent kills the child with SIGKILL while the tool sleeps, or while the
approval prompt waits, and resumes the run in a new process. Afterwards no
model call was billed twice (provider invocations = model_calls rows) and no
tool ran twice; DBOS printed nothing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runtime.engine.journal import CRASH_NOTE
from runtime.engine.protocols import ModelRequest, ModelResponse, ToolContext, ToolResult, ToolSpec
from runtime.engine.providers.scripted import ScriptedProvider
from runtime.roster.costs import Usage

REPO = Path(__file__).resolve().parents[3]
HOOKS = "tests.runtime.engine.test_crash_resume"
ROSTER = """\
format: agent-roster
version: 1
name: Crash test
entry: [worker]
defaults: {model: claude-haiku-5-5, max_turns: 4, max_tokens_per_call: 512, timeout_s: 120,
           budget_usd: 1.0}
policy: {budget_usd_per_run: 2.0, max_model_calls_per_run: 10}
audit: {sink: journal, redact: true}
agents:
  worker:
    name: Worker
    role: Writes a note.
    instructions: Write the note, then report.
    uses:
      notes: {mode: write, approval: APPROVAL, purpose: write the note}
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

pytestmark = pytest.mark.slow


# ------------------------------------------------------------------ hooks run by the child

def _turn(request: ModelRequest) -> ModelResponse:
    results = [b for m in request.messages if isinstance(m["content"], list)
               for b in m["content"] if b.get("type") == "tool_result"]
    with open(os.environ["ROSTER_TEST_MODEL_LOG"], "a", encoding="utf-8") as log:
        log.write(f"turn {len(results) + 1}\n")
    if not results:
        return ModelResponse([{"type": "tool_use", "id": "toolu_crash01", "name": "notes",
                               "input": {"note": "hello"}}], "tool_use", Usage(120, 30),
                             request.model)
    return ModelResponse([{"type": "text", "text": f"report: {results[-1]['content']}"}],
                         "end_turn", Usage(200, 12), request.model)


def provider(content: Any) -> ScriptedProvider:
    return ScriptedProvider({}, default=_turn)


class SlowNotes:
    spec = ToolSpec("notes", "Appends a note.", {"type": "object"})

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        with open(os.environ["ROSTER_TEST_TOOL_LOG"], "a", encoding="utf-8") as log:
            log.write(f"ran {arguments.get('note')}\n")
        await asyncio.sleep(float(os.environ.get("ROSTER_TEST_TOOL_SLEEP", "0")))
        return ToolResult(f"noted {arguments.get('note')}")


def tools(content: Any) -> dict[str, SlowNotes]:
    return {"notes": SlowNotes()}


# ------------------------------------------------------------------ the test

class Setup:
    def __init__(self, tmp_path: Path, approval: str) -> None:
        self.roster = tmp_path / "crash.roster.yaml"
        self.roster.write_text(ROSTER.replace("APPROVAL", approval), encoding="utf-8")
        self.db = tmp_path / "runs.db"
        self.model_log, self.tool_log = tmp_path / "model.log", tmp_path / "tool.log"
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "ROSTER_DATA_DIR": str(tmp_path),
                    "ROSTER_TEST_PROVIDER": f"{HOOKS}:provider",
                    "ROSTER_TEST_TOOLS": f"{HOOKS}:tools",
                    "ROSTER_TEST_MODEL_LOG": str(self.model_log),
                    "ROSTER_TEST_TOOL_LOG": str(self.tool_log)}

    def cli(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "runtime.cli.main", *args, "--db", str(self.db)]

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db, timeout=10) as conn:
            return conn.execute(sql, params).fetchall()

    def lines(self, path: Path) -> list[str]:
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []

    def kill_when(self, ready: Callable[[], bool], sleep: str) -> str:
        """Start `roster run`, SIGKILL it once `ready()`, and return the run id."""
        child = subprocess.Popen(self.cli("run", str(self.roster), "write a note"), cwd=REPO,
                                 env={**self.env, "ROSTER_TEST_TOOL_SLEEP": sleep},
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        deadline = time.monotonic() + 90
        try:
            while not _safely(ready):
                assert child.poll() is None, child.communicate()[1].decode()
                assert time.monotonic() < deadline, "the child never reached the crash point"
                time.sleep(0.05)
        finally:
            child.send_signal(signal.SIGKILL)
            child.communicate()
        assert child.returncode == -signal.SIGKILL
        [(run_id, status)] = self.query("select id, status from runs")
        assert status == "running"
        return str(run_id)

    def resume(self, run_id: str, answer: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.cli("runs", "resume", run_id), cwd=REPO, env=self.env,
                              input=answer, capture_output=True, text=True, timeout=120)

    def assert_billed_once(self, run_id: str) -> None:
        assert self.lines(self.model_log) == ["turn 1", "turn 2"]  # one invocation per turn
        assert self.query("select count(*) from model_calls where run_id = ?", run_id) == [(2,)]
        assert self.query("select status, model_calls, attempts from runs") == [
            ("completed", 2, 2)]


def _safely(ready: Callable[[], bool]) -> bool:
    try:
        return ready()
    except sqlite3.Error:  # the child has not created the journal yet
        return False


def test_a_run_killed_during_a_tool_resumes_without_repeating_anything(tmp_path: Path) -> None:
    s = Setup(tmp_path, "allow")
    run_id = s.kill_when(lambda: bool(s.lines(s.tool_log)), sleep="60")
    assert s.query("select kind, status from steps where key like '%/tool/%'") == [
        ("tool", "started")]
    assert s.query("select tool from audit") == [("notes",)]  # written before the tool ran

    done = s.resume(run_id, "n\n")  # the human declines to run it again
    assert done.returncode == 0, done.stderr
    assert "started before the crash" in done.stderr
    assert done.stdout == f"report: {CRASH_NOTE}\n"  # the answer, and nothing from DBOS
    assert "dbos" not in done.stderr.lower()
    assert s.lines(s.tool_log) == ["ran hello"]
    s.assert_billed_once(run_id)
    assert s.query("select decision from approvals") == [("deny",)]


def test_a_run_killed_during_an_approval_resumes_with_it_still_pending(tmp_path: Path) -> None:
    s = Setup(tmp_path, "ask")
    run_id = s.kill_when(lambda: bool(s.query(
        "select 1 from steps where kind = 'approval' and status = 'started'")), sleep="0")
    [(request_id, decision, asked_at)] = s.query(
        "select request_id, decision, asked_at from approvals")
    assert decision is None and s.lines(s.tool_log) == []

    done = s.resume(run_id, "y\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "report: noted hello\n"
    assert "dbos" not in done.stderr.lower()
    assert s.query("select request_id, decision, asked_at from approvals") == [
        (request_id, "approve", asked_at)]
    assert s.lines(s.tool_log) == ["ran hello"]
    s.assert_billed_once(run_id)


def test_a_finished_run_is_not_resumed(tmp_path: Path) -> None:
    s = Setup(tmp_path, "allow")
    first = subprocess.run(s.cli("run", str(s.roster), "write a note"), cwd=REPO, env=s.env,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    [(run_id,)] = s.query("select id from runs")
    again = s.resume(str(run_id)[:6], "")
    assert again.returncode == 1 and "already finished (completed)" in again.stderr
    assert s.lines(s.tool_log) == ["ran hello"]
