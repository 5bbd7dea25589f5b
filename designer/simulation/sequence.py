"""The sequence view of a dry run: participants as lanes, interactions as arrows, top to bottom.

Agents, humans and tools each get a lifeline under a header with their name;
delegations are solid blue arrows, answers dashed, tool calls grey, denied
calls red with a cross, approval requests amber, limits red marks, model
turns small dots. A failed expectation's row is tinted red. Clicking a row
selects it and emits `row_selected(event_index)`.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QScrollArea, QWidget

from designer.simulation.trace import AGENT, HUMAN, Row, TraceLayout
from runtime.engine import events as ev

LANE_WIDTH = 150
ROW_HEIGHT = 26
HEADER = 40
MARGIN = 12
STYLES: dict[str, tuple[str, Qt.PenStyle]] = {
    "delegate": ("#2563eb", Qt.PenStyle.SolidLine),
    "answer": ("#2563eb", Qt.PenStyle.DashLine),
    "tool": ("#4b5563", Qt.PenStyle.SolidLine),
    "result": ("#4b5563", Qt.PenStyle.DashLine),
    "error": ("#dc2626", Qt.PenStyle.DashLine),
    "denied": ("#dc2626", Qt.PenStyle.SolidLine),
    "ask": ("#d97706", Qt.PenStyle.SolidLine),
    "decision": ("#d97706", Qt.PenStyle.DashLine),
    "limit": ("#dc2626", Qt.PenStyle.SolidLine),
    "model": ("#6b7280", Qt.PenStyle.SolidLine),
    "end": ("#15803d", Qt.PenStyle.SolidLine),
}
LANE_FILL = {AGENT: QColor("#e0e7ff"), HUMAN: QColor("#fef3c7")}
TOOL_FILL = QColor("#f3f4f6")
FAILED_ROW = QColor("#fee2e2")
SELECTED_ROW = QColor("#dbeafe")


class SequenceCanvas(QWidget):
    row_selected = Signal(int)  # event index

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = TraceLayout([])
        self.failed_events: set[int] = set()
        self.selected: int | None = None
        self._font = QFont()
        self._font.setPointSizeF(8.5)
        self._bold = QFont(self._font)
        self._bold.setBold(True)
        self.setMouseTracking(False)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(self.backgroundRole(), QColor("white"))
        self.setPalette(palette)

    def set_trace(self, events: Sequence[ev.EngineEvent],
                  failed_events: set[int] | None = None) -> None:
        self.layout_ = TraceLayout(events)
        self.failed_events = failed_events or set()
        self.selected = None
        self.resize(self.sizeHint())
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        lanes = max(1, len(self.layout_.lanes))
        return QSize(MARGIN * 2 + lanes * LANE_WIDTH,
                     HEADER + MARGIN + max(1, len(self.layout_.rows)) * ROW_HEIGHT)

    def lane_x(self, lane_id: str) -> float:
        return MARGIN + (self.layout_.position[lane_id] + 0.5) * LANE_WIDTH

    def row_y(self, n: int) -> float:
        return HEADER + (n + 0.5) * ROW_HEIGHT

    def select_event(self, event_index: int) -> int | None:
        """Select the row of an event (or the next row); returns the row number."""
        n = self.layout_.row_of_event(event_index)
        self.selected = n
        self.update()
        return n

    def mousePressEvent(self, event: QMouseEvent) -> None:
        n = int((event.position().y() - HEADER) // ROW_HEIGHT)
        if 0 <= n < len(self.layout_.rows):
            self.selected = n
            self.update()
            self.row_selected.emit(self.layout_.rows[n].event_index)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rows, lanes = self.layout_.rows, self.layout_.lanes
        width = self.width()
        for n, row in enumerate(rows):  # row backgrounds first
            fill = (SELECTED_ROW if n == self.selected else
                    FAILED_ROW if row.event_index in self.failed_events else None)
            if fill is not None:
                painter.fillRect(QRectF(0, HEADER + n * ROW_HEIGHT, width, ROW_HEIGHT), fill)
        bottom = HEADER + len(rows) * ROW_HEIGHT + MARGIN / 2
        painter.setFont(self._bold)
        for lane in lanes:
            x = self.lane_x(lane.id)
            painter.setPen(QPen(QColor("#9ca3af"), 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(x, HEADER - 6), QPointF(x, bottom))
            box = QRectF(x - LANE_WIDTH / 2 + 6, 6, LANE_WIDTH - 12, HEADER - 14)
            painter.setPen(QPen(QColor("#6b7280"), 1))
            painter.setBrush(QBrush(LANE_FILL.get(lane.kind, TOOL_FILL)))
            painter.drawRoundedRect(box, 5, 5)
            painter.setPen(QColor("#111827"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter,
                             painter.fontMetrics().elidedText(
                                 lane.id, Qt.TextElideMode.ElideRight, int(box.width()) - 6))
        painter.setFont(self._font)
        for n, row in enumerate(rows):
            self._paint_row(painter, n, row)
        painter.end()

    def _paint_row(self, painter: QPainter, n: int, row: Row) -> None:
        colour, dash = STYLES.get(row.style, STYLES["tool"])
        pen = QPen(QColor(colour), 1.6, dash)
        y = self.row_y(n)
        x1 = self.lane_x(row.source)
        metrics = painter.fontMetrics()
        if row.target is None or row.target == row.source:
            painter.setPen(pen)
            painter.setBrush(QColor(colour))
            radius = 3.0 if row.style == "model" else 5.0
            painter.drawEllipse(QPointF(x1, y), radius, radius)
            painter.setPen(QColor(colour if row.style != "model" else "#6b7280"))
            painter.drawText(QPointF(x1 + 9, y + 4), metrics.elidedText(
                row.label, Qt.TextElideMode.ElideRight, LANE_WIDTH * 2))
            return
        x2 = self.lane_x(row.target)
        painter.setPen(pen)
        painter.drawLine(QPointF(x1, y), QPointF(x2, y))
        direction = 1.0 if x2 > x1 else -1.0
        head = QPolygonF([QPointF(x2, y), QPointF(x2 - 8 * direction, y - 4),
                          QPointF(x2 - 8 * direction, y + 4)])
        painter.setBrush(QColor(colour))
        painter.setPen(QPen(QColor(colour), 1))
        painter.drawPolygon(head)
        if row.style == "denied":
            painter.setPen(QPen(QColor(colour), 2))
            mid = (x1 + x2) / 2
            painter.drawLine(QPointF(mid - 5, y - 5), QPointF(mid + 5, y + 5))
            painter.drawLine(QPointF(mid - 5, y + 5), QPointF(mid + 5, y - 5))
        span = abs(x2 - x1) - 12
        text = metrics.elidedText(row.label, Qt.TextElideMode.ElideRight, int(max(span, 60)))
        painter.setPen(QColor("#111827" if row.style not in ("denied", "error") else colour))
        painter.drawText(QPointF(min(x1, x2) + 6, y - 4), text)


class SequenceView(QScrollArea):
    """The sequence canvas in a scroll area."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = SequenceCanvas()
        self.setWidget(self.canvas)
        self.setWidgetResizable(False)
        self.setBackgroundRole(self.canvas.backgroundRole())

    def set_trace(self, events: Sequence[ev.EngineEvent],
                  failed_events: set[int] | None = None) -> None:
        self.canvas.set_trace(events, failed_events)

    def show_event(self, event_index: int) -> None:
        n = self.canvas.select_event(event_index)
        if n is not None:
            self.ensureVisible(0, int(self.canvas.row_y(n)), 0, ROW_HEIGHT * 3)
