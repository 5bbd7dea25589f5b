"""The forecast's four charts, drawn with pyqtgraph: one forecast, or two side by side.

- cost per task: a histogram of the per-task cost samples (the what-if outlined on top);
- latency percentiles: latency against percentile, p1 to p99 (p50 and p95 marked);
- approvals per day per human: grouped bars;
- spend share per agent: grouped bars, largest first.

`ForecastCharts.show(a, b)` redraws all four; `b` is the what-if or None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyqtgraph as pg  # type: ignore[import-untyped]
from PySide6.QtWidgets import QGridLayout, QWidget

from runtime.forecast import Forecast

BASE_COLOUR = "#3b6fd8"
WHAT_IF_COLOUR = "#d9822b"
TOP_AGENTS = 10
HISTOGRAM_BINS = 40
PERCENTILES = np.arange(1, 100)


def _short(label: str, width: int = 12) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


class ChartPlot(pg.PlotWidget):  # type: ignore[misc]
    """A static, white plot with a title and axis labels (no mouse panning or context menu)."""

    def __init__(self, title: str, x_label: str, y_label: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setTitle(title, color="#111827", size="10pt")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.showGrid(x=False, y=True, alpha=0.25)
        for side, label in (("bottom", x_label), ("left", y_label)):
            axis = self.getAxis(side)
            axis.setLabel(label, color="#374151")
            axis.setPen(pg.mkPen("#6b7280"))
            axis.setTextPen(pg.mkPen("#374151"))
            axis.enableAutoSIPrefix(False)
        self.setMinimumSize(260, 190)
        self.legend: pg.LegendItem | None = None
        self.series = 0  # how many data series the last draw put on the plot

    def reset(self, legend: bool) -> None:
        self.clear()
        self.series = 0
        if self.legend is not None:
            self.legend.scene().removeItem(self.legend)
            self.legend = None
        if legend:
            self.legend = self.addLegend(offset=(-10, 10), labelTextColor="#111827",
                                          brush=pg.mkBrush(255, 255, 255, 215))


class ForecastCharts(QWidget):
    """Four charts in a 2×2 grid."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cost = ChartPlot("Cost per task", "USD per task", "% of tasks")
        self.latency = ChartPlot("Latency percentiles", "percentile", "seconds (log)")
        self.latency.setLogMode(y=True)
        self.approvals = ChartPlot("Requests to humans per day", "", "requests / day")
        self.spend = ChartPlot("Spend share per agent", "% of spend", "")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, plot in enumerate((self.cost, self.latency, self.approvals, self.spend)):
            grid.addWidget(plot, i // 2, i % 2)

    def plots(self) -> tuple[ChartPlot, ...]:
        return (self.cost, self.latency, self.approvals, self.spend)

    def show_forecasts(self, base: Forecast, what_if: Forecast | None = None,
                       labels: tuple[str, str] = ("current", "what-if")) -> None:
        runs = [(base, BASE_COLOUR, labels[0])]
        if what_if is not None:
            runs.append((what_if, WHAT_IF_COLOUR, labels[1]))
        self._histogram(runs)
        self._percentiles(runs)
        self._bars(self.approvals, runs,
                   [{h: e.value for h, e in f.approvals_per_day.items()} for f, _, _ in runs])
        shares = [dict(f.spend_share) for f, _, _ in runs]
        order = sorted(shares[0], key=lambda a: -shares[0][a])[:TOP_AGENTS]
        self._bars(self.spend, runs, [{a: 100 * s.get(a, 0.0) for a in order} for s in shares],
                   horizontal=True)

    def _histogram(self, runs: Sequence[tuple[Forecast, str, str]]) -> None:
        plot = self.cost
        plot.reset(legend=len(runs) > 1)
        samples = [np.asarray(f.cost, dtype=float) for f, _, _ in runs]
        top = max(float(np.percentile(s, 99.5)) for s in samples if s.size) if samples else 1.0
        edges = np.linspace(0.0, top or 1.0, HISTOGRAM_BINS + 1)
        for (_f, colour, label), data in zip(runs, samples, strict=True):
            counts, _ = np.histogram(np.clip(data, 0.0, edges[-1]), bins=edges)
            share = 100 * counts / max(1, data.size)
            first = plot.series == 0
            brush = pg.mkBrush(colour + ("cc" if first else "00"))
            plot.plot(edges, share, stepMode="center", fillLevel=0 if first else None,
                      brush=brush if first else None, pen=pg.mkPen(colour, width=2), name=label)
            plot.series += 1
        plot.setXRange(0, float(edges[-1]), padding=0.02)

    def _percentiles(self, runs: Sequence[tuple[Forecast, str, str]]) -> None:
        plot = self.latency
        plot.reset(legend=len(runs) > 1)
        for f, colour, label in runs:
            data = np.asarray(f.latency, dtype=float)
            if not data.size:
                continue
            values = np.maximum(np.percentile(data, PERCENTILES), 1e-3)  # log axis
            plot.plot(PERCENTILES, values, pen=pg.mkPen(colour, width=2), name=label)
            marks = np.maximum(np.percentile(data, [50, 95]), 1e-3)
            plot.plot([50, 95], marks, pen=None, symbol="o", symbolSize=7,
                      symbolBrush=colour, symbolPen=pg.mkPen(colour))
            plot.series += 1
        plot.setXRange(0, 100, padding=0.02)

    @staticmethod
    def _bars(plot: ChartPlot, runs: Sequence[tuple[Forecast, str, str]],
              values: Sequence[Mapping[str, float]], horizontal: bool = False) -> None:
        """Grouped bars, one group per label; `horizontal` puts the labels on the left,
        top to bottom, where long agent names stay readable."""
        plot.reset(legend=len(runs) > 1)
        labels = list(values[0]) if values else []
        width = 0.8 / max(1, len(runs))
        slots = [len(labels) - 1 - k if horizontal else k for k in range(len(labels))]
        for i, ((_f, colour, label), series) in enumerate(zip(runs, values, strict=True)):
            at = [k - 0.4 + width * (i + 0.5) for k in slots]
            sizes = [series.get(name, 0.0) for name in labels]
            if labels:
                shape = (dict(x0=0, y=at, width=sizes, height=width * 0.92) if horizontal
                         else dict(x=at, height=sizes, width=width * 0.92))
                plot.addItem(pg.BarGraphItem(**shape, brush=colour, pen=pg.mkPen(colour),
                                             name=label))
            plot.series += 1
        ticks = [[(slot, _short(name, 16 if horizontal else 12))
                  for slot, name in zip(slots, labels, strict=True)]]
        top = max((v for s in values for v in s.values()), default=0.0) * 1.15 or 1.0
        span = (-0.6, max(len(labels), 1) - 0.4)
        if horizontal:
            plot.getAxis("left").setTicks(ticks)
            plot.setYRange(*span, padding=0)
            plot.setXRange(0, top, padding=0)
        else:
            plot.getAxis("bottom").setTicks(ticks)
            plot.setXRange(*span, padding=0)
            plot.setYRange(0, top, padding=0)
