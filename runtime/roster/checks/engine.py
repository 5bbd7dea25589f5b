"""Running the rules: a full check of a roster, and an incremental checker on a document.

`check_roster` runs every registered rule once. `IncrementalChecker`
subscribes to a `Document`, turns each event into dirty nodes (the node and
its neighbours) and change classes, and on `findings()` re-runs only the
node-scope rules of dirty nodes and the roster-scope rules whose triggers
fired. Acknowledgements in the roster mark matching warnings as accepted;
errors can never be acknowledged away.
"""

from __future__ import annotations

from collections.abc import Iterable

from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster.catalog import Catalog
from runtime.roster.checks import base
from runtime.roster.checks.base import RULES, Finding, Rule, Severity
from runtime.roster.checks.context import AdjacencyIndex, CheckContext
from runtime.roster.codec import RosterContent
from runtime.roster.document import Document

_PROP_TRIGGER = {
    m.Agent: base.TRIGGER_AGENT,
    m.Tool: base.TRIGGER_TOOL,
    m.Human: base.TRIGGER_HUMAN,
    m.McpServer: base.TRIGGER_SERVER,
    m.Placeholder: base.TRIGGER_NODES,
}


def load_rules() -> dict[str, Rule]:
    """All rules, importing the modules that register them."""
    import runtime.roster.checks.rules  # noqa: F401  (registers on import)

    return RULES


def acknowledge(meta: m.RosterMeta, findings: Iterable[Finding]) -> list[Finding]:
    accepted = {(a.rule, a.subject) for a in meta.acknowledged}
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


def run_rules(ctx: CheckContext, rules: Iterable[Rule] | None = None) -> list[Finding]:
    found: list[Finding] = []
    for rule in rules if rules is not None else load_rules().values():
        if rule.check is not None:
            found.extend(rule.check(ctx))
        if rule.check_node is not None:
            for node_id in ctx.nodes:
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
        self._index = AdjacencyIndex(document.edges)
        self._by_node: dict[str, dict[str, list[Finding]]] = {}
        self._by_rule: dict[str, list[Finding]] = {}
        self._dirty_nodes: set[str] = set(document.nodes)
        self._dirty_triggers: set[str] = set(base.ALL_TRIGGERS)
        self._unsubscribe = document.subscribe(self._on_event)

    def close(self) -> None:
        self._unsubscribe()

    def _touch(self, *node_ids: str) -> None:
        for node_id in node_ids:
            self._dirty_nodes.add(node_id)
            self._dirty_nodes.update(self._index.neighbours(node_id))

    def _touch_served(self, server_id: str) -> None:
        """A tool's effective facts depend on its server's trust, but no edge links them."""
        self._touch(*(node.id for node in self.document.nodes.values()
                      if isinstance(node, m.Tool) and node.server == server_id))

    def _on_event(self, event: e.Event) -> None:
        if isinstance(event, e.EdgeAdded | e.EdgeRemoved):
            edge = event.edge
            self._touch(edge.source, edge.target)
            if isinstance(event, e.EdgeAdded):
                self._index.add(edge)
            else:
                self._index.remove(edge)
            self._touch(edge.source, edge.target)
            self._dirty_triggers.add(f"edges:{edge.kind.value}")
        elif isinstance(event, e.EdgeChanged):
            self._index.replace(event.old, event.new)
            self._touch(event.new.source, event.new.target)
            self._dirty_triggers.add(f"edges:{event.new.kind.value}")
        elif isinstance(event, e.NodeAdded | e.NodeRemoved):
            self._touch(event.node.id)
            if isinstance(event.node, m.McpServer):
                self._touch_served(event.node.id)
            if isinstance(event, e.NodeRemoved):
                self._by_node.pop(event.node.id, None)
                self._dirty_nodes.discard(event.node.id)
            self._dirty_triggers.add(base.TRIGGER_NODES)
        elif isinstance(event, e.PropertyChanged):
            self._touch(event.new.id)
            self._dirty_triggers.add(_PROP_TRIGGER[type(event.new)])
            if isinstance(event.new, m.McpServer):
                self._touch_served(event.new.id)
        elif isinstance(event, e.NodeRenamed):
            self._index = AdjacencyIndex(self.document.edges)
            self._by_node.clear()
            self._dirty_nodes = set(self.document.nodes)
            self._dirty_triggers = set(base.ALL_TRIGGERS)
        elif isinstance(event, e.RosterChanged):
            self._dirty_nodes = set(self.document.nodes)
            self._dirty_triggers = set(base.ALL_TRIGGERS)

    def findings(self) -> list[Finding]:
        doc = self.document
        ctx = CheckContext(doc.meta, doc.nodes, doc.edges, self._catalog, self._index)
        node_rules = [r for r in self._rules.values() if r.check_node is not None]
        for node_id in self._dirty_nodes:
            if node_id not in doc.nodes:
                self._by_node.pop(node_id, None)
                continue
            per_rule: dict[str, list[Finding]] = {}
            for rule in node_rules:
                assert rule.check_node is not None
                result = list(rule.check_node(ctx, node_id))
                if result:
                    per_rule[rule.code] = result
            self._by_node[node_id] = per_rule
        for rule in self._rules.values():
            if rule.check is not None and (
                rule.code not in self._by_rule or rule.triggers & self._dirty_triggers
            ):
                self._by_rule[rule.code] = list(rule.check(ctx))
        self._dirty_nodes.clear()
        self._dirty_triggers.clear()
        found = [f for per in self._by_node.values() for fs in per.values() for f in fs]
        found.extend(f for fs in self._by_rule.values() for f in fs)
        return sorted(acknowledge(doc.meta, found), key=_sort_key)
