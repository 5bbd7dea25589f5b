"""Per-owner finding memos: roster-scope rules that re-emit only what an edit affected.

A roster-scope rule whose findings split by an owner (an agent, a tool) can keep each
owner's findings across incremental runs with `memoised`: the previous findings come back
when the owner and every node they depend on were left untouched by the edits since the
previous run (`CheckContext.touched`) and the derived facts they were built from (the
`signature`: a taint chain, a flow level, a path) compare equal. Otherwise they are built
again. In a one-off check nothing is kept and every owner is built, so a full check and
an incremental run give the same findings by construction, as long as the signature and
the dependencies name everything the builder reads beyond the owner's neighbourhood.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from runtime.roster.checks import base
from runtime.roster.checks.base import Finding
from runtime.roster.checks.context import CheckContext, keyed


def finding_memo(rule_code: str) -> str:
    """The keyed cache holding `rule_code`'s findings per owner (reset by a settings edit)."""
    return keyed(f"findings.{rule_code}", (base.TRIGGER_META,))


def memoised(
    ctx: CheckContext,
    key: str,
    owner: str,
    signature: Hashable,
    depends: Iterable[str],
    build: Callable[..., list[Finding]],
    *args: Any,
) -> list[Finding]:
    """`build(*args)`, or the findings it gave for `owner` in the previous run when
    neither `owner` nor a node in `depends` was touched since and `signature` is equal."""
    if ctx.touched is None:
        return build(*args)
    memo: dict[str, tuple[Hashable, list[Finding]]] | None = ctx.cache.get(key)
    if memo is None:
        memo = ctx.cache[key] = {}
    hit = memo.get(owner)
    if hit is not None and hit[0] == signature and ctx.untouched(depends):
        return hit[1]
    found = build(*args)
    memo[owner] = (signature, found)
    return found
