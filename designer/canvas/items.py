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

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from designer.canvas import style as s
from designer.canvas import text as tx
from designer.canvas.edge_layer import EdgeLayer
from designer.canvas.geometry import card_anchor, edge_controls

if TYPE_CHECKING:
    from designer.canvas.links import ServerLinkItem

__all__ = ["EDGE_TYPE", "NODE_TYPE", "EdgeItem", "NodeItem", "card_anchor", "edge_controls"]
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
_MARKER_PEN = QPen(_WHITE, 1.5)
_HANDLE_PEN = QPen(s.TYPE_COLOURS[m.NodeType.AGENT], 1.5)
_LOW_FILL = {t: c.lighter(150) for t, c in s.TYPE_COLOURS.items()}
HIT_BAND = 10.0  # the width of an edge's clickable band, in scene px
_NODE_FLAGS = (QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
               | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
               | QGraphicsItem.GraphicsItemFlag.ItemIsFocusable)
_EDGE_FLAGS = (QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
               | QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)


class NodeItem(QGraphicsRectItem):
    """A card at (x, y).

    Built for speed, since a roster opens thousands: no Python `itemChange` (Qt would
    call it, through Shiboken at about 8 µs a time, for every flag, scene and position
    change of every card); instead `setPos`, `moveBy`, `setX`, `setY` and a mouse drag
    call `moved`, and the scene follows the selection through `selectionChanged`. The
    card stacks above edges (-1) at the default z; the state that is usually at its
    default lives on the class; the tooltip is written when asked for
    (`tooltip_text`, shown by the scene's help event), not stored in every item."""

    # the scene: caches to drop; True when the card moved (else its look changed)
    on_change: Callable[[bool], None] | None = None
    badge_text = ""
    badge_colour = s.CARD_SUBTEXT
    caps_text = ""
    errors = 0
    warnings = 0
    is_entry = False
    highlight: QColor | None = None  # legal/illegal target while drawing an edge
    run_state: str | None = None  # overlay for live runs (issue 7)
    _rect = _CARD

    def __init__(self, node: m.Node, x: float = 0.0, y: float = 0.0) -> None:
        super().__init__(_NODE_BOUNDS)
        self.node = node
        self.edges: list[EdgeItem] = []
        self.links: list[ServerLinkItem] = []
        self.setPen(_NO_PEN)
        super().setPos(x, y)
        self.setFlags(_NODE_FLAGS)
        self.setAcceptHoverEvents(True)

    # ------------------------------------------------------------ data

    @property
    def node_id(self) -> str:
        return self.node.id

    def type(self) -> int:
        return NODE_TYPE

    def set_node(self, node: m.Node) -> None:
        self.node = node
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

    def _changed(self, moved: bool = False) -> None:
        if self.on_change is not None:
            self.on_change(moved)

    def set_highlight(self, colour: QColor | None) -> None:
        if colour != self.highlight:
            self.highlight = colour
            self.update()

    def tooltip_text(self) -> str:
        node = self.node
        lines = [f"<b>{node.name or node.id}</b> ({node.id})"]
        role = getattr(node, "role", "")
        if role:
            lines.append(role)
        return "<br>".join(lines)

    def toolTip(self) -> str:
        return self.tooltip_text()

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

    # ------------------------------------------------------------ moving

    def moved(self) -> None:
        """The card is somewhere else: its edges and server links follow it."""
        for edge in self.edges:
            edge.adjust()
        for link in self.links:
            link.adjust()
        self._changed(True)

    def setPos(self, *args: Any) -> None:
        before = self.pos()
        super().setPos(*args)
        if self.pos() != before:
            self.moved()

    def moveBy(self, dx: float, dy: float) -> None:
        self.setPos(self.x() + dx, self.y() + dy)

    def setX(self, x: float) -> None:
        self.setPos(x, self.y())

    def setY(self, y: float) -> None:
        self.setPos(self.x(), y)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        """Qt drags this card and every other selected movable one (in C++, past
        `setPos`); whichever of them moved has its edges follow."""
        scene = self.scene()
        group = [self] if scene is None else [self, *(
            item for item in scene.selectedItems() if isinstance(item, NodeItem)
            and item is not self)]
        before = [item.pos() for item in group]
        super().mouseMoveEvent(event)
        for item, was in zip(group, before, strict=True):
            if item.pos() != was:
                item.moved()

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
        tx.draw(painter, glyph_rect, s.TYPE_GLYPHS[self.node.node_type], _GLYPH_FONT,
                  tx.CENTRE)
        # title
        painter.setPen(s.CARD_TEXT)
        title_rect = QRectF(rect.left() + 42, rect.top() + 8, rect.width() - 70, 18)
        tx.draw(painter, title_rect, tx.elide(self.node.name or self.node.id, _TITLE_FONT,
                                                  int(title_rect.width())), _TITLE_FONT)
        if lod >= 0.55:
            self._paint_details(painter, rect)
        self._paint_markers(painter, rect)

    def _paint_details(self, painter: QPainter, rect: QRectF) -> None:
        painter.setPen(s.CARD_SUBTEXT)
        subtitle = self.node.id
        if isinstance(self.node, m.Tool | m.Placeholder):
            subtitle += f" · {self.node.kind}"
        sub_rect = QRectF(rect.left() + 42, rect.top() + 26, rect.width() - 54, 14)
        tx.draw(painter, sub_rect, tx.elide(subtitle, _SMALL_FONT, int(sub_rect.width())),
                  _SMALL_FONT)
        if self.badge_text:
            width = math.ceil(tx.layout(self.badge_text, _SMALL_FONT)[1]) + 12
            badge = QRectF(rect.left() + 12, rect.bottom() - 22, width, 16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.badge_colour)
            painter.drawRoundedRect(badge, 8, 8)
            painter.setPen(_WHITE)
            tx.draw(painter, badge, self.badge_text, _SMALL_FONT, tx.CENTRE)
        if self.caps_text:
            painter.setPen(s.CARD_SUBTEXT)
            caps_rect = QRectF(rect.left() + 90, rect.bottom() - 22, rect.width() - 100, 16)
            tx.draw(painter, caps_rect, tx.elide(self.caps_text, _SMALL_FONT,
                                                     int(caps_rect.width()),
                                                     Qt.TextElideMode.ElideLeft),
                      _SMALL_FONT, tx.RIGHT)

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
            painter.setPen(_MARKER_PEN)
            painter.setBrush(colour)
            painter.drawRoundedRect(marker, 9, 9)
            tx.draw(painter, marker, str(self.errors or self.warnings), _SMALL_FONT,
                      tx.CENTRE)
        if self.has_handle:
            painter.setPen(_HANDLE_PEN)
            painter.setBrush(_WHITE)
            painter.drawEllipse(self.handle_centre(), s.HANDLE_RADIUS, s.HANDLE_RADIUS)


