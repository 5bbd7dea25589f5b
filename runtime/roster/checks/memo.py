"""Per-owner findings: roster-scope rules that rebuild only what an edit affected.

A roster-scope rule whose findings split by an owner (an agent, a tool, a grant) keeps
each owner's findings across incremental runs with `by_owner`, together with the nodes
they were built from. After edits, only the owners that changed, or that read a node that
changed or whose closure entry moved (the taint chains, the flow levels: `diff` of the
previous and the current closure), are built again; a reverse index (node -> owners
reading it) finds them without visiting the others. In a one-off check nothing is kept
and every owner is built, so a full check and an incremental run give the same findings
by construction, as long as each builder names every node it reads.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from runtime.roster.checks import base
from runtime.roster.checks.base import Finding
from runtime.roster.checks.context import CheckContext, derived

Built = tuple[Iterable[str], list[Finding]] | None


class Owners:
    """A roster-scope rule's findings per owner, with the nodes each owner's findings
    read, kept across incremental runs (see `by_owner`)."""

    def __init__(self) -> None:
        self.found: dict[str, list[Finding]] = {}
        self.deps: dict[str, frozenset[str]] = {}
        self.readers: dict[str, set[str]] = {}  # node -> owners whose findings read it
        self.state: object = None  # the closure the findings were last built from
        self._flat: list[Finding] | None = None

    def stale(self, dirty: Iterable[str]) -> set[str]:
        """Owners whose findings read one of the `dirty` nodes (owners read themselves)."""
        out: set[str] = set()
        readers = self.readers
        for node_id in dirty:
            hit = readers.get(node_id)
            if hit:
                out |= hit
        return out

    def put(self, owner: str, deps: Iterable[str], found: list[Finding]) -> None:
        self.drop(owner)
        reads = frozenset((owner, *deps))
        self.deps[owner] = reads
        for node_id in reads:
            self.readers.setdefault(node_id, set()).add(owner)
        if found:
            self.found[owner] = found
            self._flat = None

    def drop(self, owner: str) -> None:
        reads = self.deps.pop(owner, None)
        if reads is not None:
            for node_id in reads:
                bucket = self.readers.get(node_id)
                if bucket is not None:
                    bucket.discard(owner)
                    if not bucket:
                        del self.readers[node_id]
        if self.found.pop(owner, None) is not None:
            self._flat = None

    def findings(self) -> list[Finding]:
        if self._flat is None:
            self._flat = [f for found in self.found.values() for f in found]
        return self._flat


def owners_memo(rule_code: str, resets: Iterable[str] = ()) -> str:
    """The cache key of `rule_code`'s `Owners` (dropped on a settings or node-set edit,
    and when one of `resets` fires)."""
    return derived(f"owners.{rule_code}", (base.TRIGGER_META, base.TRIGGER_NODES, *resets))


def by_owner(
    ctx: CheckContext,
    key: str,
    owners: Callable[[], Iterable[str]],
    build: Callable[[str], Built],
    state: object = None,
    diff: Callable[[Any, Any], Iterable[str]] | None = None,
    *,
    fine: bool = False,
    expand: Callable[[str], Iterable[str]] | None = None,
) -> list[Finding]:
    """A roster-scope rule's findings, rebuilt only for the owners an edit may affect.

    `owners()` names every owner (used in a one-off check and on the first incremental
    run); `build(owner)` gives the nodes the owner's findings read besides the owner
    itself and its neighbourhood, with the findings, or None when it is no owner (any
    more). On later incremental runs only the owners that were touched since the
    previous run (`CheckContext.touched`, which holds the neighbours of every edited
    node) or read a touched node are built again; so are those reading a node that
    `diff(previous state, state)` names, for rules whose findings also read a closure
    (`state`: the taint chains, the flow levels) that an edit elsewhere may move.
    With `fine`, only nodes that changed themselves (`CheckContext.changed`: no
    neighbours) count as touched, and `build` must name every node it reads but the
    owner, its own incident edges and their ends' existence. Owners that are not nodes
    (grants, by edge id) need `expand`: the owners a changed node may have made new.
    """
    touched = ctx.changed if fine else ctx.touched
    if touched is None:
        out: list[Finding] = []
        for owner in owners():
            built = build(owner)
            if built is not None:
                out.extend(built[1])
        return out
    memo: Owners | None = ctx.cache.get(key)
    if memo is None:
        memo = ctx.cache[key] = Owners()
        chosen: Iterable[str] = owners()
    else:
        dirty: Iterable[str] = touched
        if memo.state is not state and diff is not None:
            dirty = {*touched, *diff(memo.state, state)}
        chosen = memo.stale(dirty)
        if expand is None:
            chosen.update(dirty)
        else:
            for node_id in dirty:
                chosen.update(expand(node_id))
    memo.state = state
    for owner in chosen:
        built = build(owner)
        if built is None:
            memo.drop(owner)
        else:
            memo.put(owner, *built)
    return memo.findings()


def changed_keys(old: Mapping[str, Hashable], new: Mapping[str, Hashable]) -> set[str]:
    """Keys whose values differ between two mappings (present in only one included)."""
    if old is new:
        return set()
    return {k for k, _ in old.items() ^ new.items()}
