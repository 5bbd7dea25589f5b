"""The inspector: the selected node's or edge's properties, or the roster-wide settings.

Its form is generated from the property specs through the one editor factory
(property_widgets.py); bindings (bindings.py, roster_settings.py) say where
each value lives. Every edit goes through `RosterController.set_property`, so
it is undoable; the panel only listens to the document's signals and puts the
new values into its editors in place, which keeps keyboard focus in the field
being typed into and, with the `_updating` guard, never echoes a change back
as a new edit. The header (inspector_header.py) shows the type and id, with
Rename… and, for agents, the entry-agent box. Several items show a summary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QGroupBox,
    QInputDialog,
    QLabel,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from designer.controller import RosterController
from designer.document_signals import DocumentSignals
from designer.panels.bindings import Binding, Holder, item_bindings
from designer.panels.editor_base import INVALID_STYLE, PropertyEditor
from designer.panels.inspector_header import EDGE_TITLES, NODE_TITLES, InspectorHeader
from designer.panels.property_widgets import editor_for
from designer.panels.roster_settings import roster_bindings
from runtime.roster import model as m
from runtime.roster.catalog import Catalog
from runtime.roster.document import Document
from runtime.roster.edits import EditError
from runtime.roster.fields import ID_PATTERN
from runtime.roster.props import PropSpec, PropType


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass(frozen=True)
class CapturedSecret:
    """A key an editor refused, for the paste guard; in memory only, never in a repr."""

    where: str  # e.g. "providers.anthropic.api_key", "agents.triage.instructions"
    text: str = field(repr=False)  # the refused text, holding the key
    is_reference: bool  # a key-reference field; otherwise free text (instructions...)
    write: Callable[[Any, bool], None] = field(repr=False)  # the field's binding.write
    before: str = field(default="", repr=False)  # the field's value before the paste


class InspectorPanel(QWidget):
    secret_pasted = Signal(str)  # binding key, e.g. "credential", "providers.anthropic.api_key"
    secret_captured = Signal(object)  # CapturedSecret

    def __init__(self, controller: RosterController, catalog: Catalog,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.catalog = catalog
        self._ids: list[str] = []
        self._bindings: dict[str, Binding] = {}
        self._updating = False
        self._signals: DocumentSignals | None = None
        # Adds and removals come in bursts (paste, delete, undo); settle once per burst.
        self._sync_timer = QTimer(self)
        self._sync_timer.setSingleShot(True)
        self._sync_timer.setInterval(0)
        self._sync_timer.timeout.connect(self._sync)
        self._build_header()
        self.body_area = QScrollArea(self)
        self.body_area.setWidgetResizable(True)
        self.body_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.body_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.header)
        layout.addWidget(self.message)
        layout.addWidget(self.body_area, 1)
        controller.document_replaced.connect(self._document_replaced)
        self._attach(controller.signals)
        self._rebuild()

    # ------------------------------------------------------------ public

    def show_selection(self, ids: Iterable[str]) -> None:
        """Show one node or edge, a summary of several, or the roster settings for none."""
        ids = list(ids)
        if ids == self._ids and self.body_area.widget() is not None:
            self._refresh()
            return
        self._ids = ids
        self._rebuild()

    def editor(self, key: str) -> PropertyEditor:
        """The editor bound to `key` ("name", "policy.budget_usd_per_run", ...)."""
        return self._bindings[key].editor

    def keys(self) -> list[str]:
        return list(self._bindings)

    def request_rename(self) -> None:
        node_id = self._single_node_id()
        if node_id is None:
            return
        new_id, ok = QInputDialog.getText(
            self, "Rename id", "New id (lowercase letters, digits and '-'):", text=node_id)
        if ok:
            problem = self.rename_to(new_id.strip())
            if problem:
                QMessageBox.warning(self, "Rename", problem)

    def rename_to(self, new_id: str) -> str | None:
        """Rename the shown node's id; returns why not, or None when done."""
        old_id = self._single_node_id()
        if old_id is None:
            return "select one node to rename"
        if new_id == old_id:
            return None
        if not ID_PATTERN.match(new_id):
            return (f"{new_id!r} is not a valid id: use lowercase letters, digits and '-', "
                    "starting with a letter, up to 63 characters")
        if new_id in self.controller.document.nodes:
            return f"the id {new_id!r} is already used"
        try:
            self.controller.rename(old_id, new_id)
        except EditError as exc:
            return str(exc)
        return None

    # ------------------------------------------------------------ construction

    def _build_header(self) -> None:
        self.header = InspectorHeader(self)
        self.header.rename_requested.connect(self.request_rename)
        self.header.entry_toggled.connect(self._entry_toggled)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet(INVALID_STYLE)
        self.message.hide()

    def _make(self, spec: PropSpec, unset: str) -> PropertyEditor:
        return editor_for(spec, self.catalog, self._ids_in, unset_text=unset)

    def _ids_in(self, section: str) -> list[str]:
        return [node.id for node in self.controller.document.nodes.values()
                if m.section_of(node) == section]

    def _rebuild(self) -> None:
        self._release_focus()
        self._updating = True
        try:
            self._bindings = {}
            self.message.hide()
            body = QWidget()
            column = QVBoxLayout(body)
            column.setContentsMargins(0, 0, 0, 0)
            ids = self._present(self._ids)
            if len(ids) > 1:
                self._build_summary(ids, column)
            else:
                self._build_form(ids[0] if ids else None, column)
            column.addStretch(1)
            old = self.body_area.takeWidget()
            self.body_area.setWidget(body)
            if old is not None:
                old.deleteLater()
            self._refresh_values()
        finally:
            self._updating = False

    def _build_form(self, item_id: str | None, column: QVBoxLayout) -> None:
        document = self.controller.document
        item: Holder | None = None
        if item_id is not None:
            item = document.nodes.get(item_id) or document.edges.get(item_id)
        self.header.show_item(item)
        if item is None:
            bindings = roster_bindings(self.controller, self._make)
        else:
            bindings = item_bindings(self.controller, item, self._make)
        if isinstance(item, m.Placeholder):
            column.addWidget(self._note(
                f"This node's kind {item.kind!r} is not installed here. It is kept exactly "
                "as written and cannot be edited in the inspector."))
        elif isinstance(item, m.Edge) and not bindings:
            column.addWidget(self._note(f"{EDGE_TITLES[item.kind]} edges have no settings."))
        forms: dict[str, QFormLayout] = {}
        for binding in bindings:
            form = forms.get(binding.section)
            if form is None:
                form = forms[binding.section] = self._new_form(binding.section, column)
            self._add_row(form, binding)

    def _new_form(self, section: str, column: QVBoxLayout) -> QFormLayout:
        if section:
            group = QGroupBox(section)
            column.addWidget(group)
            form = QFormLayout(group)
        else:
            form = QFormLayout()
            column.addLayout(form)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        return form

    def _add_row(self, form: QFormLayout, binding: Binding) -> None:
        editor = binding.editor
        if editor.spans_row:
            form.addRow(editor)
        else:
            label = QLabel(editor.title)
            label.setToolTip(editor.spec.help)
            form.addRow(label, editor)
        editor.committed.connect(lambda value, b=binding: self._commit(b, value))
        editor.secret_pasted.connect(lambda _name, key=binding.key: self.secret_pasted.emit(key))
        editor.secret_captured.connect(lambda _name, text, b=binding: self._captured(b, text))
        self._bindings[binding.key] = binding

    def _captured(self, binding: Binding, text: str) -> None:
        where, ids = binding.key, self._present(self._ids)
        if len(ids) == 1:
            node = self.controller.document.nodes.get(ids[0])
            where = f"{m.section_of(node) if node else 'edges'}.{ids[0]}.{binding.key}"
        is_reference = binding.editor.spec.type is PropType.KEY_REF
        before = binding.read()
        self.secret_captured.emit(CapturedSecret(where, text, is_reference, binding.write,
                                                 before if isinstance(before, str) else ""))

    def _build_summary(self, ids: list[str], column: QVBoxLayout) -> None:
        self.header.show_item(None, title="Selection")
        document = self.controller.document
        counts = Counter(
            NODE_TITLES[document.nodes[i].node_type].lower() if i in document.nodes
            else "connection" for i in ids)
        summary = QLabel(f"{len(ids)} items selected")
        summary.setObjectName("summary")
        column.addWidget(summary)
        column.addWidget(self._note(", ".join(_plural(n, word) for word, n in counts.items())))

    def _note(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        return label

    # ------------------------------------------------------------ refreshing

    def _refresh(self) -> None:
        self._updating = True
        try:
            self._refresh_values()
        finally:
            self._updating = False

    def _refresh_values(self) -> None:
        for binding in self._bindings.values():
            binding.editor.set_value(binding.read())
        node_id = self._single_node_id()
        self.header.set_entry(node_id in self.controller.document.meta.entry)

    def _release_focus(self) -> None:
        """Let a field being edited commit (YAML commits on focus-out) before it goes away."""
        body = self.body_area.widget()
        focused = QApplication.focusWidget()
        if body is not None and focused is not None and body.isAncestorOf(focused):
            focused.clearFocus()

    def _present(self, ids: list[str]) -> list[str]:
        document = self.controller.document
        return [i for i in ids if i in document.nodes or i in document.edges]

    def _single_node_id(self) -> str | None:
        ids = self._present(self._ids)
        if len(ids) == 1 and ids[0] in self.controller.document.nodes:
            return ids[0]
        return None

    def _shows(self, item_id: str) -> bool:
        return self._present(self._ids) == [item_id]

    # ------------------------------------------------------------ document events

    def _attach(self, signals: DocumentSignals) -> None:
        if self._signals is not None:
            for signal, slot in self._connections(self._signals):
                signal.disconnect(slot)
        self._signals = signals
        for signal, slot in self._connections(signals):
            signal.connect(slot)

    def _connections(self, signals: DocumentSignals) -> list[tuple[Any, Any]]:
        return [
            (signals.node_changed, self._node_changed),
            (signals.edge_changed, self._edge_changed),
            (signals.roster_changed, self._roster_changed),
            (signals.node_renamed, self._node_renamed),
            (signals.node_added, self._structure_changed),
            (signals.node_removed, self._structure_changed),
            (signals.edge_added, self._structure_changed),
            (signals.edge_removed, self._structure_changed),
        ]

    def _document_replaced(self, document: Document) -> None:
        self._attach(self.controller.signals)
        # Text typed into the old document's form must not land in the new one (on Revert,
        # the same ids exist again): let the field lose focus with commits switched off.
        self._updating = True
        try:
            self._release_focus()
        finally:
            self._updating = False
        self._ids = []
        self._rebuild()

    def _node_changed(self, old: m.Node, new: m.Node, key: str) -> None:
        if self._shows(new.id):
            self._refresh()

    def _edge_changed(self, old: m.Edge, new: m.Edge, key: str) -> None:
        if self._shows(new.id):
            self._refresh()

    def _roster_changed(self, key: str) -> None:
        if not self._present(self._ids) or (key == "entry" and self._single_node_id()):
            self._refresh()

    def _node_renamed(self, old_id: str, new_id: str) -> None:
        renamed = [self._renamed_id(i, old_id, new_id) for i in self._ids]
        if renamed != self._ids:
            self._ids = renamed
            self._rebuild()
        else:
            self._refresh()

    @staticmethod
    def _renamed_id(item_id: str, old_id: str, new_id: str) -> str:
        if item_id == old_id:
            return new_id
        parts = item_id.split(":")  # an edge id: source:kind:target (ids hold no ':')
        if len(parts) == 3 and old_id in (parts[0], parts[2]):
            return ":".join(new_id if part == old_id else part for part in parts)
        return item_id

    def _structure_changed(self, _item: object) -> None:
        self._sync_timer.start()

    def _sync(self) -> None:
        if self._present(self._ids) != self._ids:
            self._ids = self._present(self._ids)
            self._rebuild()
        else:
            self._refresh()  # id lists (a human's backup, a tool's server) follow the document

    # ------------------------------------------------------------ user edits

    def _commit(self, binding: Binding, value: Any) -> None:
        if self._updating:
            return
        self.message.hide()
        try:
            binding.write(value, binding.editor.merges)
        except EditError as exc:
            self.message.setText(f"Not changed: {exc}")
            self.message.show()
            self._refresh()

    def _entry_toggled(self, checked: bool) -> None:
        node_id = self._single_node_id()
        if not self._updating and node_id is not None:
            self.controller.set_entry(node_id, checked)
