"""Edits: the only vocabulary for changing a roster, and the events they cause.

Edits are small, id-based and symmetric: applying one to a `Document` returns
its inverse, and applying the inverse restores the document exactly,
including the order of nodes and edges, so the saved bytes match too.
Events are past tense and carry what a listener needs to update itself
without reading the document back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from runtime.roster.model import Edge, Node, Position

ROSTER: Final = (
    "#roster"  # SetProperty target for roster-wide settings ("policy.budget_usd_per_run")
)


@dataclass(frozen=True, slots=True)
class AddNode:
    node: Node
    index: int | None = None
    position: Position | None = None


@dataclass(frozen=True, slots=True)
class RemoveNode:
    node_id: str


@dataclass(frozen=True, slots=True)
class Connect:
    """Add an edge. `restore` marks the inverse of a Disconnect: it puts back an edge the
    document already held, which may be one the file allows but a new connection would
    not (a dangling reference, a tool of unknown kind), so legality is not asked again."""

    edge: Edge
    index: int | None = None
    restore: bool = False


@dataclass(frozen=True, slots=True)
class Disconnect:
    edge_id: str


@dataclass(frozen=True, slots=True)
class SetProperty:
    """Set a field of a node, an edge (by edge id) or, with target ROSTER, the roster."""

    target: str
    key: str
    value: Any


@dataclass(frozen=True, slots=True)
class Move:
    """Set or clear a node's canvas position. `restore` puts back a position kept for an
    id no node has (a stale layout entry), which only an undo ever needs."""

    node_id: str
    position: Position | None
    restore: bool = False


@dataclass(frozen=True, slots=True)
class Rename:
    old_id: str
    new_id: str


@dataclass(frozen=True, slots=True)
class Batch:
    edits: tuple[Edit, ...]
    label: str = ""


Edit = AddNode | RemoveNode | Connect | Disconnect | SetProperty | Move | Rename | Batch


class EditError(ValueError):
    """An edit that cannot apply (unknown id, illegal connection, bad value). Nothing changed."""


# ---------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class NodeAdded:
    node: Node
    index: int


@dataclass(frozen=True, slots=True)
class NodeRemoved:
    node: Node


@dataclass(frozen=True, slots=True)
class PropertyChanged:
    """A node's field changed; `old` and `new` are the whole node values."""

    old: Node
    new: Node
    key: str


@dataclass(frozen=True, slots=True)
class EdgeAdded:
    edge: Edge


@dataclass(frozen=True, slots=True)
class EdgeRemoved:
    edge: Edge


@dataclass(frozen=True, slots=True)
class EdgeChanged:
    old: Edge
    new: Edge
    key: str


@dataclass(frozen=True, slots=True)
class NodeMoved:
    node_id: str
    position: Position | None


@dataclass(frozen=True, slots=True)
class NodeRenamed:
    old_id: str
    new_id: str


@dataclass(frozen=True, slots=True)
class RosterChanged:
    key: str


Event = (
    NodeAdded
    | NodeRemoved
    | PropertyChanged
    | EdgeAdded
    | EdgeRemoved
    | EdgeChanged
    | NodeMoved
    | NodeRenamed
    | RosterChanged
)
