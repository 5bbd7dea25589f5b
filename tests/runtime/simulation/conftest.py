"""Shared fixtures of the simulation tests: the sample rosters and a tiny one."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.roster.codec import RosterContent
from runtime.roster.io import load_roster, loads

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "resources" / "samples"
BROKEN = REPO / "tests" / "fixtures" / "scenarios"
SAMPLE_NAMES = ("content-studio", "support-triage", "governance-vacuum")

TINY = """\
format: agent-roster
version: 1
name: Tiny
entry: [boss]
defaults: {model: claude-haiku-5-5, max_turns: 6}
policy: {max_delegation_depth: 2, budget_usd_per_run: 1.0}
agents:
  boss:
    delegates_to: [worker]
    uses:
      notes: {mode: write, approval: allow}
      mail: {mode: write, approval: ask}
    escalates_to: [lead]
  worker:
    uses:
      lookup: {mode: read, approval: allow}
tools:
  notes: {kind: memory, description: Shared notes., risk: low}
  mail: {kind: email_send, description: Sends email.}
  lookup:
    kind: mcp
    server: srv
    tool: lookup
    description: Looks up a record.
    capabilities: [reads_private_data]
    risk: low
    input_schema:
      type: object
      properties: {id: {type: string, pattern: "^R[0-9]{3}$"}}
      required: [id]
mcp_servers:
  srv: {command: /opt/srv, trust: trusted}
humans:
  lead: {timeout_s: 60, on_timeout: deny}
"""


def sample(name: str) -> RosterContent:
    return load_roster(SAMPLES / f"{name}.roster.yaml").content


@pytest.fixture
def tiny() -> RosterContent:
    return loads(TINY).content


def scenario_text(body: str) -> str:
    """A scenario file around `body` (YAML for task, agents, ..., expect)."""
    return "format: agent-roster-scenario\nversion: 1\nname: t\n" + body
