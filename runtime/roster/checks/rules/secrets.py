"""Secrets and credentials: R15 (no secret literals) and R16 (credential scoping).

R15 runs `runtime.secrets.scanner.scan_value` over the roster's data as it would be
written: per node (the node's own YAML, including an agent's grants) so that after an
edit only the touched nodes are scanned again, plus a small roster pass over the
settings (name, description, providers, acknowledgements, extensions) re-run when they
change. Most nodes hold no secret, so nodes are first proved clean from their strings
(and their grants'), plus the credential-name test of each value: in a full check all
nodes at once, with one `scan_text` over every distinct string of the roster (`_batch`,
`runtime.secrets.proof.clean_groups`), after an edit each re-checked node on its own
(`_provably_clean`); only a node that fails that proof is encoded with `io.to_data` and
walked field by field to name the spot. No state is kept between checks: the
incremental checker re-runs R15 only for a node whose own value or outgoing edges
changed (its scope is `own`). Messages name the field and the kind of secret, never
the value; a hit inside a mapping key points at the key's parent. R16 keeps one
credential from being shared between a tainted agent's tool and an untainted agent's
high-impact tool, and keeps Anthropic admin keys out of the runtime.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from runtime.roster import model as m
from runtime.roster.checks import base
from runtime.roster.checks.base import Finding, Path, Rule, Severity, roster_rule
from runtime.roster.checks.context import CheckContext
from runtime.roster.checks.rules.dataflow import tainted
from runtime.roster.checks.rules.gates import tool_facts
from runtime.roster.codec import RosterContent
from runtime.roster.errors import format_path
from runtime.roster.io import to_data
from runtime.secrets.proof import clean_groups, strings_of
from runtime.secrets.scanner import SecretHit, is_reference, scan_text, scan_value

_EMPTY_META: Final = m.RosterMeta()

R15_EXPLAIN: Final = """What: no literal secret anywhere in the roster: API keys, tokens,
passwords, private keys or random-looking strings under credential-like names, in any field
(agent instructions, descriptions, tool config, MCP server env and args, acknowledgement
reasons, extensions). Credentials are references: `keyring:SERVICE/NAME` or `env:VAR`. Saving
and exporting also scan the final YAML text and refuse to write a file with a secret in it.

Why: roster files are reviewed, diffed and shared; system prompts and configs are read by
the model and end up in logs (OWASP LLM02 Sensitive Information Disclosure, LLM07 System
Prompt Leakage).

Fix: remove the value, rotate the key (it has been exposed), store the new one in the
keyring with `roster keys set payments` and refer to it:

    mcp_servers:
      payments-mcp:
        env: {PAYMENTS_TOKEN: "keyring:agent-roster/payments"}
