"""A fast layered (left-to-right) layout of a roster, for the canvas's auto-layout.

Sugiyama in its cheapest useful form: break delegation cycles by DFS, assign
each node the layer of its longest incoming path (agents by delegation depth,
each tool one column right of its rightmost user, each human one column right
of the agents that escalate to it, MCP servers right of their tools), order
each layer by the barycentre of its neighbours in a few down and up sweeps to
cut crossings, then place nodes on a grid. Pure Python over plain dicts: about
linear in nodes and edges, so thousands of nodes lay out in well under a
frame budget of a second. Positions are returned, never written: the caller
turns them into a `Move` batch so auto-layout is one undo step.
"""

from __future__ import annotations

from collections.abc import Mapping

from runtime.roster import model as m

COLUMN_GAP = 280.0
ROW_GAP = 110.0
SWEEPS = 4


def _break_cycles(succ: dict[str, list[str]], roots: list[str]) -> dict[str, list[str]]:
    """Successor lists without back edges (iterative DFS, so depth is no limit)."""
    acyclic: dict[str, list[str]] = {n: [] for n in succ}
    state: dict[str, int] = {}  # 1 on stack, 2 done
    for root in [*roots, *succ]:
        if root in state:
            continue
        stack = [(root, iter(succ[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            for child in children:
                mark = state.get(child)
                if mark == 1:
                    continue  # back edge: dropped
                acyclic[node].append(child)
                if mark is None:
                    state[child] = 1
                    stack.append((child, iter(succ[child])))
                    break
            else:
                state[node] = 2
                stack.pop()
    return acyclic


def _layers(acyclic: dict[str, list[str]]) -> dict[str, int]:
    indegree = dict.fromkeys(acyclic, 0)
    for children in acyclic.values():
        for child in children:
            indegree[child] += 1
    layer = dict.fromkeys(acyclic, 0)
    ready = [n for n, d in indegree.items() if d == 0]
    while ready:
        node = ready.pop()
        for child in acyclic[node]:
            layer[child] = max(layer[child], layer[node] + 1)
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    return layer


def layered_layout(
    nodes: Mapping[str, m.Node],
    edges: Mapping[str, m.Edge],
    entry: tuple[str, ...] = (),
) -> dict[str, m.Position]:
    agents = [n for n, node in nodes.items() if isinstance(node, m.Agent)]
    delegation: dict[str, list[str]] = {a: [] for a in agents}
    neighbours: dict[str, list[str]] = {n: [] for n in nodes}
    for edge in edges.values():
        if edge.source not in nodes or edge.target not in nodes:
            continue
        neighbours[edge.source].append(edge.target)
        neighbours[edge.target].append(edge.source)
        if edge.kind is m.EdgeKind.DELEGATION and edge.target in delegation:
            delegation[edge.source].append(edge.target)
    for node in nodes.values():
        if isinstance(node, m.Tool) and node.server is not None and node.server in nodes:
            neighbours[node.id].append(node.server)
            neighbours[node.server].append(node.id)
    layer = _layers(_break_cycles(delegation, [e for e in entry if e in delegation]))
    agent_cols = (max(layer.values()) + 1) if layer else 0
    # Non-agents sit right of the agents: tools, then servers; humans in their own column.
    for node_id, node in nodes.items():
        if isinstance(node, m.Tool | m.Placeholder):
            layer[node_id] = agent_cols
        elif isinstance(node, m.McpServer):
            layer[node_id] = agent_cols + 1
        elif isinstance(node, m.Human):
            layer[node_id] = agent_cols + 2
    columns: dict[int, list[str]] = {}
    for node_id in nodes:  # document order seeds a stable ordering
        columns.setdefault(layer[node_id], []).append(node_id)
    order = {node_id: i for col in columns.values() for i, node_id in enumerate(col)}
    keys = sorted(columns)
    for sweep in range(SWEEPS):
        for col in keys if sweep % 2 == 0 else reversed(keys):
            members = columns[col]

            def barycentre(node_id: str, members: list[str] = members) -> float:
                near = [order[n] for n in neighbours[node_id] if layer[n] != layer[node_id]]
                return sum(near) / len(near) if near else float(order[node_id])

            members.sort(key=barycentre)
            for i, node_id in enumerate(members):
                order[node_id] = i
    tallest = max((len(c) for c in columns.values()), default=0)
    positions: dict[str, m.Position] = {}
    for col, members in columns.items():
        offset = (tallest - len(members)) * ROW_GAP / 2
        for i, node_id in enumerate(members):
            positions[node_id] = m.Position(col * COLUMN_GAP, offset + i * ROW_GAP)
    return positions
