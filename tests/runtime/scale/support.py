"""A worker pool on one machine for the scale-out tests and bench: PostgreSQL, workers, server.

`fresh_database(base_url)` creates an empty database on the PostgreSQL server
`ROSTER_TEST_PG_URL` points at (started by .ci/postgres.sh) and returns its
URL. `Pool` writes a roster whose provider is the loopback Messages-API server
(tests/messages_server.py) with a test key from the environment, starts real
`roster worker` subprocesses, submits runs with `roster submit`, and reads the
shared journal. The hooks `tools` (a `notes` tool that logs each real
execution with its idempotency key, then sleeps) are loaded by the workers
through ROSTER_TEST_TOOLS.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from runtime.engine.journal import engine_url
from runtime.engine.protocols import ToolContext, ToolResult, ToolSpec
from runtime.scale.tools import idempotency_key
from tests.messages_server import MessagesServer, Msg, tool_use

REPO = Path(__file__).resolve().parents[3]
PG_ENV = "ROSTER_TEST_PG_URL"
KEY_ENV = "ROSTER_TEST_POOL_KEY"
HOOKS = "tests.runtime.scale.support"
ROSTER = """\
format: agent-roster
version: 1
name: Pool test
entry: [clerk]
defaults: {model: claude-haiku-5-5, max_turns: 4, max_tokens_per_call: 256, timeout_s: 120,
           budget_usd: 1.0}
policy: {budget_usd_per_run: 2.0, max_model_calls_per_run: 10}
audit: {sink: journal, redact: true}
providers:
  anthropic: {api_key: "env:ROSTER_TEST_POOL_KEY", base_url: "BASE_URL"}
agents:
  clerk:
    name: Clerk
    role: Writes a note.
    instructions: Write the note, then report.
    uses:
      notes: {mode: write, approval: allow, purpose: write the note}
    escalates_to: [lead]
humans:
  lead: {name: Lead, role: Answers questions., timeout_s: 600, on_timeout: deny}
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
EXTENSIONS"""


# ------------------------------------------------------------------ hooks loaded by workers

class Notes:
    spec = ToolSpec("notes", "Appends a note.", {"type": "object"})

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        with open(os.environ["ROSTER_TEST_TOOL_LOG"], "a", encoding="utf-8") as log:
            log.write(f"{idempotency_key(ctx)}\n")
        await asyncio.sleep(float(os.environ.get("ROSTER_TEST_TOOL_SLEEP", "0")))
        return ToolResult(f"noted {arguments.get('note')}")


def tools(content: Any) -> dict[str, Notes]:
    return {"notes": Notes()}


# ------------------------------------------------------------------ the pool

def fresh_database(base_url: str) -> str:
    """An empty database on the server of `base_url`; its URL."""
    name = f"roster_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(engine_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = sa.engine.make_url(engine_url(base_url)).set(database=name)
    return url.render_as_string(hide_password=False).replace("postgresql+psycopg://",
                                                             "postgresql://")


def script_turns(server: MessagesServer, delay_s: float) -> None:
    """Every conversation: first a call to `notes`, then (after its result) a report."""
    def handler(body: dict[str, Any]) -> Msg:
        results = [b for msg in body.get("messages", []) if isinstance(msg["content"], list)
                   for b in msg["content"] if b.get("type") == "tool_result"]
        if not results:
            return Msg([tool_use("notes", {"note": "hello"})], delay_s=delay_s,
                       input_tokens=120, output_tokens=30)
        return Msg(f"report: {results[-1]['content']}", delay_s=delay_s, input_tokens=200,
                   output_tokens=12)
    server.script.handler = handler


class Pool:
    def __init__(self, tmp_path: Path, db: str, server: MessagesServer, key: str, *,
                 extensions: str = "", tool_sleep: float = 0.0, stale_s: float = 4.0) -> None:
        self.tmp, self.db, self.server = tmp_path, db, server
        self.roster = tmp_path / "pool.roster.yaml"
        self.roster.write_text(ROSTER.replace("BASE_URL", server.base_url)
                               .replace("EXTENSIONS", extensions), encoding="utf-8")
        self.tool_log = tmp_path / "tool.log"
        self.stale_s = stale_s
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "ROSTER_DATA_DIR": str(tmp_path),
                    KEY_ENV: key, "ROSTER_TEST_TOOLS": f"{HOOKS}:tools",
                    "ROSTER_TEST_TOOL_LOG": str(self.tool_log),
                    "ROSTER_TEST_TOOL_SLEEP": str(tool_sleep)}
        self.env.pop("ROSTER_TEST_PROVIDER", None)
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self.engine = sa.create_engine(engine_url(db))

    def cli(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "runtime.cli.main", *args]

    def start_worker(self, name: str, concurrency: int = 10) -> None:
        log = open(self.tmp / f"{name}.log", "wb")
        self.workers[name] = subprocess.Popen(
            self.cli("worker", "--db", self.db, "--id", name, "--concurrency",
                     str(concurrency), "--stale-after", str(self.stale_s), "--drain", "5"),
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def worker_log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def submit(self, task: str) -> str:
        done = subprocess.run(self.cli("submit", str(self.roster), task, "--db", self.db,
                                       "--unattended", "deny"),
                              cwd=REPO, env=self.env, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode().strip()

    def submit_many(self, tasks: list[str]) -> list[str]:
        """Submit in this process with the same code as `roster submit` (faster than one
        subprocess per run)."""
        from runtime.engine.executor import RunSpec
        from runtime.roster.io import load_roster
        from runtime.scale.submit import Submitter

        content = load_roster(self.roster).content
        submitter = Submitter(self.db)
        try:
            return [submitter.submit(RunSpec(task=task, roster_path=str(self.roster),
                                             content=content, unattended=True))
                    for task in tasks]
        finally:
            submitter.close()

    def kill(self, name: str) -> None:
        self.workers[name].send_signal(signal.SIGKILL)
        self.workers[name].wait(10)

    def cpu_seconds(self) -> float:
        """User + system CPU time the live workers have used so far (from /proc)."""
        total = 0.0
        for proc in self.workers.values():
            try:
                with open(f"/proc/{proc.pid}/stat", encoding="ascii") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except OSError:
                pass
        return total

    def stop_all(self) -> None:
        for proc in self.workers.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.workers.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.engine.dispose()

    def query(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params).all()]

    def statuses(self, run_ids: list[str]) -> dict[str, str]:
        rows = self.query("SELECT id, status FROM runs")
        return {r[0]: r[1] for r in rows if r[0] in run_ids}

    def wait_terminal(self, run_ids: list[str], timeout: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.statuses(run_ids)
            if all(found.get(r) in ("completed", "failed", "limit", "stopped")
                   for r in run_ids) or time.monotonic() > deadline:
                return found
            time.sleep(0.3)

    def tool_lines(self) -> list[str]:
        return (self.tool_log.read_text(encoding="utf-8").splitlines()
                if self.tool_log.exists() else [])
