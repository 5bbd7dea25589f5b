"""Frozen value types of a roster: agents, tools, humans, MCP servers and edges.

These are plain immutable data. The one mutable owner is `Document`
(document.py); everything here is replaced, never changed in place. Nested
free-form data (tool config, JSON schemas, extensions) is frozen with
`freeze()` so that a value handed to a view cannot be mutated behind the
document's back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

# Unset fields are None: the file says only what the author wrote, and the
# effective value (a roster default, the worst case for security fields) is
# computed where it is used (effective.py). This keeps round trips exact.


class NodeType(StrEnum):
    AGENT = "agent"
    TOOL = "tool"
    HUMAN = "human"
    MCP_SERVER = "mcp_server"
    PLACEHOLDER = "placeholder"


class EdgeKind(StrEnum):
    DELEGATION = "delegates_to"
    TOOL_ACCESS = "uses"
    ESCALATION = "escalates_to"


MODES: Final = ("read", "write", "execute")
APPROVALS: Final = ("allow", "ask", "deny")
RISKS: Final = ("low", "medium", "high", "critical")
CLASSIFICATIONS: Final = ("public", "internal", "confidential", "restricted")
CAPABILITIES: Final = (
    "reads_private_data",
    "untrusted_input",
    "external_comm",
    "state_change",
    "irreversible",
    "financial",
    "code_exec",
    "filesystem_write",
    "shared_memory_write",
)
PERMISSION_MODES: Final = ("default", "plan", "dontAsk")
ON_TIMEOUT: Final = ("deny", "escalate")
TRUST: Final = ("trusted", "untrusted")
NETWORK: Final = ("none", "allowlist", "any")
UNATTENDED: Final = ("deny",)


def freeze(value: Any) -> Any:
    """Return a deeply immutable copy: dicts become mapping proxies, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


_ATOMS: Final = frozenset({str, int, float, bool, type(None)})


def thaw(value: Any) -> Any:
    """Inverse of `freeze`: plain dicts and lists, for serialisation."""
    if value.__class__ in _ATOMS:  # most values: nothing to copy
        return value
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


def _empty() -> Mapping[str, Any]:
    return EMPTY


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    name: str = ""
    role: str = ""
    model: str | None = None
    instructions: str = ""
    tasks: tuple[str, ...] = ()
    max_turns: int | None = None
    max_tokens_per_call: int | None = None
    timeout_s: float | None = None
    budget_usd: float | None = None
    max_parallel_delegations: int | None = None
    clearance: str | None = None
    permission_mode: str | None = None
    output_schema: Mapping[str, Any] | None = None
    extensions: Mapping[str, Any] = field(default_factory=_empty)

    @property
    def node_type(self) -> NodeType:
        return NodeType.AGENT


@dataclass(frozen=True, slots=True)
class Annotations:
    """MCP tool annotations; the defaults are the MCP spec's (worst case)."""

    read_only: bool | None = None
    destructive: bool | None = None
    idempotent: bool | None = None
    open_world: bool | None = None


@dataclass(frozen=True, slots=True)
class Sandbox:
    network: str | None = None
    fs_roots: tuple[str, ...] = ()
    cpu_s: float | None = None
    memory_mb: int | None = None
    timeout_s: float | None = None


@dataclass(frozen=True, slots=True)
class Tool:
    id: str
    kind: str
    name: str = ""
    description: str = ""
    capabilities: tuple[str, ...] = ()
    risk: str | None = None
    data: str | None = None
    vetted: bool | None = None
    modes: tuple[str, ...] = ()
    fs_roots: tuple[str, ...] = ()
    network: str | None = None
    credential: str | None = None
    sandbox: Sandbox | None = None
    audit: bool | None = None
    input_schema: Mapping[str, Any] | None = None
    server: str | None = None
    tool: str | None = None
    annotations: Annotations | None = None
    config: Mapping[str, Any] = field(default_factory=_empty)
    extensions: Mapping[str, Any] = field(default_factory=_empty)

    @property
    def node_type(self) -> NodeType:
        return NodeType.TOOL


