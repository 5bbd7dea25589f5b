"""Claude Code tool names ⇄ roster tool nodes.

Claude Code names its built-in tools (`Read`, `Bash`, `WebFetch`, ...) and
MCP tools (`mcp__server__tool`). A roster names tool *nodes* with a kind,
capabilities and a risk. This module holds the one table that maps between
them, the splitter for `tools:` values (a comma string where `Agent(a, b)`
and `Bash(git diff:*)` carry commas of their own, or a YAML list), and the
reverse mapping used by the exporter.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Final

from runtime.roster import model as m


@dataclass(frozen=True, slots=True)
class Builtin:
    """How one Claude Code built-in tool becomes a roster tool node."""

    name: str
    tool_id: str
    kind: str
    mode: str
    capabilities: tuple[str, ...]
    risk: str
    approval: str  # what Claude Code does by default: ask for permission or not


def _b(name: str, tool_id: str, kind: str, mode: str, caps: tuple[str, ...], risk: str,
       approval: str = "allow") -> Builtin:
    return Builtin(name, tool_id, kind, mode, caps, risk, approval)


_READ = ("reads_private_data",)
_WRITE = ("reads_private_data", "filesystem_write", "state_change")
_WEB = ("untrusted_input", "external_comm")
_STATE = ("state_change",)

BUILTINS: Final[dict[str, Builtin]] = {b.name: b for b in (
    _b("Read", "read", "fs_read", "read", _READ, "medium"),
    _b("Grep", "grep", "fs_read", "read", _READ, "medium"),
    _b("Glob", "glob", "fs_read", "read", _READ, "low"),
    _b("LS", "ls", "fs_read", "read", _READ, "low"),
    _b("NotebookRead", "notebook-read", "fs_read", "read", _READ, "medium"),
    _b("LSP", "lsp", "fs_read", "read", _READ, "low"),
    _b("Write", "write", "fs_write", "write", _WRITE, "high", "ask"),
    _b("Edit", "edit", "fs_write", "write", _WRITE, "high", "ask"),
    _b("MultiEdit", "multi-edit", "fs_write", "write", _WRITE, "high", "ask"),
    _b("NotebookEdit", "notebook-edit", "fs_write", "write", _WRITE, "high", "ask"),
    _b("Bash", "bash", "shell", "execute", ("code_exec", "state_change"), "critical", "ask"),
    _b("WebFetch", "web-fetch", "http_fetch", "read", _WEB, "medium", "ask"),
    _b("WebSearch", "web-search", "http_fetch", "read", _WEB, "medium", "ask"),
    _b("TodoWrite", "todo-write", "memory", "write", ("shared_memory_write",), "low"),
    _b("TaskCreate", "task-create", "memory", "write", ("shared_memory_write",), "low"),
    _b("TaskGet", "task-get", "memory", "read", (), "low"),
    _b("TaskList", "task-list", "memory", "read", (), "low"),
    _b("TaskUpdate", "task-update", "memory", "write", ("shared_memory_write",), "low"),
    _b("TaskOutput", "task-output", "memory", "read", (), "low"),
    _b("TaskStop", "task-stop", "memory", "write", _STATE, "low"),
    _b("SendMessage", "send-message", "memory", "write", ("shared_memory_write",), "low"),
    _b("AskUserQuestion", "ask-user-question", "memory", "read", (), "low"),
    _b("Skill", "skill", "memory", "read", (), "medium", "ask"),
    _b("EnterPlanMode", "enter-plan-mode", "memory", "write", (), "low"),
    _b("ExitPlanMode", "exit-plan-mode", "memory", "write", (), "low", "ask"),
    _b("EnterWorktree", "enter-worktree", "fs_write", "write", _WRITE, "medium"),
    _b("ExitWorktree", "exit-worktree", "fs_write", "write", _WRITE, "medium"),
    _b("CronCreate", "cron-create", "memory", "write", _STATE, "medium"),
    _b("CronDelete", "cron-delete", "memory", "write", _STATE, "medium"),
    _b("CronList", "cron-list", "memory", "read", (), "low"),
    _b("ListMcpResourcesTool", "list-mcp-resources", "memory", "read", (), "low"),
    _b("ReadMcpResourceTool", "read-mcp-resource", "memory", "read", ("untrusted_input",), "low"),
)}  # fmt: skip
SPAWN_TOOLS: Final = ("Agent", "Task")  # `Task` is the older name of `Agent`
EXTENSION: Final = "x-claude-code"

# Export of roster-native tools (no x-claude-code name): by kind.
BY_KIND: Final[dict[str, tuple[str, ...]]] = {
    "fs_read": ("Read", "Grep", "Glob"),
    "fs_write": ("Read", "Edit", "Write"),
    "shell": ("Bash",),
    "http_fetch": ("WebFetch",),
}
_MCP = re.compile(r"^mcp__([A-Za-z0-9_.-]+?)(?:__([A-Za-z0-9_.-]+))?$")
_CALL = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\((.*)\)$", re.S)


@dataclass(frozen=True, slots=True)
class ToolRef:
    """One entry of a `tools:` value, as written: `Read`, `Agent(a, b)`, `mcp__s__t`."""

    text: str
    name: str
    argument: str | None = None
    server: str | None = None
    mcp_tool: str | None = None


class ToolSyntaxError(ValueError):
    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column


def split_entries(value: str) -> list[tuple[str, int]]:
    """Entries of a comma string with their 1-based column, honouring parentheses."""
    out: list[tuple[str, int]] = []
    depth, start = 0, 0
    for index, char in enumerate(value + ","):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ToolSyntaxError("a ')' closes nothing", index + 1)
        elif char == "," and depth == 0:
            piece = value[start:index]
            if piece.strip():
                out.append((piece.strip(), start + len(piece) - len(piece.lstrip()) + 1))
            start = index + 1
    if depth > 0:
        raise ToolSyntaxError("a '(' is never closed", value.index("(") + 1)
    return out


def parse_ref(text: str) -> ToolRef:
    mcp = _MCP.match(text)
    if mcp:
        return ToolRef(text, text, server=mcp.group(1), mcp_tool=mcp.group(2))
    call = _CALL.match(text)
    if call:
        return ToolRef(text, call.group(1), argument=call.group(2).strip())
    return ToolRef(text, text)


def spawn_targets(argument: str) -> list[str]:
    return [part.strip() for part in argument.split(",") if part.strip()]


def suggest(name: str) -> str | None:
    names = [*BUILTINS, *SPAWN_TOOLS]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.7)
    return close[0] if close else None


def slug(text: str) -> str:
    """A roster id from any name: lowercase, hyphens, starting with a letter."""
    out = re.sub(r"[^a-z0-9]+", "-", re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", text).lower())
    out = out.strip("-")[:63]
    if not out or not out[0].isalpha():
        out = ("x-" + out)[:63].rstrip("-")
    return out


def mcp_capabilities(tool: str | None) -> tuple[tuple[str, ...], str]:
    """Capabilities and risk guessed from an MCP tool's name (worst case when unknown)."""
    if tool is None:
        return ("untrusted_input", "state_change", "external_comm"), "high"
    lowered = tool.lower()
    caps: list[str] = ["untrusted_input"]
    risk = "medium"
    if re.search(r"delete|drop|remove|destroy|purge", lowered):
        caps += ["state_change", "irreversible"]
        risk = "high"
    elif re.search(r"create|write|update|set|put|post|add|commit|push|insert", lowered):
        caps.append("state_change")
    if re.search(r"send|email|post|publish|notify|message", lowered):
        caps.append("external_comm")
    if re.search(r"pay|refund|charge|invoice|transfer", lowered):
        caps += ["financial", "irreversible"]
        risk = "critical"
    return tuple(c for c in m.CAPABILITIES if c in caps), risk
