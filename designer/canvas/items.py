"""Graphics items for nodes and edges, painted with level of detail.

A `NodeItem` is a card: type stripe and glyph, name, id and kind, a badge
(the model coloured by tier for agents, the risk for tools, the timeout rule
for humans), capability letters, a problem marker with its count, and for
agents a handle to drag edges from. Zoomed out it paints a plain block, so
thousands of cards stay fluid. An `EdgeItem` draws one relationship in its
kind's colour, dash and arrowhead, with mode and approval marks on tool
access. Items hold view state only; they never touch the document.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from designer.canvas import style as s
from runtime.roster import model as m

NODE_TYPE = QGraphicsItem.UserType + 1
EDGE_TYPE = QGraphicsItem.UserType + 2

_TITLE_FONT = QFont()
_TITLE_FONT.setPointSizeF(9.5)
_TITLE_FONT.setBold(True)
_SMALL_FONT = QFont()
_SMALL_FONT.setPointSizeF(7.5)
_GLYPH_FONT = QFont()
_GLYPH_FONT.setPointSizeF(10)
_GLYPH_FONT.setBold(True)


class NodeItem(QGraphicsItem):
    def __init__(self, node: m.Node) -> None:
        super().__init__()
        self.node = node
        self.edges: list[EdgeItem] = []
        self.links: list[ServerLinkItem] = []
        self.badge_text = ""
        self.badge_colour = s.CARD_SUBTEXT
        self.caps_text = ""
        self.errors = 0
        self.warnings = 0
        self.is_entry = False
        self.highlight: QColor | None = None  # legal/illegal target while drawing an edge
        self.run_state: str | None = None  # overlay for live runs (issue 7)
        self._rect = QRectF(0, 0, s.NODE_WIDTH, s.NODE_HEIGHT)
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
            | QGraphicsItem.GraphicsItemFlag.ItemIsFocusable
        )
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self._update_tooltip()

    # ------------------------------------------------------------ data

    @property
    def node_id(self) -> str:
        return self.node.id

    def type(self) -> int:
        return NODE_TYPE

    def set_node(self, node: m.Node) -> None:
        self.node = node
        self._update_tooltip()
        self.update()

    def set_badge(self, text: str, colour: QColor, caps: str = "") -> None:
        self.badge_text, self.badge_colour, self.caps_text = text, colour, caps
        self.update()

    def set_problems(self, errors: int, warnings: int) -> None:
        if (errors, warnings) != (self.errors, self.warnings):
            self.errors, self.warnings = errors, warnings
            self.update()

    def set_highlight(self, colour: QColor | None) -> None:
        if colour != self.highlight:
            self.highlight = colour
            self.update()

    def _update_tooltip(self) -> None:
        node = self.node
        lines = [f"<b>{node.name or node.id}</b> ({node.id})"]
        role = getattr(node, "role", "")
        if role:
            lines.append(role)
        self.setToolTip("<br>".join(lines))

    # ------------------------------------------------------------ geometry

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-4, -10, s.HANDLE_RADIUS + 4, 4)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.setFillRule(Qt.FillRule.WindingFill)  # the handle overlaps the card
        path.addRoundedRect(self._rect, 8, 8)
        if self.has_handle:
            path.addEllipse(self.handle_centre(), s.HANDLE_RADIUS + 2, s.HANDLE_RADIUS + 2)
        return path

    @property
    def has_handle(self) -> bool:
        return isinstance(self.node, m.Agent)

    def handle_centre(self) -> QPointF:
        return QPointF(self._rect.right(), self._rect.center().y())

    def on_handle(self, scene_pos: QPointF) -> bool:
        if not self.has_handle:
            return False
        local = self.mapFromScene(scene_pos)
        return QLineF(local, self.handle_centre()).length() <= s.HANDLE_RADIUS + 3

    def anchor_towards(self, other: QPointF) -> tuple[QPointF, QPointF]:
        """The middle of the card side facing `other`, and the outward direction.

        `other` is the centre of another card. When the two cards do not overlap
        horizontally (centres a card width or more apart) the edge leaves by the left
        or right side, as a left-to-right layered drawing expects; otherwise (cards in
        one column) by the top or bottom. Choosing by the direction's slope alone sent
        every edge steeper than the card's aspect ratio (about 1:2.7) out of the top or
        bottom, so edges between neighbouring columns ran through the cards stacked in
        the column.
        """
        centre = self.mapToScene(self._rect.center())
        dx, dy = other.x() - centre.x(), other.y() - centre.y()
        r = self._rect
        if abs(dx) >= r.width() or abs(dx) * r.height() >= abs(dy) * r.width():
            side = QPointF(r.right(), r.center().y()) if dx >= 0 else QPointF(r.left(),
                                                                               r.center().y())
            return self.mapToScene(side), QPointF(1 if dx >= 0 else -1, 0)
        side = QPointF(r.center().x(), r.bottom()) if dy >= 0 else QPointF(r.center().x(), r.top())
        return self.mapToScene(side), QPointF(0, 1 if dy >= 0 else -1)

    def centre(self) -> QPointF:
        return self.mapToScene(self._rect.center())

    def anchor_out(self) -> QPointF:
        return self.mapToScene(QPointF(self._rect.right(), self._rect.center().y()))

    def anchor_in(self) -> QPointF:
        return self.mapToScene(QPointF(self._rect.left(), self._rect.center().y()))

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.adjust()
            for link in self.links:
                link.adjust()
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        if self.has_handle:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        super().hoverEnterEvent(event)

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        cursor = (Qt.CursorShape.CrossCursor if self.on_handle(event.scenePos())
                  else Qt.CursorShape.OpenHandCursor)
        self.setCursor(cursor)
        super().hoverMoveEvent(event)

    # ------------------------------------------------------------ painting

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        colour = s.TYPE_COLOURS[self.node.node_type]
        rect = self._rect
        selected = self.isSelected()
        if lod < 0.3:
            painter.fillRect(rect, colour.lighter(150) if not selected else s.SELECTION_COLOUR)
            if self.errors or self.warnings:
                painter.fillRect(QRectF(rect.right() - 40, rect.top(), 40, 40),
                                 s.ERROR_COLOUR if self.errors else s.WARNING_COLOUR)
            return
        border = s.SELECTION_COLOUR if selected else QColor("#d1d5db")
        if self.highlight is not None:
            border = self.highlight
        if self.run_state == "active":
            border = QColor("#f59e0b")
        pen = QPen(border, 2.6 if (selected or self.highlight is not None) else 1.2)
        if isinstance(self.node, m.Placeholder):
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod > 0.5)
        painter.setPen(pen)
        painter.setBrush(QBrush(s.CARD_FILL))
        painter.drawRoundedRect(rect, 8, 8)
        stripe = QRectF(rect.left(), rect.top(), 6, rect.height())
        painter.fillRect(stripe.adjusted(1, 4, 0, -4), colour)
        # glyph
        glyph_rect = QRectF(rect.left() + 12, rect.top() + 10, 24, 24)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(glyph_rect)
        painter.setPen(QColor("white"))
        painter.setFont(_GLYPH_FONT)
        painter.drawText(glyph_rect, Qt.AlignmentFlag.AlignCenter,
                         s.TYPE_GLYPHS[self.node.node_type])
        # title
        painter.setPen(s.CARD_TEXT)
        painter.setFont(_TITLE_FONT)
        title_rect = QRectF(rect.left() + 42, rect.top() + 8, rect.width() - 70, 18)
        metrics = painter.fontMetrics()
        title = metrics.elidedText(self.node.name or self.node.id, Qt.TextElideMode.ElideRight,
                                   int(title_rect.width()))
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         title)
        if lod >= 0.55:
            self._paint_details(painter, rect)
        self._paint_markers(painter, rect)

    def _paint_details(self, painter: QPainter, rect: QRectF) -> None:
        painter.setFont(_SMALL_FONT)
        painter.setPen(s.CARD_SUBTEXT)
        subtitle = self.node.id
        if isinstance(self.node, m.Tool | m.Placeholder):
            subtitle += f" · {self.node.kind}"
        sub_rect = QRectF(rect.left() + 42, rect.top() + 26, rect.width() - 54, 14)
        metrics = painter.fontMetrics()
        painter.drawText(sub_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(subtitle, Qt.TextElideMode.ElideRight,
                                            int(sub_rect.width())))
        if self.badge_text:
            width = metrics.horizontalAdvance(self.badge_text) + 12
            badge = QRectF(rect.left() + 12, rect.bottom() - 22, width, 16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.badge_colour)
            painter.drawRoundedRect(badge, 8, 8)
            painter.setPen(QColor("white"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, self.badge_text)
        if self.caps_text:
            painter.setPen(s.CARD_SUBTEXT)
            caps_rect = QRectF(rect.left() + 90, rect.bottom() - 22, rect.width() - 100, 16)
            painter.drawText(caps_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(self.caps_text, Qt.TextElideMode.ElideLeft,
                                                int(caps_rect.width())))

    def _paint_markers(self, painter: QPainter, rect: QRectF) -> None:
        if self.is_entry:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(s.TYPE_COLOURS[m.NodeType.AGENT])
            tri = QPolygonF([QPointF(rect.left() - 12, rect.center().y() - 8),
                             QPointF(rect.left() - 2, rect.center().y()),
                             QPointF(rect.left() - 12, rect.center().y() + 8)])
            painter.drawPolygon(tri)
        if self.errors or self.warnings:
            colour = s.ERROR_COLOUR if self.errors else s.WARNING_COLOUR
            marker = QRectF(rect.right() - 26, rect.top() - 8, 24, 18)
            painter.setPen(QPen(QColor("white"), 1.5))
            painter.setBrush(colour)
            painter.drawRoundedRect(marker, 9, 9)
            painter.setFont(_SMALL_FONT)
            painter.drawText(marker, Qt.AlignmentFlag.AlignCenter,
                             str(self.errors or self.warnings))
        if self.has_handle:
            painter.setPen(QPen(s.TYPE_COLOURS[m.NodeType.AGENT], 1.5))
            painter.setBrush(QColor("white"))
            painter.drawEllipse(self.handle_centre(), s.HANDLE_RADIUS, s.HANDLE_RADIUS)


class EdgeItem(QGraphicsItem):
    def __init__(self, edge: m.Edge, source: NodeItem, target: NodeItem) -> None:
        super().__init__()
        self.edge = edge
        self.source = source
        self.target = target
        self.active = False  # lit up while a live run uses it (issue 7)
        self.faded = False  # coverage overlay: never exercised
        self._path = QPainterPath()
        self._bounds = QRectF()
        source.edges.append(self)
        target.edges.append(self)
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(0)
        self.adjust()

    @property
    def edge_id(self) -> str:
        return self.edge.id

    def type(self) -> int:
        return EDGE_TYPE

    def set_edge(self, edge: m.Edge) -> None:
        self.edge = edge
        self._update_tooltip()
        self.update()

    def detach(self) -> None:
        for end in (self.source, self.target):
            if self in end.edges:
                end.edges.remove(self)

    def _update_tooltip(self) -> None:
        edge = self.edge
        text = f"{s.EDGE_STYLES[edge.kind].label}: {edge.source} → {edge.target}"
        if edge.kind is m.EdgeKind.TOOL_ACCESS:
            text += f" ({edge.mode or 'read'}, {edge.approval or 'ask'})"
            if edge.purpose:
                text += f"<br>{edge.purpose}"
        self.setToolTip(text)

    def adjust(self) -> None:
        start, out_dir = self.source.anchor_towards(self.target.centre())
        end, in_dir = self.target.anchor_towards(self.source.centre())
        # Each control point reaches half the distance along its own side's normal, so
        # a long, steep edge between neighbouring columns bends inside the gap between
        # them instead of overshooting sideways (a reach from the full length did).
        dx, dy = end.x() - start.x(), end.y() - start.y()
        reach_out = max(abs(dx * out_dir.x() + dy * out_dir.y()) * 0.5, 40.0)
        reach_in = max(abs(dx * in_dir.x() + dy * in_dir.y()) * 0.5, 40.0)
        path = QPainterPath(start)
        path.cubicTo(start + out_dir * reach_out, end + in_dir * reach_in, end)
        self.prepareGeometryChange()
        self._path = path
        # Computed once per move, not on every paint (paint is the hot path when zoomed out).
        self._chord = QLineF(start, end)
        self._tip, self._tip_back = end, path.pointAtPercent(0.97)
        self._mid = path.pointAtPercent(0.5)
        self._bounds = path.boundingRect().adjusted(-12, -12, 12, 12)
        self._update_tooltip()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        from PySide6.QtGui import QPainterPathStroker

        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self._path)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        look = s.EDGE_STYLES[self.edge.kind]
        colour = QColor(look.colour)
        if self.faded:
            colour.setAlpha(70)
        width = look.width * (2.0 if self.active else 1.0)
        if self.isSelected():
            colour, width = s.SELECTION_COLOUR, width + 1.5
        pen = QPen(colour, width, look.dash if lod > 0.3 else Qt.PenStyle.SolidLine)
        pen.setCosmetic(lod < 0.3)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod > 0.5)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if lod < 0.3:
            painter.drawLine(self._chord)
            return
        painter.drawPath(self._path)
        self._paint_arrow(painter, colour, look.arrow)
        if lod >= 0.6 and self.edge.kind is m.EdgeKind.TOOL_ACCESS:
            self._paint_grant_label(painter, colour)

    def _paint_arrow(self, painter: QPainter, colour: QColor, arrow: str) -> None:
        tip, back = self._tip, self._tip_back
        angle = math.atan2(tip.y() - back.y(), tip.x() - back.x())
        size = 10.0

        def at(a: float, r: float) -> QPointF:
            return QPointF(tip.x() - r * math.cos(angle + a), tip.y() - r * math.sin(angle + a))

        painter.setPen(QPen(colour, 1.4))
        if arrow == "diamond":
            poly = QPolygonF([tip, at(0.5, size * 0.7), at(0, size * 1.4), at(-0.5, size * 0.7)])
            painter.setBrush(colour)
        else:
            poly = QPolygonF([tip, at(0.45, size), at(-0.45, size)])
            painter.setBrush(colour if arrow == "filled" else QColor("white"))
        painter.drawPolygon(poly)

    def _paint_grant_label(self, painter: QPainter, colour: QColor) -> None:
        mode = s.MODE_MARKS.get(self.edge.mode or "read", "?")
        approval = s.APPROVAL_MARKS.get(self.edge.approval or "ask", "?")
        text = f"{mode} {approval}"
        mid = self._mid
        painter.setFont(_SMALL_FONT)
        box = QRectF(mid.x() - 16, mid.y() - 8, 32, 16)
        painter.setPen(QPen(colour, 1))
        fill = QColor("#fef3c7") if (self.edge.approval or "ask") == "ask" else QColor("white")
        painter.setBrush(fill)
        painter.drawRoundedRect(box, 6, 6)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


class ServerLinkItem(QGraphicsItem):
    """A faint line from an MCP tool to the server that provides it (not an edge)."""

    def __init__(self, tool: NodeItem, server: NodeItem) -> None:
        super().__init__()
        self.tool, self.server = tool, server
        self._line = QLineF()
        tool.links.append(self)
        server.links.append(self)
        self.setZValue(-1)
        self.adjust()

    def detach(self) -> None:
        for end in (self.tool, self.server):
            if self in end.links:
                end.links.remove(self)

    def adjust(self) -> None:
        self.prepareGeometryChange()
        self._line = QLineF(self.tool.anchor_towards(self.server.centre())[0],
                            self.server.anchor_towards(self.tool.centre())[0])

    def boundingRect(self) -> QRectF:
        return QRectF(self._line.p1(), self._line.p2()).normalized().adjusted(-3, -3, 3, 3)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setPen(QPen(QColor("#9ca3af"), 1.2))
        painter.drawLine(self._line)


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
