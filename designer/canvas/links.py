"""Lines on the canvas that are not edges: tool → MCP server links, and the edge being drawn."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from designer.canvas import style as s

if TYPE_CHECKING:
    from designer.canvas.items import NodeItem


_LINK_PEN = QPen(QColor("#9ca3af"), 1.2)


class ServerLinkItem(QGraphicsLineItem):
    """A faint line from an MCP tool to the server that provides it (not an edge).
    Painted by Qt itself: there is nothing in its look that needs Python."""

    def __init__(self, tool: NodeItem, server: NodeItem) -> None:
        super().__init__()
        self.tool, self.server = tool, server
        tool.links.append(self)
        server.links.append(self)
        self.setPen(_LINK_PEN)
        self.setZValue(-2)
        self.adjust()

    def detach(self) -> None:
        for end in (self.tool, self.server):
            if self in end.links:
                end.links.remove(self)

    def adjust(self) -> None:
        self.setLine(QLineF(self.tool.anchor_towards(self.server.centre())[0],
                            self.server.anchor_towards(self.tool.centre())[0]))


class TempEdgeItem(QGraphicsItem):
    """The line that follows the mouse while a new edge is being drawn."""

    def __init__(self, start: QPointF) -> None:
        super().__init__()
        self.start = start
        self.end = start
        self.legal: bool | None = None
        self.setZValue(5)

    def set_end(self, end: QPointF, legal: bool | None) -> None:
        self.prepareGeometryChange()
        self.end, self.legal = end, legal

    def boundingRect(self) -> QRectF:
        return QRectF(self.start, self.end).normalized().adjusted(-6, -6, 6, 6)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        colour = {True: s.LEGAL_COLOUR, False: s.ILLEGAL_COLOUR}.get(
            self.legal, QColor("#6b7280")) if self.legal is not None else QColor("#6b7280")
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(colour, 2, Qt.PenStyle.DashLine))
        painter.drawLine(self.start, self.end)
