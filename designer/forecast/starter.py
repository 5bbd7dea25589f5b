"""The workload file the Forecast panel starts from when the roster has none."""

from __future__ import annotations

import json
from pathlib import Path

from runtime.forecast import Workload
from runtime.roster.codec import RosterContent


def starter_text(content: RosterContent, roster_path: Path | None, default: Workload) -> str:
    """A short, valid workload file to start from: everything not written is derived."""
    roster = roster_path.name if roster_path is not None else "ROSTER.roster.yaml"
    lines = [
        "# What `roster forecast` assumes for this roster. Anything left out is derived",
        "# from the roster and the model catalog (docs/workloads.md lists every field).",
        "format: agent-roster-workload",
        "version: 1",
        f"name: {json.dumps(content.meta.name or 'workload')}",
        f"roster: {json.dumps(roster)}",
        f"tasks_per_day: {default.tasks_per_day:g}",
        "mix:",
        *(f"  {json.dumps(agent)}: {share:.3g}" for agent, share in default.mix.items()),
    ]
    return "\n".join(lines) + "\n"
