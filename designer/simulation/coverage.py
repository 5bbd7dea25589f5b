"""What a set of dry runs exercised: counts per kind, and the grants nothing used.

Unused tool grants are least-privilege hints: each can be removed with one
click, which goes through the undo stack like any other edit. A checkbox shows
the coverage on the canvas (exercised edges bold, unused grants faded).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from runtime.roster.codec import RosterContent
from runtime.simulation import Coverage

TITLES = {"agents": "Agents", "delegations": "Delegations", "grants": "Tool grants",
          "approvals": "Approval gates", "escalations": "Escalations"}


class CoverageView(QWidget):
    overlay_toggled = Signal(bool)
    remove_requested = Signal(str)  # edge id of an unused grant

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.coverage: Coverage | None = None
        self.counts = QLabel("Run scenarios to see what they exercise.")
        self.counts.setWordWrap(True)
        self.counts.setTextFormat(Qt.TextFormat.RichText)
        self.overlay = QCheckBox("Show coverage on the canvas")
        self.overlay.setChecked(True)
        self.overlay.toggled.connect(self.overlay_toggled)
        self.unused = QListWidget()
        self.unused.setToolTip("Tool grants no scenario used: candidates for removal")
        self.remove_button = QPushButton("Remove unused grant")
        self.remove_button.setToolTip("Delete the selected grant from the roster (undoable)")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self._remove)
        self.unused.itemSelectionChanged.connect(
            lambda: self.remove_button.setEnabled(bool(self.unused.selectedItems())))
        row = QHBoxLayout()
        row.addWidget(self.overlay)
        row.addStretch(1)
        row.addWidget(self.remove_button)
        box = QVBoxLayout(self)
        box.addWidget(self.counts)
        box.addWidget(QLabel("Grants never used (least-privilege hints):"))
        box.addWidget(self.unused, 1)
        box.addLayout(row)

    def show_coverage(self, coverage: Coverage, content: RosterContent) -> None:
        self.coverage = coverage
        parts = []
        for key, (done, total) in coverage.summary().items():
            colour = "#15803d" if done == total else "#b45309"
            parts.append(f"{TITLES[key]}: <b style='color:{colour}'>{done}/{total}</b>")
        self.counts.setText(" &nbsp;·&nbsp; ".join(parts))
        self.unused.clear()
        for edge_id in coverage.unused_grants:
            edge = content.edges.get(edge_id)
            text = f"{edge.source} → {edge.target}" if edge is not None else edge_id
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, edge_id)
            self.unused.addItem(item)
        self.remove_button.setEnabled(False)

    def unused_ids(self) -> list[str]:
        return [self.unused.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.unused.count())]

    def _remove(self) -> None:
        for item in self.unused.selectedItems():
            edge_id = item.data(Qt.ItemDataRole.UserRole)
            self.unused.takeItem(self.unused.row(item))
            self.remove_requested.emit(edge_id)
