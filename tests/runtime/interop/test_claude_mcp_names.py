"""The Claude Code export names every MCP server the same way in every file.

Claude Code builds an MCP tool's name from the key of its server in `.mcp.json`
(`mcp__<key>__<tool>`), so the allow/ask/deny rules of `.claude/settings.json` and
the `tools:` of each agent only match when they use exactly that key.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from runtime.interop.claude_export import SIDECAR, export_claude_code, write_files
from runtime.interop.claude_import import import_claude_code
from runtime.interop.claude_names import server_key
from runtime.roster import codec, io
from runtime.roster import model as m

from .conftest import SAMPLES

_MCP_NAME = re.compile(r"mcp__([^_\s,\"()]+(?:_[^_\s,\"()]+)*)(?:__|\b)")


def _exported(content: codec.RosterContent, folder: Path) -> dict[str, str]:
    files, report = export_claude_code(content, folder)
    assert report.errors == []
    write_files(files, folder)
    return {f.path: f.data.decode("utf-8") for f in files}


def _servers_named(text: str) -> set[str]:
    return {match.group(1) for match in _MCP_NAME.finditer(text)}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_mcp_tool_name_names_a_server_key_of_mcp_json(path: Path, tmp_path: Path) -> None:
    """settings.json rules and agents' tools: only use servers that .mcp.json defines."""
    content = io.load_roster(path).content
    text = _exported(content, tmp_path)
    keys = set(json.loads(text[".mcp.json"])["mcpServers"]) if ".mcp.json" in text else set()
    used: set[str] = set()
    for rel, body in text.items():
        if rel == ".claude/settings.json" or rel.startswith(".claude/agents/"):
            used |= _servers_named(body)
    assert used <= keys, f"named in rules/agents but not in .mcp.json: {used - keys}"
    servers = [n for n in content.nodes.values() if isinstance(n, m.McpServer)]
    if servers:
        assert used, "the sample grants MCP tools, so the export must name some"
    for key in keys:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", key), f"{key!r} is not a valid server name"


def test_support_triage_servers_are_keyed_by_id_not_display_name(tmp_path: Path) -> None:
    path = next(p for p in SAMPLES if p.name.startswith("support-triage"))
    content = io.load_roster(path).content
    text = _exported(content, tmp_path)
    keys = set(json.loads(text[".mcp.json"])["mcpServers"])
    ids = {n.id for n in content.nodes.values() if isinstance(n, m.McpServer)}
    assert keys == ids
    assert not any(" " in key for key in keys)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_reimport_without_sidecar_maps_tools_to_the_same_servers(path: Path,
                                                                 tmp_path: Path) -> None:
    """Claude Code alone (no agent-roster.yaml) still knows which server each tool is on."""
    content = io.load_roster(path).content
    _exported(content, tmp_path)
    (tmp_path / SIDECAR).unlink()
    again, report = import_claude_code(tmp_path)
    assert report.errors == []

    def servers_by_agent(c: codec.RosterContent) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for edge in c.edges.values():
            tool = c.nodes.get(edge.target)
            if edge.kind is m.EdgeKind.TOOL_ACCESS and isinstance(tool, m.Tool) and tool.server:
                out.setdefault(edge.source, set()).add(tool.server)
        return out

    assert servers_by_agent(again) == servers_by_agent(content)
    for node in again.nodes.values():
        if isinstance(node, m.McpServer):
            original = content.nodes[node.id]
            assert isinstance(original, m.McpServer)
            assert node.command == original.command
            assert node.args == original.args


def test_server_key_keeps_an_imported_name_and_replaces_unsafe_characters() -> None:
    content = codec.RosterContent()
    content.nodes["crm"] = m.McpServer(id="crm", name="CRM server", command="crm")
    content.nodes["gh"] = m.McpServer(id="gh", name="GitHub", command="gh", extensions=m.freeze(
        {"x-claude-code": {"name": "git hub"}}))
    assert server_key("crm", content) == "crm"
    assert server_key("gh", content) == "git_hub"


def test_two_servers_with_the_same_claude_code_name_are_reported() -> None:
    content = codec.RosterContent()
    for node_id in ("a", "b"):
        content.nodes[node_id] = m.McpServer(id=node_id, command=node_id, extensions=m.freeze(
            {"x-claude-code": {"name": "shared"}}))
    _, report = export_claude_code(content)
    assert "both named 'shared'" in report.text()
