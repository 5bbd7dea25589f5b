"""The diff view: what changed in meaning between two rosters, riskiest first.

Shows the list `runtime.interop.diff.diff` produces (risk, category, what
changed) in a tree, high-risk rows tinted, with a one-line summary above. It
only displays; computing the diff and choosing what to compare is done by
designer/interop_actions.py.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from runtime.interop.diff import Change

RISK_COLOURS = {"high": QColor(255, 205, 205), "medium": QColor(255, 236, 190)}
CHANGE_ROLE = Qt.ItemDataRole.UserRole


class DiffView(QWidget):
    """A summary line and one row per change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Risk", "Area", "Change"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree)

    def set_changes(self, changes: list[Change], old_label: str, new_label: str) -> None:
        self.tree.clear()
        if not changes:
            self.summary.setText(f"No semantic changes between {old_label} and {new_label} "
                                 "(canvas positions are not compared).")
            return
        high = sum(c.risk == "high" for c in changes)
        self.summary.setText(f"{len(changes)} change(s) from {old_label} to {new_label}; "
                             f"{high} high risk. Permission and escalation changes come first.")
        for change in changes:
            item = QTreeWidgetItem([change.risk.upper(), change.category, change.message])
            item.setToolTip(2, f"{change.path}\nbefore: {change.before!r}\n"
                               f"after: {change.after!r}")
            item.setData(0, CHANGE_ROLE, change)
            colour = RISK_COLOURS.get(change.risk)
            if colour is not None:
                for column in range(3):
                    item.setBackground(column, QBrush(colour))
            self.tree.addTopLevelItem(item)
        for column in range(2):
            self.tree.resizeColumnToContents(column)

    def rows(self) -> list[tuple[str, str, str]]:
        """(risk, area, change) of every row, top to bottom."""
        out = []
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item is not None:
                out.append((item.text(0), item.text(1), item.text(2)))
        return out


class DiffDialog(QDialog):
    """A non-modal window around a `DiffView`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Roster changes")
        self.resize(760, 420)
        layout = QVBoxLayout(self)
        self.view = DiffView(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(self.view)
        layout.addWidget(buttons)