@dataclass(frozen=True, slots=True)
class Human:
    id: str
    name: str = ""
    role: str = ""
    timeout_s: float | None = None
    on_timeout: str | None = None
    backup: str | None = None
    max_requests_per_run: int | None = None
    extensions: Mapping[str, Any] = field(default_factory=_empty)

    @property
    def node_type(self) -> NodeType:
        return NodeType.HUMAN


@dataclass(frozen=True, slots=True)
class McpServer:
    id: str
    name: str = ""
    command: str = ""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=_empty)
    trust: str | None = None
    tools_sha256: str | None = None
    sandbox: Sandbox | None = None
    extensions: Mapping[str, Any] = field(default_factory=_empty)

    @property
    def node_type(self) -> NodeType:
        return NodeType.MCP_SERVER


@dataclass(frozen=True, slots=True)
class Placeholder:
    """A node whose kind this program does not know. Kept verbatim, never dropped."""

    id: str
    section: str
    kind: str
    raw: Mapping[str, Any] = field(default_factory=_empty)

    @property
    def node_type(self) -> NodeType:
        return NodeType.PLACEHOLDER

    @property
    def name(self) -> str:
        value = self.raw.get("name", "")
        return value if isinstance(value, str) else ""


Node = Agent | Tool | Human | McpServer | Placeholder

SECTION_OF: Final[Mapping[type, str]] = MappingProxyType(
    {Agent: "agents", Tool: "tools", Human: "humans", McpServer: "mcp_servers"}
)


def section_of(node: Node) -> str:
    if isinstance(node, Placeholder):
        return node.section
    return SECTION_OF[type(node)]


@dataclass(frozen=True, slots=True)
class Edge:
    """A relationship held by an agent: delegation, tool access or escalation.

    `mode` and `approval` only apply to tool access, `max_rounds` only to
    delegation, `purpose` says why a tool is granted (least functionality).
    """

    kind: EdgeKind
    source: str
    target: str
    mode: str | None = None
    approval: str | None = None
    purpose: str | None = None
    max_rounds: int | None = None

    @property
    def id(self) -> str:
        return edge_id(self.kind, self.source, self.target)


def edge_id(kind: EdgeKind, source: str, target: str) -> str:
    return source + ":" + kind + ":" + target  # a StrEnum is its value; no lookup


@dataclass(frozen=True, slots=True)
class Defaults:
    model: str | None = None
    max_turns: int | None = None
    max_tokens_per_call: int | None = None
    timeout_s: float | None = None
    budget_usd: float | None = None
    max_parallel_delegations: int | None = None
    clearance: str | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    budget_usd_per_run: float | None = None
    allowed_models: tuple[str, ...] | None = None
    max_model_calls_per_run: int | None = None
    max_delegation_depth: int | None = None
    max_parallel_agents: int | None = None
    unattended: str | None = None


@dataclass(frozen=True, slots=True)
class Provider:
    api_key: str | None = None
    base_url: str | None = None


@dataclass(frozen=True, slots=True)
class Audit:
    sink: str | None = None
    redact: bool | None = None


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    rule: str
    subject: str
    by: str
    reason: str


@dataclass(frozen=True, slots=True)
class Position:
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class RosterMeta:
    """Roster-wide settings: everything in the file that is not a node or an edge."""

    name: str = ""
    description: str = ""
    entry: tuple[str, ...] = ()
    defaults: Defaults = field(default_factory=Defaults)
    policy: Policy = field(default_factory=Policy)
    providers: Mapping[str, Provider] = field(default_factory=_empty)
    audit: Audit | None = None
    acknowledged: tuple[Acknowledgement, ...] = ()
    extensions: Mapping[str, Any] = field(default_factory=_empty)
