"""Exporting into a project keeps the user's own permission rules in settings.json.

The roster replaces only the rules it manages (the Claude Code names of its tools
and rules on its MCP servers); every other rule stays, and the report says what was
kept, replaced and removed.
"""

from __future__ import annotations

import json
from pathlib import Path

from runtime.interop.claude_export import export_claude_code, write_files
from runtime.interop.claude_import import import_claude_code
from runtime.interop.diff import diff
from runtime.interop.report import ImportReport, NoteKind
from runtime.roster import codec, io
from runtime.roster import model as m

from .conftest import SAMPLES

SUPPORT = next(p for p in SAMPLES if p.name.startswith("support-triage"))


def _write_settings(folder: Path, value: object) -> Path:
    path = folder / ".claude" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def _export(content: codec.RosterContent, folder: Path) -> tuple[dict[str, object], ImportReport]:
    files, report = export_claude_code(content, folder)
    write_files(files, folder)
    return json.loads((folder / ".claude" / "settings.json").read_text("utf-8")), report


def _notes(report: ImportReport, kind: NoteKind) -> str:
    [settings] = [f for f in report.files if f.file == ".claude/settings.json"]
    return "\n".join(n.text for n in settings.notes if n.kind is kind)


def test_the_users_own_rules_and_other_keys_survive_an_export(tmp_path: Path) -> None:
    _write_settings(tmp_path, {"model": "opus", "permissions": {
        "allow": ["Bash(ls:*)", "WebFetch(domain:example.com)"], "deny": ["Read(./.env)"],
        "defaultMode": "plan"}})
    content = io.load_roster(SUPPORT).content
    settings, report = _export(content, tmp_path)
    perms = settings["permissions"]
    assert isinstance(perms, dict)
    assert settings["model"] == "opus"
    assert perms["defaultMode"] == "plan"
    assert perms["allow"][:2] == ["Bash(ls:*)", "WebFetch(domain:example.com)"]
    assert perms["deny"] == ["Read(./.env)"]
    assert "mcp__crm-mcp__lookup_customer" in perms["allow"] + perms["ask"]
    kept = _notes(report, NoteKind.KEPT)
    assert "allow Bash(ls:*)" in kept and "deny Read(./.env)" in kept


def test_roster_managed_rules_are_replaced_and_stale_ones_removed(tmp_path: Path) -> None:
    """Rules on the roster's tools follow the roster, whatever the file said before."""
    content = io.load_roster(SUPPORT).content
    _write_settings(tmp_path, {"permissions": {
        "allow": ["mcp__payments-mcp__create_refund", "mcp__crm-mcp__delete_everything"],
        "deny": ["mcp__crm-mcp", "Bash(rm:*)"]}})
    settings, report = _export(content, tmp_path)
    perms = settings["permissions"]
    assert isinstance(perms, dict)
    ours = {r for level in ("allow", "ask", "deny") for r in perms[level]}
    assert "mcp__crm-mcp__delete_everything" not in ours
    assert "mcp__crm-mcp" not in ours
    assert perms["deny"] == ["Bash(rm:*)"]  # a user rule on a tool the roster does not have
    refund = [lvl for lvl in ("allow", "ask", "deny") if
              "mcp__payments-mcp__create_refund" in perms[lvl]]
    assert refund == ["ask"]  # the roster says ask: an allow rule must not survive
    assert "allow mcp__payments-mcp__create_refund → ask" in _notes(report, NoteKind.MAPPED)
    removed = _notes(report, NoteKind.WARNING)
    assert "allow mcp__crm-mcp__delete_everything" in removed and "deny mcp__crm-mcp" in removed


def test_a_tool_removed_from_the_roster_loses_the_rule_the_last_export_wrote(
        tmp_path: Path) -> None:
    content = io.load_roster(SUPPORT).content
    first, _ = _export(content, tmp_path)
    first_perms = first["permissions"]
    assert isinstance(first_perms, dict)
    assert "mcp__payments-mcp__create_refund" in first_perms["ask"]
    content.nodes = {k: v for k, v in content.nodes.items()
                     if not (isinstance(v, m.Tool) and v.tool == "create_refund")}
    content.edges = {k: e for k, e in content.edges.items() if e.target in content.nodes}
    second, report = _export(content, tmp_path)
    perms = second["permissions"]
    assert isinstance(perms, dict)
    assert "mcp__payments-mcp__create_refund" not in perms["ask"]
    assert "ask mcp__payments-mcp__create_refund" in _notes(report, NoteKind.WARNING)


def test_exporting_twice_changes_nothing_and_round_trips(tmp_path: Path) -> None:
    _write_settings(tmp_path, {"permissions": {"allow": ["Bash(ls:*)"]}})
    content = io.load_roster(SUPPORT).content
    first, _ = _export(content, tmp_path)
    second, _ = _export(content, tmp_path)
    assert first == second
    again, report = import_claude_code(tmp_path)
    assert report.errors == []
    assert diff(content, again) == []


def test_an_unreadable_settings_file_is_left_alone_with_a_located_warning(
        tmp_path: Path) -> None:
    path = tmp_path / ".claude" / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_text('{\n  "permissions": {"allow": ["Bash(ls:*)",]}\n}\n', encoding="utf-8")
    before = path.read_bytes()
    files, report = export_claude_code(io.load_roster(SUPPORT).content, tmp_path)
    assert ".claude/settings.json" not in {f.path for f in files}
    write_files(files, tmp_path)
    assert path.read_bytes() == before
    assert f"{path}:2:" in _notes(report, NoteKind.WARNING)
