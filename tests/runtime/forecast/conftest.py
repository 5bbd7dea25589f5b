"""Small rosters and workloads for the forecast tests, built from YAML text."""

from __future__ import annotations

from runtime.forecast import Workload, loads_workload
from runtime.roster.codec import RosterContent
from runtime.roster.io import loads

SINGLE_AGENT = """\
format: agent-roster
version: 1
name: single
entry: [solo]
agents:
  solo: {model: claude-sonnet-5-5}
"""

SINGLE_HUMAN_GATE = """\
format: agent-roster
version: 1
name: gate
entry: [solo]
agents:
  solo: {model: claude-haiku-5-5, escalates_to: [reviewer]}
humans:
  reviewer: {name: Reviewer}
"""

CHAIN = """\
format: agent-roster
version: 1
name: chain
entry: [lead]
defaults: {model: claude-sonnet-5-5}
agents:
  lead:
    delegates_to: [writer, checker]
    escalates_to: [boss]
    uses:
      search: {mode: read, approval: allow}
  writer:
    uses:
      search: {mode: read, approval: allow}
      publish: {mode: write, approval: ask}
    escalates_to: [boss]
  checker: {model: claude-haiku-5-5}
tools:
  search: {kind: http_fetch, risk: low}
  publish: {kind: email_send, risk: high}
humans:
  boss: {name: Boss}
"""


def roster(text: str) -> RosterContent:
    return loads(text).content


def workload(content: RosterContent, text: str) -> Workload:
    header = "format: agent-roster-workload\nversion: 1\n"
    return loads_workload(header + text, content)
