"""Filesystem scopes and shared memory: R13 and R14.

R13 makes every file tool (fs_read, fs_write, sqlite, or any tool with `fs_roots`)
name the directories it may touch, keeps those roots (and sandbox roots) away from
the home directory, the user's keys and keyrings, the app's own configuration and
`/`, and stops a tainted agent from writing where another agent reads, which would
turn files into a channel for injected instructions. R14 does the same for shared
memory stores. Both are roster scope because taint follows delegation; paths are
compared textually after normalising `$HOME`, `~`, XDG variables and absolute home
directories, since the roster is checked on a machine that may not be the one it
runs on.
"""

from __future__ import annotations

import bisect
import functools
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from runtime.roster import effective as fx
from runtime.roster import model as m
from runtime.roster.checks import base
from runtime.roster.checks.base import Finding, Severity, roster_rule
from runtime.roster.checks.context import CheckContext, derived
from runtime.roster.checks.memo import Built, by_owner, owners_memo
from runtime.roster.checks.rules.dataflow import all_facts, holders, tainted
from runtime.roster.checks.rules.gates import ToolFacts, live_grants, some
from runtime.roster.kinds import tool_kind

# Directories no tool may be scoped to, contain, or reach into, with what they hold.
PROTECTED: Final = (
    ("~/.ssh", "SSH keys"),
    ("~/.local/share/keyrings", "the desktop keyring"),
    ("~/.config/agent-roster", "this app's configuration"),
)
_VARIABLES: Final = (
    (re.compile(r"^\$\{?XDG_CONFIG_HOME\}?(?=/|$)"), "~/.config"),
    (re.compile(r"^\$\{?XDG_DATA_HOME\}?(?=/|$)"), "~/.local/share"),
    (re.compile(r"^\$\{?HOME\}?(?=/|$)"), "~"),
    (re.compile(r"^(?:/home/[^/]+|/Users/[^/]+|/root)(?=/|$)"), "~"),
)
_HOME_PARENTS: Final = frozenset({"/", "/home", "/Users"})
WRITE_MODES: Final = ("write", "execute")


@functools.lru_cache(maxsize=1 << 16)
def normalise(root: str) -> str:
    """A comparable form: variables and absolute home directories become "~" (a pure
    function of the text, memoised: every re-check normalises every root again)."""
    path = root.strip()
    for pattern, replacement in _VARIABLES:
        path = pattern.sub(replacement, path, count=1)
    path = posixpath.normpath(path) if path else path
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


def _under(path: str, parent: str) -> bool:
    return path == parent or parent == "/" or path.startswith(parent + "/")


def overlaps(a: str, b: str) -> bool:
    return _under(a, b) or _under(b, a)


def _overlapping(path: str, roots: Mapping[str, object], ordered: list[str]) -> Iterator[str]:
    """The roots (keys of `roots`, `ordered` sorted) equal to, above or below `path`: its
    ancestors by lookup, its descendants by one bisected range, not a scan of all roots."""
    if path == "/" or "/" in roots:
        yield from (r for r in ordered if overlaps(path, r))
        return
    parts = path.split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        if prefix in roots:
            yield prefix
    below = path + "/"
    for root in ordered[bisect.bisect_left(ordered, below):]:
        if not root.startswith(below):
            break
        yield root


def forbidden(root: str) -> str | None:
    """Why `root` must not be an fs root, or None if it may be."""
    path = normalise(root)
    if path == "/":
        return "the whole filesystem"
    if path in _HOME_PARENTS:
        return "every home directory"
    if path == "~":
        return "the home directory"
    for protected, holds in PROTECTED:
        if _under(path, protected):
            return f"{protected} ({holds})"
        if _under(protected, path):
            return f"{path}, which contains {protected} ({holds})"
    return None


def is_file_tool(tool: m.Tool) -> bool:
    kind = tool_kind(tool.kind)
    return bool(tool.fs_roots) or (kind is not None and kind.filesystem)


def _root_lists(tool: m.Tool) -> Iterator[tuple[tuple[str, ...], tuple[str | int, ...]]]:
    yield tool.fs_roots, ("tools", tool.id, "fs_roots")
    if tool.sandbox is not None:
        yield tool.sandbox.fs_roots, ("tools", tool.id, "sandbox", "fs_roots")


# ---------------------------------------------------------------- R13


