"""Map a CrewAI project (crewai_source.py) onto a roster.

An agent's role/goal/backstory become its name, role and a system prompt
("You are {role}. Goal: ... Backstory: ..."); `llm` maps through the model
catalog; known CrewAI tools become tool nodes, unknown ones placeholders (so
the checks flag them); `allow_delegation` becomes delegation edges to the
coworkers; a task's `context` becomes a delegation edge to the agent that
produced it; `human_input` becomes an escalation to a reviewer; a
hierarchical process becomes an orchestrator agent (the `manager_agent`, or
a manager on `manager_llm`) that delegates to everyone and is the entry.
The original fields are kept under `x-crewai` for the exporter.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from runtime.interop import claude_tools as ct
from runtime.interop.crewai_source import CrewSource, find_project, read_classic, read_jsonc
from runtime.interop.report import FileReport, ImportReport, InteropError, NoteKind
from runtime.roster import codec
from runtime.roster import model as m
from runtime.roster.catalog import Catalog, load_catalog

EXTENSION: Final = "x-crewai"
MAPPED: Final = ("role", "goal", "backstory", "llm", "tools", "allow_delegation", "max_iter")
_TOOLS: Final[dict[str, tuple[str, tuple[str, ...], str]]] = {
    "SerperDevTool": ("http_fetch", ("untrusted_input", "external_comm"), "medium"),
    "WebsiteSearchTool": ("http_fetch", ("untrusted_input", "external_comm"), "medium"),
    "ScrapeWebsiteTool": ("http_fetch", ("untrusted_input", "external_comm"), "medium"),
    "BraveSearchTool": ("http_fetch", ("untrusted_input", "external_comm"), "medium"),
    "EXASearchTool": ("http_fetch", ("untrusted_input", "external_comm"), "medium"),
    "FileReadTool": ("fs_read", ("reads_private_data",), "medium"),
    "DirectoryReadTool": ("fs_read", ("reads_private_data",), "low"),
    "DirectorySearchTool": ("fs_read", ("reads_private_data",), "low"),
    "PDFSearchTool": ("fs_read", ("reads_private_data",), "low"),
    "CSVSearchTool": ("fs_read", ("reads_private_data",), "low"),
    "FileWriterTool": ("fs_write", ("reads_private_data", "filesystem_write", "state_change"),
                       "high"),
    "CodeInterpreterTool": ("shell", ("code_exec", "state_change"), "critical"),
}
REVIEWER: Final = "crew-reviewer"


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def model_from_llm(llm: Any, catalog: Catalog, report: FileReport) -> str | None:
    if not isinstance(llm, str) or not llm.strip():
        return None
    name = llm.strip()
    provider, _, bare = name.rpartition("/")
    resolved = catalog.resolve_alias(bare)
    if resolved is not None and provider in ("", "anthropic"):
        if resolved != name:
            report.add(NoteKind.MAPPED, f"llm {name} → {resolved}")
        return resolved
    report.add(NoteKind.WARNING, f"llm {name!r} is not a Claude model in the catalog; kept "
               "as-is under x-crewai, the agent uses the roster default")
    return None


def _fail(source: CrewSource, file: str, path: tuple[str | int, ...], message: str,
          **kw: Any) -> InteropError:
    line, column = source.locate(file, path)
    return InteropError(message, file=file, line=line, column=column, **kw)


def _agent(key: str, raw: Any, source: CrewSource, catalog: Catalog,
           report: FileReport) -> m.Agent:
    file = source.agent_files[key]
    if not isinstance(raw, dict):
        raise _fail(source, file, (key,), f"agent {key!r} must be a mapping of fields",
                    expected="role, goal and backstory")
    for needed in ("role", "goal", "backstory"):
        if not isinstance(raw.get(needed), str) or not raw[needed].strip():
            raise _fail(source, file, (key, needed) if needed in raw else (key,),
                        f"agent {key!r} needs a text '{needed}'",
                        expected="role, goal and backstory as text",
                        hint=f"add '{needed}: ...' to the agent")
    role, goal, backstory = (raw[k].strip() for k in ("role", "goal", "backstory"))
    max_iter = raw.get("max_iter")
    if max_iter is not None and (isinstance(max_iter, bool) or not isinstance(max_iter, int)
                                 or not 1 <= max_iter <= 1000):
        raise _fail(source, file, (key, "max_iter"), f"max_iter must be 1..1000, found "
                    f"{max_iter!r}")
    kept = {k: v for k, v in raw.items() if k not in MAPPED}
    if kept:
        report.add(NoteKind.KEPT, f"{key}: kept as-is: {', '.join(kept)}")
    ext = {"key": key, "role": raw["role"], "goal": raw["goal"], "backstory": raw["backstory"]}
    if raw.get("llm") is not None:
        ext["llm"] = raw["llm"]
    if kept:
        ext["keys"] = kept
    return m.Agent(
        id=ct.slug(key), name=_text(role), role=_text(goal),
        model=model_from_llm(raw.get("llm"), catalog, report),
        instructions=f"You are {role}.\n\nGoal: {goal}\n\nBackstory: {backstory}\n",
        max_turns=max_iter, extensions=m.freeze({EXTENSION: ext}))


def _tools(content: codec.RosterContent, agent_id: str, key: str, raw: dict[str, Any],
           source: CrewSource, report: FileReport) -> None:
    tools = raw.get("tools") or []
    if not isinstance(tools, list) or not all(isinstance(t, str) for t in tools):
        raise _fail(source, source.agent_files[key], (key, "tools"),
                    "'tools' must be a list of tool names", expected="[SerperDevTool]")
    for name in tools:
        tool_id = ct.slug(name.removesuffix("Tool") if name != "Tool" else name)
        if isinstance(content.nodes.get(tool_id), m.Agent) or tool_id in source.agents:
            tool_id = f"{tool_id}-tool"
        known = _TOOLS.get(name)
        if tool_id not in content.nodes:
            if known is None:
                content.nodes[tool_id] = m.Placeholder(tool_id, "tools", "crewai_tool", m.freeze(
                    {"kind": "crewai_tool", "name": name}))
                report.add(NoteKind.WARNING, f"tool {name} is not a known CrewAI tool; kept as "
                           f"placeholder {tool_id} (set its kind to let the checks judge it)")
            else:
                kind, caps, risk = known
                content.nodes[tool_id] = m.Tool(id=tool_id, kind=kind, name=name,
                                                capabilities=caps, risk=risk,
                                                extensions=m.freeze({EXTENSION: {"name": name}}))
                report.add(NoteKind.MAPPED, f"tool {name} → {tool_id} ({kind})")
        mode = "execute" if known and known[0] == "shell" else \
            "write" if known and known[0] == "fs_write" else "read"
        edge = m.Edge(m.EdgeKind.TOOL_ACCESS, agent_id, tool_id, mode=mode, approval="allow")
        content.edges.setdefault(edge.id, edge)


def _delegate(content: codec.RosterContent, source: str, target: str) -> None:
    if source != target:
        edge = m.Edge(m.EdgeKind.DELEGATION, source, target)
        content.edges.setdefault(edge.id, edge)


def _tasks(content: codec.RosterContent, source: CrewSource, ids: dict[str, str],
           report: FileReport) -> None:
    by_task: dict[str, str] = {}
    for name, task in source.tasks.items():
        if not isinstance(task, dict):
            raise _fail(source, source.tasks_file, (name,), f"task {name!r} must be a mapping",
                        expected="description, expected_output and agent")
        agent_key = task.get("agent")
        if agent_key is None:
            continue
        if agent_key not in ids:
            raise _fail(source, source.tasks_file, (name, "agent"),
                        f"task {name!r} names agent {agent_key!r}, which is not defined",
                        expected="one of: " + ", ".join(ids), hint="fix the agent key")
        agent_id = ids[agent_key]
        by_task[name] = agent_id
        node = content.nodes[agent_id]
        assert isinstance(node, m.Agent)
        content.nodes[agent_id] = replace(node, tasks=(*node.tasks, name))
        if task.get("human_input") is True:
            if REVIEWER not in content.nodes:
                content.nodes[REVIEWER] = m.Human(REVIEWER, name="Crew reviewer", role=(
                    "Reviews task results marked human_input before they complete."))
            edge = m.Edge(m.EdgeKind.ESCALATION, agent_id, REVIEWER)
            content.edges.setdefault(edge.id, edge)
            report.add(NoteKind.MAPPED, f"task {name}: human_input → {agent_id} escalates to "
                       f"{REVIEWER}")
    for name, task in source.tasks.items():
        context = task.get("context") or []
        if not isinstance(context, list):
            raise _fail(source, source.tasks_file, (name, "context"),
                        "'context' must be a list of task names", expected="[research_task]")
        for other in context:
            if other not in source.tasks:
                raise _fail(source, source.tasks_file, (name, "context"),
                            f"task {name!r} uses the output of {other!r}, which is not a task",
                            expected="one of: " + ", ".join(source.tasks))
            if name in by_task and other in by_task:
                _delegate(content, by_task[name], by_task[other])
                report.add(NoteKind.MAPPED, f"task {name}: context {other} → {by_task[name]} "
                           f"delegates to {by_task[other]}")


def _process(content: codec.RosterContent, source: CrewSource, ids: dict[str, str],
             catalog: Catalog, report: FileReport) -> tuple[str, ...]:
    agents = list(ids.values())
    if source.process != "hierarchical":
        if source.process != "sequential":
            report.add(NoteKind.WARNING, f"process {source.process!r} is not supported by "
                       "CrewAI; treated as sequential")
        first = next((t.get("agent") for t in source.tasks.values()
                      if isinstance(t, dict) and t.get("agent") in ids), None)
        return (ids[first],) if first else tuple(agents[:1])
    manager = ids.get(source.manager_agent or "")
    if manager is None:
        manager = "crew-manager" if "crew-manager" not in content.nodes else "crew-manager-2"
        model = model_from_llm(source.manager_llm, catalog, report)
        content.nodes[manager] = m.Agent(
            manager, name="Crew manager", role="Plans the work, delegates it to the crew and "
            "checks the results (CrewAI hierarchical process).", model=model,
            extensions=m.freeze({EXTENSION: {"manager_llm": source.manager_llm}}))
        report.add(NoteKind.MAPPED, "hierarchical process → orchestrator crew-manager "
                   f"on {source.manager_llm or 'the default model'}")
    else:
        report.add(NoteKind.MAPPED, f"hierarchical process → {manager} orchestrates")
    for agent_id in agents:
        _delegate(content, manager, agent_id)
    return (manager,)


def import_crewai(root: str | Path, catalog: Catalog | None = None
                  ) -> tuple[codec.RosterContent, ImportReport]:
    """The roster a CrewAI project describes; raises InteropError when it cannot be read."""
    root = Path(root)
    catalog = catalog or load_catalog()
    report = ImportReport()
    layout, folder = find_project(root)
    source = read_classic(folder, report) if layout == "classic" else read_jsonc(folder, report)
    crew_report = report.file(f"{folder} (crew)")
    content = codec.RosterContent()
    ids: dict[str, str] = {}
    for key, raw in source.agents.items():
        file_report = next(f for f in reversed(report.files)
                           if f.file == source.agent_files[key])
        agent = _agent(key, raw, source, catalog, file_report)
        if agent.id in content.nodes:
            raise _fail(source, source.agent_files[key], (key,),
                        f"agents {key!r} and another key both become id {agent.id!r}",
                        hint="rename one of them")
        ids[key] = agent.id
        content.nodes[agent.id] = agent
        _tools(content, agent.id, key, raw, source, file_report)
    for key, raw in source.agents.items():
        if raw.get("allow_delegation") is True:
            for other in ids.values():
                _delegate(content, ids[key], other)
            crew_report.add(NoteKind.MAPPED, f"{key}: allow_delegation → delegates to every "
                            "coworker")
    _tasks(content, source, ids, crew_report)
    entry = _process(content, source, ids, catalog, crew_report)
    meta_ext: dict[str, Any] = {"process": source.process, "tasks": source.tasks}
    for key in ("manager_llm", "manager_agent"):
        if getattr(source, key):
            meta_ext[key] = getattr(source, key)
    content.meta = m.RosterMeta(name=source.name, entry=entry,
                                extensions=m.freeze({EXTENSION: meta_ext}))
    return content, report
