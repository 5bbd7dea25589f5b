"""Shared pieces for the oversight tests and the oversight benchmark.

A small roster (a lead that delegates to a writer; the writer's memory write
needs the editor's approval) whose key is an `env:` reference and whose
provider points at the loopback Messages-API server, so a run from the panel
goes through the real key resolution, the real Anthropic SDK, the real
memory tool, DBOS and the journal. `script_happy_path` queues the replies of
one complete run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_anthropic_key
from tests.messages_server import MessagesServer, Msg, sha256_hex, tool_use

KEY_ENV = "ROSTER_TEST_OVERSIGHT_KEY"
LEAD = "You lead the writing desk"
WRITER = "You write short notes"


def roster_yaml(base_url: str, *, timeout_s: int = 600, on_timeout: str = "deny",
                tool_approval: str = "ask", key_ref: str = f"env:{KEY_ENV}") -> str:
    return f"""\
format: agent-roster
version: 1
name: Desk
entry: [lead]
defaults: {{model: claude-haiku-5-5, max_turns: 60, max_tokens_per_call: 256, timeout_s: 120,
           budget_usd: 5.0, max_parallel_delegations: 1}}
policy: {{budget_usd_per_run: 5.0, max_model_calls_per_run: 400, max_delegation_depth: 2,
         max_parallel_agents: 4}}
providers:
  anthropic: {{api_key: "{key_ref}", base_url: "{base_url}"}}
agents:
  lead:
    name: Lead
    role: Splits the work.
    instructions: {LEAD}. Hand the note to the writer.
    delegates_to: [writer]
    escalates_to: [editor]
  writer:
    name: Writer
    role: Writes notes.
    model: claude-sonnet-5-5
    instructions: {WRITER}. Save each note in memory.
    uses:
      notes: {{mode: write, approval: {tool_approval}, purpose: save the note}}
    escalates_to: [editor]
tools:
  notes:
    name: Notes
    kind: memory
    description: Shared notes.
    capabilities: [shared_memory_write]
    risk: medium
    vetted: true
    modes: [read, write]
    fs_roots: [notes]
humans:
  editor:
    name: Editor
    role: Approves what gets saved.
    timeout_s: {timeout_s}
    on_timeout: {on_timeout}
"""


def script_happy_path(server: Any, note: str = "Launch is on Friday") -> None:
    """Lead delegates to writer; writer appends a note (needs approval), then both answer."""
    server.script.push(
        Msg([tool_use("agent__writer", {"task": f"Save a note: {note}"})]),
        Msg("The writer saved the note."), system_contains=LEAD)
    server.script.push(
        Msg([tool_use("notes", {"operation": "append", "topic": "launch", "note": note})]),
        Msg("Saved."), system_contains=WRITER)


@dataclass
class Desk:
    """A main window on the desk roster, its loopback API server and where things land."""

    window: Any
    server: MessagesServer
    key: str
    path: Path
    qtbot: Any

    @property
    def oversight(self) -> Any:
        return self.window.oversight

    def reopen(self, **options: Any) -> None:
        """Rewrite the roster with other options (timeouts, key reference) and open it."""
        self.path.write_text(roster_yaml(self.server.base_url, **options), encoding="utf-8")
        assert self.window.open_path(self.path)

    def run(self, task: str = "Save the launch note", entry: str = "lead") -> None:
        panel = self.oversight.run_panel
        panel.entry.setCurrentText(entry)
        panel.task.setPlainText(task)
        panel.run_button.click()

    def wait_finished(self, timeout_ms: int = 30_000) -> Any:
        with self.qtbot.waitSignal(self.oversight.bridge.run_finished,
                                   timeout=timeout_ms) as blocker:
            pass
        return blocker.args[0]

    def notes(self) -> str:
        store = self.path.parent / "notes" / "memory.jsonl"
        return store.read_text(encoding="utf-8") if store.exists() else ""


@pytest.fixture
def desk(qtbot: Any, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
         ) -> Iterator[Desk]:
    from designer.main_window import MainWindow

    key = make_anthropic_key()
    monkeypatch.setenv(KEY_ENV, key)
    monkeypatch.setenv("ROSTER_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "notes").mkdir()
    with MessagesServer(expect_key_sha256=sha256_hex(key)) as server:
        window = MainWindow(settings)
        qtbot.addWidget(window)
        monkeypatch.setattr(window, "maybe_save", lambda: True)
        window.resize(1400, 900)
        window.show()
        found = Desk(window, server, key, tmp_path / "desk.roster.yaml", qtbot)
        found.reopen()
        try:
            yield found
        finally:
            window.oversight.shutdown()
            window.controller.undo_stack.setClean()
        for recorded in server.requests:
            assert key not in json.dumps(recorded.body), "the key must never be in a body"