"""


def _safe_path(path: Path) -> tuple[Path, bool]:
    """`path` cut before the first key that itself looks like a secret (never shown)."""
    for i, part in enumerate(path):
        if isinstance(part, str) and scan_text(part):
            return path[:i], True
    return path, False


def _findings(rule: Rule, hits: Iterable[SecretHit], subject: str | None) -> list[Finding]:
    out = []
    seen: set[tuple[Path, str]] = set()
    for hit in hits:
        path, in_key = _safe_path(hit.path)
        if (path, hit.description) in seen:
            continue
        seen.add((path, hit.description))
        where = format_path(path) or "the roster"
        subjects: tuple[str, ...] = ()
        if subject is not None:
            subjects = (subject,)
            if len(path) > 3 and path[0] == "agents" and path[2] == "uses":
                subjects += (str(path[3]),)
        out.append(rule.finding(
            f"{where} holds {hit.description}"
            + (" in a mapping key" if in_key else "") + ": a literal secret in the roster",
            "remove it and rotate it (it has been exposed); store it with `roster keys set "
            "NAME` and write keyring:agent-roster/NAME (or env:VAR) in its place",
            subjects, path,
        ))
    return out


def _node_strings(node: m.Node, edges: Sequence[m.Edge]) -> list[str] | None:
    """Every string of the node's YAML (with an agent's grants), collected without encoding
    it, or None when the joined strings are no proof (see `runtime.secrets.proof`)."""
    texts: list[str] = []
    if not strings_of(node, texts):
        return None
    append = texts.append
    for edge in edges:  # inlined: its source is the node, its kind a constant
        append(edge.target)
        for value in (edge.mode, edge.approval, edge.purpose):
            if value is not None:
                if type(value) is not str:
                    return None  # not what the loader makes: let the full walk judge
                append(value)
    return texts


def _own_edges(ctx: CheckContext, node_id: str) -> list[m.Edge]:
    table = ctx.index.out.get(node_id)
    return [e for bucket in table.values() for e in bucket] if table else []


def _provably_clean(node: m.Node, edges: Sequence[m.Edge]) -> bool:
    """True if `scan_value` of the node's YAML would find nothing, decided without encoding
    it: see `runtime.secrets.proof` for why the joined strings are a safe proxy."""
    texts = _node_strings(node, edges)
    return texts is not None and bool(clean_groups({node.id: texts}))


# This run's batch proof: (the nodes it covered, those it proved clean). A cache entry
# for one run only (not `derived`): an incremental run builds its own.
_BATCH: Final = "R15.batch"
# Below this many nodes in play, each node is proved on its own when it is checked.
_BATCH_MIN: Final = 64


def _batch(ctx: CheckContext) -> tuple[frozenset[str], frozenset[str]]:
    """One `clean_groups` call over every node this run may check: all of them in a
    one-off check, the touched ones in an incremental run that touched at least half of
    the roster (its first run). Covers nothing otherwise: an ordinary edit touches the
    neighbours of a node too (hundreds for a popular tool), of which R15 re-checks only
    the nodes whose own value or grants changed, so each of those is proved on its own."""
    found: tuple[frozenset[str], frozenset[str]] | None = ctx.cache.get(_BATCH)
    if found is not None:
        return found
    nodes, out, touched = ctx.nodes, ctx.index.out, ctx.touched
    batch = nodes.keys() if touched is None else touched & nodes.keys()
    groups: dict[str, list[str]] = {}
    if len(batch) >= _BATCH_MIN and len(batch) * 2 >= len(nodes):
        for node_id in batch:
            table = out.get(node_id)
            texts = _node_strings(
                nodes[node_id], [e for bucket in table.values() for e in bucket] if table else ())
            if texts is not None:
                groups[node_id] = texts
    found = ctx.cache[_BATCH] = (frozenset(batch) if groups else frozenset(),
                                 frozenset(clean_groups(groups)))
    return found


def scan_node(ctx: CheckContext, node_id: str) -> Iterable[Finding]:
    """R15 for one node: its own YAML (with an agent's grants)."""
    node = ctx.nodes.get(node_id)
    if node is None:
        return ()
    covered, clean = _batch(ctx)
    if node_id in clean:
        return ()
    edges = _own_edges(ctx, node_id)
    if node_id not in covered and _provably_clean(node, edges):
        return ()
    section = m.section_of(node)
    content = RosterContent(_EMPTY_META, {node_id: node}, {e.id: e for e in edges})
    data = to_data(content).get(section, {})
    return _findings(base.RULES["R15"], scan_value(data, (section,)), node_id)


def scan_settings(ctx: CheckContext) -> Iterable[Finding]:
    """R15 for the roster settings: everything in the file that is not a node."""
    data = to_data(RosterContent(ctx.meta))
    return _findings(base.RULES["R15"], scan_value(data), None)


base.register(Rule(
    "R15", "No secret literals anywhere", Severity.ERROR, R15_EXPLAIN, ("LLM02", "LLM07"),
    check_node=scan_node, check=scan_settings, triggers=frozenset({base.TRIGGER_META}),
    reads=frozenset({base.READS_OWN_EDGES}),
))


# ---------------------------------------------------------------- R16


def _credentials(ctx: CheckContext) -> dict[str, dict[str, Path]]:
    """Credential reference -> {tool id: where it is declared}: a tool's own `credential`
    and the env references of the MCP server it runs on (read once per server)."""
    per_server: dict[str, list[tuple[str, Path]]] = {}
    users: dict[str, dict[str, Path]] = {}
    for tool in ctx.tools():
        refs: list[tuple[str, Path]] = []
        if tool.credential:
            refs.append((tool.credential, ("tools", tool.id, "credential")))
        if tool.kind == "mcp" and tool.server:
            env = per_server.get(tool.server)
            if env is None:
                server = ctx.server(tool.server)
                env = per_server[tool.server] = [
                    (ref, ("mcp_servers", server.id, "env", var))
                    for var, ref in server.env.items() if is_reference(ref)
                ] if server is not None else []
            refs.extend(env)
        for ref, path in refs:
            users.setdefault(ref, {}).setdefault(tool.id, path)
    return users


def _holders(ctx: CheckContext, tool_id: str) -> list[str]:
    return [e.source for e in ctx.index.incoming(tool_id, m.EdgeKind.TOOL_ACCESS)
            if e.approval != "deny" and ctx.agent(e.source) is not None]


@roster_rule(
    "R16", "Credential scoping", Severity.ERROR,
    """What: a provider's `api_key` is a reference (`keyring:`/`env:`) and does not name an
Anthropic admin credential (a reference whose name contains "admin"): admin keys manage the
organisation and are never runtime keys (error). A credential reference (a tool's
`credential`, or an env reference of the MCP server behind a tool) shared by several tools
must not connect a tainted agent's tool (one whose agent holds an untrusted_input tool or
receives a tainted delegate's results) with an untainted agent's high-impact tool (warning):
whoever can steer the first tool's calls holds the key of the second.

Why: least-privilege credentials per tool (OWASP Agentic T3 Privilege Compromise, ASI03
Identity & Privilege Abuse, OWASP Non-Human Identities).

Fix: give each tool, or at least each high-impact tool, its own scoped credential, and use
an ordinary API key for the runtime:

    providers:
      anthropic: {api_key: "keyring:agent-roster/anthropic"}
    tools:
      payments: {credential: "keyring:agent-roster/payments-refunds-only"}
""",
    (base.TRIGGER_META, base.TRIGGER_TOOL, base.TRIGGER_SERVER, base.TRIGGER_TOOL_ACCESS,
     base.TRIGGER_DELEGATION, base.TRIGGER_NODES, base.TRIGGER_AGENT),
    ("T3", "ASI03", "OWASP NHI"),
)
def check_credentials(ctx: CheckContext) -> Iterable[Finding]:
    rule = base.RULES["R16"]
    out = _provider_keys(rule, ctx.meta.providers)
    shared = {ref: tools for ref, tools in _credentials(ctx).items() if len(tools) > 1}
    dirty = tainted(ctx) if shared else frozenset()
    for ref, tools in shared.items():
        if not dirty:
            break
        risky = [(a, t) for t in tools for a in _holders(ctx, t) if a in dirty]
        exposed = [(b, t) for t in tools for b in _holders(ctx, t) if b not in dirty
                   and (facts := tool_facts(ctx, t)) is not None and facts.high_impact]
        pair = next(((a, t1, b, t2) for a, t1 in risky for b, t2 in exposed if t1 != t2), None)
        if pair is None:
            continue
        a, t1, b, t2 = pair
        out.append(rule.finding(
            f"tools '{t1}' (used by tainted agent '{a}') and '{t2}' (high-impact, used by "
            f"'{b}') run with the same credential {ref}",
            f"give '{t2}' a credential of its own, scoped to what it needs",
            (a, t1, t2, b), tools[t2], Severity.WARNING,
        ))
    return out


def _provider_keys(rule: Rule, providers: Mapping[str, m.Provider]) -> list[Finding]:
    out = []
    for name, provider in providers.items():
        key = provider.api_key
        at: Path = ("providers", name, "api_key")
        if key is None:
            continue
        if not is_reference(key):
            out.append(rule.finding(
                f"providers.{name}.api_key is not a key reference (the value is not shown)",
                "store the key with `roster keys set NAME` and write keyring:agent-roster/NAME "
                "(or env:VAR)", (), at,
            ))
        elif "admin" in key.lower():
            out.append(rule.finding(
                f"providers.{name}.api_key refers to an admin credential ({key}); admin keys "
                "manage the organisation and must never run agents",
                "create an ordinary API key for the runtime, store it in the keyring and "
                "refer to it instead", (), at,
            ))
    return out
