"""Where an edge runs: the cubic between two cards, for one edge or for thousands at once.

`edge_controls` routes one edge in plain floats (an item that moved);
`edge_controls_array` routes many with numpy in one pass (opening a roster),
performing the same floating-point operations in the same order, so both give
bit-identical control points and an edge item created later from the scalar
rule finds the layer's geometry already current.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF

from designer.canvas import style as s

MIN_REACH = 40.0


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
    return edge_controls_xy(source.x(), source.y(), target.x(), target.y())


def edge_controls_xy(sx: float, sy: float, tx: float, ty: float) -> tuple[float, ...]:
    """`edge_controls` for card positions given as floats."""
    half_w, half_h = s.NODE_WIDTH / 2, s.NODE_HEIGHT / 2
    x0, y0, ox, oy = card_anchor(sx, sy, tx + half_w, ty + half_h)
    x3, y3, ix, iy = card_anchor(tx, ty, sx + half_w, sy + half_h)
    # Each control point reaches half the distance along its own side's normal, so
    # a long, steep edge between neighbouring columns bends inside the gap between
    # them instead of overshooting sideways (a reach from the full length did).
    dx, dy = x3 - x0, y3 - y0
    reach_out = max(abs(dx * ox + dy * oy) * 0.5, MIN_REACH)
    reach_in = max(abs(dx * ix + dy * iy) * 0.5, MIN_REACH)
    return (x0, y0, x0 + ox * reach_out, y0 + oy * reach_out,
            x3 + ix * reach_in, y3 + iy * reach_in, x3, y3)


def _anchors(x: Any, y: Any, ox: Any, oy: Any) -> tuple[Any, Any, Any, Any]:
    """`card_anchor` over arrays."""
    import numpy as np

    w, h = s.NODE_WIDTH, s.NODE_HEIGHT
    cx, cy = x + w / 2, y + h / 2
    dx, dy = ox - cx, oy - cy
    side = (np.abs(dx) >= w) | (np.abs(dx) * h >= np.abs(dy) * w)
    right, down = dx >= 0, dy >= 0
    ax = np.where(side, np.where(right, x + w, x), cx)
    ay = np.where(side, cy, np.where(down, y + h, y))
    nx = np.where(side, np.where(right, 1.0, -1.0), 0.0)
    ny = np.where(side, 0.0, np.where(down, 1.0, -1.0))
    return ax, ay, nx, ny


def edge_controls_array(sx: Any, sy: Any, tx: Any, ty: Any) -> Any:
    """`edge_controls` for n edges at once: card positions as four arrays, the cubics as
    an (n, 8) array."""
    import numpy as np

    half_w, half_h = s.NODE_WIDTH / 2, s.NODE_HEIGHT / 2
    x0, y0, ox, oy = _anchors(sx, sy, tx + half_w, ty + half_h)
    x3, y3, ix, iy = _anchors(tx, ty, sx + half_w, sy + half_h)
    dx, dy = x3 - x0, y3 - y0
    reach_out = np.maximum(np.abs(dx * ox + dy * oy) * 0.5, MIN_REACH)
    reach_in = np.maximum(np.abs(dx * ix + dy * iy) * 0.5, MIN_REACH)
    return np.stack([x0, y0, x0 + ox * reach_out, y0 + oy * reach_out,
                     x3 + ix * reach_in, y3 + iy * reach_in, x3, y3], axis=1)
