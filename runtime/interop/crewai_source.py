"""Read a CrewAI project from disk: classic YAML or the newer JSONC layout, plus crew.py.

Produces one `CrewSource`: agents and tasks as plain mappings in file order,
the process and manager, and a `locate(file, path)` helper so the mapper can
point errors at the right line. crew.py is parsed with `ast`, never executed.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.interop import jsonc
from runtime.interop.report import ImportReport, InteropError, NoteKind
from runtime.roster import yaml_read
from runtime.roster.errors import RosterLoadError


@dataclass
class CrewSource:
    layout: str  # "classic" or "jsonc"
    agents: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    agent_files: dict[str, str] = field(default_factory=dict)
    tasks_file: str = ""
    process: str = "sequential"
    manager_llm: str | None = None
    manager_agent: str | None = None
    name: str = ""
    crew: dict[str, Any] = field(default_factory=dict)
    locate: Callable[[str, tuple[str | int, ...]], tuple[int, int]] = lambda f, p: (1, 1)


def _yaml(path: Path) -> tuple[Any, str]:
    text = path.read_text(encoding="utf-8")
    try:
        return yaml_read.parse(text), text
    except RosterLoadError as error:
        raise InteropError(error.message, file=str(path), line=error.line or 1,
                           column=error.column or 1, expected=error.expected,
                           hint=error.hint) from None


def find_project(root: Path) -> tuple[str, Path]:
    """("classic", config dir) or ("jsonc", crew folder), or a located error."""
    if not root.is_dir():
        raise InteropError("not a folder", file=str(root), hint="pass the CrewAI project folder")
    for name in ("crew.jsonc", "crew.json"):
        hits = sorted(root.rglob(name), key=lambda p: len(p.parts))
        if hits:
            return "jsonc", hits[0].parent
    configs = sorted(root.rglob("config/agents.yaml"), key=lambda p: len(p.parts))
    if configs:
        return "classic", configs[0].parent
    raise InteropError("no CrewAI project here", file=str(root),
                       expected="config/agents.yaml (+ tasks.yaml), or crew.jsonc with "
                       "agents/*.jsonc", hint="pass the folder created by `crewai create crew`")


def _mapping(value: Any, file: str, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InteropError(f"{what} must be a mapping of names to fields, found "
                           f"{type(value).__name__}", file=file,
                           expected="researcher:\n  role: ...\n  goal: ...\n  backstory: ...")
    return value


def read_classic(config: Path, report: ImportReport) -> CrewSource:
    source = CrewSource("classic")
    texts: dict[str, str] = {}
    agents_path = config / "agents.yaml"
    data, texts[str(agents_path)] = _yaml(agents_path)
    source.agents = _mapping(data, str(agents_path), "agents.yaml")
    source.agent_files = {key: str(agents_path) for key in source.agents}
    report.file(str(agents_path)).add(NoteKind.IMPORTED, f"{len(source.agents)} agent(s)")
    tasks_path = config / "tasks.yaml"
    if tasks_path.exists():
        data, texts[str(tasks_path)] = _yaml(tasks_path)
        source.tasks = _mapping(data, str(tasks_path), "tasks.yaml")
        source.tasks_file = str(tasks_path)
        report.file(str(tasks_path)).add(NoteKind.IMPORTED, f"{len(source.tasks)} task(s)")
    crew_py = config.parent / "crew.py"
    if crew_py.exists():
        crew_report = report.file(str(crew_py))
        try:
            _read_crew_py(crew_py, source)
        except InteropError as error:
            crew_report.error = error
        else:
            crew_report.add(NoteKind.IMPORTED, f"process {source.process} (read, not run)")
    indexes: dict[str, Any] = {}

    def locate(file: str, path: tuple[str | int, ...]) -> tuple[int, int]:
        if file not in texts:
            return (1, 1)
        if file not in indexes:
            indexes[file] = yaml_read.position_index(texts[file])
        return yaml_read.locate(indexes[file], path) or (1, 1)

    source.locate = locate
    source.name = source.name or config.parent.name
    return source


def _read_crew_py(path: Path, source: CrewSource) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise InteropError(f"crew.py does not parse: {exc.msg}", file=str(path),
                           line=exc.lineno or 1, column=exc.offset or 1,
                           hint="fix the Python syntax; the process defaulted to sequential"
                           ) from None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(_callee(d) == "CrewBase"
                                                  for d in node.decorator_list):
            doc = ast.get_docstring(node)
            if doc and doc.strip():
                source.name = doc.strip().splitlines()[0]
        if isinstance(node, ast.Call) and _callee(node.func) == "Crew":
            for kw in node.keywords:
                if kw.arg == "process":
                    text_value = _callee(kw.value) or _const(kw.value)
                    if text_value:
                        source.process = text_value.rsplit(".", 1)[-1]
                elif kw.arg == "manager_llm":
                    source.manager_llm = _llm(kw.value)
                elif kw.arg == "manager_agent":
                    target = kw.value.func if isinstance(kw.value, ast.Call) else kw.value
                    source.manager_agent = _callee(target)


def _callee(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _const(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _llm(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        for kw in node.keywords:
            if kw.arg == "model":
                return _const(kw.value)
        return _const(node.args[0]) if node.args else None
    return _const(node)


def read_jsonc(folder: Path, report: ImportReport) -> CrewSource:
    source = CrewSource("jsonc")
    crew_path = folder / "crew.jsonc"
    if not crew_path.exists():
        crew_path = folder / "crew.json"
    crew = jsonc.loads(crew_path.read_text(encoding="utf-8"), str(crew_path))
    crew = _mapping(crew, str(crew_path), "crew.jsonc")
    source.crew = crew
    source.name = str(crew.get("name") or folder.name)
    source.process = str(crew.get("process") or "sequential")
    manager_llm = crew.get("manager_llm")
    source.manager_llm = manager_llm if isinstance(manager_llm, str) else None
    manager = crew.get("manager_agent")
    source.manager_agent = manager if isinstance(manager, str) else None
    tasks = crew.get("tasks") or []
    if not isinstance(tasks, list):
        raise InteropError("'tasks' must be a list", file=str(crew_path))
    for index, task in enumerate(tasks):
        if not isinstance(task, dict) or not isinstance(task.get("name"), str):
            raise InteropError(f"task {index + 1} needs a 'name'", file=str(crew_path),
                               expected='{"name": "research", "description": ..., "agent": ...}')
        source.tasks[task["name"]] = {k: v for k, v in task.items() if k != "name"}
    source.tasks_file = str(crew_path)
    report.file(str(crew_path)).add(NoteKind.IMPORTED, f"crew {source.name!r}, "
                                    f"{len(source.tasks)} task(s), process {source.process}")
    files: dict[str, Path] = {}
    for path in sorted((folder / "agents").glob("*.json*")):
        if path.suffix in (".jsonc", ".json") and (path.suffix == ".jsonc"
                                                   or path.stem not in files):
            files[path.stem] = path
    listed = crew.get("agents")
    order = [a for a in listed if isinstance(a, str)] if isinstance(listed, list) else []
    order += [k for k in sorted(files) if k not in order]
    for key in order:
        agent_path = files.get(key)
        if agent_path is None:
            raise InteropError(f"crew.jsonc lists agent {key!r} but agents/{key}.jsonc is "
                               "missing", file=str(crew_path), hint="add the file or remove "
                               "the name from 'agents'")
        path = agent_path
        data = _mapping(jsonc.loads(path.read_text(encoding="utf-8"), str(path)), str(path),
                        path.name)
        settings = data.pop("settings", None)
        if isinstance(settings, dict):
            data.update(settings)  # settings win over top-level behaviour options
        source.agents[key] = data
        source.agent_files[key] = str(path)
        report.file(str(path)).add(NoteKind.IMPORTED, f"agent {key}")
    return source
