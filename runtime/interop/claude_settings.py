"""`.claude/settings.json` permissions for an export, merged with the user's own rules.

The roster decides the rules for the tools it manages: the exact Claude Code
names of its tools (`Read`, `Bash`, `mcp__crm-mcp__lookup_customer`) and any
rule on one of its MCP servers (`mcp__crm-mcp`, `mcp__crm-mcp__*`). Every other
rule of an existing settings file is the user's and is kept where it was,
including narrower rules on a managed tool such as `Bash(git diff:*)` (Claude
Code applies deny, then ask, then allow, so they never loosen what the roster
asks for). Rules managed by the roster the folder was exported from last time
(its `.claude/agent-roster.yaml`) count as managed too, so a tool removed from
the roster loses its rule. Other keys of the file are never touched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from runtime.interop.claude_names import server_key, tool_names
from runtime.interop.report import FileReport, NoteKind
from runtime.roster import codec
from runtime.roster import model as m
from runtime.roster.errors import RosterLoadError
from runtime.roster.io import loads

LEVELS: Final = ("allow", "ask", "deny")


def roster_rules(content: codec.RosterContent) -> dict[str, list[str]]:
    """allow / ask / deny computed from every tool grant of the roster."""
    levels: dict[str, set[str]] = {}
    for edge in content.edges.values():
        tool = content.nodes.get(edge.target)
        if edge.kind is m.EdgeKind.TOOL_ACCESS and isinstance(tool, m.Tool):
            for name in tool_names(tool, content):
                levels.setdefault(name, set()).add(edge.approval or "ask")
    out: dict[str, list[str]] = {level: [] for level in LEVELS}
    for name in sorted(levels):
        seen = levels[name]
        level = "deny" if seen == {"deny"} else "ask" if "ask" in seen else "allow"
        if seen == {"deny", "allow"}:
            level = "allow"  # denied agents get it in disallowedTools instead
        out[level].append(name)
    return out


@dataclass
class Managed:
    """What rules a roster owns: exact tool names and whole MCP servers."""

    names: set[str] = field(default_factory=set)
    servers: set[str] = field(default_factory=set)

    def add(self, content: codec.RosterContent) -> None:
        for node in content.nodes.values():
            if isinstance(node, m.Tool):
                self.names.update(tool_names(node, content))
            elif isinstance(node, m.McpServer):
                self.servers.add(server_key(node.id, content))

    def owns(self, rule: str) -> bool:
        if rule in self.names:
            return True
        if rule.startswith("mcp__"):
            server = rule[5:].split("(", 1)[0].split("__", 1)[0]
            return server in self.servers
        return False


def _previous(out_dir: Path, sidecar: str, current: bytes | None
              ) -> codec.RosterContent | None:
    """The roster last exported into out_dir, unless it is the one being exported now."""
    path = out_dir / sidecar
    try:
        data = path.read_bytes()
        return None if data == current else loads(data, filename=str(path), source=path).content
    except (OSError, RosterLoadError):
        return None


def _read(path: Path, report: FileReport) -> dict[str, Any] | None:
    """The existing settings, {} when there are none, None when they cannot be read."""
    if not path.exists():
        return {}
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f":{exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        report.add(NoteKind.WARNING, f"not rewritten: {path}{where} cannot be read ({exc}); "
                   "fix it and export again, or delete it to get the roster's permissions")
        return None
    if not isinstance(loaded, dict):
        report.add(NoteKind.WARNING, f"not rewritten: {path} is not a JSON object; fix it and "
                   "export again, or delete it")
        return None
    return loaded


def merged_settings(content: codec.RosterContent, out_dir: Path | None, sidecar: str,
                    report: FileReport, sidecar_bytes: bytes | None = None
                    ) -> dict[str, Any] | None:
    """The settings to write (None: leave the existing unreadable file alone), with a note
    of every user rule kept and every roster-managed rule replaced or removed.

    `sidecar_bytes` is the roster about to be written to `sidecar`: when the folder
    already holds exactly that, its managed rules are this roster's and it is not
    read again."""
    existing: dict[str, Any] = {}
    managed = Managed()
    managed.add(content)
    if out_dir is not None:
        read = _read(out_dir / ".claude" / "settings.json", report)
        if read is None:
            return None
        existing = read
        previous = _previous(out_dir, sidecar, sidecar_bytes)
        if previous is not None:
            managed.add(previous)
    perms_raw = existing.get("permissions")
    perms: dict[str, Any] = dict(perms_raw) if isinstance(perms_raw, dict) else {}
    ours = roster_rules(content)
    new_level = {rule: level for level in LEVELS for rule in ours[level]}
    kept: list[str] = []
    replaced: list[str] = []
    removed: list[str] = []
    for level in LEVELS:
        items = perms.get(level)
        user: list[Any] = []
        for rule in items if isinstance(items, list) else []:
            if not isinstance(rule, str) or not managed.owns(rule):
                user.append(rule)
                kept.append(f"{level} {rule}")
            elif rule in new_level:
                change = "" if new_level[rule] == level else f" → {new_level[rule]}"
                replaced.append(f"{level} {rule}{change}")
            else:
                removed.append(f"{level} {rule}")
        perms[level] = user + [r for r in ours[level] if r not in user]
    existing["permissions"] = perms
    report.add(NoteKind.WROTE, f"permissions: {len(ours['allow'])} allow, {len(ours['ask'])} "
               f"ask, {len(ours['deny'])} deny from the roster")
    if kept:
        report.add(NoteKind.KEPT, f"{len(kept)} rule(s) of yours the roster does not manage: "
                   + ", ".join(kept))
    if replaced:
        report.add(NoteKind.MAPPED, f"replaced {len(replaced)} roster-managed rule(s): "
                   + ", ".join(replaced))
    if removed:
        report.add(NoteKind.WARNING, f"removed {len(removed)} rule(s) on tools the roster "
                   "manages but no agent is granted: " + ", ".join(removed))
    return existing
