"""Typed property specs: one declaration per field, read by the loader, the JSON
Schema generator and the designer's generated inspector.

A `PropSpec` says a field's semantic type (text, multi-line text, a number in a
range, a choice, a model id, capability tags, a key reference, a list of
paths...), its default, its bounds and a one-line help text. No widget names
appear here: the designer maps semantic types to widgets in one factory.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from runtime.roster import model as m


class PropType(StrEnum):
    STRING = "string"
    MULTILINE = "multiline"
    INT = "int"
    NUMBER = "number"
    BOOL = "bool"
    CHOICE = "choice"
    TAGS = "tags"
    MODEL = "model"
    KEY_REF = "key_ref"
    PATH_LIST = "path_list"
    STRING_LIST = "string_list"
    ID_REF = "id_ref"
    OBJECT = "object"
    URL = "url"
    SHA256 = "sha256"


@dataclass(frozen=True, slots=True)
class PropSpec:
    name: str
    type: PropType
    help: str = ""
    label: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    default: Any = None
    required: bool = False
    ref_section: str | None = None
    nested: tuple[PropSpec, ...] = ()

    @property
    def title(self) -> str:
        if self.label:
            return self.label
        words = self.name
        for suffix, unit in (
            ("_usd_per_run", " per run (USD)"),
            ("_usd", " (USD)"),
            ("_s", " (s)"),
            ("_mb", " (MiB)"),
        ):
            if words.endswith(suffix):
                words = words.removesuffix(suffix).replace("_", " ") + unit
                break
        words = words.replace("_", " ").replace("api key", "API key").replace("url", "URL")
        words = words.replace("mcp", "MCP").replace("sha256", "SHA-256")
        return words[:1].upper() + words[1:]


P = PropSpec
T = PropType

SANDBOX_PROPS = (
    P("network", T.CHOICE, "network reach inside the sandbox", choices=m.NETWORK),
    P("fs_roots", T.PATH_LIST, "directories the sandboxed process may touch"),
    P("cpu_s", T.NUMBER, "CPU seconds limit", minimum=0, exclusive_minimum=True),
    P("memory_mb", T.INT, "memory limit in MiB", minimum=1),
    P("timeout_s", T.NUMBER, "wall-clock limit in seconds", minimum=0, exclusive_minimum=True),
)

AGENT_PROPS = (
    P("name", T.STRING, "display name; the id stays stable when this changes"),
    P("role", T.MULTILINE, "what the agent is for, in a sentence or two"),
    P("model", T.MODEL, "a model id from the catalog; inherits defaults.model when unset"),
    P("instructions", T.MULTILINE, "the agent's system prompt"),
    P("tasks", T.STRING_LIST, "the kinds of work it takes; tool grants should serve these"),
    P("max_turns", T.INT, "model turns before it must stop", minimum=1, maximum=1000),
    P("max_tokens_per_call", T.INT, "max_tokens for each model call", minimum=1, maximum=2_000_000),
    P("timeout_s", T.NUMBER, "wall-clock limit per task", minimum=0, exclusive_minimum=True),
    P("budget_usd", T.NUMBER, "spend limit per task in USD", minimum=0),
    P("max_parallel_delegations", T.INT, "delegations it may run at once", minimum=1, maximum=256),
    P("clearance", T.CHOICE, "highest data classification it may see", choices=m.CLASSIFICATIONS),
    P(
        "permission_mode",
        T.CHOICE,
        "dontAsk denies anything that would ask",
        choices=m.PERMISSION_MODES,
    ),
)

TOOL_PROPS = (
    P("name", T.STRING, "display name"),
    P("kind", T.CHOICE, "what implements the tool", required=True),
    P("description", T.MULTILINE, "what the tool does, as shown to the model"),
    P("server", T.ID_REF, "the MCP server that provides it", ref_section="mcp_servers"),
    P("tool", T.STRING, "the tool's name on its MCP server"),
    P(
        "capabilities",
        T.TAGS,
        "what the tool can do; drives the governance checks",
        choices=m.CAPABILITIES,
    ),
    P("risk", T.CHOICE, "impact if misused", choices=m.RISKS),
    P("data", T.CHOICE, "the most sensitive data the tool holds", choices=m.CLASSIFICATIONS),
    P("vetted", T.BOOL, "reviewed and approved for use"),
    P("modes", T.TAGS, "access modes the tool supports", choices=m.MODES),
    P("fs_roots", T.PATH_LIST, "directories a file tool may touch"),
    P("network", T.CHOICE, "network reach", choices=m.NETWORK),
    P("credential", T.KEY_REF, "keyring:SERVICE/NAME or env:VAR; never a key"),
    P("sandbox", T.OBJECT, "limits for code-executing tools", nested=SANDBOX_PROPS),
    P("audit", T.BOOL, "record every call in the audit journal"),
    P("input_schema", T.OBJECT, "JSON Schema of the tool's arguments"),
    P(
        "annotations",
        T.OBJECT,
        "MCP hints; ignored for untrusted servers",
        nested=(
            P("read_only", T.BOOL, "the tool does not change anything"),
            P("destructive", T.BOOL, "the tool may destroy data"),
            P("idempotent", T.BOOL, "repeating a call has no further effect"),
            P("open_world", T.BOOL, "the tool reaches outside systems"),
        ),
    ),
    P("config", T.OBJECT, "kind-specific settings"),
)

HUMAN_PROPS = (
    P("name", T.STRING, "display name"),
    P("role", T.MULTILINE, "who this is and what they approve"),
    P(
        "timeout_s",
        T.NUMBER,
        "how long a request waits for an answer",
        minimum=0,
        exclusive_minimum=True,
    ),
    P(
        "on_timeout",
        T.CHOICE,
        "what an unanswered request does (never allow)",
        choices=m.ON_TIMEOUT,
    ),
    P("backup", T.ID_REF, "who gets it on escalate", ref_section="humans"),
    P("max_requests_per_run", T.INT, "approval requests per run before it is too many", minimum=1),
)

MCP_SERVER_PROPS = (
    P("name", T.STRING, "display name"),
    P("command", T.STRING, "program to start (pin its version)", required=True),
    P("args", T.STRING_LIST, "arguments"),
    P("env", T.OBJECT, "environment for the server: references only"),
    P("trust", T.CHOICE, "annotations from untrusted servers are ignored", choices=m.TRUST),
    P("tools_sha256", T.SHA256, "hash of tools/list pinned at approval"),
    P("sandbox", T.OBJECT, "limits for the server process", nested=SANDBOX_PROPS),
)

GRANT_PROPS = (
    P("mode", T.CHOICE, "read, write or execute", choices=m.MODES),
    P("approval", T.CHOICE, "allow, ask a human, or deny", choices=m.APPROVALS),
    P("purpose", T.STRING, "why this agent needs the tool"),
)

DELEGATION_PROPS = (
    P(
        "max_rounds",
        T.INT,
        "round trips allowed on this edge (bounds a cycle)",
        minimum=1,
        maximum=100,
    ),
)

DEFAULTS_PROPS = (
    P("model", T.MODEL, "model for agents that do not name one"),
    AGENT_PROPS[5],
    AGENT_PROPS[6],
    AGENT_PROPS[7],
    AGENT_PROPS[8],
    AGENT_PROPS[9],
    AGENT_PROPS[10],
)

POLICY_PROPS = (
    P("budget_usd_per_run", T.NUMBER, "spend limit for a whole run", minimum=0),
    P("allowed_models", T.STRING_LIST, "the only models agents may use"),
    P("max_model_calls_per_run", T.INT, "model calls per run", minimum=1),
    P("max_delegation_depth", T.INT, "longest delegation chain", minimum=1, maximum=64, default=4),
    P("max_parallel_agents", T.INT, "agent instances at once", minimum=1, maximum=4096, default=16),
    P("unattended", T.CHOICE, "what an approval does when nobody can answer", choices=m.UNATTENDED),
)

PROVIDER_PROPS = (
    P("api_key", T.KEY_REF, "keyring:SERVICE/NAME or env:VAR; never a key"),
    P("base_url", T.URL, "a gateway or compatible server; unset = the SDK default"),
)

AUDIT_PROPS = (
    P("sink", T.STRING, "where audit records go: 'journal' or a directory"),
    P("redact", T.BOOL, "redact secrets from audit records"),
)

ACK_PROPS = (
    P("rule", T.STRING, "rule code, e.g. R10", required=True),
    P("subject", T.STRING, "the node or edge id it concerns", required=True),
    P("by", T.STRING, "who accepted it", required=True),
    P("reason", T.STRING, "why", required=True),
)

META_PROPS = (
    P("name", T.STRING, "roster name"),
    P("description", T.MULTILINE, "what this roster is for"),
)
