"""The designer's single path from user intents to document edits.

`RosterController` owns the open document, its undo stack and its incremental
checker. Views call intent methods (add a node from the palette, connect two
nodes, set a property, move, remove, rename, paste, lay out, acknowledge a
warning); each builds a core edit and pushes it on the undo stack through
`EditCommand`, so every change is undoable and emits the same events as its
undo. The controller never paints and holds no view state (selection, zoom).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from collections.abc import Hashable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from designer.document_signals import DocumentSignals
from designer.undo import EditCommand
from runtime.roster import clipboard, io
from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster.autolayout import layered_layout
from runtime.roster.checks.base import Finding
from runtime.roster.checks.engine import IncrementalChecker
from runtime.roster.codec import RosterContent
from runtime.roster.document import Document
from runtime.roster.factory import new_node
from runtime.roster.legality import Legality, connection


@contextlib.contextmanager
def bulk_allocation() -> Iterator[None]:
    """No cyclic garbage collection while a roster is read and shown.

    Opening a large roster allocates about a million objects that all stay alive (the
    model, the checker's indexes, the canvas items); each full collection on the way
    rescans every one of them and finds nothing to free (about 0.2 s of CPU at 2,000
    agents). Reference counting still frees whatever is dropped; the collector runs
    again as usual afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class RosterController(QObject):
    document_replaced = Signal(object)  # Document
    findings_changed = Signal(list)  # list[Finding]
    path_changed = Signal(object)  # Path | None
    clean_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self.clean_changed)
        self.document = Document()
        self.signals = DocumentSignals(self.document, self)
        self._checker: IncrementalChecker | None = None
        self.path: Path | None = None
        self.version_read: int | None = None
        self.findings: list[Finding] = []
        self._merge_epoch = 0  # bumped to end a run of merged typing (focus moved, undo...)
        self.undo_stack.indexChanged.connect(self._index_changed)
        self._recheck = QTimer(self)
        self._recheck.setSingleShot(True)
        self._recheck.setInterval(0)
        self._recheck.timeout.connect(self.refresh_findings)
        self.signals.changed.connect(self._recheck.start)

    # ------------------------------------------------------------ documents

    def replace_document(self, content: RosterContent, path: Path | None,
                         version_read: int | None = None) -> None:
        if self._checker is not None:
            self._checker.close()
            self._checker = None
        self.signals.detach()
        self.signals.deleteLater()
        self.undo_stack.clear()
        self.document = Document(content)
        self.signals = DocumentSignals(self.document, self)
        self.signals.changed.connect(self._recheck.start)
        self.path = path
        self.version_read = version_read
        self.undo_stack.setClean()
        self.findings = []
        self.document_replaced.emit(self.document)
        self.path_changed.emit(path)
        # The first full check (about a second for 2,000 agents, mostly the secrets scan)
        # runs from the event loop, after the new roster's first frame is on screen.
        self._recheck.start()

    @property
    def checker(self) -> IncrementalChecker:
        """The incremental checker of the current document, built when first asked for
        (by the first check, after a newly opened roster's first frame)."""
        if self._checker is None:
            self._checker = IncrementalChecker(self.document)
        return self._checker

    def open(self, path: Path) -> None:
        """Load `path`; raises RosterLoadError and leaves the current document as it was."""
        with bulk_allocation():
            loaded = io.load_roster(path)
            self.replace_document(loaded.content, path, loaded.version_read)

    def save(self, path: Path | None = None) -> Path:
        """Save atomically (keeping NAME.vN.bak after a migration); raises on failure."""
        target = path or self.path
        if target is None:
            raise ValueError("no file name; use Save As")
        migrated = self.version_read if target == self.path else None
        io.save_roster(self.document.content(), target, migrated_from=migrated,
                       keep_comments=True, comments_of=self.path)  # Save As keeps them too
        self.version_read = None
        self.undo_stack.setClean()
        if target != self.path:
            self.path = target
            self.path_changed.emit(target)
        return target

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def break_merge(self) -> None:
        """The next edit starts a new undo step even in the same field."""
        self._merge_epoch += 1

    def _index_changed(self, index: int) -> None:
        if index != self.undo_stack.count():  # an undo: typing after it is a new step
            self.break_merge()

    def refresh_findings(self) -> None:
        self.findings = self.checker.findings()
        self.findings_changed.emit(self.findings)

    # ------------------------------------------------------------ pushing

    def push(self, edit: e.Edit, text: str, merge_key: Hashable | None = None) -> None:
        """Apply through the undo stack; raises EditError (nothing pushed) if illegal."""
        self.document.validate(edit)  # refuse before the command exists
        self.undo_stack.push(EditCommand(self.document, edit, text, merge_key))

    # ------------------------------------------------------------ intents

    def add_node(self, palette_key: str, position: m.Position | None = None,
                 name: str | None = None) -> str:
        node = new_node(palette_key, self.document.nodes, name)
        self.push(e.AddNode(node, position=position), f"Add {node.name or node.id}")
        return node.id

    def can_connect(self, source: str, target: str) -> Legality:
        return connection(self.document.nodes, self.document.edges, source, target)

    def connect_nodes(self, source: str, target: str) -> m.Edge:
        legality = self.can_connect(source, target)
        if not legality.ok or legality.kind is None:
            raise e.EditError(legality.reason)
        attrs: dict[str, Any] = {}
        if legality.kind is m.EdgeKind.TOOL_ACCESS:
            attrs = {"mode": "read", "approval": "ask"}  # read-by-default (R11)
        edge = m.Edge(legality.kind, source, target, **attrs)
        self.push(e.Connect(edge), f"Connect {source} → {target}")
        return edge

    def set_property(self, target: str, key: str, value: Any, *, merge: bool = True) -> None:
        current = self._current_value(target, key)
        if current == value:
            return
        label = f"Set {key}" if target == e.ROSTER else f"Set {target}.{key}"
        self.push(e.SetProperty(target, key, value), label,
                  ("prop", target, key, self._merge_epoch) if merge else None)

    def _current_value(self, target: str, key: str) -> Any:
        obj: Any = self.document.meta if target == e.ROSTER else (
            self.document.nodes.get(target) or self.document.edges.get(target))
        for part in key.split("."):
            obj = getattr(obj, part, None)
        return obj

    def move_nodes(self, positions: Mapping[str, m.Position], *,
                   merge_key: Hashable | None = None, text: str = "Move") -> None:
        moves = tuple(e.Move(node_id, pos) for node_id, pos in positions.items()
                      if self.document.layout.get(node_id) != pos)
        if moves:
            self.push(e.Batch(moves, text), text, merge_key)

    def remove(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        edges = [e.Disconnect(i) for i in ids if i in self.document.edges]
        nodes = [e.RemoveNode(i) for i in ids if i in self.document.nodes]
        # Edges of removed nodes go with them; only disconnect edges that survive.
        removed = set(ids)
        edges = [x for x in edges
                 if self.document.edges[x.edge_id].source not in removed
                 and self.document.edges[x.edge_id].target not in removed]
        batch = (*edges, *nodes)
        if batch:
            self.push(e.Batch(batch, "Delete"), f"Delete {len(batch)} item(s)")

    def rename(self, old_id: str, new_id: str) -> None:
        if old_id != new_id:
            self.push(e.Rename(old_id, new_id), f"Rename {old_id} → {new_id}")

    def copy_text(self, ids: Iterable[str]) -> str:
        doc = self.document
        return clipboard.copy_text(doc.nodes, doc.edges, doc.layout, set(ids))

    def paste_text(self, text: str) -> list[str]:
        batch = clipboard.paste_edit(text, self.document.nodes)
        self.push(batch, batch.label)
        return [x.node.id for x in batch.edits if isinstance(x, e.AddNode)]

    def duplicate(self, ids: Iterable[str]) -> list[str]:
        return self.paste_text(self.copy_text(ids))

    def auto_layout(self) -> None:
        doc = self.document
        positions = layered_layout(doc.nodes, doc.edges, doc.meta.entry)
        self.move_nodes(positions, text="Auto-layout")

    def acknowledge(self, finding: Finding, by: str, reason: str) -> None:
        ack = m.Acknowledgement(finding.rule, finding.subject, by, reason)
        acks = (*self.document.meta.acknowledged, ack)
        self.push(e.SetProperty(e.ROSTER, "acknowledged", acks),
                  f"Acknowledge {finding.rule} on {finding.subject}")

    def set_entry(self, agent_id: str, is_entry: bool) -> None:
        entry = [x for x in self.document.meta.entry if x != agent_id]
        if is_entry:
            entry.append(agent_id)
        self.set_property(e.ROSTER, "entry", tuple(entry), merge=False)

    def replace_node(self, old: m.Node, **changes: Any) -> None:
        """Several fields of one node as one undo step."""
        new = dataclasses.replace(old, **changes)  # type: ignore[type-var]
        edits = tuple(e.SetProperty(old.id, k, getattr(new, k)) for k in changes)
        self.push(e.Batch(edits, f"Edit {old.id}"), f"Edit {old.id}")
