"""Graphics items for nodes and edges, painted with level of detail.

A `NodeItem` is a card: type stripe and glyph, name, id and kind, a badge
(the model coloured by tier for agents, the risk for tools, the timeout rule
for humans), capability letters, a problem marker with its count, and for
agents a handle to drag edges from. Zoomed out it paints a plain block, so
thousands of cards stay fluid. An `EdgeItem` draws one relationship in its
kind's colour, dash and arrowhead, with mode and approval marks on tool
access; the scene's `EdgeLayer` paints all edges at once, so an `EdgeItem`
has no contents of its own and serves selection, hit tests and tooltips.
Items hold view state only; they never touch the document.

Both derive from Qt's shape items so that `boundingRect` is answered in C++:
the scene asks every item for it on each paint and hit test, and a Python
override there costs about a microsecond per item per frame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from designer.canvas import style as s
from designer.canvas.edge_layer import EdgeLayer
from runtime.roster import model as m

NODE_TYPE = QGraphicsItem.UserType + 1
EDGE_TYPE = QGraphicsItem.UserType + 2

_TITLE_FONT = QFont()
_TITLE_FONT.setPointSizeF(9.5)
_TITLE_FONT.setBold(True)
LABEL_FONT = _SMALL_FONT = QFont()
_SMALL_FONT.setPointSizeF(7.5)
_GLYPH_FONT = QFont()
_GLYPH_FONT.setPointSizeF(10)
_GLYPH_FONT.setBold(True)


_CARD = QRectF(0, 0, s.NODE_WIDTH, s.NODE_HEIGHT)
_NODE_BOUNDS = _CARD.adjusted(-4, -10, s.HANDLE_RADIUS + 4, 4)
_NO_PEN = QPen(Qt.PenStyle.NoPen)
_BORDER = QColor("#d1d5db")
_ACTIVE = QColor("#f59e0b")
_WHITE = QColor("white")
_CARD_BRUSH = QBrush(s.CARD_FILL)
_LOW_FILL = {t: c.lighter(150) for t, c in s.TYPE_COLOURS.items()}
HIT_BAND = 10.0  # the width of an edge's clickable band, in scene px


class NodeItem(QGraphicsRectItem):
    def __init__(self, node: m.Node) -> None:
        super().__init__(_NODE_BOUNDS)
        self.setPen(_NO_PEN)
        self.on_change: Callable[[], None] | None = None  # the scene's overview cache
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
        self._rect = _CARD
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
        if (text, colour, caps) != (self.badge_text, self.badge_colour, self.caps_text):
            self.badge_text, self.badge_colour, self.caps_text = text, colour, caps
            self.update()

    def set_problems(self, errors: int, warnings: int) -> None:
        if (errors, warnings) != (self.errors, self.warnings):
            self.errors, self.warnings = errors, warnings
            self.update()
            self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

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
            self._changed()
        elif change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self._changed()
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
            painter.fillRect(rect, _LOW_FILL[self.node.node_type] if not selected
                             else s.SELECTION_COLOUR)
            if self.run_state == "active":  # a working agent stays visible zoomed out (#7)
                painter.fillRect(rect.adjusted(0, 0, 0, -rect.height() / 2), _ACTIVE)
            if self.errors or self.warnings:
                painter.fillRect(QRectF(rect.right() - 40, rect.top(), 40, 40),
                                 s.ERROR_COLOUR if self.errors else s.WARNING_COLOUR)
            return
        border = s.SELECTION_COLOUR if selected else _BORDER
        if self.highlight is not None:
            border = self.highlight
        if self.run_state == "active":
            border = _ACTIVE
        lit = selected or self.highlight is not None or self.run_state == "active"
        pen = QPen(border, 3.2 if self.run_state == "active" else (2.6 if lit else 1.2))
        if isinstance(self.node, m.Placeholder):
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod > 0.5)
        painter.setPen(pen)
        painter.setBrush(_CARD_BRUSH)
        painter.drawRoundedRect(rect, 8, 8)
        stripe = QRectF(rect.left(), rect.top(), 6, rect.height())
        painter.fillRect(stripe.adjusted(1, 4, 0, -4), colour)
        # glyph
        glyph_rect = QRectF(rect.left() + 12, rect.top() + 10, 24, 24)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(glyph_rect)
        painter.setPen(_WHITE)
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


def card_anchor(x: float, y: float, ox: float, oy: float) -> tuple[float, float, float, float]:
    """`NodeItem.anchor_towards` for a card at (x, y) in plain floats: the anchor point
    and the outward direction towards the point (ox, oy)."""
    w, h = s.NODE_WIDTH, s.NODE_HEIGHT
    cx, cy = x + w / 2, y + h / 2
    dx, dy = ox - cx, oy - cy
    if abs(dx) >= w or abs(dx) * h >= abs(dy) * w:
        return (x + w, cy, 1.0, 0.0) if dx >= 0 else (x, cy, -1.0, 0.0)
    return (cx, y + h, 0.0, 1.0) if dy >= 0 else (cx, y, 0.0, -1.0)


def edge_controls(source: QPointF, target: QPointF) -> tuple[float, ...]:
    """The cubic of an edge between the cards at `source` and `target` (their positions):
    start, two control points and end, as 8 floats."""
    sx, sy = source.x(), source.y()
    tx, ty = target.x(), target.y()
    half_w, half_h = s.NODE_WIDTH / 2, s.NODE_HEIGHT / 2
    x0, y0, ox, oy = card_anchor(sx, sy, tx + half_w, ty + half_h)
    x3, y3, ix, iy = card_anchor(tx, ty, sx + half_w, sy + half_h)
    # Each control point reaches half the distance along its own side's normal, so
    # a long, steep edge between neighbouring columns bends inside the gap between
    # them instead of overshooting sideways (a reach from the full length did).
    dx, dy = x3 - x0, y3 - y0
    reach_out = max(abs(dx * ox + dy * oy) * 0.5, 40.0)
    reach_in = max(abs(dx * ix + dy * iy) * 0.5, 40.0)
    return (x0, y0, x0 + ox * reach_out, y0 + oy * reach_out,
            x3 + ix * reach_in, y3 + iy * reach_in, x3, y3)


class EdgeItem(QGraphicsPathItem):
    """One relationship: selectable, hit-tested along its curve, with a tooltip.

    It has no contents: `EdgeLayer` paints it together with all other edges, and is
    told about every change of geometry (`adjust`) or look (`active`, `faded`,
    selection, `update`)."""

    def __init__(self, edge: m.Edge, source: NodeItem, target: NodeItem,
                 layer: EdgeLayer) -> None:
        super().__init__()
        self.edge = edge
        self.source = source
        self.target = target
        self.layer = layer
        self.row = layer.add(self)
        self.ctrl: tuple[float, ...] = ()
        self._shape: QPainterPath | None = None
        self._active = False  # lit up while a live run uses it (issue 7)
        self._faded = False  # coverage overlay: never exercised
        source.edges.append(self)
        target.edges.append(self)
        self.setPen(_NO_PEN)
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.setZValue(0)
        self._update_tooltip()
        self.adjust()

    @property
    def edge_id(self) -> str:
        return self.edge.id

    def type(self) -> int:
        return EDGE_TYPE

    @property
    def active(self) -> bool:
        return self._active

    @active.setter
    def active(self, value: bool) -> None:
        if value != self._active:
            self._active = value
            self.layer.restyle(self)

    @property
    def faded(self) -> bool:
        return self._faded

    @faded.setter
    def faded(self, value: bool) -> None:
        if value != self._faded:
            self._faded = value
            self.layer.restyle(self)

    def update(self, *args: Any) -> None:
        """Repaint this edge (the layer draws it; the item itself has no contents)."""
        self.layer.repaint(self)

    def set_edge(self, edge: m.Edge) -> None:
        self.edge = edge
        self._update_tooltip()
        self.layer.moved(self, self.ctrl)  # the kind, and so the look, may differ

    def detach(self) -> None:
        for end in (self.source, self.target):
            if self in end.edges:
                end.edges.remove(self)
        self.layer.remove(self)
        self.row = -1

    def _update_tooltip(self) -> None:
        edge = self.edge
        text = f"{s.EDGE_STYLES[edge.kind].label}: {edge.source} → {edge.target}"
        if edge.kind is m.EdgeKind.TOOL_ACCESS:
            text += f" ({edge.mode or 'read'}, {edge.approval or 'ask'})"
            if edge.purpose:
                text += f"<br>{edge.purpose}"
        self.setToolTip(text)

    def adjust(self) -> None:
        c = edge_controls(self.source.pos(), self.target.pos())
        if c == self.ctrl:
            return
        self.ctrl = c
        self._shape = None
        # The item's path only spans its bounding box (Qt answers boundingRect from it in
        # C++, without stroking the curve): the diagonal of the curve's control box grown
        # by the hit band. The curve itself is `curve()`; hits use `shape()`.
        xs, ys = c[0::2], c[1::2]
        box = QPainterPath(QPointF(min(xs) - HIT_BAND / 2, min(ys) - HIT_BAND / 2))
        box.lineTo(max(xs) + HIT_BAND / 2, max(ys) + HIT_BAND / 2)
        self.setPath(box)
        if self.row >= 0:
            self.layer.moved(self, c)

    def curve(self) -> QPainterPath:
        c = self.ctrl
        path = QPainterPath(QPointF(c[0], c[1]))
        path.cubicTo(c[2], c[3], c[4], c[5], c[6], c[7])
        return path

    def shape(self) -> QPainterPath:
        """The band of `HIT_BAND` px along the curve: what a click or rubber band hits."""
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(HIT_BAND)
            self._shape = stroker.createStroke(self.curve())
        return self._shape


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
        self.setZValue(-1)
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
