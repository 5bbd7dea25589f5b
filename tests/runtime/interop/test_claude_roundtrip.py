"""Round trips: import(export(R)) means R; export(import(F)) keeps bodies and unknown keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.interop.claude_export import export_claude_code, write_files
from runtime.interop.claude_import import import_claude_code
from runtime.interop.diff import diff
from runtime.roster import codec, io
from runtime.roster import model as m

from .conftest import CC_AGENTS, CC_PROJECT, SAMPLES

GOLDEN = sorted((Path(__file__).resolve().parents[2] / "golden" / "v1").glob("*.roster.yaml"))


def roundtrip(content: codec.RosterContent, folder: Path) -> codec.RosterContent:
    files, _ = export_claude_code(content, folder)
    write_files(files, folder)
    again, report = import_claude_code(folder)
    assert report.errors == []
    return again


@pytest.mark.parametrize("path", [*SAMPLES, *GOLDEN], ids=lambda p: p.name)
def test_import_of_export_means_the_same_roster(path: Path, tmp_path: Path) -> None:
    content = io.load_roster(path).content
    again = roundtrip(content, tmp_path)
    assert diff(content, again) == []


def test_export_of_import_keeps_every_body_byte_for_byte(tmp_path: Path) -> None:
    content, _ = import_claude_code(CC_PROJECT)
    files, _ = export_claude_code(content, tmp_path)
    exported = {f.path: f.data for f in files}
    for source in CC_AGENTS.rglob("*.md"):
        rel = ".claude/agents/" + source.relative_to(CC_AGENTS).as_posix()
        original = source.read_bytes()
        written = exported[rel]
        closing = b"\n---\n" if b"\r\n" not in original else b"\r\n---\r\n"
        assert written.split(closing, 1)[1] == original.split(closing, 1)[1], rel
        assert written.startswith(b"\xef\xbb\xbf") == original.startswith(b"\xef\xbb\xbf")


def test_export_of_import_keeps_unknown_keys_and_original_spellings(tmp_path: Path) -> None:
    content, _ = import_claude_code(CC_PROJECT)
    files, _ = export_claude_code(content, tmp_path)
    text = {f.path: f.data.decode("utf-8") for f in files}
    vijay = text[".claude/agents/extras/vijay-style.md"]
    for line in ("version: 1.2.0", "author: someone", "category: backend",
                 "expertise_level: senior", "tools: Read, Grep"):
        assert line in vijay
    reviewer = text[".claude/agents/code-reviewer.md"]
    assert "model: sonnet\n" in reviewer
    assert "hooks:\n  PreToolUse:" in text[".claude/agents/extras/all-fields.md"]
    assert "permissionMode: bypassPermissions" in text[".claude/agents/permissions/bypass.md"]
    assert "tools:" not in text[".claude/agents/inheritor.md"]  # still inherits
    assert "name:" not in text[".claude/agents/quirks/no-name.md"]


def test_export_of_import_of_export_is_stable(tmp_path: Path) -> None:
    content, _ = import_claude_code(CC_PROJECT)
    once = roundtrip(content, tmp_path / "one")
    assert diff(content, once) == []
    files_a, _ = export_claude_code(once, tmp_path / "two")
    files_b, _ = export_claude_code(roundtrip(once, tmp_path / "three"), tmp_path / "four")
    agents = {f.path: f.data for f in files_a if f.path.startswith(".claude/agents/")}
    assert agents == {f.path: f.data for f in files_b if f.path.startswith(".claude/agents/")}


def test_unchanged_valid_files_come_back_identical(tmp_path: Path) -> None:
    content, _ = import_claude_code(CC_PROJECT)
    files, _ = export_claude_code(content, tmp_path)
    exported = {f.path: f.data for f in files}
    for name in ("code-reviewer.md", "quirks/crlf.md", "quirks/bom.md", "quirks/no-gap.md",
                 "delegation/orchestrator.md", "permissions/plan-mode.md"):
        assert exported[f".claude/agents/{name}"] == (CC_AGENTS / name).read_bytes(), name


def test_a_change_in_the_roster_is_written_instead_of_the_original_spelling(
    tmp_path: Path,
) -> None:
    content, _ = import_claude_code(CC_PROJECT)
    gone = m.edge_id(m.EdgeKind.TOOL_ACCESS, "code-reviewer", "bash")
    del content.edges[gone]
    files, _ = export_claude_code(content, tmp_path)
    reviewer = next(f for f in files if f.path == ".claude/agents/code-reviewer.md")
    assert b"tools: Read, Grep, Glob\n" in reviewer.data


def test_settings_json_lists_allow_ask_and_deny_and_keeps_other_keys(tmp_path: Path) -> None:
    import json

    content, _ = import_claude_code(CC_PROJECT)
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "settings.json").write_text('{"env": {"A": "1"}}')
    files, _ = export_claude_code(content, tmp_path)
    settings = json.loads(next(f.data for f in files if f.path == ".claude/settings.json"))
    assert settings["env"] == {"A": "1"}
    perms = settings["permissions"]
    assert "Read" in perms["allow"] and "Bash" in perms["ask"]
    assert "mcp__github__delete_comment" in perms["deny"]
    mcp = json.loads(next(f.data for f in files if f.path == ".mcp.json"))
    assert mcp["mcpServers"]["github"]["env"] == {"GITHUB_TOKEN": "${GITHUB_TOKEN}"}


def test_a_native_roster_exports_readable_subagents(tmp_path: Path) -> None:
    content = io.load_roster(next(p for p in SAMPLES if "support" in p.name)).content
    files, report = export_claude_code(content, tmp_path)
    refunds = next(f for f in files if f.path == ".claude/agents/refunds.md").data.decode()
    assert refunds.startswith("---\nname: refunds\ndescription: ")
    assert "model: sonnet" in refunds
    assert "mcp__" in refunds
    assert not report.errors


def test_export_warns_about_agent_files_the_roster_no_longer_has(tmp_path: Path) -> None:
    content = io.load_roster(next(p for p in SAMPLES if "support" in p.name)).content
    stale = tmp_path / ".claude" / "agents" / "old-agent.md"
    stale.parent.mkdir(parents=True)
    stale.write_text("---\nname: old-agent\ndescription: gone\n---\n\nx\n")
    _, report = export_claude_code(content, tmp_path)
    warned = next(f for f in report.files if f.file == ".claude/agents/old-agent.md")
    assert "delete it if the agent was removed or renamed" in warned.notes[0].text
