"""What a rule reads: the roster, an adjacency index kept up to date, the catalog.

`CheckContext` wraps the current nodes, edges and settings with an
`AdjacencyIndex` (out- and in-edges per node and edge kind) that the
incremental checker updates edit by edit instead of rebuilding, and lazily
builds the networkx `MultiDiGraph` (graph.py) for the few rules that want
graph algorithms. `cache` is a memo for helpers the rules share; a key
registered with `derived(key, triggers)` may outlive one check run: the
incremental checker keeps it until one of its triggers fires. A key registered
with `keyed(key, resets)` holds a dict of per-node entries that the incremental
checker keeps across runs, dropping only the entries of nodes an edit touched
(`CheckContext.touched`), and the whole dict when one of `resets` fires. Effective
values (an agent's model after defaults, a tool's modes after its kind) live
in effective.py so rules, the engine and the forecaster agree on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from runtime.roster import model as m
from runtime.roster.catalog import Catalog, load_catalog
from runtime.roster.checks import base

if TYPE_CHECKING:
    import networkx as nx


# Finer change classes than base.TRIGGER_*, fired by the incremental checker alongside
# them: an agent's max_parallel_delegations changed (besides TRIGGER_AGENT). The
# delegation analysis reads nothing else of an agent, so other agent edits keep it.
TRIGGER_AGENT_PARALLEL: Final = "props:agent:parallel"
ALL_TRIGGERS: Final = frozenset({*base.ALL_TRIGGERS, TRIGGER_AGENT_PARALLEL})

# cache keys that may outlive one check run -> the triggers (base.TRIGGER_*) that end them
DERIVED: dict[str, frozenset[str]] = {}


def derived(key: str, triggers: Iterable[str]) -> str:
    """Register `key` of `CheckContext.cache` as a structure derived only from what
    `triggers` cover, so an incremental checker may reuse it until one fires. Its value
    must not be changed after it is built, nor share lists with the adjacency index."""
    DERIVED[key] = frozenset(triggers)
    return key


# cache keys holding dicts of per-node entries (a subset of DERIVED's keys)
KEYED: set[str] = set()


def keyed(key: str, resets: Iterable[str] = ()) -> str:
    """Register `key` of `CheckContext.cache` as a dict whose entries are keyed by node id
    and derived only from what an edit touching that node marks as touched: the node,
    its incident edges and its neighbours (see `IncrementalChecker._touch`). An
    incremental checker keeps the dict across runs, dropping the entries of touched
    nodes, and drops all of it when one of `resets` fires. Entries must not be changed
    after they are built; the dict itself is filled in place."""
    KEYED.add(key)
    return derived(key, resets)


def surviving(cache: Mapping[str, Any], fired: Iterable[str],
              touched: Iterable[str] = ()) -> dict[str, Any]:
    """The entries of a previous run's `cache` that no fired trigger invalidated, with the
    entries of `touched` nodes removed from the keyed ones (in place)."""
    gone = frozenset(fired)
    kept = {key: value for key, value in cache.items()
            if (triggers := DERIVED.get(key)) is not None and not triggers & gone}
    drop = touched if isinstance(touched, set | frozenset) else set(touched)
    for key in KEYED & kept.keys():
        table = kept[key]
        if len(drop) * 4 > len(table):
            for node_id in [k for k in table if k in drop]:
                del table[node_id]
        else:
            for node_id in drop:
                table.pop(node_id, None)
    return kept


class AdjacencyIndex:
    """Edges per node, split by direction and kind, in document order."""

    def __init__(self, edges: Mapping[str, m.Edge]) -> None:
        self.out: dict[str, dict[m.EdgeKind, list[m.Edge]]] = {}
        self.inc: dict[str, dict[m.EdgeKind, list[m.Edge]]] = {}
        for edge in edges.values():
            self.add(edge)

    def add(self, edge: m.Edge) -> None:
        self.out.setdefault(edge.source, {}).setdefault(edge.kind, []).append(edge)
        self.inc.setdefault(edge.target, {}).setdefault(edge.kind, []).append(edge)

    def remove(self, edge: m.Edge) -> None:
        for table, key in ((self.out, edge.source), (self.inc, edge.target)):
            bucket = table.get(key, {}).get(edge.kind, [])
            for i, existing in enumerate(bucket):
                if existing.id == edge.id:
                    del bucket[i]
                    break

    def replace(self, old: m.Edge, new: m.Edge) -> None:
        for table, key in ((self.out, old.source), (self.inc, old.target)):
            bucket = table.get(key, {}).get(old.kind, [])
            for i, existing in enumerate(bucket):
                if existing.id == old.id:
                    bucket[i] = new

    def restore_order(self, edge: m.Edge, edges: Mapping[str, m.Edge]) -> None:
        """Put `edge`'s two buckets back in the order of `edges` (document order), after
        an edge went back to its old place (an undo): `add` appends, and the walks over
        the index must visit edges in the order a full check's fresh index does."""
        order = {edge_id: i for i, edge_id in enumerate(edges)}
        for table, key in ((self.out, edge.source), (self.inc, edge.target)):
            bucket = table.get(key, {}).get(edge.kind)
            if bucket is not None:
                bucket.sort(key=lambda x: order.get(x.id, len(order)))

    def outgoing(self, node_id: str, kind: m.EdgeKind) -> list[m.Edge]:
        return self.out.get(node_id, {}).get(kind, [])

    def incoming(self, node_id: str, kind: m.EdgeKind) -> list[m.Edge]:
        return self.inc.get(node_id, {}).get(kind, [])

    def neighbours(self, node_id: str) -> set[str]:
        found: set[str] = set()
        for table, end in ((self.out, "target"), (self.inc, "source")):
            for bucket in table.get(node_id, {}).values():
                found.update(getattr(edge, end) for edge in bucket)
        return found


