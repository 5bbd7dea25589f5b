"""What a rule reads: the roster, an adjacency index kept up to date, the catalog.

`CheckContext` wraps the current nodes, edges and settings with an
`AdjacencyIndex` (out- and in-edges per node and edge kind) that the
incremental checker updates edit by edit instead of rebuilding, and lazily
builds the networkx `MultiDiGraph` (graph.py) for the few rules that want
graph algorithms. `cache` is a memo for helpers the rules share; a key
registered with `derived(key, triggers)` may outlive one check run: the
incremental checker keeps it until one of its triggers fires. Effective
values (an agent's model after defaults, a tool's modes after its kind) live
in effective.py so rules, the engine and the forecaster agree on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from runtime.roster import model as m
from runtime.roster.catalog import Catalog, load_catalog

if TYPE_CHECKING:
    import networkx as nx


# cache keys that may outlive one check run -> the triggers (base.TRIGGER_*) that end them
DERIVED: dict[str, frozenset[str]] = {}


def derived(key: str, triggers: Iterable[str]) -> str:
    """Register `key` of `CheckContext.cache` as a structure derived only from what
    `triggers` cover, so an incremental checker may reuse it until one fires. Its value
    must not be changed after it is built, nor share lists with the adjacency index."""
    DERIVED[key] = frozenset(triggers)
    return key


def surviving(cache: Mapping[str, Any], fired: Iterable[str]) -> dict[str, Any]:
    """The entries of a previous run's `cache` that no fired trigger invalidated."""
    gone = frozenset(fired)
    return {key: value for key, value in cache.items()
            if (triggers := DERIVED.get(key)) is not None and not triggers & gone}


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
    ) -> None:
        self.meta = meta
        self.nodes = nodes
        self.edges = edges
        self.catalog = catalog if catalog is not None else load_catalog()
        self.index = index if index is not None else AdjacencyIndex(edges)
        self._graph: nx.MultiDiGraph[str] | None = None
        self.cache: dict[str, Any] = cache if cache is not None else {}  # see `derived`

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
