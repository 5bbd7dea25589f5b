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

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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
    """Fill paths of all nodes of a scene, by colour, cached until something changes.

    What the cards are (place, type, problem markers, server links) is read from the
    items once into arrays and kept until `invalidate`; a change of selection only
    (`invalidate_selection`, a rubber band's every step) recomputes which cards are
    drawn in the selection colour from those arrays."""

    def __init__(self) -> None:
        self._fills: list[tuple[QColor, QPainterPath]] | None = None
        self._links: list[QLineF] = []
        self._base: dict[str, Any] | None = None

    def invalidate(self) -> None:
        self._fills = None
        self._base = None

    def invalidate_selection(self) -> None:
        self._fills = None

    def _read(self, nodes: list[NodeItem]) -> dict[str, Any]:
        import numpy as np

        n = len(nodes)
        xs, ys = np.empty(n), np.empty(n)
        group = np.empty(n, dtype=np.int8)
        errors = np.zeros(n, dtype=bool)
        warnings = np.zeros(n, dtype=bool)
        codes = {key: k for k, key in enumerate(_FILLS)}
        links: dict[int, QLineF] = {}
        index: dict[int, int] = {}
        for i, item in enumerate(nodes):
            pos = item.pos()
            xs[i], ys[i] = pos.x(), pos.y()
            group[i] = codes[item.node.node_type]
            errors[i] = bool(item.errors)
            warnings[i] = bool(item.warnings) and not item.errors
            index[id(item)] = i
            for link in item.links:
                links[id(link)] = link.line()
        self._links = list(links.values())
        return {"x": xs, "y": ys, "group": group, "errors": errors, "warnings": warnings,
                "index": index}

    def _build(self, nodes: list[NodeItem],
               selected: Callable[[], list[NodeItem]] | None) -> None:
        import numpy as np

        from designer.canvas.fastpath import rects_path

        if self._base is None or len(self._base["x"]) != len(nodes):
            self._base = self._read(nodes)
        base = self._base
        chosen = np.zeros(len(nodes), dtype=bool)
        chosen_items = [item for item in nodes if item.isSelected()] if selected is None \
            else selected()
        index = base["index"]
        picked = [index[id(item)] for item in chosen_items if id(item) in index]
        chosen[picked] = True
        xs, ys = base["x"], base["y"]
        fills = []
        for k, (key, colour) in enumerate(_FILLS.items()):
            mask = chosen if key == SELECTED else (base["group"] == k) & ~chosen
            if mask.any():
                fills.append((colour, rects_path(xs[mask], ys[mask], s.NODE_WIDTH,
                                                 s.NODE_HEIGHT)))
        for colour, mask in ((s.WARNING_COLOUR, base["warnings"]),
                             (s.ERROR_COLOUR, base["errors"])):
            if mask.any():
                fills.append((colour, rects_path(xs[mask] + (s.NODE_WIDTH - MARKER), ys[mask],
                                                 MARKER, MARKER)))
        self._fills = fills

    def paint(self, painter: QPainter, nodes: list[NodeItem],
              selected: Callable[[], list[NodeItem]] | None = None) -> None:
        """Draw every card of `nodes` as a block; `selected` gives the selected ones when
        the blocks must be recoloured (else each item is asked)."""
        if self._fills is None:
            self._build(nodes, selected)
        assert self._fills is not None
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if self._links:
            painter.setPen(_LINK_PEN)
            painter.drawLines(self._links)
        painter.setPen(Qt.PenStyle.NoPen)
        for colour, path in self._fills:
            painter.fillPath(path, colour)