class CheckContext:
    def __init__(
        self,
        meta: m.RosterMeta,
        nodes: Mapping[str, m.Node],
        edges: Mapping[str, m.Edge],
        catalog: Catalog | None = None,
        index: AdjacencyIndex | None = None,
        cache: dict[str, Any] | None = None,
        touched: frozenset[str] | None = None,
        changed: frozenset[str] | None = None,
    ) -> None:
        self.meta = meta
        self.nodes = nodes
        self.edges = edges
        self.catalog = catalog if catalog is not None else load_catalog()
        self.index = index if index is not None else AdjacencyIndex(edges)
        self._graph: nx.MultiDiGraph[str] | None = None
        self.cache: dict[str, Any] = cache if cache is not None else {}  # see `derived`
        # nodes an edit touched since the previous run of an incremental checker (see
        # `keyed`); None in a one-off check, where nothing outlives the run
        self.touched = touched
        # the part of `touched` that changed itself: nodes whose own value changed, both
        # ends of every added, removed or changed edge, the tools of a changed server (not
        # their neighbours); None in a one-off check
        self.changed = changed if changed is not None or touched is None else touched

    def untouched(self, node_ids: Iterable[str]) -> bool:
        """Whether an incremental run may trust memos about `node_ids`: none was touched
        since the previous run (always False in a one-off check)."""
        touched = self.touched
        return touched is not None and not any(n in touched for n in node_ids)

    def agents(self) -> list[m.Agent]:
        return [n for n in self.nodes.values() if isinstance(n, m.Agent)]

    def tools(self) -> list[m.Tool]:
        return [n for n in self.nodes.values() if isinstance(n, m.Tool)]

    def humans(self) -> list[m.Human]:
        return [n for n in self.nodes.values() if isinstance(n, m.Human)]

    def servers(self) -> list[m.McpServer]:
        return [n for n in self.nodes.values() if isinstance(n, m.McpServer)]

    def agent(self, node_id: str) -> m.Agent | None:
        node = self.nodes.get(node_id)
        return node if isinstance(node, m.Agent) else None

    def tool(self, node_id: str) -> m.Tool | None:
        node = self.nodes.get(node_id)
        return node if isinstance(node, m.Tool) else None

    def human(self, node_id: str) -> m.Human | None:
        node = self.nodes.get(node_id)
        return node if isinstance(node, m.Human) else None

    def server(self, node_id: str) -> m.McpServer | None:
        node = self.nodes.get(node_id)
        return node if isinstance(node, m.McpServer) else None

    def grants(self, agent_id: str) -> list[m.Edge]:
        return self.index.outgoing(agent_id, m.EdgeKind.TOOL_ACCESS)

    def delegates(self, agent_id: str) -> list[m.Edge]:
        return self.index.outgoing(agent_id, m.EdgeKind.DELEGATION)

    def delegators(self, agent_id: str) -> list[m.Edge]:
        return self.index.incoming(agent_id, m.EdgeKind.DELEGATION)

    def escalations(self, agent_id: str) -> list[m.Edge]:
        return self.index.outgoing(agent_id, m.EdgeKind.ESCALATION)

    def graph(self) -> nx.MultiDiGraph[str]:
        if self._graph is None:
            from runtime.roster.graph import build_graph

            self._graph = build_graph(self.nodes, self.edges)
        return self._graph

    @staticmethod
    def node_path(node: m.Node, *rest: str | int) -> tuple[str | int, ...]:
        return (m.section_of(node), node.id, *rest)

    @staticmethod
    def edge_path(edge: m.Edge) -> tuple[str | int, ...]:
        if edge.kind is m.EdgeKind.TOOL_ACCESS:
            return ("agents", edge.source, "uses", edge.target)
        return ("agents", edge.source, edge.kind.value)
