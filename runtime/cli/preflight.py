"""What `roster run` and `roster submit` check before a run starts: findings and entry agent."""

from __future__ import annotations

import sys

from runtime.cli import report
from runtime.cli.common import err
from runtime.roster import model as m
from runtime.roster.codec import RosterContent
from runtime.roster.fields import did_you_mean
from runtime.roster.io import LoadedRoster


def blocked(loaded: LoadedRoster, filename: str, *, force: bool, verb: str) -> bool:
    """True (after printing the errors) when the roster has blocking findings and no --force.

    The summary counts findings exactly as `roster check` does; warnings are
    counted but not listed, since they do not stop a run.
    """
    from runtime.roster.checks.engine import check_roster

    findings = check_roster(loaded.content)
    if force or not any(f.blocking for f in findings):
        return False
    print(report.text(findings, loaded.position_index(), filename, errors_only=True),
          file=sys.stderr)
    err(f"the roster has blocking findings; fix them (or {verb} with --force)")
    return True


def entry_agent(content: RosterContent, given: str | None) -> str | None:
    """The agent a run starts at (--entry, else the roster's first entry agent), or None
    after printing which agents could be named instead."""
    entry = given or (content.meta.entry[0] if content.meta.entry else None)
    if entry is not None and isinstance(content.nodes.get(entry), m.Agent):
        return entry
    agents = [key for key, node in content.nodes.items() if isinstance(node, m.Agent)]
    declared = [a for a in content.meta.entry if a in agents]
    if not agents:
        err("the roster has no agent to start at; add one first")
        return None
    if entry is None:
        err(f"the roster names no entry agent; pass --entry AGENT (agents: {', '.join(agents)})")
        return None
    hint = did_you_mean(entry, agents)
    options = (f"entry agents: {', '.join(declared)}" if declared else "")
    others = [a for a in agents if a not in declared]
    if others:
        options += ("; other agents: " if options else "agents: ") + ", ".join(others)
    err(f"no agent {entry!r} in the roster ({options})"
        + (f"; {hint}" if hint else "; name one of them with --entry AGENT"))
    return None