@roster_rule(
    "R13", "Filesystem scopes", Severity.ERROR,
    """What: every file tool (kinds fs_read, fs_write, sqlite, or any tool that lists
`fs_roots`) declares the directories it may touch in `fs_roots`. No root (nor a sandbox's
`fs_roots`) may be `/`, the home directory (`~`, `$HOME`, /home/NAME), `~/.ssh`,
`~/.local/share/keyrings` or this app's configuration directory `~/.config/agent-roster`,
nor a directory that contains one of them. Directories that a tainted agent (one holding an
untrusted_input tool, or receiving a tainted delegate's results) can write must not
overlap the directories other agents read. The roster file's own location is not known
when the roster is checked (the same file runs from anywhere), so this rule cannot check
that no root contains it: keep rosters outside tool roots.

Why: a file tool without a scope reaches keys, keyrings and the app's own settings; a
directory written by an agent that reads untrusted text and read by another agent is a
persistent injection channel (OWASP Agentic T1 Memory Poisoning, ASI06 Memory & Context
Poisoning, LLM06 excessive permissions).

Fix: scope each tool to the one directory its task needs, and give tainted writers a
directory nobody else reads:

    tools:
      notes:
        kind: fs_write
        fs_roots: [/srv/agent-work/notes]
""",
    (base.TRIGGER_TOOL, base.TRIGGER_TOOL_ACCESS, base.TRIGGER_DELEGATION, base.TRIGGER_NODES,
     base.TRIGGER_AGENT, base.TRIGGER_SERVER),
    ("OWASP Agentic T1", "ASI06", "LLM06"),
)
def check_fs_scopes(ctx: CheckContext) -> Iterable[Finding]:
    rule = base.RULES["R13"]
    # a tool's own roots: rebuilt when the tool (or its server) changes
    out = list(by_owner(ctx, _R13_TOOLS, lambda: [t.id for t in ctx.tools()],
                        lambda tool_id: _tool_roots(ctx, tool_id), fine=True))
    for server in ctx.servers():
        if server.sandbox is not None:
            for i, root in enumerate(server.sandbox.fs_roots):
                why = forbidden(root)
                if why is not None:
                    out.append(rule.finding(
                        f"MCP server '{server.id}' sandbox may reach {why} through root '{root}'",
                        f"replace '{root}' with the one directory the server needs",
                        (server.id,), ("mcp_servers", server.id, "sandbox", "fs_roots", i),
                    ))
    dirty = tainted(ctx)
    readers = _readers(ctx) if dirty else None
    out.extend(by_owner(ctx, _R13_WRITES, lambda: list(readers.files) if readers else [],
                        lambda tool_id: _tainted_writes(ctx, tool_id, dirty, readers),
                        (dirty, readers), _writes_moved, fine=True))
    return out


def _tool_roots(ctx: CheckContext, tool_id: str) -> Built:
    tool = ctx.tool(tool_id)
    if tool is None:
        return None
    rule = base.RULES["R13"]
    out = []
    if is_file_tool(tool) and not tool.fs_roots:
        out.append(rule.finding(
            f"file tool '{tool.id}' ({tool.kind}) declares no fs_roots, so it may touch "
            "any file the app can",
            f"add fs_roots to tool '{tool.id}' naming only the directories its task needs",
            (tool.id,), ("tools", tool.id),
        ))
    for roots, at in _root_lists(tool):
        for i, root in enumerate(roots):
            why = forbidden(root)
            if why is not None:
                out.append(rule.finding(
                    f"tool '{tool.id}' may reach {why} through root '{root}'",
                    f"replace '{root}' with the one directory the tool needs, outside "
                    "the home directory's key, keyring and config folders",
                    (tool.id,), (*at, i),
                ))
    return (), out


_R13_TOOLS: Final = owners_memo("R13.tools")
_R13_WRITES: Final = owners_memo("R13.writes")
_READERS: Final = derived("R13.readers", (base.TRIGGER_META, base.TRIGGER_NODES))


@dataclass(frozen=True, slots=True)
class Readers:
    """The file tools (in roster order), and which agents read under each normalised root."""

    files: dict[str, ToolFacts]
    by_root: dict[str, set[str]]
    ordered: list[str]  # the roots, sorted


def _readers(ctx: CheckContext) -> Readers:
    """File tools and their readers: kept across incremental runs until a file tool (one
    that is, or was, a file tool) or its grants change (a node edit or a settings edit
    drops it too)."""
    cached: Readers | None = ctx.cache.get(_READERS)
    changed = ctx.changed
    if cached is not None and changed is not None and not any(
            node_id in cached.files or (
                (tool := ctx.tool(node_id)) is not None and is_file_tool(tool))
            for node_id in changed):
        return cached
    files = {f.tool.id: f for f in all_facts(ctx) if is_file_tool(f.tool)}
    by_root: dict[str, set[str]] = {}  # normalised root -> agents that read under it
    for facts in files.values():
        if "read" in facts.modes:
            agents = {edge.source for edge in holders(ctx, facts.tool.id)}
            for root in facts.tool.fs_roots:
                by_root.setdefault(normalise(root), set()).update(agents)
    found = ctx.cache[_READERS] = Readers(files, by_root, sorted(by_root))
    return found


