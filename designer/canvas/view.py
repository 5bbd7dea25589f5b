"""The canvas view: zoom, pan, rubber-band selection, palette drops and edge drawing.

Drawing an edge is an interaction object, `NewEdgeAction`, started by a press
on an agent's handle: a dashed line follows the mouse, each node under it is
marked legal (green) or illegal (red, with the core's reason as a tooltip and
in `hint_changed`), and the release over a legal node emits
`connect_requested`. Palette drops emit `drop_requested` with the palette key
and the scene position. The view asks the core about legality through a
callable and never changes the document itself.

Zoomed out below `BATCH_ZOOM` the view paints the scene's batched picture
(`RosterScene.batch` and the edge layer's straight lines) itself instead of
letting Qt visit every item, then the rubber band and the edge being drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import cast

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QRegion,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QRubberBand, QToolTip

from designer.canvas import style as s
from designer.canvas.batch import BATCH_MIN_NODES, BATCH_ZOOM
from designer.canvas.items import NodeItem
from designer.canvas.links import TempEdgeItem
from designer.canvas.scene import RosterScene
from runtime.roster.legality import Legality

PALETTE_MIME = "application/x-agent-roster-palette"
MIN_ZOOM, MAX_ZOOM = 0.05, 4.0


def _strips(region: QRegion) -> list[QRectF]:
    """The rectangles of `region` worth painting one by one: a few that together cover
    much less than their bounding rect (the two strips a scroll exposes). Each costs a
    pass over the edges, so many rects, or rects that fill their bounds, are painted as
    one bounding rect (an empty list)."""
    count = region.rectCount()
    if count < 2 or count > 3:
        return []
    rects = list(cast("Iterable[QRect]", region))  # QRegion iterates over its rects
    bounds = region.boundingRect()
    area = sum(r.width() * r.height() for r in rects)
    return [QRectF(r) for r in rects] if area < 0.4 * bounds.width() * bounds.height() else []


class NewEdgeAction:
    """One edge-drawing gesture: start on a handle, track, end on a node or cancel."""

    def __init__(self, view: RosterView, source: NodeItem) -> None:
        self.view = view
        self.source = source
        self.line = TempEdgeItem(source.anchor_out())
        self.target: NodeItem | None = None
        self.legality: Legality | None = None
        view.scene().addItem(self.line)

    def track(self, scene_pos: QPointF) -> None:
        target = self.view.node_at(scene_pos, exclude=self.source)
        if target is not self.target and self.target is not None:
            self.target.set_highlight(None)
        self.target = target
        if target is None:
            self.legality = None
            self.line.set_end(scene_pos, None)
            self.view.hint_changed.emit("")
            return
        self.legality = self.view.legality(self.source.node_id, target.node_id)
        target.set_highlight(s.LEGAL_COLOUR if self.legality.ok else s.ILLEGAL_COLOUR)
        self.line.set_end(target.anchor_in(), self.legality.ok)
        hint = (f"{self.legality.kind.value if self.legality.kind else ''}: "
                f"{self.source.node_id} → {target.node_id}" if self.legality.ok
                else f"Not allowed: {self.legality.reason}")
        self.view.hint_changed.emit(hint)

    def finish(self) -> None:
        if self.target is not None and self.legality is not None and self.legality.ok:
            self.view.connect_requested.emit(self.source.node_id, self.target.node_id)
        elif self.target is not None and self.legality is not None:
            self.view.refused.emit(self.legality.reason)
        self.cancel()

    def cancel(self) -> None:
        if self.target is not None:
            self.target.set_highlight(None)
        scene = self.line.scene()
        if scene is not None:
            scene.removeItem(self.line)
        self.view.hint_changed.emit("")


class RosterView(QGraphicsView):
    connect_requested = Signal(str, str)
    drop_requested = Signal(str, QPointF)
    refused = Signal(str)
    hint_changed = Signal(str)
    zoom_changed = Signal(float)
    nudge_requested = Signal(float, float)
    delete_requested = Signal()

    def __init__(self, scene: RosterScene, legality: Callable[[str, str], Legality]) -> None:
        super().__init__(scene)
        self.legality = legality
        self._edge_action: NewEdgeAction | None = None
        self._panning: QPointF | None = None
        self._exposed: list[QRectF] = []  # the rects of the paint event under way
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setAcceptDrops(True)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    # ------------------------------------------------------------ queries

    def roster_scene(self) -> RosterScene:
        scene = self.scene()
        assert isinstance(scene, RosterScene)
        return scene

    def node_at(self, scene_pos: QPointF, exclude: NodeItem | None = None) -> NodeItem | None:
        for item in self.roster_scene().items(scene_pos):
            if isinstance(item, NodeItem) and item is not exclude:
                return item
        return None

    def zoom(self) -> float:
        return self.transform().m11()

    # ------------------------------------------------------------ zoom and fit

    def set_zoom(self, factor: float) -> None:
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        current = self.zoom()
        if current > 0:
            self.scale(factor / current, factor / current)
        self.zoom_changed.emit(self.zoom())

    def zoom_by(self, step: float) -> None:
        self.set_zoom(self.zoom() * step)

    def fit_all(self) -> None:
        rect = self.roster_scene().itemsBoundingRect()
        if rect.isEmpty():
            return
        self.fitInView(rect.adjusted(-60, -60, 60, 60), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.2:
            self.set_zoom(1.2)
        self.zoom_changed.emit(self.zoom())

    def centre_on_id(self, item_id: str) -> None:
        scene = self.roster_scene()
        item = scene.nodes.get(item_id) or scene.edges.get(item_id)
        if item is not None:
            scene.select_ids([item_id])
            self.centerOn(item)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            super().wheelEvent(event)
            return
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.15 ** steps)

    # ------------------------------------------------------------ painting

    def batched(self) -> bool:
        """True when this view draws the batched low-detail picture."""
        return self.zoom() < BATCH_ZOOM and len(self.roster_scene().nodes) >= BATCH_MIN_NODES

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.batched():
            self._exposed = _strips(event.region())
            try:
                super().paintEvent(event)
            finally:
                self._exposed = []
            return
        scene = self.roster_scene()
        painter = QPainter(self.viewport())
        painter.fillRect(event.rect(), s.CANVAS_BACKGROUND)
        painter.setTransform(self.viewportTransform())
        scene.layer.paint_chords(painter)
        scene.batch.paint(painter, list(scene.nodes.values()), lambda: [
            i for i in scene.selectedItems() if isinstance(i, NodeItem)])
        action = self._edge_action
        if action is not None and action.line.scene() is scene:
            painter.save()
            painter.setTransform(action.line.sceneTransform(), True)
            action.line.paint(painter, None, None)  # type: ignore[arg-type]
            painter.restore()
        painter.resetTransform()
        band = self.rubberBandRect()
        if not band.isNull():
            # Imported here: QStyle's Python type costs ~16 ms of the designer's cold start.
            from PySide6.QtWidgets import QStyle, QStyleOptionRubberBand

            option = QStyleOptionRubberBand()
            option.initFrom(self.viewport())
            option.rect = band
            option.shape = QRubberBand.Shape.Rectangle
            self.style().drawControl(QStyle.ControlElement.CE_RubberBand, option, painter,
                                     self.viewport())
        painter.end()

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        """The scene's background and edges, once per exposed rectangle.

        Qt hands over the bounding rect of what needs painting; after a scroll that is
        the whole viewport although only two thin strips were exposed (the rest was
        blitted). Painting the edges for each strip alone keeps a scroll frame small."""
        scene = self.roster_scene()
        if not self._exposed:
            scene.drawBackground(painter, QRectF(rect))
            return
        to_scene = self.viewportTransform().inverted()[0]
        for exposed in self._exposed:
            strip = to_scene.mapRect(exposed).adjusted(-1, -1, 1, 1)
            painter.save()
            painter.setClipRect(strip, Qt.ClipOperation.IntersectClip)
            scene.drawBackground(painter, strip)
            painter.restore()

    def visible_scene_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()

    # ------------------------------------------------------------ mouse

    def mousePressEvent(self, event: QMouseEvent) -> None:
        scene_pos = self.mapToScene(event.position().toPoint())
        if event.button() == Qt.MouseButton.MiddleButton:
            self._panning = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if event.button() == Qt.MouseButton.LeftButton:
            node = self.node_at(scene_pos)
            if node is not None and node.on_handle(scene_pos):
                self._edge_action = NewEdgeAction(self, node)
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.horizontalScrollBar().setValue(int(self.horizontalScrollBar().value() - delta.x()))
            self.verticalScrollBar().setValue(int(self.verticalScrollBar().value() - delta.y()))
            return
        if self._edge_action is not None:
            self._edge_action.track(self.mapToScene(event.position().toPoint()))
            legality = self._edge_action.legality
            if legality is not None and not legality.ok:
                QToolTip.showText(event.globalPosition().toPoint(), legality.reason, self)
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._panning is not None and event.button() == Qt.MouseButton.MiddleButton:
            self._panning = None
            self.unsetCursor()
            return
        if self._edge_action is not None:
            action, self._edge_action = self._edge_action, None
            action.track(self.mapToScene(event.position().toPoint()))
            action.finish()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape and self._edge_action is not None:
            self._edge_action.cancel()
            self._edge_action = None
            return
        step = 50.0 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 10.0
        nudges = {Qt.Key.Key_Left: (-step, 0.0), Qt.Key.Key_Right: (step, 0.0),
                  Qt.Key.Key_Up: (0.0, -step), Qt.Key.Key_Down: (0.0, step)}
        if key in nudges and self.roster_scene().selectedItems():
            self.nudge_requested.emit(*nudges[key])
            return
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_requested.emit()
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------ palette drops

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(PALETTE_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(PALETTE_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        if not mime.hasFormat(PALETTE_MIME):
            super().dropEvent(event)
            return
        key = bytes(mime.data(PALETTE_MIME).data()).decode("utf-8")
        scene_pos = self.mapToScene(event.position().toPoint())
        centred = QPointF(scene_pos.x() - s.NODE_WIDTH / 2, scene_pos.y() - s.NODE_HEIGHT / 2)
        self.drop_requested.emit(key, centred)
        event.acceptProposedAction()
