"""Export a roster as a classic CrewAI project: config/agents.yaml, config/tasks.yaml, crew.py.

An agent imported from CrewAI gets its original role, goal, backstory, llm
and extra keys back as long as the roster still means the same thing; a
roster-native agent is described from its name, role and instructions. Tasks
come from the crew's `x-crewai` tasks when the roster has them, else one task
per item of each agent's `tasks`. crew.py carries the process: hierarchical
with the orchestrator as manager_agent when the entry agent delegates to all
the others.
"""

from __future__ import annotations

from typing import Any

from runtime.interop.claude_export import ExportedFile
from runtime.interop.crewai_import import EXTENSION
from runtime.interop.crewai_losses import LOSS, gated, losses
from runtime.interop.report import ImportReport, NoteKind
from runtime.roster import codec, yaml_write
from runtime.roster import model as m


def _ext(node: Any) -> dict[str, Any]:
    value = m.thaw(getattr(node, "extensions", m.EMPTY).get(EXTENSION, {}))
    return value if isinstance(value, dict) else {}


def _agent_yaml(agent: m.Agent, content: codec.RosterContent) -> dict[str, Any]:
    ext = _ext(agent)
    role, goal, backstory = ext.get("role"), ext.get("goal"), ext.get("backstory")
    composed = f"You are {str(role).strip()}.\n\nGoal: {str(goal).strip()}\n\n" \
        f"Backstory: {str(backstory).strip()}\n"
    if not (isinstance(role, str) and agent.instructions == composed
            and " ".join(role.split()) == agent.name and " ".join(str(goal).split()) == agent.role):
        role = agent.name or agent.id
        goal = agent.role or f"Do the work of {agent.name or agent.id}."
        backstory = agent.instructions or goal
    out: dict[str, Any] = {"role": role, "goal": goal, "backstory": backstory}
    llm = ext.get("llm")
    if agent.model is not None:
        bare = str(llm).rpartition("/")[2] if isinstance(llm, str) else None
        out["llm"] = llm if bare == agent.model else f"anthropic/{agent.model}"
    elif isinstance(llm, str):
        out["llm"] = llm
    tools = []
    targets: set[str] = set()
    for edge in content.edges.values():
        if edge.source != agent.id:
            continue
        if edge.kind is m.EdgeKind.DELEGATION:
            targets.add(edge.target)
        elif edge.kind is m.EdgeKind.TOOL_ACCESS and edge.approval != "deny":
            node = content.nodes.get(edge.target)
            name = _ext(node).get("name") if node is not None else None
            if isinstance(node, m.Placeholder):
                name = node.raw.get("name")
            tools.append(name if isinstance(name, str) else edge.target)
    if tools:
        out["tools"] = tools
    coworkers = {n.id for n in content.nodes.values() if isinstance(n, m.Agent)} - {agent.id}
    if targets and targets >= coworkers:  # CrewAI delegation is to every coworker or none
        out["allow_delegation"] = True
    if agent.max_turns is not None:
        out["max_iter"] = agent.max_turns
    out.update(ext.get("keys", {}))
    return out


def _tasks(content: codec.RosterContent, keys: dict[str, str]) -> dict[str, Any]:
    """The crew's tasks; every task of an agent a person must look at gets human_input."""
    meta_ext = _ext(content.meta)
    stored = meta_ext.get("tasks")
    out: dict[str, Any] = {}
    if isinstance(stored, dict) and stored:
        ids = {key: node_id for node_id, key in keys.items()}
        for name, task in stored.items():
            agent_key = task.get("agent") if isinstance(task, dict) else None
            if agent_key is None or agent_key in keys.values():
                out[name] = task
        for key, node_id in ids.items():
            mine = [n for n, t in out.items() if isinstance(t, dict) and t.get("agent") == key]
            if gated(content, node_id) and not any(out[n].get("human_input") for n in mine):
                for name in mine:
                    out[name] = {**out[name], "human_input": True}
        return out
    for node in content.nodes.values():
        if not isinstance(node, m.Agent) or node.id not in keys:
            continue
        for task in node.tasks or ((node.role or f"Work as {node.name or node.id}."),):
            name = f"{keys[node.id]}_{len(out) + 1}"
            entry: dict[str, Any] = {"description": task,
                                     "expected_output": f"The result of: {task}",
                                     "agent": keys[node.id]}
            if gated(content, node.id):
                entry["human_input"] = True
            out[name] = entry
    return out


def _expressed(content: codec.RosterContent, keys: dict[str, str], agents: dict[str, Any],
               tasks: dict[str, Any], manager: str | None) -> set[tuple[str, str]]:
    """The delegations (source, target) a re-import of the written project gives back."""
    ids = {key: node_id for node_id, key in keys.items()}
    everyone = [n.id for n in content.nodes.values() if isinstance(n, m.Agent)]
    out: set[tuple[str, str]] = set()
    for source in everyone:
        if source == manager or agents.get(keys.get(source, ""), {}).get("allow_delegation"):
            out.update((source, target) for target in everyone if target != source)
    by_task = {name: ids.get(str(t.get("agent"))) for name, t in tasks.items()
               if isinstance(t, dict)}
    for name, task in tasks.items():
        context = task.get("context") if isinstance(task, dict) else None
        for other in context if isinstance(context, list) else []:
            src, dst = by_task.get(name), by_task.get(other)
            if src is not None and dst is not None:
                out.add((src, dst))
    return out


