"""One Claude Code subagent file → an agent draft (fields, tool entries, kept keys).

`parse_agent_file` reads the frontmatter (leniently, see frontmatter.py),
checks each field it maps and raises a located `InteropError` for anything it
cannot use (no name, a `tools` value that is neither a string nor a list, an
unclosed `Agent(`...). Keys it does not map are kept verbatim under the
agent's `x-claude-code` extension so the exporter can write them back.
Resolving tool entries into nodes and edges is claude_import.py's job.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Final

from runtime.interop import claude_tools as ct
from runtime.interop.frontmatter import Frontmatter, parse
from runtime.interop.report import FileReport, InteropError, NoteKind
from runtime.roster import model as m
from runtime.roster.catalog import Catalog

MAPPED_KEYS: Final = ("name", "description", "model", "tools", "disallowedTools",
                      "permissionMode", "maxTurns")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$")


@dataclass
class Entry:
    ref: ct.ToolRef
    line: int
    column: int


@dataclass
class AgentDraft:
    """What one file says, before tool entries become nodes and edges."""

    file: str
    relpath: str
    agent: m.Agent
    tools: list[Entry] | None  # None: the file has no `tools`, so it inherits all of them
    denied: list[Entry] = field(default_factory=list)
    name_line: int = 1


def _plain(value: Any) -> Any:
    """YAML values made writable: dates and other odd scalars become text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _entries(value: Any, key: str, fm: Frontmatter, file: str) -> list[Entry]:
    line = fm.lines.get(key, 1)
    if value is None:
        return []
    if isinstance(value, list):
        texts: list[tuple[str, int, int]] = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise InteropError(
                    f"'{key}' item {index + 1} is {type(item).__name__}, not a tool name",
                    file=file, line=line, expected="tool names such as Read or mcp__github__x",
                    hint="quote the item or remove it")
            texts.append((item.strip(), line + index + 1, 1))
    elif isinstance(value, str):
        try:
            pieces = ct.split_entries(value)
        except ct.ToolSyntaxError as exc:
            raise InteropError(f"'{key}': {exc}", file=file, line=line,
                               column=len(key) + 2 + exc.column,
                               expected="a comma-separated list such as Read, Grep, "
                               "Agent(worker, researcher)",
                               hint="balance the parentheses") from None
        texts = [(text, line, len(key) + 2 + column) for text, column in pieces]
    else:
        raise InteropError(
            f"'{key}' is {type(value).__name__}, not a list of tools", file=file, line=line,
            expected="a comma string 'Read, Grep' or a YAML list [Read, Grep]",
            hint="write the tool names separated by commas")
    return [Entry(ct.parse_ref(text), ln, col) for text, ln, col in texts]


def _model(value: Any, fm: Frontmatter, file: str, catalog: Catalog,
           report: FileReport) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InteropError(f"'model' is {type(value).__name__}, not a model name", file=file,
                           line=fm.lines.get("model", 1),
                           expected="sonnet, opus, haiku, fable, inherit or a full model id")
    name = value.strip()
    if name == "inherit":
        report.add(NoteKind.MAPPED, "model inherit → roster default model")
        return None
    resolved = catalog.resolve_alias(name)
    if resolved is None:
        close = catalog.suggest(name)
        hint = f" (did you mean {close[0]}?)" if close else ""
        report.add(NoteKind.WARNING, f"model {name!r} is not in the model catalog{hint}; "
                   "kept as-is, `roster check` will flag it")
        return name
    if resolved != name:
        report.add(NoteKind.MAPPED, f"model {name} → {resolved}")
    return resolved


def _max_turns(value: Any, fm: Frontmatter, file: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise InteropError(f"'maxTurns' must be a whole number from 1 to 1000, found {value!r}",
                           file=file, line=fm.lines.get("maxTurns", 1), hint="e.g. maxTurns: 20")
    return value


def _text(value: Any, key: str, fm: Frontmatter, file: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise InteropError(f"'{key}' is {type(value).__name__}, expected text", file=file,
                       line=fm.lines.get(key, 1), hint=f"quote the {key}")


def parse_agent_file(data: bytes, file: str, relpath: str, catalog: Catalog,
                     report: FileReport) -> AgentDraft:
    fm = parse(data, file)
    values = fm.values
    if fm.lenient:
        report.add(NoteKind.MAPPED, "frontmatter is not valid YAML; read it line by line")
    stem = relpath.rsplit("/", 1)[-1].removesuffix(".md")
    raw_name = values.get("name")
    if raw_name is None:
        raw_name = stem
        report.add(NoteKind.MAPPED, f"no 'name'; used the file name {stem!r}")
    name = _text(raw_name, "name", fm, file).strip()
    if not _NAME.match(name):
        raise InteropError(f"'name' {name!r} is not a usable agent name", file=file,
                           line=fm.lines.get("name", 1),
                           expected="lowercase letters, digits and hyphens, e.g. code-reviewer")
    if values.get("description") is None:
        raise InteropError("the subagent has no 'description'", file=file, line=1,
                           expected="description: when Claude should delegate to this agent",
                           hint="add a 'description:' line to the frontmatter")
    description = _text(values["description"], "description", fm, file)
    agent_id = ct.slug(name)
    if agent_id != name:
        report.add(NoteKind.MAPPED, f"name {name!r} → id {agent_id!r}")
    permission = values.get("permissionMode")
    kept: dict[str, Any] = {}
    if permission is not None and permission not in m.PERMISSION_MODES:
        kept["permissionMode"] = _plain(permission)
        tone = NoteKind.WARNING if permission == "bypassPermissions" else NoteKind.KEPT
        report.add(tone, f"permissionMode {permission!r} has no roster equivalent; kept as-is")
        permission = None
    body = fm.body
    gap = body.startswith(fm.newline)
    instructions = body[len(fm.newline):] if gap else body
    ext: dict[str, Any] = {"file": relpath, "order": list(values)}
    if not gap:
        ext["gap"] = False
    if fm.newline != "\n":
        ext["newline"] = "crlf"
    if fm.bom:
        ext["bom"] = True
    for key, value in values.items():
        if key not in MAPPED_KEYS:
            kept[key] = _plain(value)
    originals = {k: _plain(values[k]) for k in ("name", "model", "tools", "disallowedTools")
                 if k in values}
    ext["original"] = originals
    if kept:
        ext["keys"] = kept
        report.add(NoteKind.KEPT, "kept as-is: " + ", ".join(kept))
    agent = m.Agent(
        id=agent_id, name=name, role=description,
        model=_model(values.get("model"), fm, file, catalog, report),
        instructions=instructions, max_turns=_max_turns(values.get("maxTurns"), fm, file),
        permission_mode=permission, extensions=m.freeze({ct.EXTENSION: ext}),
    )
    tools = _entries(values["tools"], "tools", fm, file) if "tools" in values else None
    denied = _entries(values.get("disallowedTools"), "disallowedTools", fm, file)
    return AgentDraft(file, relpath, agent, tools, denied, fm.lines.get("name", 1))
