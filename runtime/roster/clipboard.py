"""Copy and paste of roster fragments, across documents and across files.

A copied selection is itself a small roster (the selected nodes, the edges
among them, their positions) in canonical YAML, so it survives the system
clipboard and can be pasted into any other roster. Pasting remaps every id
that is already taken to a fresh one, rewrites the edges to match, offsets the
positions, and returns one `Batch` edit, so a paste is a single undo step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping

from runtime.roster import edits as e
from runtime.roster import io
from runtime.roster import model as m
from runtime.roster.codec import RosterContent
from runtime.roster.errors import RosterLoadError
from runtime.roster.factory import unique_id

PASTE_OFFSET = 40.0


def copy_text(
    nodes: Mapping[str, m.Node],
    edges: Mapping[str, m.Edge],
    layout: Mapping[str, m.Position],
    ids: Collection[str],
) -> str:
    chosen = [i for i in nodes if i in ids]
    fragment = RosterContent(
        nodes={i: nodes[i] for i in chosen},
        edges={k: x for k, x in edges.items() if x.source in ids and x.target in ids},
        layout={i: layout[i] for i in chosen if i in layout},
    )
    return io.dumps(fragment)


def paste_edit(text: str, taken: Collection[str], offset: float = PASTE_OFFSET) -> e.Batch:
    """The edit that adds the fragment in `text`; RosterLoadError if it is no roster."""
    fragment = io.loads(text, filename="<clipboard>").content
    if not fragment.nodes:
        raise RosterLoadError("the clipboard holds no roster nodes", file="<clipboard>")
    used = set(taken)
    rename: dict[str, str] = {}
    for node_id in fragment.nodes:
        new_id = unique_id(node_id, used) if node_id in used else node_id
        rename[node_id] = new_id
        used.add(new_id)
    adds: list[e.Edit] = []
    for node_id, node in fragment.nodes.items():
        node = dataclasses.replace(node, id=rename[node_id])
        if isinstance(node, m.Tool) and node.server in rename:
            node = dataclasses.replace(node, server=rename[node.server])
        if isinstance(node, m.Human) and node.backup in rename:
            node = dataclasses.replace(node, backup=rename[node.backup])
        pos = fragment.layout.get(node_id)
        if pos is not None:
            pos = m.Position(pos.x + offset, pos.y + offset)
        adds.append(e.AddNode(node, position=pos))
    for edge in fragment.edges.values():
        adds.append(e.Connect(dataclasses.replace(
            edge, source=rename[edge.source], target=rename[edge.target])))
    return e.Batch(tuple(adds), f"paste {len(fragment.nodes)} node(s)")
