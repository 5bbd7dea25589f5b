"""The zoomed-out picture of a whole roster, drawn in a handful of painter calls.

Below `BATCH_ZOOM` the canvas and the overview do not ask each item to paint:
at the zoom where a roster of thousands fits, cards are a few pixels tall and a
Python `paint` per item would cost more than a frame. `NodeBatch` keeps one
path per fill colour (the type colours, the selection, the problem markers)
and the tool → server links, rebuilt only after something changed; edges come
from `EdgeLayer.paint_chords`. The look matches the items' own low-detail
painting, so crossing the threshold does not change the picture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

from designer.canvas import style as s

if TYPE_CHECKING:
    from designer.canvas.items import NodeItem

BATCH_ZOOM = 0.4  # cards are 78 px wide here: a title would be 4 pt
BATCH_MIN_NODES = 300  # smaller rosters paint item by item at every zoom
MARKER = 40.0
_LINK_PEN = QPen(QColor("#9ca3af"), 1.2)
_LINK_PEN.setCosmetic(True)
SELECTED = "selected"
# Fill colour per group, in painting order (the selection last, on top).
_FILLS: dict[object, QColor] = {
    **{node_type: colour.lighter(150) for node_type, colour in s.TYPE_COLOURS.items()},
    SELECTED: s.SELECTION_COLOUR,
}


class NodeBatch:
    """Fill paths of all nodes of a scene, by colour, cached until `invalidate`."""

    def __init__(self) -> None:
        self._fills: list[tuple[QColor, QPainterPath]] | None = None
        self._links: list[QLineF] = []

    def invalidate(self) -> None:
        self._fills = None

    def _build(self, nodes: list[NodeItem]) -> None:
        import numpy as np

        from designer.canvas.fastpath import rects_path

        groups: dict[object, tuple[list[float], list[float]]] = {key: ([], []) for key in _FILLS}
        errors: tuple[list[float], list[float]] = ([], [])
        warnings: tuple[list[float], list[float]] = ([], [])
        links: dict[int, QLineF] = {}
        for item in nodes:
            pos = item.pos()
            x, y = pos.x(), pos.y()
            group = groups[SELECTED if item.isSelected() else item.node.node_type]
            group[0].append(x)
            group[1].append(y)
            if item.errors or item.warnings:
                target = errors if item.errors else warnings
                target[0].append(x + s.NODE_WIDTH - MARKER)
                target[1].append(y)
            for link in item.links:
                links[id(link)] = link.line()
        fills = [(_FILLS[key], rects_path(np.array(xs), np.array(ys), s.NODE_WIDTH,
                                          s.NODE_HEIGHT))
                 for key, (xs, ys) in groups.items() if xs]
        for colour, (xs, ys) in ((s.WARNING_COLOUR, warnings), (s.ERROR_COLOUR, errors)):
            if xs:
                fills.append((colour, rects_path(np.array(xs), np.array(ys), MARKER, MARKER)))
        self._fills = fills
        self._links = list(links.values())

    def paint(self, painter: QPainter, nodes: list[NodeItem]) -> None:
        if self._fills is None:
            self._build(nodes)
        assert self._fills is not None
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if self._links:
            painter.setPen(_LINK_PEN)
            painter.drawLines(self._links)
        painter.setPen(Qt.PenStyle.NoPen)
        for colour, path in self._fills:
            painter.fillPath(path, colour)

