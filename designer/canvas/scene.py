"""The scene mirrors the document: one item per node and edge, kept current by events.

`RosterScene.attach(document, signals)` builds the items and then follows
`DocumentSignals`; it never changes the document. When the user finishes
dragging nodes, the scene emits `nodes_dragged` with their new positions and
the window hands that to the controller as one undoable move. Findings are
shown as markers via `show_findings`. Nodes without a saved position get one
from the auto-layout, in the view only, until the user moves them.
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QObject, QPointF, QRectF, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from designer.canvas import style as s
from designer.canvas.items import EdgeItem, NodeItem, ServerLinkItem
from designer.document_signals import DocumentSignals
from runtime.roster import effective as eff
from runtime.roster import model as m
from runtime.roster.autolayout import layered_layout
from runtime.roster.catalog import Catalog, load_catalog
from runtime.roster.checks.base import Finding, Severity
from runtime.roster.document import Document


def short_model(model_id: str) -> str:
    return model_id.removeprefix("claude-").replace("-", " ", 1).replace("-", ".")


class RosterScene(QGraphicsScene):
    nodes_dragged = Signal(dict)  # id -> Position

    def __init__(self, catalog: Catalog | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog or load_catalog()
        self.document: Document | None = None
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[str, EdgeItem] = {}
        self._press_positions: dict[str, QPointF] = {}
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setBackgroundBrush(s.CANVAS_BACKGROUND)

    # ------------------------------------------------------------ wiring

    def attach(self, document: Document, signals: DocumentSignals) -> None:
        self.clear()
        self.nodes.clear()
        self.edges.clear()
        self.document = document
        missing = [n for n in document.nodes if n not in document.layout]
        fallback = layered_layout(document.nodes, document.edges, document.meta.entry) \
            if missing else {}
        for node in document.nodes.values():
            self._add_node(node, document.layout.get(node.id) or fallback.get(node.id))
        for edge in document.edges.values():
            self._add_edge(edge)
        self._relink_servers()
        signals.node_added.connect(self._node_added)
        signals.node_removed.connect(self._remove_node)
        signals.node_changed.connect(self._node_changed)
        signals.edge_added.connect(self._add_edge)
        signals.edge_removed.connect(self._remove_edge)
        signals.edge_changed.connect(lambda old, new, key: self._edge_changed(new))
        signals.node_moved.connect(self._node_moved)
        signals.node_renamed.connect(self._node_renamed)
        signals.roster_changed.connect(self._roster_changed)
        self._fit_scene_rect()

    def _fit_scene_rect(self) -> None:
        bounds = self.itemsBoundingRect().adjusted(-400, -300, 400, 300)
        self.setSceneRect(bounds.united(QRectF(-600, -400, 1200, 800)))

    # ------------------------------------------------------------ nodes

    def _node_added(self, node: m.Node) -> None:
        assert self.document is not None
        self._add_node(node, self.document.layout.get(node.id))
        if isinstance(node, m.Tool | m.McpServer):
            self._relink_servers()

    def _add_node(self, node: m.Node, position: m.Position | None) -> None:
        item = NodeItem(node)
        if position is None:
            position = m.Position(40.0 * (len(self.nodes) % 10), 120.0 * (len(self.nodes) // 10))
        item.setPos(position.x, position.y)
        self._decorate(item)
        self.addItem(item)
        self.nodes[node.id] = item

    def _decorate(self, item: NodeItem) -> None:
        node = item.node
        assert self.document is not None
        meta = self.document.meta
        if isinstance(node, m.Agent):
            model_id = eff.agent_model(node, meta) or "no model"
            info = self.catalog.get(model_id)
            colour = s.TIER_COLOURS.get(info.tier, s.CARD_SUBTEXT) if info else s.ERROR_COLOUR
            item.set_badge(short_model(model_id), colour)
            item.is_entry = node.id in meta.entry
        elif isinstance(node, m.Tool):
            risk = eff.tool_risk(node)
            found = eff.tool_capabilities(node)
            caps = " ".join(label for cap, label in s.CAPABILITY_LABELS.items() if cap in found)
            item.set_badge(risk, s.RISK_COLOURS.get(risk, s.CARD_SUBTEXT), caps)
        elif isinstance(node, m.Human):
            item.set_badge(f"timeout: {node.on_timeout or 'unset'}", s.TYPE_COLOURS[node.node_type])
        elif isinstance(node, m.McpServer):
            item.set_badge(node.trust or "untrusted",
                           s.LEGAL_COLOUR if node.trust == "trusted" else s.WARNING_COLOUR)
        else:
            item.set_badge("unknown kind", s.ERROR_COLOUR)

    def _remove_node(self, node: m.Node) -> None:
        item = self.nodes.pop(node.id, None)
        if item is not None:
            for link in list(item.links):
                link.detach()
                self.removeItem(link)
            self.removeItem(item)

    def _node_changed(self, old: m.Node, new: m.Node, key: str) -> None:
        item = self.nodes.get(new.id)
        if item is not None:
            item.set_node(new)
            self._decorate(item)
            if key == "server" or isinstance(new, m.McpServer):
                self._relink_servers()

    def _node_moved(self, node_id: str, position: m.Position | None) -> None:
        item = self.nodes.get(node_id)
        if item is not None and position is not None:
            if item.pos() != QPointF(position.x, position.y):
                item.setPos(position.x, position.y)

    def _node_renamed(self, old_id: str, new_id: str) -> None:
        assert self.document is not None
        item = self.nodes.pop(old_id)
        self.nodes[new_id] = item
        item.set_node(self.document.nodes[new_id])
        for edge_item in list(self.edges.values()):
            if old_id in (edge_item.edge.source, edge_item.edge.target):
                del self.edges[edge_item.edge_id]
                new_edge = self.document.edges.get(
                    m.edge_id(edge_item.edge.kind,
                              new_id if edge_item.edge.source == old_id else edge_item.edge.source,
                              new_id if edge_item.edge.target == old_id else edge_item.edge.target))
                if new_edge is not None:
                    edge_item.set_edge(new_edge)
                    self.edges[new_edge.id] = edge_item

    def _roster_changed(self, key: str) -> None:
        for item in self.nodes.values():
            self._decorate(item)
            item.update()

    def _relink_servers(self) -> None:
        """Redraw tool → MCP server links (a property of the tool, not an edge)."""
        for item in self.nodes.values():
            for link in list(item.links):
                link.detach()
                if link.scene() is self:
                    self.removeItem(link)
        for item in self.nodes.values():
            node = item.node
            if isinstance(node, m.Tool) and node.server and node.server in self.nodes:
                self.addItem(ServerLinkItem(item, self.nodes[node.server]))

    # ------------------------------------------------------------ edges

    def _add_edge(self, edge: m.Edge) -> None:
        source, target = self.nodes.get(edge.source), self.nodes.get(edge.target)
        if source is None or target is None:
            return  # a dangling reference: R01 reports it; nothing to draw
        item = EdgeItem(edge, source, target)
        self.addItem(item)
        self.edges[edge.id] = item

    def _remove_edge(self, edge: m.Edge) -> None:
        item = self.edges.pop(edge.id, None)
        if item is not None:
            item.detach()
            self.removeItem(item)

    def _edge_changed(self, edge: m.Edge) -> None:
        item = self.edges.get(edge.id)
        if item is not None:
            item.set_edge(edge)

    # ------------------------------------------------------------ findings

    def show_findings(self, findings: list[Finding]) -> None:
        errors: Counter[str] = Counter()
        warnings: Counter[str] = Counter()
        for finding in findings:
            if finding.acknowledged:
                continue
            subject = finding.subject
            if subject in self.edges:
                subject = self.edges[subject].edge.source
            (errors if finding.severity is Severity.ERROR else warnings)[subject] += 1
        for node_id, item in self.nodes.items():
            item.set_problems(errors[node_id], warnings[node_id])

    # ------------------------------------------------------------ dragging

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mousePressEvent(event)
        self._press_positions = {
            item.node_id: item.pos() for item in self.selectedItems() if isinstance(item, NodeItem)
        }

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        moved = {
            node_id: m.Position(round(item.pos().x(), 1), round(item.pos().y(), 1))
            for node_id, before in self._press_positions.items()
            if (item := self.nodes.get(node_id)) is not None and item.pos() != before
        }
        self._press_positions = {}
        if moved:
            self.nodes_dragged.emit(moved)
            self._fit_scene_rect()

    def selected_ids(self) -> list[str]:
        ids = []
        for item in self.selectedItems():
            if isinstance(item, NodeItem):
                ids.append(item.node_id)
            elif isinstance(item, EdgeItem):
                ids.append(item.edge_id)
        return ids

    def select_ids(self, ids: list[str]) -> None:
        self.clearSelection()
        for node_or_edge in ids:
            item = self.nodes.get(node_or_edge) or self.edges.get(node_or_edge)
            if item is not None:
                item.setSelected(True)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, s.CANVAS_BACKGROUND)
        scale = painter.worldTransform().m11()
        if scale < 0.5:
            return
        step = 40
        left = int(rect.left()) - int(rect.left()) % step
        top = int(rect.top()) - int(rect.top()) % step
        painter.setPen(QColor(s.GRID_COLOUR))
        points = [QPointF(x, y) for x in range(left, int(rect.right()), step)
                  for y in range(top, int(rect.bottom()), step)]
        painter.drawPoints(points)
