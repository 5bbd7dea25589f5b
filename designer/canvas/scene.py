"""The scene mirrors the document: one item per node and edge, kept current by events.

`RosterScene.attach(document, signals)` builds the items and then follows
`DocumentSignals`; it never changes the document. When the user finishes
dragging nodes, the scene emits `nodes_dragged` with their new positions and
the window hands that to the controller as one undoable move. Findings are
shown as markers via `show_findings`. Nodes without a saved position get one
from the auto-layout, in the view only, until the user moves them.

Edges are painted by one `EdgeLayer` in the background pass (below the cards);
zoomed out, the view draws `batch` (all cards as one path per colour) instead
of asking every item. `content_changed` tells the overview that its picture is
stale. The scene keeps no spatial index: the BSP tree cost 2 GB and 26 s to
build for 60k items whose edges are up to 80,000 px long, and every item's
bounding rect is answered in C++, so a linear scan is cheap (docs/benchmarks.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from PySide6.QtCore import QObject, QPointF, QRectF, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent, QWidget

from designer.canvas import style as s
from designer.canvas.batch import NodeBatch
from designer.canvas.edge_layer import EdgeLayer
from designer.canvas.items import LABEL_FONT, EdgeItem, NodeItem, ServerLinkItem
from designer.document_signals import DocumentSignals
from runtime.roster import effective as eff
from runtime.roster import model as m
from runtime.roster.autolayout import layered_layout
from runtime.roster.catalog import Catalog, load_catalog
from runtime.roster.checks.base import Finding, Severity
from runtime.roster.document import Document

GRID_ZOOM = 0.6  # the dot grid from here up (below, dots would be a grey haze)


def short_model(model_id: str) -> str:
    return model_id.removeprefix("claude-").replace("-", " ", 1).replace("-", ".")


class RosterScene(QGraphicsScene):
    nodes_dragged = Signal(dict)  # id -> Position
    content_changed = Signal()  # nodes or edges moved, came, went or changed their look

    def __init__(self, catalog: Catalog | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog or load_catalog()
        self.document: Document | None = None
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[str, EdgeItem] = {}
        self._press_positions: dict[str, QPointF] = {}
        self._run_lit: tuple[set[str], set[str]] = (set(), set())  # run overlay (issue 7)
        self._selected_edges: set[EdgeItem] = set()
        self.layer = EdgeLayer(self._edges_changed, LABEL_FONT)
        self.batch = NodeBatch()
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setBackgroundBrush(s.CANVAS_BACKGROUND)
        self.selectionChanged.connect(self._selection_changed)

    # ------------------------------------------------------------ wiring

    def attach(self, document: Document, signals: DocumentSignals) -> None:
        self.clear()
        self.nodes.clear()
        self.edges.clear()
        self._selected_edges.clear()
        self.layer.clear()
        self.batch.invalidate()
        self.document = document
        missing = [n for n in document.nodes if n not in document.layout]
        fallback = layered_layout(document.nodes, document.edges, document.meta.entry) \
            if missing else {}
        self.layer.bulk = True  # one repaint at the end, not one per edge
        try:
            for node in document.nodes.values():
                self._add_node(node, document.layout.get(node.id) or fallback.get(node.id))
            for edge in document.edges.values():
                self._add_edge(edge)
            self._relink_servers()
        finally:
            self.layer.bulk = False
        self.update()
        self.content_changed.emit()
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
        item.on_change = self._nodes_changed
        self.nodes[node.id] = item
        self._nodes_changed()

    def _nodes_changed(self) -> None:
        self.batch.invalidate()
        self.content_changed.emit()

    def _edges_changed(self, area: QRectF) -> None:
        self.update(area)
        self.content_changed.emit()

    def _selection_changed(self) -> None:
        selected = {item for item in self.selectedItems() if isinstance(item, EdgeItem)}
        changed = selected ^ self._selected_edges
        many = len(changed) > 32  # a rubber band: one repaint, not one per edge
        for item in changed:
            self.layer.restyle(item, repaint=not many)
        self._selected_edges = selected
        if many:
            self.update()
            self.content_changed.emit()

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
            self._nodes_changed()

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
        item = EdgeItem(edge, source, target, self.layer)
        self.addItem(item)
        self.edges[edge.id] = item

    def _remove_edge(self, edge: m.Edge) -> None:
        item = self.edges.pop(edge.id, None)
        if item is not None:
            item.detach()
            self._selected_edges.discard(item)
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

    # ------------------------------------------------------------ run overlay

    def set_run_highlight(self, node_ids: Iterable[str], edge_keys: Iterable[str]) -> None:
        """Show a live or replayed run: these nodes are working, these edges (ids) in use;
        whatever was lit before and is not named now goes back to normal. View state only."""
        nodes, edges = set(node_ids), set(edge_keys)
        was_nodes, was_edges = self._run_lit
        for node_id in nodes ^ was_nodes:
            if (node := self.nodes.get(node_id)) is not None:
                node.run_state = "active" if node_id in nodes else None
                node.update()
        for edge_id in edges ^ was_edges:
            if (edge := self.edges.get(edge_id)) is not None:
                edge.active = edge_id in edges
                edge.update()
        self._run_lit = (nodes, edges)

    def run_highlight(self) -> tuple[set[str], set[str]]:
        """The nodes and edges the run overlay lights now."""
        return (
            {i for i, item in self.nodes.items() if item.run_state == "active"},
            {i for i, item in self.edges.items() if item.active},
        )

    def set_coverage(self, used: Iterable[str], unused: Iterable[str]) -> None:
        """Show a simulation's coverage: edges (ids) it exercised drawn bold, grants it never
        used faded; every other edge back to normal. Empty sets clear it. View state only."""
        used_ids, unused_ids = set(used), set(unused)
        for edge_id, edge in self.edges.items():
            active, faded = edge_id in used_ids, edge_id in unused_ids
            if (active, faded) != (edge.active, edge.faded):
                edge.active, edge.faded = active, faded
                edge.update()

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
        if scale >= GRID_ZOOM:
            self._draw_grid(painter, rect)
        # Edges lie under the cards: the background pass is the layer below all items.
        # A painter that is not on a widget is an export: exact curves, whatever the scale.
        exact = not isinstance(painter.device(), QWidget)
        self.layer.paint(painter, rect, scale, exact=exact)

    def _draw_grid(self, painter: QPainter, rect: QRectF) -> None:
        step = 40
        left = int(rect.left()) - int(rect.left()) % step
        top = int(rect.top()) - int(rect.top()) % step
        painter.setPen(QColor(s.GRID_COLOUR))
        points = [QPointF(x, y) for x in range(left, int(rect.right()), step)
                  for y in range(top, int(rect.bottom()), step)]
        painter.drawPoints(points)