def _crewai_tools(content: codec.RosterContent) -> set[str]:
    return {n.id for n in content.nodes.values()
            if (isinstance(n, m.Tool) and isinstance(_ext(n).get("name"), str))
            or (isinstance(n, m.Placeholder) and n.kind == "crewai_tool")}


def _orchestrator(content: codec.RosterContent) -> str | None:
    if _ext(content.meta).get("process") == "sequential":
        return None
    agents = [n.id for n in content.nodes.values() if isinstance(n, m.Agent)]
    for entry in content.meta.entry:
        targets = {e.target for e in content.edges.values()
                   if e.source == entry and e.kind is m.EdgeKind.DELEGATION}
        if len(agents) > 1 and targets >= set(agents) - {entry}:
            return entry
    return None


_CREW_PY = '''"""Crew definition exported by Agent Roster (`roster export crewai`)."""

from crewai import Agent, Crew, Process, Task
from crewai.project import CrewBase, agent, crew, task


@CrewBase
class ExportedCrew:
    {doc}

    agents_config = "config/agents.yaml"
    tasks_config = "config/tasks.yaml"
{methods}
    @crew
    def crew(self) -> Crew:
        return Crew(
            agents={agents},
            tasks=self.tasks,
            process=Process.{process},{manager}
        )
'''


def _crew_py(keys: dict[str, str], tasks: dict[str, Any], manager: str | None,
             name: str) -> str:
    doc = '"""' + (" ".join(name.split()).replace("\\", "/").replace('"', "'") or "Crew") \
        + '"""'
    methods = []
    for key in keys.values():
        methods.append(f"\n    @agent\n    def {key}(self) -> Agent:\n"
                       f"        return Agent(config=self.agents_config[{key!r}])\n")
    for name in tasks:
        methods.append(f"\n    @task\n    def {name}(self) -> Task:\n"
                       f"        return Task(config=self.tasks_config[{name!r}])\n")
    if manager is None:
        return _CREW_PY.format(doc=doc, methods="".join(methods), agents="self.agents",
                               process="sequential", manager="")
    others = ", ".join(f"self.{k}()" for i, k in keys.items() if i != manager)
    return _CREW_PY.format(doc=doc, methods="".join(methods), agents=f"[{others}]",
                           process="hierarchical",
                           manager=f"\n            manager_agent=self.{keys[manager]}(),")


def export_crewai(content: codec.RosterContent) -> tuple[list[ExportedFile], ImportReport]:
    """The files of a classic CrewAI project for this roster (not written)."""
    report = ImportReport()
    keys: dict[str, str] = {}
    for node in content.nodes.values():
        if isinstance(node, m.Agent):
            key = _ext(node).get("key")
            keys[node.id] = key if isinstance(key, str) and key.isidentifier() \
                else node.id.replace("-", "_")
    manager = _orchestrator(content)
    if manager is not None and _ext(content.nodes[manager]).get("manager_llm") is not None:
        keys.pop(manager)  # a manager made up for manager_llm goes back to being one
    agents = {keys[i]: _agent_yaml(n, content) for i, n in content.nodes.items()
              if isinstance(n, m.Agent) and i in keys}
    agents_report = report.file("config/agents.yaml")
    agents_report.add(NoteKind.WROTE, f"{len(agents)} agent(s)")
    tasks = _tasks(content, keys)
    expressed = _expressed(content, keys, agents, tasks, manager)
    for loss in losses(content, expressed, _crewai_tools(content)):
        agents_report.add(NoteKind.WARNING, loss)
    report.file("config/tasks.yaml").add(NoteKind.WROTE, f"{len(tasks)} task(s)")
    process = "hierarchical" if manager is not None else "sequential"
    report.file("crew.py").add(NoteKind.WROTE, f"process {process}")
    meta = _ext(content.meta)
    crew_text = _crew_py(keys, tasks, manager if manager in keys else None, content.meta.name)
    if manager is not None and manager not in keys:
        llm = meta.get("manager_llm") or "anthropic/" + str(
            getattr(content.nodes[manager], "model", None) or "claude-sonnet-5-5")
        crew_text = crew_text.replace("process=Process.sequential,",
                                      f"process=Process.hierarchical,\n"
                                      f"            manager_llm={llm!r},")
    return [
        ExportedFile("config/agents.yaml", yaml_write.dumps(agents).encode("utf-8")),
        ExportedFile("config/tasks.yaml", yaml_write.dumps(tasks).encode("utf-8")
                     if tasks else b"{}\n"),
        ExportedFile("crew.py", crew_text.encode("utf-8")),
    ], report


def crewai_losses(report: ImportReport) -> list[str]:
    """The `not expressible in CrewAI: ...` warnings of an export report."""
    return [note.text for file in report.files for note in file.notes
            if note.kind is NoteKind.WARNING and note.text.startswith(LOSS)]
