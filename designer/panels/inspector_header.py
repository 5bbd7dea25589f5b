"""The inspector's header: what is shown (type and id), Rename…, and the entry-agent box.

`InspectorHeader` only displays and reports: it says "Agent  triage", "Tool ·
MCP tool  payments" or "Tool access  triage → crm-read", offers Rename… for
nodes and the "Entry agent" checkbox for agents, and emits
`rename_requested` and `entry_toggled(bool)` for the inspector to act on.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QWidget

from designer.panels.bindings import Holder
from designer.panels.editor_base import quiet
from runtime.roster import model as m
from runtime.roster.kinds import tool_kind

NODE_TITLES: Final = {
    m.NodeType.AGENT: "Agent", m.NodeType.TOOL: "Tool", m.NodeType.HUMAN: "Human checkpoint",
    m.NodeType.MCP_SERVER: "MCP server", m.NodeType.PLACEHOLDER: "Unknown kind",
}
EDGE_TITLES: Final = {
    m.EdgeKind.DELEGATION: "Delegation", m.EdgeKind.TOOL_ACCESS: "Tool access",
    m.EdgeKind.ESCALATION: "Escalation",
}


def node_title(node: m.Node) -> str:
    if isinstance(node, m.Tool):
        kind = tool_kind(node.kind)
        return f"Tool · {kind.label if kind is not None else node.kind}"
    if isinstance(node, m.Placeholder):
        return f"Unknown kind · {node.kind}"
    return NODE_TITLES[node.node_type]


class InspectorHeader(QWidget):
    rename_requested = Signal()
    entry_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind_label = QLabel(self)
        font = self.kind_label.font()
        font.setBold(True)
        self.kind_label.setFont(font)
        self.id_label = QLabel(self)
        self.id_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rename_button = QPushButton("Rename…", self)
        self.rename_button.setToolTip("Change this node's id; references follow it")
        self.rename_button.clicked.connect(self.rename_requested)
        self.entry_box = QCheckBox("Entry agent", self)
        self.entry_box.setToolTip("Runs start at entry agents")
        self.entry_box.toggled.connect(self.entry_toggled)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.kind_label)
        row.addWidget(self.id_label, 1)
        row.addWidget(self.entry_box)
        row.addWidget(self.rename_button)

    def show_item(self, item: Holder | None, title: str = "Roster") -> None:
        """Describe `item`, or show `title` when no single item is shown."""
        self.rename_button.setVisible(item is not None and not isinstance(item, m.Edge))
        self.entry_box.setVisible(isinstance(item, m.Agent))
        if item is None:
            self.kind_label.setText(title)
            self.id_label.setText("")
        elif isinstance(item, m.Edge):
            self.kind_label.setText(EDGE_TITLES[item.kind])
            self.id_label.setText(f"{item.source} → {item.target}")
        else:
            self.kind_label.setText(node_title(item))
            self.id_label.setText(item.id)

    def set_entry(self, is_entry: bool) -> None:
        with quiet(self.entry_box):
            self.entry_box.setChecked(is_entry)
