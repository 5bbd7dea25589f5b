"""Least functionality: R10 (grants the work does not need, open-ended tools) and R12.

Both are node scope. R10 looks at an agent's grants: a grant with no `purpose`
whose tool is named nowhere in the agent's role, tasks or instructions is a
warning (a tool the task may not need); a grant to an open-ended tool (a
shell, a web fetch that may reach any domain, SQLite with free-form SQL) is an
error unless the tool is sandboxed and the grant asks a human. R12 checks
that code-executing tools run in a sandbox with network and resource limits
(on the tool) and that their agent does not also read private data (on the
agent). Messages name what is missing, never the config values themselves.
"""

from __future__ import annotations

import re
from typing import Final

from runtime.roster import effective as fx
from runtime.roster import model as m
from runtime.roster.checks.base import RULES, Finding, Severity, node_rule
from runtime.roster.checks.context import CheckContext
from runtime.roster.checks.rules.gates import (
    agent_of,
    list_edge_path,
    live_grants,
    some,
    tool_facts,
)
from runtime.roster.kinds import tool_kind

_WORD: Final = re.compile(r"[a-z0-9]+")
_STOP: Final = frozenset({
    "the", "and", "for", "tool", "tools", "mcp", "api", "read", "write", "only", "server",
    "data", "get", "set", "run", "use", "with", "from", "all",
})  # fmt: skip


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in _STOP}


def open_ended(tool: m.Tool) -> str | None:
    """Why `tool` is open-ended (can do nearly anything), or None."""
    kind = tool_kind(tool.kind)
    if tool.kind == "shell":
        return "a shell runs arbitrary commands"
    if kind is not None and kind.open_ended:
        return f"kind '{tool.kind}' is open-ended"
    if tool.kind == "http_fetch":
        if tool.network == "any":
            return "it may reach any address (network: any)"
        domains = tool.config.get("allow_domains")
        if not domains or "*" in domains:
            return "it has no allow_domains list, so it may fetch any URL"
    if tool.kind == "sqlite" and tool.config.get("raw_sql") is True:
        return "it accepts free-form SQL (raw_sql: true)"
    return None


# ---------------------------------------------------------------- R10

R10_EXPLAIN = """
Two checks on each tool grant. Warning: the grant has no `purpose` and the
tool's id and name appear nowhere in the agent's role, tasks or instructions,
so nothing says why the agent needs it. Error: the tool is open-ended (a
shell, a web fetch with `network: any` or without `config.allow_domains`,
SQLite with `config.raw_sql: true`) and is not both sandboxed (`sandbox:` on
the tool) and behind `approval: ask`.

Why: OWASP LLM06 Excessive Agency lists excessive functionality (tools the
task does not need) first and advises avoiding open-ended extensions such as
a shell or arbitrary URL fetches; ASI02 Tool Misuse is the agentic version.

Fix: say why the grant exists, and narrow or gate open-ended tools:

    agents:
      researcher:
        uses:
          web-fetch: {mode: read, approval: allow, purpose: read vendor docs}
    tools:
      web-fetch:
        kind: http_fetch
        config: {allow_domains: [docs.example.com]}

A warning may be acknowledged (acknowledged: [{rule: R10, subject: AGENT, ...}]).
"""


@node_rule(
    "R10", "Least functionality", Severity.WARNING, R10_EXPLAIN,
    ("OWASP LLM06 excessive functionality", "OWASP ASI02"),
    applies_to=(m.Agent,),
)
def least_functionality(ctx: CheckContext, node_id: str) -> list[Finding]:
    agent = agent_of(ctx, node_id)
    if agent is None:
        return []
    out: list[Finding] = []
    said: set[str] | None = None
    memo: dict[str, tuple[str | None, set[str]]] = ctx.cache.setdefault("rules.r10", {})
    for edge, facts in live_grants(ctx, node_id):
        tool = facts.tool
        known = memo.get(tool.id)
        if known is None:
            known = memo[tool.id] = (open_ended(tool),
                                     _words(tool.id.replace("-", " ")) | _words(tool.name))
        reason, named = known
        asks = reason is not None and fx.grant_approval(edge) == "ask"  # open-ended only
        if reason is not None and not (tool.sandbox is not None and asks):
            missing = [x for x, ok in (("a sandbox", tool.sandbox is not None),
                                       ("approval: ask", asks)) if not ok]
            out.append(RULE_R10.finding(
                f"agent '{node_id}' may use open-ended tool '{edge.target}' ({reason}) "
                f"without {' and '.join(missing)}",
                f"narrow tools.{edge.target} (an allowlist instead of everything), or give it a "
                f"`sandbox:` and set `approval: ask` on agents.{node_id}.uses.{edge.target}.",
                (node_id, edge.target, edge.id),
                list_edge_path(ctx, edge),
                severity=Severity.ERROR,
            ))
        if edge.purpose and edge.purpose.strip():
            continue
        if said is None:
            said = _words(" ".join((agent.role, agent.instructions, *agent.tasks)))
        if said & named:
            continue
        out.append(RULE_R10.finding(
            f"agent '{node_id}' is granted tool '{edge.target}' but neither a purpose nor its "
            "role, tasks or instructions say why it needs it",
            f"add `purpose: ...` to agents.{node_id}.uses.{edge.target}, mention the tool in a "
            "task, or remove the grant if the agent does not need it.",
            (node_id, edge.target, edge.id),
            list_edge_path(ctx, edge),
        ))
    return out


