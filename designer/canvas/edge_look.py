"""How an edge looks: pens per kind and state, arrowheads, grant labels, curve sampling.

The pieces of `EdgeLayer`'s painting that do not depend on the layer's arrays: the pen of
an edge in a given state (selected, lit by a run, faded by coverage), the arrowhead and
grant-label shapes, the sampling of a cubic into a polyline dense near its ends, and the
clipping of segments to a rectangle.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF

from designer.canvas import style as s
from runtime.roster import model as m

if TYPE_CHECKING:
    from designer.canvas.items import EdgeItem

SEGMENTS = 48
DASH_LOD = 0.3  # dashes and dots from here up
ARROW_SIZE = 10.0


def polyline_basis() -> Any:
    import numpy as np

    u = np.linspace(0.0, 1.0, SEGMENTS + 1)
    t = (1.0 - np.cos(np.pi * u)) / 2.0  # dense near the ends
    mt = 1.0 - t
    return np.stack([mt ** 3, 3 * mt * mt * t, 3 * mt * t * t, t ** 3])  # (4, SEGMENTS + 1)


def bezier_point(c: tuple[float, ...], t: float) -> QPointF:
    mt = 1.0 - t
    a, b, cc, d = mt ** 3, 3 * mt * mt * t, 3 * mt * t * t, t ** 3
    return QPointF(a * c[0] + b * c[2] + cc * c[4] + d * c[6],
                   a * c[1] + b * c[3] + cc * c[5] + d * c[7])


def edge_pen(edge: EdgeItem, lod: float, cosmetic: bool = False) -> tuple[QPen, QColor]:
    return kind_pen(edge.edge.kind, lod, cosmetic, selected=edge.isSelected(),
                    active=edge.active, faded=edge.faded)


def kind_pen(kind: m.EdgeKind, lod: float, cosmetic: bool = False, *, selected: bool = False,
             active: bool = False, faded: bool = False) -> tuple[QPen, QColor]:
    """The pen and colour of an edge of `kind` in the given state."""
    look = s.EDGE_STYLES[kind]
    colour = QColor(look.colour)
    if faded:
        colour.setAlpha(70)
    width = look.width * (2.0 if active else 1.0)
    if selected:
        colour, width = s.SELECTION_COLOUR, width + 1.5
    pen = QPen(colour, width, look.dash if lod > DASH_LOD else Qt.PenStyle.SolidLine)
    pen.setCosmetic(cosmetic)
    return pen, colour


def arrow_polygon(tip: QPointF, back: QPointF, arrow: str) -> QPolygonF:
    angle = math.atan2(tip.y() - back.y(), tip.x() - back.x())

    def at(a: float, r: float) -> QPointF:
        return QPointF(tip.x() - r * math.cos(angle + a), tip.y() - r * math.sin(angle + a))

    if arrow == "diamond":
        return QPolygonF([tip, at(0.5, ARROW_SIZE * 0.7), at(0, ARROW_SIZE * 1.4),
                          at(-0.5, ARROW_SIZE * 0.7)])
    return QPolygonF([tip, at(0.45, ARROW_SIZE), at(-0.45, ARROW_SIZE)])


def paint_grant_label(painter: QPainter, edge: m.Edge, mid: QPointF, colour: QColor,
                      font: Any) -> None:
    mode = s.MODE_MARKS.get(edge.mode or "read", "?")
    approval = s.APPROVAL_MARKS.get(edge.approval or "ask", "?")
    painter.setFont(font)
    box = QRectF(mid.x() - 16, mid.y() - 8, 32, 16)
    painter.setPen(QPen(colour, 1))
    painter.setBrush(QColor("#fef3c7") if (edge.approval or "ask") == "ask" else QColor("white"))
    painter.drawRoundedRect(box, 6, 6)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, f"{mode} {approval}")


ARROW_SHAPES = {  # (angle offset, distance from the tip in arrow sizes), closed
    "diamond": [(0.0, 0.0), (0.5, 0.7), (0.0, 1.4), (-0.5, 0.7), (0.0, 0.0)],
    "filled": [(0.0, 0.0), (0.45, 1.0), (-0.45, 1.0), (0.0, 0.0)],
    "open": [(0.0, 0.0), (0.45, 1.0), (-0.45, 1.0), (0.0, 0.0)],
}


def clip_segments(ax: Any, ay: Any, bx: Any, by: Any, x0: float, y0: float, x1: float,
          y1: float) -> tuple[Any, Any]:
    """Liang–Barsky: the parameters where segments a → b enter and leave the rect."""
    import numpy as np

    t_in = np.zeros(len(ax))
    t_out = np.ones(len(ax))
    for d, lo_edge, hi_edge, origin in ((bx - ax, x0, x1, ax), (by - ay, y0, y1, ay)):
        moving = d != 0
        safe = np.where(moving, d, 1.0)
        t_a = (lo_edge - origin) / safe
        t_b = (hi_edge - origin) / safe
        t_in = np.where(moving, np.maximum(t_in, np.minimum(t_a, t_b)), t_in)
        t_out = np.where(moving, np.minimum(t_out, np.maximum(t_a, t_b)), t_out)
    t_in = np.clip(t_in, 0.0, 1.0)
    return t_in, np.clip(np.maximum(t_out, t_in), 0.0, 1.0)


def run_polygon(px: Any, py: Any, start: int, count: int) -> QPolygonF:
    return QPolygonF([QPointF(x, y) for x, y in zip(
        px[start:start + count].tolist(), py[start:start + count].tolist(), strict=True)])
