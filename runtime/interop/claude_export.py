"""Export a roster as Claude Code files: subagents, permissions, MCP servers.

Writes `.claude/agents/<id>.md` per agent (frontmatter + the instructions
byte for byte as the body), `.claude/settings.json` permissions (allow / ask
/ deny from the tool grants, merged with the user's own rules: see
claude_settings.py),
`.mcp.json` for the MCP servers, and `.claude/agent-roster.yaml`, the full
roster, so that importing the folder again restores what Claude Code cannot
express. An agent imported from Claude Code is written back with its
original file path, key order, unknown keys and original spellings (`model:
sonnet`, `tools: Read, Grep`) as long as the roster did not change their
meaning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from runtime.interop import claude_tools as ct
from runtime.interop.claude_names import server_key, signature, tool_names
from runtime.interop.claude_settings import merged_settings
from runtime.interop.report import FileReport, ImportReport, Note, NoteKind
from runtime.roster import codec, yaml_write
from runtime.roster import model as m
from runtime.roster.atomic import write_atomic
from runtime.roster.catalog import Catalog, load_catalog
from runtime.roster.io import guarded_bytes, to_data

SIDECAR: Final = ".claude/agent-roster.yaml"
_ORDER: Final = ("name", "description", "tools", "disallowedTools", "model", "permissionMode",
                 "maxTurns")


@dataclass
class ExportedFile:
    path: str  # relative to the output folder, with forward slashes
    data: bytes


def _ext(agent: m.Agent) -> dict[str, Any]:
    value = m.thaw(agent.extensions.get(ct.EXTENSION, {}))
    return value if isinstance(value, dict) else {}


def _model(agent: m.Agent, original: Any, catalog: Catalog) -> str | None:
    if isinstance(original, str):
        canonical = None if original == "inherit" else catalog.resolve_alias(original) or original
        if canonical == agent.model:
            return original
    if agent.model is None:
        return None
    for info in catalog.models():
        if info.id == agent.model:
            short = [a for a in info.aliases if a in ("opus", "sonnet", "haiku", "fable")]
            return short[0] if short else info.id
    return agent.model


def _tools(agent: m.Agent, content: codec.RosterContent, ext: dict[str, Any]
           ) -> tuple[list[str] | None, list[str]]:
    allowed: list[str] = []
    denied: list[str] = []
    targets: list[str] = []
    for edge in content.edges.values():
        if edge.source != agent.id:
            continue
        if edge.kind is m.EdgeKind.DELEGATION:
            targets.append(edge.target)
        elif edge.kind is m.EdgeKind.TOOL_ACCESS:
            tool = content.nodes.get(edge.target)
            if isinstance(tool, m.Tool):
                names = tool_names(tool, content)
                (denied if edge.approval == "deny" else allowed).extend(
                    n for n in names if n not in allowed and n not in denied)
    if targets:
        allowed.append(f"Agent({', '.join(targets)})")
    for kept in ext.get("unmapped_tools", []):
        bucket = denied if kept.startswith("!") else allowed
        bucket.append(kept.removeprefix("!"))
    if not allowed and ext.get("inherits_tools"):
        return None, denied
    return allowed, denied


def agent_markdown(agent: m.Agent, content: codec.RosterContent, catalog: Catalog,
                   report: FileReport) -> str:
    """The text of one subagent file (with the newline style it was read with)."""
    ext = _ext(agent)
    original = ext.get("original", {})
    same = ext.get("mapped") == signature(content, agent.id)
    fields: dict[str, Any] = {}
    name = original.get("name")
    stem = str(ext.get("file", "")).rsplit("/", 1)[-1].removesuffix(".md")
    if isinstance(name, str) and ct.slug(name) == agent.id:
        fields["name"] = name
    elif name is not None or "mapped" not in ext or ct.slug(stem) != agent.id:
        fields["name"] = agent.id  # else: the file had no name and its file name still fits
    fields["description"] = agent.role or agent.name or agent.id
    allowed, denied = _tools(agent, content, ext)
    if same:
        for key in ("tools", "disallowedTools"):
            if key in original:
                fields[key] = original[key]
    else:
        if allowed is not None:
            fields["tools"] = ", ".join(allowed)
        if denied:
            fields["disallowedTools"] = ", ".join(denied)
    model = _model(agent, original.get("model"), catalog)
    if model is not None:
        fields["model"] = model
    kept = dict(ext.get("keys", {}))
    if agent.permission_mode is not None:
        fields["permissionMode"] = agent.permission_mode
    if agent.max_turns is not None:
        fields["maxTurns"] = agent.max_turns
    order = [k for k in ext.get("order", []) if k in fields or k in kept]
    order += [k for k in (*_ORDER, *kept) if k not in order and (k in fields or k in kept)]
    front = {k: fields[k] if k in fields else kept[k] for k in order}
    if kept:
        report.add(NoteKind.KEPT, "wrote back as-is: " + ", ".join(kept))
    dropped = [label for label, value in (("budget_usd", agent.budget_usd),
                                          ("clearance", agent.clearance),
                                          ("timeout_s", agent.timeout_s)) if value is not None]
    if dropped:
        report.add(NoteKind.KEPT, f"{', '.join(dropped)}: no Claude Code field; kept in "
                   f"{SIDECAR}")
    newline = "\r\n" if ext.get("newline") == "crlf" else "\n"
    head = yaml_write.dumps(front).replace("\n", newline) if front else ""
    gap = newline if ext.get("gap", True) else ""
    bom = "\ufeff" if ext.get("bom") else ""
    return f"{bom}---{newline}{head}---{newline}{gap}{agent.instructions}"


def _mcp(content: codec.RosterContent, report: FileReport) -> dict[str, Any]:
    servers: dict[str, Any] = {}
    for node in content.nodes.values():
        if not isinstance(node, m.McpServer):
            continue
        env: dict[str, str] = {}
        for key, ref in node.env.items():
            if ref.startswith("env:"):
                env[key] = "${" + ref[4:] + "}"
            else:
                env[key] = ref
                report.add(NoteKind.WARNING, f"{node.id}.env.{key} is {ref}; Claude Code cannot "
                           "read the keyring, put the value in your environment instead")
        spec: dict[str, Any] = {"command": node.command, "args": list(node.args)}
        if env:
            spec["env"] = env
        key = server_key(node.id, content)
        if key in servers:
            report.add(NoteKind.WARNING, f"{node.id} and another MCP server are both named "
                       f"{key!r} in Claude Code; only the last is written: give one of them "
                       "another x-claude-code name or id")
        servers[key] = spec
    return {"mcpServers": servers}


def export_claude_code(content: codec.RosterContent, out_dir: Path | None = None,
                       catalog: Catalog | None = None) -> tuple[list[ExportedFile], ImportReport]:
    """The files of a Claude Code project for this roster (not written; see write_files)."""
    catalog = catalog or load_catalog()
    report = ImportReport()
    files: list[ExportedFile] = []
    used: set[str] = set()
    for node in content.nodes.values():
        if not isinstance(node, m.Agent):
            continue
        rel = _ext(node).get("file")
        rel = rel if isinstance(rel, str) and rel not in used and ".." not in rel else \
            f"{node.id}.md"
        used.add(rel)
        path = f".claude/agents/{rel}"
        file_report = report.file(path)
        text = agent_markdown(node, content, catalog, file_report)
        file_report.notes.insert(0, Note(NoteKind.WROTE, f"agent {node.id}"))
        files.append(ExportedFile(path, text.encode("utf-8")))
    if out_dir is not None and (out_dir / ".claude" / "agents").is_dir():
        written = {f.path for f in files}
        for stale in sorted((out_dir / ".claude" / "agents").rglob("*.md")):
            rel = stale.relative_to(out_dir).as_posix()
            if rel not in written:
                report.file(rel).add(NoteKind.WARNING, "already in the folder and not part of "
                                     "this roster: Claude Code will still load it; delete it "
                                     "if the agent was removed or renamed")
    roster_bytes = guarded_bytes(to_data(content), SIDECAR)
    settings_report = report.file(".claude/settings.json")
    settings = merged_settings(content, out_dir, SIDECAR, settings_report, roster_bytes)
    if settings is not None:
        files.append(ExportedFile(".claude/settings.json", _json_bytes(settings)))
    if any(isinstance(n, m.McpServer) for n in content.nodes.values()):
        mcp_report = report.file(".mcp.json")
        mcp = _mcp(content, mcp_report)
        mcp_report.add(NoteKind.WROTE, f"{len(mcp['mcpServers'])} MCP server(s)")
        files.append(ExportedFile(".mcp.json", _json_bytes(mcp)))
    sidecar_report = report.file(SIDECAR)
    sidecar_report.add(NoteKind.WROTE, "the full roster, read back by `roster import claude-code`")
    files.append(ExportedFile(SIDECAR, roster_bytes))
    return files, report


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_files(files: list[ExportedFile], out_dir: Path) -> None:
    """Write every file atomically under out_dir (folders created as needed)."""
    for item in files:
        target = out_dir / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, item.data)