class EdgeItem(QGraphicsPathItem):
    """One relationship: selectable, hit-tested along its curve, with a tooltip.

    It has no contents: `EdgeLayer` paints it together with all other edges, and is
    told about every change of geometry (`adjust`) or look (`active`, `faded`,
    selection, `update`)."""

    def __init__(self, edge: m.Edge, source: NodeItem, target: NodeItem,
                 layer: EdgeLayer, row: int = -1) -> None:
        """With `row`, the item takes over a row the layer already paints (an edge of
        an opened roster, built after the first frame); otherwise it adds one."""
        super().__init__()
        self.edge = edge
        self.source = source
        self.target = target
        self.layer = layer
        self.row = layer.add(self) if row < 0 else layer.adopt(self, row)
        self.ctrl: tuple[float, ...] = ()
        self._shape: QPainterPath | None = None
        self._active = False  # lit up while a live run uses it (issue 7)
        self._faded = False  # coverage overlay: never exercised
        source.edges.append(self)
        target.edges.append(self)
        self.setPen(_NO_PEN)
        self.setFlags(_EDGE_FLAGS)
        self.setZValue(-1)  # under the cards (at 0) for hit tests; painted by the layer
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
        self.layer.moved(self, self.ctrl)  # the kind, and so the look, may differ

    def detach(self) -> None:
        for end in (self.source, self.target):
            if self in end.edges:
                end.edges.remove(self)
        self.layer.remove(self)
        self.row = -1

    def tooltip_text(self) -> str:
        edge = self.edge
        text = f"{s.EDGE_STYLES[edge.kind].label}: {edge.source} → {edge.target}"
        if edge.kind is m.EdgeKind.TOOL_ACCESS:
            text += f" ({edge.mode or 'read'}, {edge.approval or 'ask'})"
            if edge.purpose:
                text += f"<br>{edge.purpose}"
        return text

    def toolTip(self) -> str:
        return self.tooltip_text()

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
        if self.row >= 0 and self.layer.ctrl[self.row] != c:
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