def _writes_moved(old: tuple[frozenset[str], Readers | None],
                  new: tuple[frozenset[str], Readers | None]) -> Iterable[str]:
    """What moved between two runs: agents whose taint changed, and every file tool when
    the readers changed (each finding names the readers of its roots)."""
    moved: set[str] = set(old[0] ^ new[0])
    for readers in (old[1], new[1]):
        if readers is not None and old[1] is not new[1]:
            moved.update(readers.files)
    return moved


def _tainted_writes(ctx: CheckContext, tool_id: str, dirty: frozenset[str],
                    readers: Readers | None) -> Built:
    """Write roots of tainted agents through one file tool against read roots of every
    other agent; the findings read the holders' taint and the readers (see above)."""
    facts = readers.files.get(tool_id) if readers is not None else None
    if readers is None or facts is None:
        return None
    rule = base.RULES["R13"]
    tool = facts.tool
    grants = holders(ctx, tool_id)
    out = []
    for edge in grants:
        mode = fx.grant_mode(edge)
        if edge.source not in dirty or mode not in WRITE_MODES or mode not in facts.modes:
            continue  # a mode the tool lacks is R11's
        reached: set[str] = set()
        written = ""
        for root in tool.fs_roots:
            for read_root in _overlapping(normalise(root), readers.by_root, readers.ordered):
                if readers.by_root[read_root] - {edge.source}:
                    reached |= readers.by_root[read_root]
                    written = written or root
        reached.discard(edge.source)
        if reached:
            names = sorted(reached)
            out.append(rule.finding(
                f"tainted agent '{edge.source}' writes '{written}' through '{tool.id}', where "
                f"{some(names)} read files: injected text written there reaches them",
                f"give '{edge.source}' a write directory no other agent reads, or make the "
                f"grant of '{tool.id}' read-only",
                (edge.source, tool.id, *names), ctx.edge_path(edge),
            ))
    return [edge.source for edge in grants], out


# ---------------------------------------------------------------- R14


def is_memory(facts: ToolFacts) -> bool:
    """A shared memory store: a `memory` tool, or any tool that writes shared memory."""
    return facts.tool.kind == "memory" or "shared_memory_write" in facts.caps


@roster_rule(
    "R14", "Shared memory poisoning", Severity.WARNING,
    """What: a tainted agent (one holding an untrusted_input tool, or receiving a tainted
delegate's results) that can write to a shared memory store (a `memory` tool, or any tool
with the shared_memory_write capability) which an untainted agent holding high-impact
tools reads. A warning when the store declares a `data` classification (someone reviewed
what it holds), an error when it does not.

Why: text written by an agent that read untrusted content is read back later, by an agent
that can act, as if it were trusted notes: memory poisoning (OWASP Agentic T1, ASI06).

Fix: give the tainted agent read-only access, split the store, or classify it and accept
the warning with a reason:

    tools:
      team-notes: {kind: memory, data: internal}
    agents:
      researcher:
        uses:
          team-notes: {mode: read}
""",
    (base.TRIGGER_TOOL, base.TRIGGER_TOOL_ACCESS, base.TRIGGER_DELEGATION, base.TRIGGER_NODES,
     base.TRIGGER_AGENT, base.TRIGGER_SERVER),
    ("OWASP Agentic T1", "ASI06"),
)
def check_memory_poisoning(ctx: CheckContext) -> Iterable[Finding]:
    stores = [f.tool for f in all_facts(ctx) if is_memory(f)]
    dirty = tainted(ctx) if stores else frozenset()
    rule = base.RULES["R14"]
    out = []
    for store in stores:
        grants = list(holders(ctx, store.id))
        writers = [e for e in grants
                   if e.source in dirty and fx.grant_mode(e) in WRITE_MODES]
        if not writers:
            continue
        targets = sorted({e.source for e in grants if e.source not in dirty
                          and any(f.high_impact for _, f in live_grants(ctx, e.source))})
        if not targets:
            continue
        unclassified = store.data is None
        for edge in writers:
            out.append(rule.finding(
                f"tainted agent '{edge.source}' writes shared memory '{store.id}', which "
                f"{some(targets)} read and act on with high-impact tools"
                + (f" ('{store.id}' declares no data classification)" if unclassified else ""),
                f"make the grant of '{store.id}' to '{edge.source}' read-only, give it a "
                "separate store, or declare the store's data classification and acknowledge",
                (edge.source, store.id, *targets), ctx.edge_path(edge),
                Severity.ERROR if unclassified else None,
            ))
    return out
