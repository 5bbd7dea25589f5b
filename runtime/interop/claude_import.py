"""Import a folder of Claude Code subagents into a roster.

Finds subagent files (`.claude/agents`, plugin `agents/` folders, any
sub-folders), parses each one (claude_parse.py), then turns tool entries into
tool nodes and edges: built-in names become tool nodes with capabilities and
risk, `mcp__server__tool` becomes an MCP tool node plus its server,
`Agent(a, b)` becomes delegation edges, `disallowedTools` becomes grants with
approval deny. Approvals come from `.claude/settings.json` permissions when
present, else Claude Code's defaults. `.mcp.json` supplies server commands.
A roster written next to an export (`.claude/agent-roster.yaml`) restores what
Claude Code cannot express (humans, budgets, policy, tool metadata).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from runtime.interop import claude_tools as ct
from runtime.interop.claude_names import signature, tool_names
from runtime.interop.claude_parse import AgentDraft, Entry, parse_agent_file
from runtime.interop.report import ImportReport, InteropError, Note, NoteKind
from runtime.roster import codec
from runtime.roster import model as m
from runtime.roster.catalog import Catalog, load_catalog
from runtime.roster.errors import RosterLoadError
from runtime.roster.io import loads

SIDECAR: Final = "agent-roster.yaml"
_BOOKKEEPING: Final = frozenset({"file", "order", "original", "mapped"})
_SKIP: Final = ("readme", "changelog", "license", "contributing")


def agent_files(root: Path) -> tuple[Path, list[Path]]:
    """The folder that holds the subagents and its Markdown files, sorted."""
    for candidate in (root / ".claude" / "agents", root / "agents", root):
        if candidate.is_dir():
            base = candidate
            break
    else:
        raise InteropError("not a folder", file=str(root),
                           hint="pass a project folder, a .claude folder or an agents folder")
    files = sorted(p for p in base.rglob("*.md") if p.is_file())
    return base, files


def _claude_dir(root: Path, base: Path) -> Path:
    for candidate in (root / ".claude", base.parent, root):
        if (candidate / "settings.json").exists() or (candidate / SIDECAR).exists():
            return candidate
    return root / ".claude"


def _json(path: Path, report: ImportReport) -> dict[str, Any]:
    if not path.exists():
        return {}
    file = report.file(str(path))
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        file.error = InteropError(f"cannot read this JSON file: {exc}", file=str(path),
                                  line=line, column=col, hint="fix the JSON; nothing from it "
                                  "was used")
        return {}
    if not isinstance(value, dict):
        file.error = InteropError("expected a JSON object", file=str(path))
        return {}
    file.add(NoteKind.IMPORTED, "read")
    return value


class _Builder:
    def __init__(self, base: codec.RosterContent | None, settings: dict[str, Any],
                 mcp: dict[str, Any]) -> None:
        self.base = base
        self.content = codec.RosterContent()
        if base is not None:
            self.content.meta = base.meta
            for node in base.nodes.values():
                if not isinstance(node, m.Agent):
                    self.content.nodes[node.id] = node
            self.content.layout = dict(base.layout)
        self.by_name: dict[str, str] = {}
        self.all_by_name: dict[str, list[str]] = {}
        for node in self.content.nodes.values():
            if isinstance(node, m.Tool):
                for name in tool_names(node, self.content):
                    self.by_name.setdefault(name, node.id)
                    self.all_by_name.setdefault(name, []).append(node.id)
        perms = settings.get("permissions") if isinstance(settings.get("permissions"), dict) \
            else {}
        self.approval: dict[str, str] = {}
        for level in ("allow", "ask", "deny"):
            items = perms.get(level) if isinstance(perms, dict) else None
            for item in items if isinstance(items, list) else ():
                if isinstance(item, str):
                    self.approval[item] = level
        servers = mcp.get("mcpServers")
        self.mcp: dict[str, Any] = servers if isinstance(servers, dict) else {}
        self.reserved: set[str] = set()  # agent ids: tools and servers must not take them

    def free_id(self, wanted: str, suffix: str) -> str:
        """`wanted`, or `wanted-suffix` when an agent already has that id."""
        return f"{wanted}-{suffix}"[:63] if wanted in self.reserved else wanted

    def tools_for(self, entry: Entry, agent_id: str, notes: list[tuple[NoteKind, str]]
                  ) -> list[str]:
        """The tool nodes an entry stands for; several when one name covers several tools
        the agent was granted in the roster next to the export (two fs_write folders)."""
        candidates = self.all_by_name.get(entry.ref.name, [])
        if len(candidates) > 1 and self.base is not None:
            granted = [t for t in candidates if m.edge_id(m.EdgeKind.TOOL_ACCESS, agent_id, t)
                       in self.base.edges]
            if granted:
                return granted
        tool_id = self.tool_for(entry, notes)
        return [] if tool_id is None else [tool_id]

    def tool_for(self, entry: Entry, notes: list[tuple[NoteKind, str]]) -> str | None:
        ref = entry.ref
        known = self.by_name.get(ref.name)
        if known is not None:
            return known
        if ref.server is not None:
            return self._mcp_tool(ref, notes)
        builtin = ct.BUILTINS.get(ref.name)
        if builtin is None:
            return None
        tool_id = self.free_id(builtin.tool_id, "tool")
        if tool_id not in self.content.nodes:
            self.content.nodes[tool_id] = m.Tool(
                id=tool_id, kind=builtin.kind, name=builtin.name,
                capabilities=builtin.capabilities, risk=builtin.risk,
                extensions=m.freeze({ct.EXTENSION: {"name": builtin.name}}))
        self.by_name[ref.name] = tool_id
        return tool_id

    def _mcp_tool(self, ref: ct.ToolRef, notes: list[tuple[NoteKind, str]]) -> str:
        assert ref.server is not None
        server_id = self.free_id(ct.slug(ref.server), "server")
        if server_id not in self.content.nodes:
            spec = self.mcp.get(ref.server)
            spec = spec if isinstance(spec, dict) else {}
            args_raw, env_raw = spec.get("args"), spec.get("env")
            args: list[Any] = args_raw if isinstance(args_raw, list) else []
            env: dict[str, Any] = env_raw if isinstance(env_raw, dict) else {}
            self.content.nodes[server_id] = m.McpServer(
                id=server_id, name=ref.server, command=str(spec.get("command", "")),
                args=tuple(str(a) for a in args),
                env=m.freeze({str(k): _env_ref(str(k), str(v), notes) for k, v in env.items()}),
                trust="untrusted", extensions=m.freeze({ct.EXTENSION: {"name": ref.server}}))
            how = "with its command from .mcp.json" if spec else "(no .mcp.json entry: set " \
                "its command)"
            notes.append((NoteKind.MAPPED, f"MCP server {ref.server} → node {server_id} {how}"))
        tool_id = self.free_id(ct.slug(f"{ref.server}-{ref.mcp_tool or 'all'}"), "tool")
        caps, risk = ct.mcp_capabilities(ref.mcp_tool)
        self.content.nodes[tool_id] = m.Tool(
            id=tool_id, kind="mcp", name=ref.name, server=server_id, tool=ref.mcp_tool or "*",
            capabilities=caps, risk=risk, extensions=m.freeze({ct.EXTENSION: {"name": ref.name}}))
        self.by_name[ref.name] = tool_id
        notes.append((NoteKind.MAPPED, f"{ref.name} → MCP tool {tool_id} "
                      f"({', '.join(caps)}; risk {risk}, guessed from its name)"))
        return tool_id

    def default_approval(self, name: str, tool_id: str, agent_id: str) -> str:
        edge = None if self.base is None else self.base.edges.get(
            m.edge_id(m.EdgeKind.TOOL_ACCESS, agent_id, tool_id))
        if edge is not None and edge.approval is not None and edge.approval != "deny":
            return edge.approval
        if name in self.approval:
            return self.approval[name]
        builtin = ct.BUILTINS.get(name)
        return builtin.approval if builtin is not None else "ask"


def _env_ref(key: str, value: str, notes: list[tuple[NoteKind, str]]) -> str:
    """A roster reference for an `.mcp.json` env value; literal values never enter the roster."""
    if value.startswith("${") and value.endswith("}") and value[2:-1]:
        return f"env:{value[2:-1].split(':-', 1)[0]}"
    if value.startswith(("env:", "keyring:")):
        return value
    notes.append((NoteKind.WARNING, f"the .mcp.json value of {key} is literal text; it was not "
                  f"copied into the roster, which reads it from the environment variable {key}"))
    return f"env:{key}"


def _add_edge(content: codec.RosterContent, edge: m.Edge) -> None:
    content.edges.setdefault(edge.id, edge)


def _resolve(builder: _Builder, draft: AgentDraft, agent_ids: set[str],
             report_notes: list[tuple[NoteKind, str]]) -> m.Agent:
    agent = draft.agent
    content = builder.content
    unknown: list[str] = []
    base_edges = {} if builder.base is None else builder.base.edges
    for entry in draft.tools or []:
        ref = entry.ref
        if ref.name in ct.SPAWN_TOOLS:
            targets = ct.spawn_targets(ref.argument or "")
            if not targets:
                unknown.append(ref.text)
                report_notes.append((NoteKind.KEPT, f"{ref.text} (may start any subagent) kept "
                                     "as-is; write Agent(name, ...) to get delegation edges"))
            for target in targets:
                target_id = ct.slug(target)
                if target_id not in agent_ids:
                    unknown.append(f"{ref.name}({target})")
                    report_notes.append((NoteKind.KEPT, f"delegation to {target!r} kept as-is: "
                                         "no such subagent in this folder"))
                    continue
                old = base_edges.get(m.edge_id(m.EdgeKind.DELEGATION, agent.id, target_id))
                _add_edge(content, old or m.Edge(m.EdgeKind.DELEGATION, agent.id, target_id))
                report_notes.append((NoteKind.MAPPED, f"{ref.name}({target}) → delegates to "
                                     f"{target_id}"))
            continue
        tool_ids = builder.tools_for(entry, agent.id, report_notes)
        if not tool_ids:
            unknown.append(ref.text)
            close = ct.suggest(ref.name)
            hint = f"; did you mean {close}?" if close else ""
            report_notes.append((NoteKind.WARNING, f"{draft.file}:{entry.line}:{entry.column}: "
                                 f"unknown tool {ref.text!r} kept as-is{hint}"))
            continue
        if ref.argument is not None:
            unknown.append(ref.text)
            report_notes.append((NoteKind.KEPT, f"restriction {ref.text} kept as-is; the grant "
                                 f"covers {', '.join(tool_ids)}"))
        for tool_id in tool_ids:
            old = base_edges.get(m.edge_id(m.EdgeKind.TOOL_ACCESS, agent.id, tool_id))
            mode = old.mode if old is not None and old.mode else _mode(content.nodes[tool_id])
            approval = builder.default_approval(ref.name, tool_id, agent.id)
            purpose = old.purpose if old is not None else None
            _add_edge(content, m.Edge(m.EdgeKind.TOOL_ACCESS, agent.id, tool_id, mode=mode,
                                      approval=approval, purpose=purpose))
    for entry in draft.denied:
        denied_id = builder.tool_for(entry, report_notes)
        if denied_id is None:
            unknown.append("!" + entry.ref.text)
            continue
        tool_id = denied_id
        eid = m.edge_id(m.EdgeKind.TOOL_ACCESS, agent.id, tool_id)
        content.edges[eid] = m.Edge(m.EdgeKind.TOOL_ACCESS, agent.id, tool_id,
                                    mode=_mode(content.nodes[tool_id]), approval="deny")
        report_notes.append((NoteKind.MAPPED, f"disallowed {entry.ref.text} → grant on "
                             f"{tool_id} with approval deny"))
    ext = dict(m.thaw(agent.extensions))
    cc = ext[ct.EXTENSION]
    if draft.tools is None:
        cc["inherits_tools"] = True
        report_notes.append((NoteKind.KEPT, "no 'tools': the subagent inherits every tool of "
                             "the session; the roster grants it none until you add them"))
    if unknown:
        cc["unmapped_tools"] = unknown
    cc["mapped"] = signature(content, agent.id)
    return replace(agent, extensions=m.freeze(ext))


def _mode(tool: m.Node) -> str:
    if isinstance(tool, m.Tool):
        builtin = ct.BUILTINS.get(str(tool.extensions.get(ct.EXTENSION, {}).get("name", "")))
        if builtin is not None:
            return builtin.mode
        if tool.kind == "shell":
            return "execute"
        if "state_change" in tool.capabilities or tool.kind in ("fs_write", "email_send"):
            return "write"
    return "read"


def _merge_base(agent: m.Agent, base: codec.RosterContent | None,
                content: codec.RosterContent) -> m.Agent:
    """Restore what the sidecar roster knows about this agent and Claude Code does not."""
    if base is None:
        return agent
    old = base.nodes.get(agent.id)
    if not isinstance(old, m.Agent):
        return agent
    ext = m.thaw(old.extensions)
    old_cc = ext.get(ct.EXTENSION) or {}
    new_cc = m.thaw(agent.extensions)[ct.EXTENSION]
    if "mapped" not in old_cc:  # the roster did not come from Claude Code: no bookkeeping
        new_cc = {k: v for k, v in new_cc.items() if k not in _BOOKKEEPING}
    merged = {**old_cc, **new_cc}
    if merged:
        ext[ct.EXTENSION] = merged
    for edge in base.edges.values():
        if edge.source != agent.id:
            continue
        target = base.nodes.get(edge.target)
        keep = edge.kind is m.EdgeKind.ESCALATION or (
            edge.kind is m.EdgeKind.TOOL_ACCESS
            and not (isinstance(target, m.Tool) and tool_names(target, base)))
        if keep:
            _add_edge(content, edge)
    return replace(old, name=old.name or agent.name, role=agent.role, model=agent.model,
                   instructions=agent.instructions, max_turns=agent.max_turns,
                   permission_mode=agent.permission_mode, extensions=m.freeze(ext))


def import_claude_code(root: str | Path, catalog: Catalog | None = None
                       ) -> tuple[codec.RosterContent, ImportReport]:
    """The roster a folder of subagents describes, and what happened to each file."""
    root = Path(root)
    catalog = catalog or load_catalog()
    report = ImportReport()
    base_dir, files = agent_files(root)
    claude_dir = _claude_dir(root, base_dir)
    base = _sidecar(claude_dir / SIDECAR, report)
    settings = _json(claude_dir / "settings.json", report)
    mcp = _json(root / ".mcp.json", report) or _json(claude_dir.parent / ".mcp.json", report)
    drafts: list[tuple[AgentDraft, Any]] = []
    seen: dict[str, str] = {}
    for path in files:
        rel = path.relative_to(base_dir).as_posix()
        if path.stem.lower() in _SKIP:
            report.file(str(path)).add(NoteKind.KEPT, "skipped: not a subagent file")
            continue
        file_report = report.file(str(path))
        try:
            draft = parse_agent_file(path.read_bytes(), str(path), rel, catalog, file_report)
            if draft.agent.id in seen:
                raise InteropError(f"agent {draft.agent.id!r} is already defined in "
                                   f"{seen[draft.agent.id]}", file=str(path),
                                   line=draft.name_line, hint="rename one of them")
        except InteropError as error:
            file_report.error = error
            continue
        except OSError as exc:
            file_report.error = InteropError(f"cannot read the file: {exc.strerror}",
                                             file=str(path))
            continue
        seen[draft.agent.id] = str(path)
        drafts.append((draft, file_report))
    builder = _Builder(base, settings, mcp)
    agent_ids = {d.agent.id for d, _ in drafts}
    builder.reserved = agent_ids
    content = builder.content
    for draft, file_report in drafts:
        notes: list[tuple[NoteKind, str]] = []
        agent = _resolve(builder, draft, agent_ids, notes)
        content.nodes[agent.id] = _merge_base(agent, base, content)
        file_report.notes.insert(0, Note(NoteKind.IMPORTED, f"agent {agent.id}"))
        for kind, text in notes:
            file_report.add(kind, text)
    _order(content, base)
    if base is None and not content.meta.name:
        content.meta = replace(content.meta, name=root.resolve().name or "Imported subagents")
    return content, report


def _order(content: codec.RosterContent, base: codec.RosterContent | None) -> None:
    """Agents first in a stable order; stale layout and entry ids dropped."""
    agents = [n for n in content.nodes.values() if isinstance(n, m.Agent)]
    others = [n for n in content.nodes.values() if not isinstance(n, m.Agent)]
    if base is not None:
        rank = {node_id: i for i, node_id in enumerate(base.nodes)}
        agents.sort(key=lambda n: rank.get(n.id, len(rank)))
    content.nodes = {n.id: n for n in _chain(agents, others)}
    content.edges = {eid: e for eid, e in content.edges.items() if e.source in content.nodes}
    content.layout = {k: v for k, v in content.layout.items() if k in content.nodes}
    entry = tuple(a for a in content.meta.entry if a in content.nodes)
    if entry != content.meta.entry:
        content.meta = replace(content.meta, entry=entry)


def _chain(*groups: Iterable[m.Node]) -> Iterable[m.Node]:
    for group in groups:
        yield from group


def _sidecar(path: Path, report: ImportReport) -> codec.RosterContent | None:
    if not path.exists():
        return None
    file = report.file(str(path))
    try:
        loaded = loads(path.read_bytes(), filename=str(path), source=path)
    except RosterLoadError as error:
        file.error = InteropError(error.message, file=str(path), line=error.line or 1,
                                  column=error.column or 1, expected=error.expected,
                                  hint=error.hint)
        return None
    file.add(NoteKind.IMPORTED, "roster settings, humans, budgets and tool details")
    return loaded.content
