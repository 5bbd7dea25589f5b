"""The overview: a miniature of the whole canvas with the visible area outlined.

The miniature is a cached pixmap of the scene's batched low-detail picture
(`RosterScene.batch` and the edge layer's straight lines). It is redrawn at
most every `REFRESH_MS` after the scene reports a change, and only while the
panel is visible; scrolling or zooming the canvas repaints just the pixmap and
the outline, so the overview never costs the canvas a frame. A click or drag
recentres the main view.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QHideEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
    QShowEvent,
    QTransform,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from designer.canvas import style as s
from designer.canvas.view import RosterView

REFRESH_MS = 250
MARGIN = 40.0
_OUTLINE = QColor("#0ea5e9")
_OUTLINE_FILL = QColor(14, 165, 233, 40)


class OverviewPanel(QWidget):
    def __init__(self, main_view: RosterView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.main_view = main_view
        self.scene = main_view.roster_scene()
        self.setMinimumHeight(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._pixmap: QPixmap | None = None
        self._transform = QTransform()  # scene → panel
        self._stale = True
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        main_view.horizontalScrollBar().valueChanged.connect(self.update)
        main_view.verticalScrollBar().valueChanged.connect(self.update)
        main_view.zoom_changed.connect(lambda zoom: self.update())
        self.scene.content_changed.connect(self.invalidate)

    def sizeHint(self) -> QSize:
        return QSize(240, 200)

    # ------------------------------------------------------------ the cached picture

    def invalidate(self) -> None:
        """The scene changed: redraw the miniature soon (coalescing bursts of changes)."""
        self._stale = True
        if self.isVisible() and not self.timer.isActive():
            self.timer.start()

    def refresh(self) -> None:
        """Redraw the miniature now."""
        self._stale = False
        size = self.size()
        if size.isEmpty():
            self._pixmap = None
            return
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(size * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(s.CANVAS_BACKGROUND)
        bounds = self.scene_bounds()
        if not bounds.isEmpty():
            scale = min(size.width() / bounds.width(), size.height() / bounds.height())
            dx = (size.width() - bounds.width() * scale) / 2 - bounds.left() * scale
            dy = (size.height() - bounds.height() * scale) / 2 - bounds.top() * scale
            self._transform = QTransform(scale, 0, 0, scale, dx, dy)
            painter = QPainter(pixmap)
            painter.setTransform(self._transform)
            self.scene.layer.paint_chords(painter)
            self.scene.batch.paint(painter, list(self.scene.nodes.values()))
            painter.end()
        self._pixmap = pixmap
        self.update()

    def scene_bounds(self) -> QRectF:
        if not self.scene.nodes:
            return QRectF()
        return self.scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)

    # ------------------------------------------------------------ events

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._stale and not self.timer.isActive():
            self.timer.start()
        painter = QPainter(self)
        if self._pixmap is not None:
            painter.drawPixmap(0, 0, self._pixmap)
        else:
            painter.fillRect(self.rect(), s.CANVAS_BACKGROUND)
        if self._pixmap is not None and self.scene.nodes:
            visible = self._transform.mapRect(self.main_view.visible_scene_rect())
            painter.setPen(QPen(_OUTLINE, 1))
            painter.setBrush(_OUTLINE_FILL)
            painter.drawRect(visible.intersected(QRectF(self.rect()).adjusted(0, 0, -1, -1)))
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.invalidate()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.timer.stop()

    def _centre_at(self, pos: QPointF) -> None:
        inverse, ok = self._transform.inverted()
        if ok:
            self.main_view.centerOn(inverse.map(pos))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._centre_at(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._centre_at(event.position())
