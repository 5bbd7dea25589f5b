"""The roster as a networkx MultiDiGraph, derived from the document, never stored.

Nodes carry `type` (agent, tool, human, mcp_server, placeholder); edges carry
`kind` (delegates_to, uses, escalates_to) and are keyed by edge id. Tools also
get a `served_by` edge to their MCP server. `graph_for(document)` caches the
graph by the document's revision, so repeated reads between edits are free.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING

import networkx as nx

from runtime.roster import model as m

if TYPE_CHECKING:
    from runtime.roster.document import Document

SERVED_BY = "served_by"


def build_graph(nodes: Mapping[str, m.Node], edges: Mapping[str, m.Edge]) -> nx.MultiDiGraph:
    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    graph.add_nodes_from(
        (node_id, {"type": node.node_type.value}) for node_id, node in nodes.items()
    )
    graph.add_edges_from(
        (edge.source, edge.target, edge_key, {"kind": edge.kind.value})
        for edge_key, edge in edges.items()
    )
    for node in nodes.values():
        if isinstance(node, m.Tool) and node.server and node.server in nodes:
            graph.add_edge(node.id, node.server, key=f"{node.id}:{SERVED_BY}", kind=SERVED_BY)
    return graph


def kind_view(graph: nx.MultiDiGraph, kind: m.EdgeKind) -> nx.DiGraph:
    """A simple digraph of one edge kind, over all nodes."""
    view: nx.DiGraph = nx.DiGraph()
    view.add_nodes_from(graph.nodes)
    view.add_edges_from((u, v) for u, v, k in graph.edges(data="kind") if k == kind.value)
    return view


_cache: weakref.WeakKeyDictionary[Document, tuple[int, nx.MultiDiGraph]] = (
    weakref.WeakKeyDictionary()
)


def graph_for(document: Document) -> nx.MultiDiGraph:
    hit = _cache.get(document)
    if hit is not None and hit[0] == document.revision:
        return hit[1]
    graph = build_graph(document.nodes, document.edges)
    _cache[document] = (document.revision, graph)
    return graph
