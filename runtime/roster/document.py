"""The one mutable owner of a roster, changed only through `apply(edit)`.

`Document` holds the frozen values (nodes in order, edges in order, layout,
roster settings), applies an edit, returns its exact inverse, bumps the
revision and tells subscribers what happened in past-tense events. Views
listen; they never mutate. Removing a node cascades into a batch that first
removes its edges (and its place in `entry`) so that undo restores them in
order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster.codec import RosterContent
from runtime.roster.fields import ID_PATTERN
from runtime.roster.legality import connection

Listener = Callable[[e.Event], None]


def _insert(mapping: dict[str, Any], key: str, value: Any, index: int | None) -> dict[str, Any]:
    if index is None or index >= len(mapping):
        mapping[key] = value
        return mapping
    items = list(mapping.items())
    items.insert(index, (key, value))
    return dict(items)


class Document:
    def __init__(self, content: RosterContent | None = None) -> None:
        content = content or RosterContent()
        self._meta = content.meta
        self._nodes: dict[str, m.Node] = dict(content.nodes)
        self._edges: dict[str, m.Edge] = dict(content.edges)
        self._layout: dict[str, m.Position] = dict(content.layout)
        self._listeners: list[Listener] = []
        self.revision = 0

    # ------------------------------------------------------------ reading

    @property
    def meta(self) -> m.RosterMeta:
        return self._meta

    @property
    def nodes(self) -> Mapping[str, m.Node]:
        return MappingProxyType(self._nodes)

    @property
    def edges(self) -> Mapping[str, m.Edge]:
        return MappingProxyType(self._edges)

    @property
    def layout(self) -> Mapping[str, m.Position]:
        return MappingProxyType(self._layout)

    def content(self) -> RosterContent:
        """A snapshot for saving or checking; later edits do not change it."""
        return RosterContent(self._meta, dict(self._nodes), dict(self._edges), dict(self._layout))

    def edges_of(self, node_id: str) -> list[m.Edge]:
        return [x for x in self._edges.values() if node_id in (x.source, x.target)]

    # ------------------------------------------------------------ events

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, event: e.Event) -> None:
        for listener in list(self._listeners):
            listener(event)

    # ------------------------------------------------------------ applying

    def apply(self, edit: e.Edit) -> e.Edit:
        """Apply `edit` and return its inverse; raises EditError and changes nothing if illegal."""
        self.validate(edit)
        inverse = self._apply(edit)
        self.revision += 1
        return inverse

    def validate(self, edit: e.Edit) -> None:
        """Dry-run the edit on a scratch copy so a failing batch leaves no half-change."""
        if isinstance(edit, e.Batch):
            scratch = Document(self.content())
            for item in edit.edits:
                scratch.apply(item)
        else:
            self._check(edit)

    def _check(self, edit: e.Edit) -> None:
        if isinstance(edit, e.AddNode):
            if not ID_PATTERN.match(edit.node.id):
                raise e.EditError(f"{edit.node.id!r} is not a valid id")
            if edit.node.id in self._nodes:
                raise e.EditError(f"id {edit.node.id!r} is already used")
        elif isinstance(edit, e.RemoveNode):
            if edit.node_id not in self._nodes:
                raise e.EditError(f"there is no node {edit.node_id!r}")
        elif isinstance(edit, e.Move):
            if edit.node_id not in self._nodes and not edit.restore:
                raise e.EditError(f"there is no node {edit.node_id!r}")
        elif isinstance(edit, e.Connect) and edit.restore:
            if edit.edge.id in self._edges:
                raise e.EditError(f"edge {edit.edge.id!r} already exists")
        elif isinstance(edit, e.Connect):
            legality = connection(self._nodes, self._edges, edit.edge.source, edit.edge.target)
            if not legality.ok:
                raise e.EditError(legality.reason)
            if legality.kind is not edit.edge.kind:
                raise e.EditError(f"that connection is {legality.kind}, not {edit.edge.kind}")
        elif isinstance(edit, e.Disconnect):
            if edit.edge_id not in self._edges:
                raise e.EditError(f"there is no edge {edit.edge_id!r}")
        elif isinstance(edit, e.Rename):
            if edit.old_id not in self._nodes:
                raise e.EditError(f"there is no node {edit.old_id!r}")
            if not ID_PATTERN.match(edit.new_id):
                raise e.EditError(f"{edit.new_id!r} is not a valid id")
            if edit.new_id in self._nodes:
                raise e.EditError(f"id {edit.new_id!r} is already used")
        elif isinstance(edit, e.SetProperty):
            self._replaced(edit)  # raises on an unknown target or field

    def _apply(self, edit: e.Edit) -> e.Edit:
        if isinstance(edit, e.Batch):
            inverses = [self._apply(item) for item in edit.edits]
            return e.Batch(tuple(reversed(inverses)), edit.label)
        if isinstance(edit, e.AddNode):
            index = len(self._nodes) if edit.index is None else edit.index
            # A position kept for an id no node had (a stale layout entry) must come back
            # when this add is undone.
            stale = self._layout.get(edit.node.id)
            self._nodes = _insert(self._nodes, edit.node.id, edit.node, edit.index)
            if edit.position is not None:
                self._layout[edit.node.id] = edit.position
            self._emit(e.NodeAdded(edit.node, index))
            if stale is not None:
                return e.Batch(
                    (e.RemoveNode(edit.node.id), e.Move(edit.node.id, stale, restore=True))
                )
            return e.RemoveNode(edit.node.id)
        if isinstance(edit, e.RemoveNode):
            return self._remove_node(edit.node_id)
        if isinstance(edit, e.Connect):
            self._edges = _insert(self._edges, edit.edge.id, edit.edge, edit.index)
            self._emit(e.EdgeAdded(edit.edge))
            return e.Disconnect(edit.edge.id)
        if isinstance(edit, e.Disconnect):
            index = list(self._edges).index(edit.edge_id)
            edge = self._edges.pop(edit.edge_id)
            self._emit(e.EdgeRemoved(edge))
            return e.Connect(edge, index, restore=True)
        if isinstance(edit, e.SetProperty):
            return self._set_property(edit)
        if isinstance(edit, e.Move):
            old = self._layout.get(edit.node_id)
            if edit.position is None:
                self._layout.pop(edit.node_id, None)
            else:
                self._layout[edit.node_id] = edit.position
            self._emit(e.NodeMoved(edit.node_id, edit.position))
            return e.Move(edit.node_id, old, restore=edit.restore)
        if isinstance(edit, e.Rename):
            stale = self._layout.pop(edit.new_id, None)  # a position no node had
            self._rename(edit.old_id, edit.new_id)
            if stale is not None:
                return e.Batch(
                    (e.Rename(edit.new_id, edit.old_id), e.Move(edit.new_id, stale, restore=True))
                )
            return e.Rename(edit.new_id, edit.old_id)
        raise e.EditError(f"unknown edit {edit!r}")

    def _remove_node(self, node_id: str) -> e.Edit:
        cascade: list[e.Edit] = [e.Disconnect(x.id) for x in self.edges_of(node_id)]
        if node_id in self._meta.entry:
            entry = tuple(x for x in self._meta.entry if x != node_id)
            cascade.append(e.SetProperty(e.ROSTER, "entry", entry))
        inverses = [self._apply(item) for item in cascade]
        index = list(self._nodes).index(node_id)
        node = self._nodes.pop(node_id)
        position = self._layout.pop(node_id, None)
        self._emit(e.NodeRemoved(node))
        inverses.append(e.AddNode(node, index, position))
        return e.Batch(tuple(reversed(inverses)), f"remove {node_id}")

    def _replaced(self, edit: e.SetProperty) -> tuple[Any, Any]:
        """(old value object, new value object) for a SetProperty, without applying it."""
        if edit.target == e.ROSTER:
            return self._meta, _replace_path(self._meta, edit.key.split("."), edit.value)
        holder: Any = self._nodes.get(edit.target) or self._edges.get(edit.target)
        if holder is None:
            raise e.EditError(f"there is no node or edge {edit.target!r}")
        if edit.key in ("id", "kind", "source", "target") and not isinstance(holder, m.Placeholder):
            raise e.EditError(f"{edit.key!r} cannot be set; use Rename or reconnect instead")
        return holder, _replace_path(holder, edit.key.split("."), edit.value)

    def _set_property(self, edit: e.SetProperty) -> e.Edit:
        old, new = self._replaced(edit)
        inverse = e.SetProperty(edit.target, edit.key, _get_path(old, edit.key.split(".")))
        if edit.target == e.ROSTER:
            self._meta = new
            self._emit(e.RosterChanged(edit.key))
        elif isinstance(new, m.Edge):
            self._edges[edit.target] = new
            self._emit(e.EdgeChanged(old, new, edit.key))
        else:
            self._nodes[edit.target] = new
            self._emit(e.PropertyChanged(old, new, edit.key))
        return inverse

    def _rename(self, old_id: str, new_id: str) -> None:
        self._nodes = {
            (new_id if k == old_id else k): (
                dataclasses.replace(v, id=new_id) if k == old_id else v
            )
            for k, v in self._nodes.items()
        }
        renamed = {}
        for key, edge in self._edges.items():
            if old_id in (edge.source, edge.target):
                edge = dataclasses.replace(
                    edge,
                    source=new_id if edge.source == old_id else edge.source,
                    target=new_id if edge.target == old_id else edge.target,
                )
                key = edge.id
            renamed[key] = edge
        self._edges = renamed
        self._layout = {(new_id if k == old_id else k): v for k, v in self._layout.items()}
        self._nodes = {k: _rename_refs(v, old_id, new_id) for k, v in self._nodes.items()}
        self._meta = dataclasses.replace(
            self._meta,
            entry=tuple(new_id if x == old_id else x for x in self._meta.entry),
            acknowledged=tuple(
                dataclasses.replace(a, subject=new_id) if a.subject == old_id else a
                for a in self._meta.acknowledged
            ),
        )
        self._emit(e.NodeRenamed(old_id, new_id))


def _rename_refs(node: m.Node, old_id: str, new_id: str) -> m.Node:
    if isinstance(node, m.Human) and node.backup == old_id:
        return dataclasses.replace(node, backup=new_id)
    if isinstance(node, m.Tool) and node.server == old_id:
        return dataclasses.replace(node, server=new_id)
    return node


def _get_path(obj: Any, keys: list[str]) -> Any:
    for key in keys:
        obj = obj[key] if isinstance(obj, Mapping) else getattr(obj, key)
    return obj


def _replace_path(obj: Any, keys: list[str], value: Any) -> Any:
    key, rest = keys[0], keys[1:]
    if not dataclasses.is_dataclass(obj) or key not in {f.name for f in dataclasses.fields(obj)}:
        raise e.EditError(f"{type(obj).__name__} has no field {key!r}")
    if rest:
        value = _replace_path(getattr(obj, key), rest, value)
    elif isinstance(value, list):
        value = tuple(value)
    elif isinstance(value, dict):
        value = m.freeze(value)
    return dataclasses.replace(obj, **{key: value})  # type: ignore[type-var]