RULE_R10: Final = RULES["R10"]

# ---------------------------------------------------------------- R12

R12_EXPLAIN = """
A tool with the `code_exec` capability (a shell, an interpreter, a build
runner) must run in a sandbox: `sandbox:` on the tool (or on its MCP server)
with `network: none` or `allowlist`, `fs_roots`, and `cpu_s`, `memory_mb` and
`timeout_s` limits. And an agent that holds a code-executing tool must not
also hold a tool that reads private data: code it is talked into writing
could read and ship that data anywhere the sandbox allows.

Why: OWASP ASI05 Unexpected Code Execution, Agentic T11 (unexpected RCE) and
LLM05 Improper Output Handling (model output that reaches an interpreter must
be contained). It is R07's closure applied to the most dangerous leg.

Fix:

    tools:
      python:
        kind: shell
        sandbox: {network: none, fs_roots: [/srv/scratch], cpu_s: 30,
                  memory_mb: 512, timeout_s: 60}
"""

_LIMITS: Final = ("fs_roots", "cpu_s", "memory_mb", "timeout_s")


@node_rule(
    "R12", "Code execution is sandboxed", Severity.ERROR, R12_EXPLAIN,
    ("OWASP ASI05", "OWASP Agentic T11", "OWASP LLM05"),
    applies_to=(m.Agent, m.Tool),
)
def code_sandbox(ctx: CheckContext, node_id: str) -> list[Finding]:
    node = ctx.nodes.get(node_id)
    if isinstance(node, m.Tool):
        return _tool_sandbox(ctx, node)
    if not isinstance(node, m.Agent):
        return []
    grants = live_grants(ctx, node_id)
    coders = [(e, f) for e, f in grants if "code_exec" in f.caps]
    if not coders:
        return []
    private = [e.target for e, f in grants if "reads_private_data" in f.caps]
    out: list[Finding] = []
    for edge, facts in coders:
        others = [x for x in private if x != edge.target]
        if not others and "reads_private_data" not in facts.caps:
            continue
        via = some(others) if others else f"'{edge.target}' itself"
        out.append(RULE_R12.finding(
            f"agent '{node_id}' can execute code with '{edge.target}' and also reads private "
            f"data (via {via})",
            "move the code-executing tool to an agent that holds no private-data tool, or "
            "remove the private-data grant from this agent.",
            (node_id, edge.target, *others),
            list_edge_path(ctx, edge),
        ))
    return out


def _tool_sandbox(ctx: CheckContext, tool: m.Tool) -> list[Finding]:
    facts = tool_facts(ctx, tool.id)
    if facts is None or "code_exec" not in facts.caps:
        return []
    server = facts.server
    sandbox = tool.sandbox or (server.sandbox if server is not None else None)
    if sandbox is None:
        return [RULE_R12.finding(
            f"tool '{tool.id}' executes code but has no sandbox",
            f"add `sandbox: {{network: none, fs_roots: [...], cpu_s: ..., memory_mb: ..., "
            f"timeout_s: ...}}` to tools.{tool.id}.",
            (tool.id,), ("tools", tool.id),
        )]
    missing = [name for name in _LIMITS if not getattr(sandbox, name)]
    if sandbox.network not in ("none", "allowlist"):
        missing.insert(0, "network: none or allowlist" if sandbox.network is None
                       else "network: none or allowlist (not any)")
    if not missing:
        return []
    at = ("tools", tool.id, "sandbox") if tool.sandbox is not None else (
        "mcp_servers", tool.server or "", "sandbox")
    return [RULE_R12.finding(
        f"tool '{tool.id}' executes code in a sandbox that lacks {', '.join(missing)}",
        f"set {', '.join(missing)} in the sandbox of tools.{tool.id}.",
        (tool.id,), at,
    )]


RULE_R12: Final = RULES["R12"]
