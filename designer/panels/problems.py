"""The problems panel: live findings, click to jump, acknowledge warnings, explain rules.

Rows are grouped errors first. Activating a row emits `jump_requested` with the
finding's subject (the window selects and centres it). Warnings can be
acknowledged with who and why; that goes through the controller so it is an
undoable edit recorded in the roster's `acknowledged:` list.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QMenu,
    QMessageBox,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from runtime.roster.checks.base import Finding, Severity
from runtime.roster.checks.engine import load_rules
from runtime.roster.errors import format_path

FINDING_ROLE = Qt.ItemDataRole.UserRole


class AcknowledgeDialog(QDialog):
    def __init__(self, finding: Finding, default_by: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Acknowledge {finding.rule}")
        layout = QFormLayout(self)
        self.by = QLineEdit(default_by)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("why this warning is acceptable here")
        layout.addRow("Warning", QLineEdit(finding.message, readOnly=True))
        layout.addRow("Accepted by", self.by)
        layout.addRow("Reason", self.reason)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addRow(buttons)

    def _accept(self) -> None:
        if not self.by.text().strip() or not self.reason.text().strip():
            QMessageBox.warning(self, "Acknowledge", "Say who accepts this warning and why.")
            return
        self.accept()


class ProblemsPanel(QTreeWidget):
    jump_requested = Signal(str)
    acknowledge_requested = Signal(object, str, str)  # Finding, by, reason

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(4)
        self.setHeaderLabels(["", "Rule", "Subject", "Problem"])
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.itemActivated.connect(self._activated)
        self.itemClicked.connect(self._activated)
        self.default_acknowledger = ""
        self.setColumnWidth(0, 70)
        self.setColumnWidth(1, 50)
        self.setColumnWidth(2, 140)

    def show_findings(self, findings: list[Finding]) -> None:
        self.clear()
        for finding in findings:
            label = "ack'd" if finding.acknowledged else (
                "error" if finding.severity is Severity.ERROR else "warning")
            item = QTreeWidgetItem([label, finding.rule, finding.subject,
                                    f"{finding.message}  Fix: {finding.fix}"])
            colour = QColor("#dc2626") if label == "error" else (
                QColor("#d97706") if label == "warning" else QColor("#6b7280"))
            item.setForeground(0, colour)
            item.setData(0, FINDING_ROLE, finding)
            item.setToolTip(3, f"{finding.message}\n\nFix: {finding.fix}\n\nat: "
                               f"{format_path(finding.path)}")
            self.addTopLevelItem(item)

    def finding_at(self, row: int) -> Finding | None:
        item = self.topLevelItem(row)
        return item.data(0, FINDING_ROLE) if item is not None else None

    def _activated(self, item: QTreeWidgetItem, column: int = 0) -> None:
        finding: Finding = item.data(0, FINDING_ROLE)
        if finding is not None and finding.subject:
            self.jump_requested.emit(finding.subject)

    def _menu(self, pos: QPoint) -> None:
        item = self.itemAt(pos)
        if item is None:
            return
        finding: Finding = item.data(0, FINDING_ROLE)
        menu = QMenu(self)
        explain = QAction(f"Explain {finding.rule}", menu)
        explain.triggered.connect(lambda: self._explain(finding))
        menu.addAction(explain)
        if finding.severity is Severity.WARNING and not finding.acknowledged:
            ack = QAction("Acknowledge…", menu)
            ack.triggered.connect(lambda: self.ask_acknowledge(finding))
            menu.addAction(ack)
        menu.exec(self.viewport().mapToGlobal(pos))

    def ask_acknowledge(self, finding: Finding) -> None:
        dialog = AcknowledgeDialog(finding, self.default_acknowledger, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.acknowledge_requested.emit(finding, dialog.by.text().strip(),
                                            dialog.reason.text().strip())

    def _explain(self, finding: Finding) -> None:
        rule = load_rules().get(finding.rule)
        text = rule.explain if rule is not None else "No explanation available."
        QMessageBox.information(self, f"{finding.rule}: {rule.title if rule else ''}", text)
