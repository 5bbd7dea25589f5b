"""Audit and argument hygiene: R22 (audit coverage) and R23 (structured arguments).

R22 is roster scope because the roster's `audit:` settings matter only when some tool
changes state, talks to the outside world or moves money; it reads effective
capabilities, so an undeclared MCP tool counts as state-changing and outbound. R23 is
node scope on tools: a tool whose input reaches a shell, SQL or an interpreter (kinds
shell and sqlite, or the code_exec capability) either declares an input schema whose
strings are all bounded, or every live grant to it asks a human; its incident grants are
exactly what the incremental checker re-checks after an edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from runtime.roster import effective as fx
from runtime.roster import model as m
from runtime.roster.checks import base
from runtime.roster.checks.base import Finding, Severity, node_rule, roster_rule
from runtime.roster.checks.context import CheckContext
from runtime.roster.checks.rules.gates import some, tool_facts

AUDITED_CAPS: Final = frozenset({"state_change", "external_comm", "financial"})
SINK_KINDS: Final = frozenset({"shell", "sqlite"})
CONSTRAINTS: Final = ("enum", "const", "pattern", "maxLength", "format")
_MAX_DEPTH: Final = 32

# ---------------------------------------------------------------- R22


@roster_rule(
    "R22", "Audit coverage", Severity.ERROR,
    """What: a tool that changes state, communicates externally or moves money
(capabilities state_change, external_comm, financial; an MCP tool that declares no
capabilities counts as all of these) must not say `audit: false`, and when such a tool
exists the roster names where audit records go (`audit.sink`) and does not turn
redaction off (`audit.redact: false`).

Why: without a record of who did what, an incident cannot be traced or attributed
(OWASP Agentic T8 Repudiation & Untraceability, NIST AI RMF MANAGE 4); unredacted
records spread the secrets and personal data the calls carried (LLM02).

Fix:

    audit:
      sink: journal
      redact: true
    tools:
      payments: {audit: true}
""",
    (base.TRIGGER_TOOL, base.TRIGGER_SERVER, base.TRIGGER_NODES, base.TRIGGER_META),
    ("T8", "NIST AI RMF MANAGE 4", "LLM02"),
)
def check_audit(ctx: CheckContext) -> Iterable[Finding]:
    rule = base.RULES["R22"]
    out = []
    audited = []
    for tool in ctx.tools():
        facts = tool_facts(ctx, tool.id)
        caps = facts.caps & AUDITED_CAPS if facts is not None else frozenset()
        if not caps:
            continue
        audited.append(tool.id)
        if tool.audit is False:
            out.append(rule.finding(
                f"tool '{tool.id}' ({', '.join(sorted(caps))}) has audit: false: its calls "
                "leave no record",
                f"remove audit: false from tool '{tool.id}' (or set audit: true)",
                (tool.id,), ("tools", tool.id, "audit"),
            ))
    if not audited:
        return out
    settings = ctx.meta.audit
    if settings is None or not settings.sink:
        out.append(rule.finding(
            f"the roster has no audit.sink, but {some(audited, 3)} change state, communicate "
            "externally or move money",
            "add `audit: {sink: journal, redact: true}` to the roster",
            (), ("audit",) if settings is not None else (),
        ))
    if settings is not None and settings.redact is False:
        out.append(rule.finding(
            "audit.redact is false: audit records would keep secrets and personal data",
            "set audit.redact: true", (), ("audit", "redact"),
        ))
    return out


# ---------------------------------------------------------------- R23


def strings_bounded(schema: Any, depth: int = 0) -> bool:
    """True if every string in arguments matching `schema` is bounded by enum, const,
    pattern, maxLength or format. Untyped leaves, `$ref`, `patternProperties`, a free-form
    `additionalProperties` and arrays without bounded items admit free text; an object that
    does not mention additionalProperties is judged by its declared properties, as R08's
    quarantine test does (trifecta.is_quarantine, which does not accept maxLength)."""
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH or "$ref" in schema:
        return False
    if "enum" in schema or "const" in schema:
        return True
    for key in ("anyOf", "oneOf", "allOf"):
        branches = schema.get(key)
        if isinstance(branches, tuple | list) and branches:
            if not all(strings_bounded(b, depth + 1) for b in branches):
                return False
            if not {"type", "properties", "items"} & set(schema):
                return True
    kind = schema.get("type")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else None
    kinds = set(kind) if isinstance(kind, tuple | list) else {kind}
    if kinds & {None, "string"} and not any(c in schema for c in CONSTRAINTS):
        return False
    if "object" in kinds:
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", False)
        if not isinstance(props, Mapping) or "patternProperties" in schema:
            return False
        if not all(strings_bounded(p, depth + 1) for p in props.values()):
            return False
        if extra is not False and not strings_bounded(extra, depth + 1):
            return False
    if "array" in kinds and not strings_bounded(schema.get("items"), depth + 1):
        return False
    return True


def is_dangerous_sink(tool: m.Tool) -> bool:
    """Kinds shell and sqlite, or code_exec (declared or the kind's; an MCP server's hints
    never add code_exec, so the server is not needed here)."""
    return tool.kind in SINK_KINDS or "code_exec" in fx.tool_capabilities(tool)


@node_rule(
    "R23", "Structured arguments for dangerous sinks", Severity.WARNING,
    """What: a tool whose input is passed to a shell, SQL or an interpreter (kinds shell and
sqlite, or any tool with the code_exec capability) declares an `input_schema` in which
every string is bounded (enum, const, pattern, maxLength or format) and no object admits
free-form extra properties. If it does not, every grant to it must say
`approval: ask`, so a person reads each command before it runs.

Why: model output that reaches a shell, a query or an interpreter must be validated and
parameterised; free text there is command injection waiting for a prompt injection
(OWASP LLM05 Improper Output Handling, ASI05 Unexpected Code Execution).

Fix: constrain the arguments, or gate the grants:

    tools:
      reports-db:
        kind: sqlite
        input_schema:
          type: object
          properties:
            report: {type: string, enum: [daily_sales, open_tickets]}
            day: {type: string, format: date}
          additionalProperties: false
""",
    ("LLM05", "ASI05"),
    applies_to=(m.Tool,),
)
def check_structured_args(ctx: CheckContext, node_id: str) -> Iterable[Finding]:
    tool = ctx.nodes.get(node_id)
    if not isinstance(tool, m.Tool) or not is_dangerous_sink(tool):
        return ()
    if tool.input_schema is not None and strings_bounded(tool.input_schema):
        return ()
    ungated = [e.source for e in ctx.index.incoming(node_id, m.EdgeKind.TOOL_ACCESS)
               if fx.grant_approval(e) == "allow" and ctx.agent(e.source) is not None]
    if not ungated:
        return ()
    what = "declares no input_schema" if tool.input_schema is None else (
        "has an input_schema that admits free-text strings")
    return [base.RULES["R23"].finding(
        f"tool '{node_id}' ({tool.kind}) passes its input to a shell, SQL or an interpreter "
        f"and {what}, yet {some(ungated, 4)} may call it without approval",
        f"bound every string in the input_schema of '{node_id}' (enum, pattern, maxLength, "
        f"format), or set approval: ask on its grants to {some(ungated, 4)}",
        (node_id, *ungated), ("tools", node_id),
    )]
