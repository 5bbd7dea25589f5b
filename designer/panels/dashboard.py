"""The oversight dashboard: what the roster's runs cost, where they fail, how humans answer.

Figures come from `designer.oversight.stats` (the journal); this widget only
draws them: headline numbers (runs, spend, error and denial rates, approvals
and the humans' median answer time), call-outs for the most expensive and the
most failing agent, bar charts of spend per day, per agent and per model
(pyqtgraph, the same library the forecast panel uses), and tables of human
answer times and runs per roster version (content hash).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
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

if TYPE_CHECKING:
    from designer.panels.bar_chart import BarChart

BAR_COLOURS = {"day": "#3b6fd8", "agent": "#d9822b", "model": "#7c3aed"}


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


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
        self.charts: tuple[BarChart, BarChart, BarChart] | None = None  # built when first shown
        charts = self.charts_row = QHBoxLayout()
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

    def ensure_charts(self) -> tuple[BarChart, BarChart, BarChart]:
        """The three spend charts, built on first use: pyqtgraph costs the designer's cold
        start most of a second, and most sessions never open the dashboard."""
        if self.charts is None:
            from designer.panels.bar_chart import BarChart

            self.charts = (BarChart("Spend per day", BAR_COLOURS["day"]),
                           BarChart("Spend per agent", BAR_COLOURS["agent"]),
                           BarChart("Spend per model", BAR_COLOURS["model"]))
            for chart in self.charts:
                self.charts_row.addWidget(chart, 1)
            self._fill_charts()
        return self.charts

    @property
    def per_day(self) -> BarChart:
        return self.ensure_charts()[0]

    @property
    def per_agent(self) -> BarChart:
        return self.ensure_charts()[1]

    @property
    def per_model(self) -> BarChart:
        return self.ensure_charts()[2]

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # The window shows and hides docks while it arranges its tab groups at start;
        # build the charts only if the dashboard is still on screen once that settles.
        QTimer.singleShot(0, self._charts_if_shown)

    def _charts_if_shown(self) -> None:
        if self.charts is None and self.isVisible() and not self.visibleRegion().isEmpty():
            self.ensure_charts()

    def _fill_charts(self) -> None:
        if self.charts is not None:
            day, agent, model = self.charts
            day.set_values(self.stats.spend_per_day)
            agent.set_values(self.stats.spend_per_agent)
            model.set_values(self.stats.spend_per_model)

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
        self._fill_charts()
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


__all__ = ["DashboardPanel"]
