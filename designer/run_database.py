"""File → Connect to a Run Database: watch a (shared) run database, answer its approvals.

A small non-modal window: the database URL (a postgresql:// URL of a worker
pool, or a local SQLite journal file), the most recent runs with their status
and spend, and the approvals runs are waiting on. Selecting an approval and
pressing Approve or Deny (with an optional note, which is the answer to a
question) leaves the answer in the run's mailbox; the worker executing the
run picks it up within a second. A run can be cancelled from here too. The
lists refresh every few seconds. Nothing of the runtime is imported until the
first connection, so the designer starts as fast as before.
"""

from __future__ import annotations

import getpass
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from runtime.scale.submit import PendingApproval, Submitter

REFRESH_MS = 3000
RUN_COLUMNS = ("Run", "Status", "Roster", "Spend", "Executor", "Task")
APPROVAL_COLUMNS = ("Run", "Request", "Human", "Agent → tool", "Risk", "Time left", "Why")


def _cell(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


class RunDatabaseDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run Database")
        self.resize(900, 560)
        self.submitter: Submitter | None = None
        self.pending: list[PendingApproval] = []
        self.url = QLineEdit(placeholderText="postgresql://user@host/roster  or  a runs.db file")
        self.connect_button = QPushButton("Connect")
        self.status = QLabel("Not connected.")
        self.runs = self._table(RUN_COLUMNS)
        self.approvals = self._table(APPROVAL_COLUMNS)
        self.note = QLineEdit(placeholderText="Note or answer for the agent (optional)")
        self.approve_button, self.deny_button = QPushButton("Approve"), QPushButton("Deny")
        self.cancel_button = QPushButton("Cancel Run")
        top = QHBoxLayout()
        top.addWidget(QLabel("Database:"))
        top.addWidget(self.url, 1)
        top.addWidget(self.connect_button)
        answer = QHBoxLayout()
        answer.addWidget(self.note, 1)
        answer.addWidget(self.approve_button)
        answer.addWidget(self.deny_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(QLabel("Waiting for a human:"))
        layout.addWidget(self.approvals, 1)
        layout.addLayout(answer)
        layout.addWidget(QLabel("Recent runs:"))
        layout.addWidget(self.runs, 2)
        layout.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignRight)
        self.timer = QTimer(self, interval=REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.connect_button.clicked.connect(self.connect_database)
        self.url.returnPressed.connect(self.connect_database)
        self.approve_button.clicked.connect(lambda: self.answer(True))
        self.deny_button.clicked.connect(lambda: self.answer(False))
        self.cancel_button.clicked.connect(self.cancel_run)
        self._enable()

    def _table(self, columns: tuple[str, ...]) -> QTableWidget:
        table = QTableWidget(0, len(columns))
        table.setHorizontalHeaderLabels(list(columns))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.horizontalHeader().setStretchLastSection(True)
        table.verticalHeader().setVisible(False)
        table.itemSelectionChanged.connect(self._enable)
        return table

    def _enable(self) -> None:
        connected = self.submitter is not None
        picked = connected and bool(self.approvals.selectedItems())
        self.approve_button.setEnabled(picked)
        self.deny_button.setEnabled(picked)
        self.cancel_button.setEnabled(connected and bool(self.runs.selectedItems()))

    # ------------------------------------------------------------ actions

    def connect_database(self) -> None:
        from runtime.cli.worker import shown_url
        from runtime.scale.submit import Submitter

        url = self.url.text().strip()
        if not url:
            self.status.setText("Enter a postgresql:// URL or the path of a runs.db file.")
            return
        self.disconnect_database()
        try:
            self.submitter = Submitter(url)
        except Exception as exc:  # unreachable server, bad URL, unreadable file
            self.status.setText(f"Cannot open {shown_url(url)}: {exc}")
            return
        self.status.setText(f"Connected to {shown_url(self.submitter.url)}.")
        self.refresh()
        self.timer.start()

    def disconnect_database(self) -> None:
        self.timer.stop()
        if self.submitter is not None:
            self.submitter.close()
            self.submitter = None
        self._enable()

    def refresh(self) -> None:
        if self.submitter is None:
            return
        try:
            runs = self.submitter.journal.list_runs(50)
            self.pending = self.submitter.pending()
        except Exception as exc:  # the server went away: say so, keep trying
            self.status.setText(f"Refresh failed: {exc}")
            return
        self._fill(self.runs, [(r.id, r.status, r.roster_name, f"${r.cost_usd:.4f}",
                                r.executor or "-", " ".join(r.task.split())[:80])
                               for r in runs])
        now = time.time()
        self._fill(self.approvals, [
            (p.run_id, p.request_id, p.human, f"{p.agent} → {p.tool}", p.risk,
             f"{max(0.0, (p.expires_at() or now) - now):.0f} s" if p.timeout_s else "no limit",
             p.reason) for p in self.pending])
        self._enable()

    def _fill(self, table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
        selected = self._selected(table, 1 if table is self.approvals else 0)
        table.setRowCount(len(rows))
        for number, row in enumerate(rows):
            for column, text in enumerate(row):
                table.setItem(number, column, _cell(text))
            key = row[1] if table is self.approvals else row[0]
            if key == selected:
                table.selectRow(number)

    @staticmethod
    def _selected(table: QTableWidget, column: int) -> str | None:
        rows = {index.row() for index in table.selectedIndexes()}
        if not rows:
            return None
        item = table.item(rows.pop(), column)
        return item.text() if item is not None else None

    def answer(self, approved: bool) -> None:
        from runtime.engine.executor import ApprovalAnswer

        request = self._selected(self.approvals, 1)
        found = next((p for p in self.pending if p.request_id == request), None)
        if self.submitter is None or found is None:
            return
        self.submitter.answer(ApprovalAnswer(found.request_id, approved, _who(),
                                             self.note.text().strip()), found.run_id)
        self.status.setText(f"{'Approved' if approved else 'Denied'} {found.request_id} "
                            f"of run {found.run_id}.")
        self.note.clear()
        self.refresh()

    def cancel_run(self) -> None:
        run_id = self._selected(self.runs, 0)
        if self.submitter is None or run_id is None:
            return
        try:
            self.submitter.cancel(run_id)
        except Exception as exc:
            self.status.setText(f"Cannot cancel {run_id}: {exc}")
            return
        self.status.setText(f"Cancel requested for run {run_id}.")
        self.refresh()

    def done(self, result: int) -> None:
        self.disconnect_database()
        super().done(result)


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "designer"


def install_run_database(window: Any, menu: QMenu) -> QAction:
    """Add File → Connect to a Run Database… to `menu`; the window keeps one dialog."""
    action = QAction("Connect to a Run &Database…", window)

    def show() -> None:
        dialog = getattr(window, "_run_database_dialog", None)
        if dialog is None:
            dialog = RunDatabaseDialog(window)
            window._run_database_dialog = dialog
        dialog.show()
        dialog.raise_()

    action.triggered.connect(show)
    menu.addAction(action)
    return action


__all__ = ["RunDatabaseDialog", "install_run_database"]
