"""Run history: the journal's runs in a sortable, filterable table; open one to replay it.

`RunsTableModel` (a `QAbstractTableModel` over `RunSummary` rows) gives each
column a display text and a sort key of the right type (time, money,
numbers), so sorting by cost or start time is numeric. A
`QSortFilterProxyModel` filters on free text across every column and on the
status chosen in the combo. Double-clicking a run (or Open) emits
`open_requested(run_id)`; Refresh asks for a fresh read of the journal.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from runtime.roster.costs import format_usd

if TYPE_CHECKING:
    from runtime.engine.journal import RunSummary

ANY_STATUS = "any status"
STATUSES = (ANY_STATUS, "completed", "failed", "limit", "stopped", "running", "pending")
STATUS_COLOURS = {"completed": "#16a34a", "failed": "#dc2626", "limit": "#d97706",
                  "stopped": "#b91c1c", "running": "#2563eb", "pending": "#6b7280"}
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


def _when(at: float | None) -> str:
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S") if at else "—"


def _duration(run: RunSummary) -> float:
    if run.started_at and run.finished_at:
        return run.finished_at - run.started_at
    return -1.0


COLUMNS: tuple[tuple[str, Any, Any], ...] = (
    # title, display(run), sort key(run)
    ("Started", lambda r: _when(r.started_at), lambda r: r.started_at or 0.0),
    ("Run", lambda r: r.id, lambda r: r.id),
    ("Roster", lambda r: r.roster_name, lambda r: r.roster_name.lower()),
    ("Entry", lambda r: r.entry or "", lambda r: r.entry or ""),
    ("Task", lambda r: " ".join(r.task.split())[:120], lambda r: r.task.lower()),
    ("Status", lambda r: r.status, lambda r: r.status),
    ("Cost", lambda r: format_usd(r.cost_usd), lambda r: r.cost_usd),
    ("Model calls", lambda r: str(r.model_calls), lambda r: r.model_calls),
    ("Duration", lambda r: f"{_duration(r):.1f} s" if _duration(r) >= 0 else "—", _duration),
    ("Version", lambda r: r.content_hash[:10], lambda r: r.content_hash),
)


class RunsTableModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: list[RunSummary] = []

    def set_runs(self, runs: list[RunSummary]) -> None:
        self.beginResetModel()
        self.runs = list(runs)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        run = self.runs[index.row()]
        _title, display, key = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return display(run)
        if role == SORT_ROLE:
            return key(run)
        if role == Qt.ItemDataRole.ToolTipRole:
            return run.error or run.task or None
        if role == Qt.ItemDataRole.ForegroundRole and COLUMNS[index.column()][0] == "Status":
            return QColor(STATUS_COLOURS.get(run.status, "#111827"))
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (6, 7, 8):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def run_at(self, row: int) -> RunSummary:
        return self.runs[row]


class RunsFilter(QSortFilterProxyModel):
    """Free text over every column, and one status (or any)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = ANY_STATUS
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)

    def set_status(self, status: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9 (invalidateFilter is deprecated)
            self.beginFilterChange()
            self.status = status
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.status = status
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, RunsTableModel)
        if self.status != ANY_STATUS and model.run_at(row).status != self.status:
            return False
        return super().filterAcceptsRow(row, parent)


class RunsPanel(QWidget):
    open_requested = Signal(str)
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RunsTableModel(self)
        self.proxy = RunsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter runs (roster, task, agent, id, status…)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.status = QComboBox()
        self.status.addItems(STATUSES)
        self.status.currentTextChanged.connect(self.proxy.set_status)
        self.open_button = QPushButton("Open / replay")
        self.open_button.clicked.connect(self._open_current)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh_requested)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda index: self._open_row(index.row()))
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.status)
        top.addWidget(self.open_button)
        top.addWidget(refresh)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table)

    def set_runs(self, runs: list[RunSummary]) -> None:
        self.model.set_runs(runs)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)

    def visible_ids(self) -> list[str]:
        return [str(self.proxy.index(row, 1).data()) for row in range(self.proxy.rowCount())]

    def _open_row(self, proxy_row: int) -> None:
        source = self.proxy.mapToSource(self.proxy.index(proxy_row, 0))
        if source.isValid():
            self.open_requested.emit(self.model.run_at(source.row()).id)

    def _open_current(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._open_row(rows[0].row())


__all__ = ["RunsFilter", "RunsPanel", "RunsTableModel"]
