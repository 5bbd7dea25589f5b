"""The forecast's numbers as a table: each metric with its 95% interval, and the what-if beside it.

Without a what-if the columns are metric, value and interval. With one they
are metric, current, what-if, change and relative change, from
`runtime.forecast.compare`, so the table says exactly what the CLI says.
Changes that cost more are tinted red, savings green.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from runtime.forecast import Estimate, Forecast, compare
from runtime.forecast.render import delta_cells, shower

WORSE = QColor("#fde2e1")
BETTER = QColor("#dcfce7")


def show(value: float, unit: str) -> str:
    return "—" if math.isnan(value) else shower(unit)(value)


def interval(e: Estimate, unit: str) -> str:
    if math.isnan(e.low):
        return ""
    return f"{show(max(e.low, 0.0), unit)} – {show(e.high, unit)}"


def headline(f: Forecast) -> list[tuple[str, Estimate, str]]:
    """(label, estimate, unit) rows of one forecast, in reading order."""
    rows = [("cost per task p50", f.cost_p50, "usd"), ("cost per task p95", f.cost_p95, "usd"),
            ("cost per task mean", f.cost_mean, "usd"),
            ("cost per month", f.cost_per_month, "usd"),
            ("latency p50", f.latency_p50, "s"), ("latency p95", f.latency_p95, "s"),
            ("tasks needing a human", f.escalation_rate, "share")]
    rows += [(f"requests/day to {h}", e, "per_day") for h, e in f.approvals_per_day.items()]
    return rows


class SummaryTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def _fill(self, head: list[str], rows: list[list[str]],
              tints: list[QColor | None] | None = None) -> None:
        self.clear()
        self.setColumnCount(len(head))
        self.setHorizontalHeaderLabels(head)
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                tint = tints[r] if tints else None
                if tint is not None and c >= 3:
                    item.setBackground(tint)
                self.setItem(r, c, item)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(head)):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)

    def show_forecast(self, f: Forecast) -> None:
        rows = [[label, show(e.value, unit), interval(e, unit)]
                for label, e, unit in headline(f)]
        rows += [[f"denied by {h}", f"{rate:.1%}", ""] for h, rate in f.denial_rate.items()
                 if rate]
        rows += [[f"timed out at {h}", f"{rate:.1%}", ""] for h, rate in f.timeout_rate.items()
                 if rate]
        name = f.bottleneck
        if name is not None:
            rows.append(["bottleneck", name, f"{f.utilisation[name]:.0%} busy"])
        self._fill(["Metric", "Forecast", "95% interval"], rows)

    def show_comparison(self, a: Forecast, b: Forecast, label: str) -> None:
        rows: list[list[str]] = []
        tints: list[QColor | None] = []
        for r in compare(a, b).rows:
            if r.a == 0 and r.b == 0:
                continue
            current, variant, change, relative = delta_cells(r)
            if change.startswith("-"):
                change = "−" + change[1:]  # a typographic minus on screen
            rows.append([r.metric, current, variant, change, relative])
            tints.append(None if abs(r.delta) < 1e-12 else (WORSE if r.delta > 0 else BETTER))
        self._fill(["Metric", "Current", label, "Change", "%"], rows, tints)
