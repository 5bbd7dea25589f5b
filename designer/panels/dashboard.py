"""The oversight dashboard: what the roster's runs cost, where they fail, how humans answer.

Figures come from `designer.oversight.stats` (the journal); this widget only
draws them: headline numbers (runs, spend, error and denial rates, approvals
and the humans' median answer time), call-outs for the most expensive and the
most failing agent, bar charts of spend per day, per agent and per model
(pyqtgraph, the same library the forecast panel uses), and tables of human
answer times and runs per roster version (content hash).
"""

from __future__ import annotations

import pyqtgraph as pg  # type: ignore[import-untyped]
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.oversight.stats import OversightStats
from runtime.roster.costs import format_usd

BAR_COLOURS = {"day": "#3b6fd8", "agent": "#d9822b", "model": "#7c3aed"}
TOP_N = 12


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def _tick(label: str) -> str:
    label = label.removeprefix("claude-")
    return label if len(label) <= 16 else label[:15] + "…"


class BarChart(pg.PlotWidget):  # type: ignore[misc]
    """A labelled bar chart of a mapping (label -> value), largest first when asked."""

    def __init__(self, title: str, colour: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setTitle(title, color="#111827", size="10pt")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.getAxis("left").setLabel("USD")
        self.getAxis("left").enableAutoSIPrefix(False)  # dollars, never "USD (x0.001)"
        self.showGrid(y=True, alpha=0.25)
        self.colour = colour
        self.values: dict[str, float] = {}
        self.setMinimumHeight(170)

    def set_values(self, values: dict[str, float]) -> None:
        self.values = dict(list(values.items())[:TOP_N])
        self.clear()
        labels = list(self.values)
        if labels:
            bars = pg.BarGraphItem(x=list(range(len(labels))), height=list(self.values.values()),
                                   width=0.6, brush=self.colour, pen=pg.mkPen(self.colour))
            self.addItem(bars)
        axis = self.getAxis("bottom")
        axis.setTicks([[(i, _tick(label)) for i, label in enumerate(labels)]])
        self.setXRange(-0.6, max(len(labels), 1) - 0.4, padding=0)
        self.setYRange(0, max(self.values.values(), default=0.0) * 1.15 or 1.0, padding=0)


class DashboardPanel(QWidget):
    """Headline figures, call-outs, three spend charts and two tables; `show_stats` fills."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stats = OversightStats()
        self.headline: dict[str, QLabel] = {}
        grid = QGridLayout()
        names = [("runs", "Runs"), ("spend", "Spend"), ("errors", "Run error rate"),
                 ("denials", "Tool denial rate"), ("approvals", "Approvals requested"),
                 ("answer", "Median answer time")]
        for i, (key, title) in enumerate(names):
            box = QGroupBox(title)
            label = QLabel("—")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet("font-size: 15pt; font-weight: 600;")
            QVBoxLayout(box).addWidget(label)
            self.headline[key] = label
            grid.addWidget(box, 0, i)
        self.expensive = QLabel()
        self.failing = QLabel()
        for label in (self.expensive, self.failing):
            label.setWordWrap(True)
        callouts = QHBoxLayout()
        callouts.addWidget(self.expensive, 1)
        callouts.addWidget(self.failing, 1)
        self.refresh_button = QPushButton("Refresh")
        callouts.addWidget(self.refresh_button)
        self.per_day = BarChart("Spend per day", BAR_COLOURS["day"])
        self.per_agent = BarChart("Spend per agent", BAR_COLOURS["agent"])
        self.per_model = BarChart("Spend per model", BAR_COLOURS["model"])
        charts = QHBoxLayout()
        for chart in (self.per_day, self.per_agent, self.per_model):
            charts.addWidget(chart, 1)
        self.humans = QTableWidget(0, 5)
        self.humans.setHorizontalHeaderLabels(["Human", "Asked", "Timed out", "Median",
                                               "p95"])
        self.versions = QTableWidget(0, 3)
        self.versions.setHorizontalHeaderLabels(["Roster", "Version", "Runs"])
        for table in (self.humans, self.versions):
            table.verticalHeader().hide()
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            table.horizontalHeader().setStretchLastSection(True)
            table.setMinimumHeight(90)
        tables = QHBoxLayout()
        tables.addWidget(self.humans, 1)
        tables.addWidget(self.versions, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addLayout(callouts)
        layout.addLayout(charts, 1)
        layout.addLayout(tables)

    def show_stats(self, stats: OversightStats) -> None:
        self.stats = stats
        h = self.headline
        h["runs"].setText(f"{stats.runs}")
        h["spend"].setText(format_usd(stats.total_usd))
        h["errors"].setText(f"{stats.error_rate:.0%}")
        h["denials"].setText(f"{stats.denial_rate:.0%}")
        h["approvals"].setText(f"{stats.approvals_requested}")
        waits = [x.median_s for x in stats.humans if x.median_s is not None]
        h["answer"].setText(_seconds(sorted(waits)[len(waits) // 2] if waits else None))
        top = stats.most_expensive_agent
        self.expensive.setText(
            f"<b>Most expensive agent:</b> {top[0]} ({format_usd(top[1])}, "
            f"{top[1] / stats.total_usd:.0%} of spend)" if top and stats.total_usd
            else "<b>Most expensive agent:</b> —")
        worst = stats.most_failing_agent
        self.failing.setText(
            f"<b>Most failing agent:</b> <span style='color:#dc2626'>{worst[0]}</span> "
            f"({worst[1]} failure(s): failed turns, tool errors and denials)" if worst
            else "<b>Most failing agent:</b> none failed")
        self.per_day.set_values(stats.spend_per_day)
        self.per_agent.set_values(stats.spend_per_agent)
        self.per_model.set_values(stats.spend_per_model)
        self.humans.setRowCount(len(stats.humans))
        for row, human in enumerate(stats.humans):
            cells = [human.human, str(human.asked), str(human.timed_out),
                     _seconds(human.median_s), _seconds(human.p95_s)]
            for col, text in enumerate(cells):
                self.humans.setItem(row, col, QTableWidgetItem(text))
        self.versions.setRowCount(len(stats.runs_per_version))
        for row, (content_hash, name, count) in enumerate(stats.runs_per_version):
            for col, text in enumerate([name, content_hash[:12], str(count)]):
                item = QTableWidgetItem(text)
                item.setToolTip(f"content hash {content_hash}")
                self.versions.setItem(row, col, item)
        for table in (self.humans, self.versions):
            table.resizeColumnsToContents()


__all__ = ["BarChart", "DashboardPanel"]
