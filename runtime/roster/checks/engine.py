"""Running the rules: a full check of a roster, and an incremental checker on a document.

`check_roster` runs every registered rule once: roster-scope rules on the whole roster,
node-scope rules on each node of the types they apply to. `IncrementalChecker`
subscribes to a `Document` and turns each event into what it invalidated, along the
dependency model each rule declares (base.py): nodes whose own value changed, nodes
whose outgoing edges changed, nodes whose neighbourhood changed, the roster settings,
and change classes (triggers) for roster-scope rules. On `findings()` it re-runs a node
rule only where something it reads changed, and a roster rule only when one of its
triggers fired. A property edit of prose that no roster rule reads (an agent's
instructions, a tool's description, ...) fires no trigger at all; node rules still see
it. Acknowledgements in the roster mark matching warnings as accepted; errors can never
be acknowledged away.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, Final

from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster.catalog import Catalog
from runtime.roster.checks import base
from runtime.roster.checks.base import RULES, Finding, Rule, Severity
from runtime.roster.checks.context import (
    ALL_TRIGGERS,
    TRIGGER_AGENT_PARALLEL,
    AdjacencyIndex,
    CheckContext,
    surviving,
)
from runtime.roster.codec import RosterContent
from runtime.roster.document import Document

_PROP_TRIGGER = {
    m.Agent: base.TRIGGER_AGENT,
    m.Tool: base.TRIGGER_TOOL,
    m.Human: base.TRIGGER_HUMAN,
    m.McpServer: base.TRIGGER_SERVER,
    m.Placeholder: base.TRIGGER_NODES,
}

# Fields no roster-scope rule reads (free text shown to people or the model, and
# extensions): a change to only these re-runs the node's own rules and nothing roster
# wide. tests/runtime/rules/test_incremental.py proves each roster rule ignores them.
PROSE_FIELDS: Final[dict[type, frozenset[str]]] = {
    m.Agent: frozenset({"name", "role", "instructions", "tasks", "extensions"}),
    m.Tool: frozenset({"name", "description", "extensions"}),
    m.Human: frozenset({"name", "extensions"}),
    m.McpServer: frozenset({"name", "extensions"}),
}
_FIELDS: dict[type, tuple[str, ...]] = {}


def changed_fields(old: object, new: object) -> set[str]:
    """Names of the dataclass fields whose values differ between two values of a type."""
    names = _FIELDS.get(type(new))
    if names is None:
        names = _FIELDS[type(new)] = tuple(f.name for f in dataclasses.fields(new))  # type: ignore[arg-type]
    return {n for n in names if getattr(old, n) != getattr(new, n)}


def property_trigger(event: e.PropertyChanged) -> str | None:
    """The roster-scope trigger a node property change fires, or None for prose only."""
    prose = PROSE_FIELDS.get(type(event.new))
    if (prose is not None and type(event.old) is type(event.new)
            and changed_fields(event.old, event.new) <= prose):
        return None
    return _PROP_TRIGGER[type(event.new)]


def load_rules() -> dict[str, Rule]:
    """All rules, importing the modules that register them."""
    import runtime.roster.checks.rules  # noqa: F401  (registers on import)

    return RULES


def acknowledge(meta: m.RosterMeta, findings: Iterable[Finding]) -> list[Finding]:
    accepted = {(a.rule, a.subject) for a in meta.acknowledged}
    if not accepted:
        return list(findings)
    out = []
    for finding in findings:
        if finding.severity is Severity.WARNING and (finding.rule, finding.subject) in accepted:
            finding = Finding(finding.rule, finding.severity, finding.message, finding.fix,
                              finding.subjects, finding.path, acknowledged=True)
        out.append(finding)
    return out


def _sort_key(finding: Finding) -> tuple[int, str, str, str]:
    return (0 if finding.severity is Severity.ERROR else 1, finding.rule, finding.subject,
            finding.message)


def _chunk_key(finding: Finding) -> tuple[str, str]:
    """`_sort_key` within one rule and severity (a chunk of the incremental output)."""
    subjects = finding.subjects
    return (subjects[0] if subjects else "", finding.message)


class _Chunks:
    """The incremental checker's output kept sorted per rule, so an edit re-sorts only the
    rules whose findings changed.

    The full check sorts every finding by (severity, rule, subject, message), stably.
    Here each rule's findings (its roster pass first, then its node findings) are sorted
    by (subject, message) and split by severity; errors of every rule in code order, then
    warnings in code order, is the same list. A finding whose `rule` is not the code of
    the rule that reported it would break that split: then the whole list is sorted.
    """

    def __init__(self) -> None:
        self.sorted: dict[str, tuple[list[Finding], list[Finding]]] = {}
        self.foreign = False  # some rule reported a finding under another code

    def rebuild(self, code: str, found: list[Finding]) -> None:
        found.sort(key=_chunk_key)
        errors = [f for f in found if f.severity is Severity.ERROR]
        warnings = [f for f in found if f.severity is not Severity.ERROR] if len(
            errors) < len(found) else []
        if any(f.rule != code for f in found):
            self.foreign = True
        if found:
            self.sorted[code] = (errors, warnings)
        else:
            self.sorted.pop(code, None)

    def output(self) -> list[Finding]:
        codes = sorted(self.sorted)
        out = [f for code in codes for f in self.sorted[code][0]]
        out.extend(f for code in codes for f in self.sorted[code][1])
        return sorted(out, key=_sort_key) if self.foreign else out


class _RulesByType:
    """The node rules that apply to each node type, in registry order."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = [r for r in rules if r.check_node is not None]
        self._by_type: dict[type, list[Rule]] = {}

    def of(self, node: m.Node) -> list[Rule]:
        found = self._by_type.get(type(node))
        if found is None:
            found = self._by_type[type(node)] = [r for r in self.rules if r.applies(node)]
        return found


