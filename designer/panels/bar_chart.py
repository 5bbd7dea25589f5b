"""A labelled bar chart of a mapping (label -> value) in dollars, for the oversight dashboard.

Imported only when the dashboard is first shown: pyqtgraph costs the designer's
cold start most of a second.
"""

from __future__ import annotations

import pyqtgraph as pg  # type: ignore[import-untyped]
from PySide6.QtWidgets import QWidget

TOP_N = 12


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
