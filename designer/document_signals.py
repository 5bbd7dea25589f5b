"""Document events as Qt signals, so views connect to them the Qt way.

The core `Document` calls plain listeners synchronously inside `apply`;
`DocumentSignals` is one such listener that re-emits each event as a typed
signal. Views only listen; they never change the document.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from runtime.roster import edits as e
from runtime.roster.document import Document


class DocumentSignals(QObject):
    node_added = Signal(object)  # Node
    node_removed = Signal(object)  # Node
    node_changed = Signal(object, object, str)  # old Node, new Node, key
    edge_added = Signal(object)  # Edge
    edge_removed = Signal(object)  # Edge
    edge_changed = Signal(object, object, str)  # old Edge, new Edge, key
    node_moved = Signal(str, object)  # id, Position | None
    node_renamed = Signal(str, str)
    roster_changed = Signal(str)
    changed = Signal()  # after any event

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe = document.subscribe(self._on_event)

    def detach(self) -> None:
        self._unsubscribe()

    def _on_event(self, event: e.Event) -> None:
        if isinstance(event, e.NodeAdded):
            self.node_added.emit(event.node)
        elif isinstance(event, e.NodeRemoved):
            self.node_removed.emit(event.node)
        elif isinstance(event, e.PropertyChanged):
            self.node_changed.emit(event.old, event.new, event.key)
        elif isinstance(event, e.EdgeAdded):
            self.edge_added.emit(event.edge)
        elif isinstance(event, e.EdgeRemoved):
            self.edge_removed.emit(event.edge)
        elif isinstance(event, e.EdgeChanged):
            self.edge_changed.emit(event.old, event.new, event.key)
        elif isinstance(event, e.NodeMoved):
            self.node_moved.emit(event.node_id, event.position)
        elif isinstance(event, e.NodeRenamed):
            self.node_renamed.emit(event.old_id, event.new_id)
        elif isinstance(event, e.RosterChanged):
            self.roster_changed.emit(event.key)
        self.changed.emit()