def run_rules(ctx: CheckContext, rules: Iterable[Rule] | None = None) -> list[Finding]:
    found: list[Finding] = []
    chosen = list(rules if rules is not None else load_rules().values())
    for rule in chosen:
        if rule.check is not None:
            found.extend(rule.check(ctx))
    by_type = _RulesByType(chosen)
    for node_id, node in ctx.nodes.items():
        for rule in by_type.of(node):
            assert rule.check_node is not None
            found.extend(rule.check_node(ctx, node_id))
    return sorted(acknowledge(ctx.meta, found), key=_sort_key)


def check_roster(content: RosterContent, catalog: Catalog | None = None) -> list[Finding]:
    """Every finding for `content`, errors first, then by rule and subject."""
    ctx = CheckContext(content.meta, content.nodes, content.edges, catalog)
    return run_rules(ctx)


class IncrementalChecker:
    """Keeps findings for a live document current at the cost of what each edit touched."""

    def __init__(self, document: Document, catalog: Catalog | None = None) -> None:
        self.document = document
        self._catalog = catalog
        self._rules = load_rules()
        self._node_rules = _RulesByType(self._rules.values())
        self._index = AdjacencyIndex(document.edges)
        self._by_node: dict[str, dict[str, list[Finding]]] = {}  # node -> rule -> found
        self._of_rule: dict[str, dict[str, list[Finding]]] = {}  # rule -> node -> found
        self._by_rule: dict[str, list[Finding]] = {}  # roster passes
        self._changed: set[str] = set()  # rules whose findings changed since the output
        self._chunks = _Chunks()
        self._dirty_self: set[str] = set(document.nodes)  # the node's own value changed
        self._dirty_edges: set[str] = set()  # its outgoing edges changed
        self._dirty_near: set[str] = set()  # something in its neighbourhood changed
        self._dirty_meta = False  # the roster settings changed
        # nodes that changed themselves, ends of changed edges, tools of a changed server:
        # `touched` without the neighbours (CheckContext.changed)
        self._changed_ends: set[str] = set(document.nodes)
        self._dirty_triggers: set[str] = set(ALL_TRIGGERS)
        self._cache: dict[str, Any] = {}  # derived structures of the last run
        self._unsubscribe = document.subscribe(self._on_event)

    def close(self) -> None:
        self._unsubscribe()

    def _touch(self, *node_ids: str) -> None:
        for node_id in node_ids:
            self._dirty_near.add(node_id)
            self._dirty_near.update(self._index.neighbours(node_id))

    def _touch_served(self, server_id: str) -> None:
        """A tool's effective facts depend on its server's trust, but no edge links them."""
        served = [node.id for node in self.document.nodes.values()
                  if isinstance(node, m.Tool) and node.server == server_id]
        self._changed_ends.update(served)
        self._touch(*served)

    def _edge_changed(self, old: m.Edge | None, new: m.Edge | None) -> None:
        edge = new if new is not None else old
        assert edge is not None
        self._changed_ends.add(edge.source)
        self._changed_ends.add(edge.target)
        self._touch(edge.source, edge.target)
        if old is not None and new is not None:
            self._index.replace(old, new)
        elif new is not None:
            self._index.add(new)
            edges = self.document.edges
            if not isinstance(edges, dict) or next(reversed(edges), None) != new.id:
                self._index.restore_order(new, edges)  # put back mid-list (an undo)
        elif old is not None:
            self._index.remove(old)
        self._touch(edge.source, edge.target)
        self._dirty_edges.add(edge.source)
        self._dirty_triggers.add(f"edges:{edge.kind.value}")

    def _everything(self) -> None:
        self._index = AdjacencyIndex(self.document.edges)
        self._drop_nodes(list(self._by_node))
        self._dirty_self = set(self.document.nodes)
        self._changed_ends.update(self.document.nodes)
        self._dirty_triggers = set(ALL_TRIGGERS)

    def _on_event(self, event: e.Event) -> None:
        if isinstance(event, e.EdgeAdded):
            self._edge_changed(None, event.edge)
        elif isinstance(event, e.EdgeRemoved):
            self._edge_changed(event.edge, None)
        elif isinstance(event, e.EdgeChanged):
            self._edge_changed(event.old, event.new)
        elif isinstance(event, e.NodeAdded | e.NodeRemoved):
            self._touch(event.node.id)
            if isinstance(event.node, m.McpServer):
                self._touch_served(event.node.id)
            self._drop_nodes([event.node.id])
            self._dirty_self.add(event.node.id)
            self._changed_ends.add(event.node.id)
            self._dirty_triggers.add(base.TRIGGER_NODES)
        elif isinstance(event, e.PropertyChanged):
            self._touch(event.new.id)
            self._dirty_self.add(event.new.id)
            self._changed_ends.add(event.new.id)
            trigger = property_trigger(event)
            if trigger is not None:
                self._dirty_triggers.add(trigger)
                if trigger == base.TRIGGER_AGENT and (
                        type(event.old) is not type(event.new)
                        or "max_parallel_delegations" in changed_fields(event.old, event.new)):
                    self._dirty_triggers.add(TRIGGER_AGENT_PARALLEL)
            if isinstance(event.new, m.McpServer):
                self._touch_served(event.new.id)
        elif isinstance(event, e.NodeRenamed):
            self._everything()
        elif isinstance(event, e.RosterChanged):
            self._dirty_meta = True
            self._dirty_triggers = set(ALL_TRIGGERS)

    def _stale(self, node_id: str, rule: Rule) -> bool:
        """Whether something `rule` reads about `node_id` changed since it last ran."""
        reads = rule.reads
        if base.READS_NEIGHBOURHOOD in reads and (
                node_id in self._dirty_near or node_id in self._dirty_edges):
            return True
        if base.READS_OWN_EDGES in reads and node_id in self._dirty_edges:
            return True
        return self._dirty_meta and base.READS_META in reads

    def _drop_nodes(self, node_ids: Iterable[str]) -> None:
        """Forget the node findings of `node_ids` (removed, renamed, or to be redone)."""
        for node_id in node_ids:
            per_rule = self._by_node.pop(node_id, None)
            if per_rule:
                for code in per_rule:
                    self._of_rule[code].pop(node_id, None)
                    self._changed.add(code)

    def _store(self, node_id: str, code: str, found: list[Finding]) -> None:
        """Record `found` as `code`'s findings on `node_id`, noting a change of output."""
        per_rule = self._by_node.setdefault(node_id, {})
        before = per_rule.get(code)
        if found:
            per_rule[code] = found
            self._of_rule.setdefault(code, {})[node_id] = found
        elif before is not None:
            del per_rule[code]
            del self._of_rule[code][node_id]
        if (before or []) != found:
            self._changed.add(code)

    def _recheck_nodes(self, ctx: CheckContext) -> None:
        nodes = self.document.nodes
        dirty = self._dirty_self | self._dirty_edges | self._dirty_near
        for node_id in nodes if self._dirty_meta else dirty:
            node = nodes.get(node_id)
            if node is None:
                self._drop_nodes([node_id])
                continue
            whole = node_id in self._dirty_self
            rules = self._node_rules.of(node)
            if whole:  # rules of another node type may have reported on it before
                per_rule = self._by_node.get(node_id, {})
                stale = [c for c in per_rule if c not in {r.code for r in rules}]
                for code in stale:
                    self._store(node_id, code, [])
            for rule in rules:
                if not whole and not self._stale(node_id, rule):
                    continue
                assert rule.check_node is not None
                self._store(node_id, rule.code, list(rule.check_node(ctx, node_id)))
        self._drop_nodes([n for n in dirty if n not in nodes])

    def findings(self) -> list[Finding]:
        doc = self.document
        touched = frozenset(self._dirty_self | self._dirty_edges | self._dirty_near)
        ctx = CheckContext(doc.meta, doc.nodes, doc.edges, self._catalog, self._index,
                           surviving(self._cache, self._dirty_triggers, touched), touched,
                           frozenset(self._changed_ends))
        self._recheck_nodes(ctx)
        for rule in self._rules.values():
            if rule.check is not None and (
                rule.code not in self._by_rule or rule.triggers & self._dirty_triggers
            ):
                found = list(rule.check(ctx))
                if self._by_rule.get(rule.code) != found:
                    self._changed.add(rule.code)
                self._by_rule[rule.code] = found
        if self._dirty_meta:  # acknowledgements may have changed
            self._changed.update(self._by_rule, self._of_rule)
        self._dirty_self.clear()
        self._dirty_edges.clear()
        self._dirty_near.clear()
        self._changed_ends.clear()
        self._dirty_meta = False
        self._dirty_triggers.clear()
        self._cache = ctx.cache
        for code in self._changed:
            found = list(self._by_rule.get(code, ()))
            for per_node in self._of_rule.get(code, {}).values():
                found.extend(per_node)
            self._chunks.rebuild(code, acknowledge(doc.meta, found))
        self._changed.clear()
        return self._chunks.output()
