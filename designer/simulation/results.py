"""The scenario list with verdicts: each scenario, then its expectations, pass or fail.

A scenario row shows its kind (written, coverage, adversarial), a ✓/✗, its
cost and status; its children are the expectations with the message that
explains a failure. A scenario that could not be loaded or run shows its
located error. Selecting a row tells the panel which trace (and which event)
to show.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from runtime.simulation import Scenario, SimulationResult

PASS, FAIL, PENDING = "✓", "✗", "·"
GREEN, RED, GREY = QColor("#15803d"), QColor("#b91c1c"), QColor("#6b7280")
KEY_ROLE = Qt.ItemDataRole.UserRole
EVENT_ROLE = Qt.ItemDataRole.UserRole + 1


class ResultsTree(QTreeWidget):
    scenario_selected = Signal(str)  # key
    event_selected = Signal(str, int)  # key, event index

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(4)
        self.setHeaderLabels(["Scenario / expectation", "Kind", "Result", "Cost"])
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformRowHeights(True)
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.items: dict[str, QTreeWidgetItem] = {}
        self.itemSelectionChanged.connect(self._selected)

    def set_scenarios(self, scenarios: list[tuple[str, Scenario | None, str]]) -> None:
        """(key, scenario or None, load error) in display order."""
        self.clear()
        self.items = {}
        for key, scenario, error in scenarios:
            name = scenario.name if scenario is not None else Path(key).name
            kind = scenario.kind if scenario is not None else "—"
            item = QTreeWidgetItem([name, kind, PENDING if not error else FAIL, ""])
            item.setData(0, KEY_ROLE, key)
            item.setToolTip(0, scenario.description if scenario is not None else error)
            if error:
                self._error_child(item, error)
            self.addTopLevelItem(item)
            self.items[key] = item

    @staticmethod
    def _error_child(item: QTreeWidgetItem, error: str) -> None:
        item.setForeground(2, QBrush(RED))
        child = QTreeWidgetItem([error.splitlines()[0] if error else "", "", FAIL, ""])
        child.setToolTip(0, error)
        child.setForeground(0, QBrush(RED))
        item.addChild(child)
        item.setExpanded(True)

    def show_result(self, key: str, result: SimulationResult | None, error: str = "") -> None:
        item = self.items.get(key)
        if item is None:
            return
        item.takeChildren()
        if result is None:
            item.setText(2, FAIL)
            self._error_child(item, error)
            return
        passed = result.passed
        item.setText(2, f"{PASS if passed else FAIL} {result.status}")
        item.setForeground(2, QBrush(GREEN if passed else RED))
        item.setText(3, f"${result.cost_usd:.4f}")
        for x in result.expectations:
            child = QTreeWidgetItem([f"{x.name}", "", PASS if x.passed else FAIL, ""])
            child.setToolTip(0, x.message)
            child.setForeground(2, QBrush(GREEN if x.passed else RED))
            if not x.passed:
                child.setText(0, f"{x.name} — {x.message}")
                child.setForeground(0, QBrush(RED))
            child.setData(0, KEY_ROLE, key)
            if x.event_index is not None:
                child.setData(0, EVENT_ROLE, x.event_index)
            item.addChild(child)
        item.setExpanded(not passed)

    def selected_key(self) -> str | None:
        items = self.selectedItems()
        return items[0].data(0, KEY_ROLE) if items else None

    def _selected(self) -> None:
        items = self.selectedItems()
        if not items:
            return
        item = items[0]
        key = item.data(0, KEY_ROLE)
        if key is None:
            return
        self.scenario_selected.emit(key)
        index = item.data(0, EVENT_ROLE)
        if index is not None:
            self.event_selected.emit(key, int(index))
