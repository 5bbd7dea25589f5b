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

Opening a large roster shows it before every edge has an item: the layer paints
all edges from the first frame (their routes computed in one numpy pass), and
the `EdgeItem`s, which serve selection, hit tests and tooltips, are built from
the event loop a slice at a time. Anything that needs them builds the rest at
once first: `edges`, `items()`, a mouse press, a tooltip, a card that moves. Up
to `EAGER_EDGES` edges they are built during `attach`. Tooltips are written
when asked for (`helpEvent`), not stored in thousands of items.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QObject, QPointF, QRectF, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsSceneHelpEvent,
    QGraphicsSceneMouseEvent,
    QToolTip,
    QWidget,
)

from designer.canvas import style as s
from designer.canvas.batch import NodeBatch
from designer.canvas.edge_layer import EdgeLayer
from designer.canvas.items import HIT_BAND, LABEL_FONT, EdgeItem, NodeItem
from designer.canvas.links import ServerLinkItem
from designer.document_signals import DocumentSignals
from runtime.roster import effective as eff
from runtime.roster import model as m
from runtime.roster.autolayout import layered_layout
from runtime.roster.catalog import Catalog, load_catalog
from runtime.roster.checks.base import Finding, Severity
from runtime.roster.document import Document

GRID_ZOOM = 0.6  # the dot grid from here up (below, dots would be a grey haze)
BUILD_SLICE_S = 0.008  # edge items built per event-loop turn after an open, at most
EAGER_EDGES = 500  # up to this many, edge items are built at once (about 20 ms)


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
        self._edges: dict[str, EdgeItem] = {}
        self._unbuilt: list[tuple[m.Edge, int]] = []  # edges painted, their items not built
        self._unbuilt_box = QRectF()  # what their items will span (itemsBoundingRect)
        self._build_timer = QTimer(self)
        self._build_timer.setSingleShot(True)
        self._build_timer.setInterval(0)
        self._build_timer.timeout.connect(lambda: self._build_some_edges())
        self._press_positions: dict[str, QPointF] = {}
        self._run_lit: tuple[set[str], set[str]] = (set(), set())  # run overlay (issue 7)
        self._selected_edges: set[EdgeItem] = set()
        self.layer = EdgeLayer(self._edges_changed, LABEL_FONT)
        self.batch = NodeBatch()
        self._bulk = False  # attach() is adding cards: one change signal at the end
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setBackgroundBrush(s.CANVAS_BACKGROUND)
        self.selectionChanged.connect(self._selection_changed)

    # ------------------------------------------------------------ wiring

    def attach(self, document: Document, signals: DocumentSignals) -> None:
        """Show `document`. Cards are built at once; edges are painted by the layer from
        the first frame, and their items (selection, hit tests, tooltips) are built from
        the event loop a slice at a time, or all at once as soon as anything needs them
        (`edges`, `items()`, a press, a tooltip, a card that moves)."""
        self._build_timer.stop()
        self._unbuilt = []
        self._unbuilt_box = QRectF()
        self.clear()
        self.nodes.clear()
        self._edges.clear()
        self._selected_edges.clear()
        self.layer.clear()
        self.batch.invalidate()
        self.document = document
        missing = [n for n in document.nodes if n not in document.layout]
        fallback = layered_layout(document.nodes, document.edges, document.meta.entry) \
            if missing else {}
        self.layer.bulk = True  # one repaint at the end, not one per edge
        self._bulk = True
        try:
            decorations: dict[object, tuple[str, QColor, str]] = {}
            for node in document.nodes.values():
                self._add_node(node, document.layout.get(node.id) or fallback.get(node.id),
                               decorations)
            self._add_edge_rows(list(document.edges.values()))
            self._relink_servers()
        finally:
            self.layer.bulk = False
            self._bulk = False
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

    def _add_edge_rows(self, edges: list[m.Edge]) -> None:
        """Hand `edges` to the layer with their routes, computed in one numpy pass; their
        items follow from the event loop (`_build_some_edges`)."""
        nodes = self.nodes
        drawn = [e for e in edges if e.source in nodes and e.target in nodes]
        if not drawn:
            return  # (dangling references are R01's to report; nothing to draw)
        import numpy as np

        from designer.canvas.geometry import edge_controls_array

        at = {node_id: (pos.x(), pos.y()) for node_id, item in nodes.items()
              for pos in (item.pos(),)}
        ends = np.array([(*at[e.source], *at[e.target]) for e in drawn])
        ctrl = edge_controls_array(ends[:, 0], ends[:, 1], ends[:, 2], ends[:, 3])
        first = self.layer.add_rows(drawn, ctrl)
        self._unbuilt = [(edge, first + i) for i, edge in enumerate(drawn)]
        self._unbuilt.reverse()  # built from the end of the list
        half = HIT_BAND / 2
        xs, ys = ctrl[:, 0::2], ctrl[:, 1::2]
        x0, y0 = float(xs.min()) - half, float(ys.min()) - half
        self._unbuilt_box = QRectF(x0, y0, float(xs.max()) + half - x0,
                                   float(ys.max()) + half - y0)
        if len(drawn) <= EAGER_EDGES:
            self.ensure_edges()
        else:
            self._build_timer.start()

    @property
    def edges(self) -> dict[str, EdgeItem]:
        """The item of every drawn edge, by edge id (built now if still pending)."""
        if self._unbuilt:
            self.ensure_edges()
        return self._edges

    def edges_pending(self) -> int:
        """How many edges are painted but have no item yet."""
        return len(self._unbuilt)

    def ensure_edges(self) -> None:
        """Build every pending edge item now."""
        self._build_edges(None)

    def _build_some_edges(self) -> None:
        self.layer.prepare()  # the edges' polylines, before the first zoom-in needs them
        self._build_edges(BUILD_SLICE_S)

    def _build_edges(self, budget_s: float | None) -> None:
        pending = self._unbuilt
        if not pending:
            return
        deadline = None if budget_s is None else time.perf_counter() + budget_s
        nodes, edges, layer = self.nodes, self._edges, self.layer
        layer.bulk = True  # the layer already paints them: no repaint per item
        try:
            while pending:
                edge, row = pending.pop()
                item = EdgeItem(edge, nodes[edge.source], nodes[edge.target], layer, row)
                self.addItem(item)
                edges[edge.id] = item
                if deadline is not None and len(pending) % 64 == 0 \
                        and time.perf_counter() > deadline:
                    break
        finally:
            layer.bulk = False
        if pending:
            self._build_timer.start()
        else:
            self._build_timer.stop()
            self._unbuilt_box = QRectF()

    def items(self, *args: Any, **kwargs: Any) -> list[QGraphicsItem]:
        """`QGraphicsScene.items`, with every edge item built first."""
        if self._unbuilt:
            self.ensure_edges()
        return super().items(*args, **kwargs)

    def itemsBoundingRect(self) -> QRectF:
        """`QGraphicsScene.itemsBoundingRect`, counting edges whose items are pending."""
        rect = super().itemsBoundingRect()
        return rect.united(self._unbuilt_box) if self._unbuilt else rect

    def _fit_scene_rect(self) -> None:
        bounds = self.itemsBoundingRect().adjusted(-400, -300, 400, 300)
        self.setSceneRect(bounds.united(QRectF(-600, -400, 1200, 800)))

    # ------------------------------------------------------------ nodes

    def _node_added(self, node: m.Node) -> None:
        assert self.document is not None
        self._add_node(node, self.document.layout.get(node.id))
        if isinstance(node, m.Tool | m.McpServer):
            self._relink_servers()

    def _add_node(self, node: m.Node, position: m.Position | None,
                  decorations: dict[object, tuple[str, QColor, str]] | None = None) -> None:
        if position is None:
            position = m.Position(40.0 * (len(self.nodes) % 10), 120.0 * (len(self.nodes) // 10))
        item = NodeItem(node, position.x, position.y)
        self._decorate(item, decorations)
        self.addItem(item)
        item.on_change = self._nodes_changed
        self.nodes[node.id] = item
        if not self._bulk:
            self._nodes_changed()

    def _nodes_changed(self, moved: bool = False) -> None:
        if moved and self._unbuilt:
            # The pending edges are built along the card's new place; their old routes
            # were painted, so everything is repainted once.
            self.ensure_edges()
            self.update()
        self.batch.invalidate()
        self.content_changed.emit()

    def _edges_changed(self, area: QRectF) -> None:
        self.update(area)
        self.content_changed.emit()

    def _selection_changed(self) -> None:
        self.batch.invalidate_selection()  # (the cards' selection look, zoomed out)
        selected = {item for item in self.selectedItems() if isinstance(item, EdgeItem)}
        changed = selected ^ self._selected_edges
        many = len(changed) > 32  # a rubber band: one repaint, not one per edge
        for item in changed:
            self.layer.restyle(item, repaint=not many)
        self._selected_edges = selected
        if many:
            self.update()
        self.content_changed.emit()

    def _decorate(self, item: NodeItem,
                  known: dict[object, tuple[str, QColor, str]] | None = None) -> None:
        """Badge and entry mark of a card; `known` remembers model badges across the
        cards of one roster (thousands of agents share a handful of models)."""
        node = item.node
        assert self.document is not None
        meta = self.document.meta
        if isinstance(node, m.Agent):
            model_id = eff.agent_model(node, meta) or "no model"
            badge = known.get(model_id) if known is not None else None
            if badge is None:
                info = self.catalog.get(model_id)
                colour = s.TIER_COLOURS.get(info.tier, s.CARD_SUBTEXT) if info \
                    else s.ERROR_COLOUR
                badge = (short_model(model_id), colour, "")
                if known is not None:
                    known[model_id] = badge
            item.set_badge(*badge)
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
            self._nodes_changed()  # its kind, and so its colour zoomed out, may differ
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
        edges = self.document.edges if self.document is not None else {}
        for finding in findings:
            if finding.acknowledged:
                continue
            subject = finding.subject
            if subject in edges:
                subject = edges[subject].source
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
        if self._unbuilt:
            self.ensure_edges()  # a click or a rubber band may pick any edge
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

    def helpEvent(self, event: QGraphicsSceneHelpEvent) -> None:
        """Tooltips, written when asked for: the topmost card or edge under the pointer."""
        for item in self.items(event.scenePos()):
            if isinstance(item, NodeItem | EdgeItem):
                QToolTip.showText(event.screenPos(), item.tooltip_text(), event.widget())
                event.setAccepted(True)
                return
        QToolTip.hideText()
        event.setAccepted(False)

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
