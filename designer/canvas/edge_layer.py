"""All edges painted at once: one path per edge kind, clipped to what is visible.

Per-item painting cannot keep thousands of edges fluid: a Python `paint` per edge
costs microseconds even when nothing is drawn, and stroking a dashed cubic that
is 80,000 px long costs milliseconds even when only a sliver of it is on screen.
So `EdgeItem`s carry no contents (they stay for selection, hit tests, tooltips and
the rubber band), and the scene's background pass calls `EdgeLayer.paint`, which
keeps every edge's geometry in numpy arrays:

- its cubic's four control points, and a polyline of `SEGMENTS` segments sampled
  densely near the ends, where the curve bends;
- the cumulative length along it, so each visible run starts at a whole dash
  period and dashes do not crawl while panning;
- its bounding box.

A paint selects the edges whose box meets the exposed rect, then the segments
that do, and draws each edge's visible run (plus arrowheads whose tip is
visible) into one path per kind through `fastpath`, so the Python work per frame
does not grow with the number of edges drawn. Zoomed out, edges are straight
cosmetic lines, also one path per kind. Selected edges get the selection
colour, one path per kind; active (live run) and faded edges are few and are
drawn one by one on top. Exports (a painter that is not
on a widget) get the exact curves.

Geometry is recomputed lazily: `moved` records the new control points and asks
the scene to repaint the old and new areas; the arrays catch up at the next
paint, vectorised over everything that moved.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

from designer.canvas import style as s
from designer.canvas.edge_look import (
    ARROW_SHAPES,
    ARROW_SIZE,
    DASH_LOD,
    SEGMENTS,
    arrow_polygon,
    bezier_point,
    clip_segments,
    edge_pen,
    kind_pen,
    paint_grant_label,
    polyline_basis,
    run_polygon,
)
from runtime.roster import model as m

if TYPE_CHECKING:
    from designer.canvas.items import EdgeItem

CHORD_LOD = 0.3  # below this, edges are straight lines (as the node cards are blocks)
AA_LOD = 0.5
LABEL_LOD = 0.6
DETAIL_EDGES = 120  # up to this many edges in view, each is drawn at its own width
SMOOTH_EDGES = 400  # beyond this many in view, hairlines are not antialiased (a wall of lines)
SMOOTH_CHORDS = 3000  # up to this many edges, zoomed-out lines are antialiased too
PAD = 14.0  # pen width and arrowheads beyond the polyline
KINDS: tuple[m.EdgeKind, ...] = (m.EdgeKind.DELEGATION, m.EdgeKind.TOOL_ACCESS,
                                 m.EdgeKind.ESCALATION)
_DASH_UNITS = {Qt.PenStyle.SolidLine: 0.0, Qt.PenStyle.DashLine: 6.0, Qt.PenStyle.DotLine: 3.0}


class EdgeLayer:
    """The geometry and painting of every edge of one scene."""

    def __init__(self, request_update: Callable[[QRectF], None], label_font: Any) -> None:
        self._request_update = request_update
        self.label_font = label_font
        self.items: list[EdgeItem | None] = []  # None: a free row, or not built yet
        self.edges: list[m.Edge | None] = []  # the relationship of each row (None: free)
        self.ctrl: list[tuple[float, ...]] = []  # 8 floats per row: p0, c1, c2, p3
        self._free: list[int] = []
        self._pending: set[int] = set()  # rows whose cubic changed
        self._unrouted: set[int] = set()  # rows whose polyline is not computed yet
        self.selected: set[int] = set()  # rows drawn in the selection colour
        self.special: set[int] = set()  # rows drawn one by one: active (a live run), faded
        self._arrays: dict[str, Any] = {}
        self._chords: dict[int, QPainterPath] | None = None
        self.bulk = False

    # ------------------------------------------------------------ membership

    def add(self, item: EdgeItem) -> int:
        if self._free:
            row = self._free.pop()
            self.items[row] = item
            self.edges[row] = item.edge
            self.ctrl[row] = ()
        else:
            row = len(self.items)
            self.items.append(item)
            self.edges.append(item.edge)
            self.ctrl.append(())
        return row

    def add_rows(self, edges: list[m.Edge], ctrl: Any) -> int:
        """Rows for `edges` (with their cubics, an (n, 8) array) that no item stands for
        yet: the layer paints them at once and `adopt` gives each its item later. Returns
        the first row; the others follow in order."""
        first = len(self.items)
        self.items.extend([None] * len(edges))
        self.edges.extend(edges)
        self.ctrl.extend(map(tuple, ctrl.tolist()))
        self._pending.update(range(first, first + len(edges)))
        self._chords = None
        return first

    def adopt(self, item: EdgeItem, row: int) -> int:
        """`item` stands for `row` (added by `add_rows`) from now on."""
        if self.items[row] is not None or self.edges[row] is None:
            raise ValueError(f"edge row {row} is taken or free")
        self.items[row] = item
        self.edges[row] = item.edge
        return row

    def remove(self, item: EdgeItem) -> None:
        row = item.row
        if row < 0 or row >= len(self.items) or self.items[row] is not item:
            return
        box = self._ctrl_box(self.ctrl[row])
        self.items[row] = None
        self.edges[row] = None
        self.ctrl[row] = ()
        self._free.append(row)
        self._pending.add(row)
        self.special.discard(row)
        self.selected.discard(row)
        self._chords = None
        if box is not None:
            self._request_update(box)

    def clear(self) -> None:
        self.items.clear()
        self.edges.clear()
        self.ctrl.clear()
        self._free.clear()
        self._pending.clear()
        self._unrouted.clear()
        self.special.clear()
        self.selected.clear()
        self._arrays = {}
        self._chords = None

    def moved(self, item: EdgeItem, ctrl: tuple[float, ...]) -> None:
        row = item.row
        old = self._ctrl_box(self.ctrl[row])
        self.ctrl[row] = ctrl
        self.edges[row] = item.edge
        self._pending.add(row)
        self._chords = None
        if not self.bulk:
            new = self._ctrl_box(ctrl)
            assert new is not None
            self._request_update(new if old is None else new.united(old))

    def restyle(self, item: EdgeItem, repaint: bool = True) -> None:
        """Selection, live-run or coverage state of `item` changed (with `repaint` False
        the caller repaints, e.g. once for a whole rubber-band selection)."""
        if item.row < 0:
            return
        for rows, on in ((self.selected, item.isSelected()),
                         (self.special, item.active or item.faded)):
            if on:
                rows.add(item.row)
            else:
                rows.discard(item.row)
        if repaint:
            self.repaint(item)

    def repaint(self, item: EdgeItem) -> None:
        if item.row >= 0:
            box = self._ctrl_box(self.ctrl[item.row])
            if box is not None:
                self._request_update(box)

    @staticmethod
    def _ctrl_box(c: tuple[float, ...]) -> QRectF | None:
        if not c:
            return None
        xs, ys = c[0::2], c[1::2]
        return QRectF(min(xs) - PAD - 24, min(ys) - PAD - 24,
                      max(xs) - min(xs) + 2 * PAD + 48, max(ys) - min(ys) + 2 * PAD + 48)

    # ------------------------------------------------------------ geometry

    def _flush(self, curves: bool = True) -> dict[str, Any]:
        """Bring the arrays up to date: the cubics and kinds of changed rows (all that
        zoomed-out straight lines need) and, with `curves`, their polylines too."""
        import numpy as np

        a = self._arrays
        n = len(self.items)
        if not a or a["valid"].shape[0] < n:
            cap = max(64, n * 2 if a else n)
            old = a
            a = {"valid": np.zeros(cap, dtype=bool), "kind": np.zeros(cap, dtype=np.int8),
                 "ctrl": np.zeros((cap, 8)), "x": np.zeros((cap, SEGMENTS + 1)),
                 "y": np.zeros((cap, SEGMENTS + 1)), "cum": np.zeros((cap, SEGMENTS + 1)),
                 "box": np.zeros((cap, 4)), "back": np.zeros((cap, 2)), "mid": np.zeros((cap, 2)),
                 "segbox": np.zeros((4, cap, SEGMENTS)),
                 "basis": old.get("basis") if old else polyline_basis()}
            if old:
                k = old["valid"].shape[0]
                for key in ("valid", "kind", "ctrl", "x", "y", "cum", "box", "back", "mid"):
                    a[key][:k] = old[key]
                a["segbox"][:, :k] = old["segbox"]
            self._arrays = a
        if self._pending:
            self._flush_controls(a)
        if curves and self._unrouted:
            self._flush_curves(a)
        return a

    def _flush_controls(self, a: dict[str, Any]) -> None:
        import numpy as np

        rows = np.fromiter(self._pending, dtype=np.int64, count=len(self._pending))
        self._pending.clear()
        edges = self.edges
        live = [r for r in rows.tolist() if edges[r] is not None and self.ctrl[r]]
        a["valid"][rows] = False
        if not live:
            return
        idx = np.array(live, dtype=np.int64)
        index = {kind: k for k, kind in enumerate(KINDS)}
        a["ctrl"][idx] = [self.ctrl[r] for r in live]
        a["kind"][idx] = [index[edge.kind] if (edge := edges[r]) is not None else 0
                          for r in live]
        a["valid"][idx] = True
        self._unrouted.update(live)

    def _flush_curves(self, a: dict[str, Any]) -> None:
        import numpy as np

        idx = np.fromiter(self._unrouted, dtype=np.int64, count=len(self._unrouted))
        self._unrouted.clear()
        idx = idx[a["valid"][idx]]
        if idx.size == 0:
            return
        ctrl = a["ctrl"][idx]
        basis = a["basis"]
        xs = ctrl[:, 0::2] @ basis  # (k, SEGMENTS + 1)
        ys = ctrl[:, 1::2] @ basis
        seg = np.hypot(np.diff(xs, axis=1), np.diff(ys, axis=1))
        cum = np.zeros_like(xs)
        np.cumsum(seg, axis=1, out=cum[:, 1:])
        a["x"][idx], a["y"][idx], a["cum"][idx] = xs, ys, cum
        segbox = a["segbox"]
        segbox[0][idx] = np.minimum(xs[:, :-1], xs[:, 1:])
        segbox[1][idx] = np.minimum(ys[:, :-1], ys[:, 1:])
        segbox[2][idx] = np.maximum(xs[:, :-1], xs[:, 1:])
        segbox[3][idx] = np.maximum(ys[:, :-1], ys[:, 1:])
        a["box"][idx] = np.stack([xs.min(1) - PAD, ys.min(1) - PAD,
                                  xs.max(1) + PAD, ys.max(1) + PAD], axis=1)
        tb = np.array([0.03 ** 3, 3 * 0.03 ** 2 * 0.97, 3 * 0.03 * 0.97 ** 2, 0.97 ** 3])
        tm = np.array([0.125, 0.375, 0.375, 0.125])
        a["back"][idx] = np.stack([ctrl[:, 0::2] @ tb, ctrl[:, 1::2] @ tb], axis=1)
        a["mid"][idx] = np.stack([ctrl[:, 0::2] @ tm, ctrl[:, 1::2] @ tm], axis=1)

    def prepare(self) -> None:
        """Compute whatever painting curves will need, ahead of time (an idle moment)."""
        if self.items:
            self._flush()

    def extent(self) -> QRectF:
        """The box of all edges (empty without edges)."""
        a = self._flush()
        if not a or not a["valid"].any():
            return QRectF()
        box = a["box"][a["valid"]]
        x0, y0 = float(box[:, 0].min()), float(box[:, 1].min())
        return QRectF(x0, y0, float(box[:, 2].max()) - x0, float(box[:, 3].max()) - y0)

    # ------------------------------------------------------------ painting

    def paint(self, painter: QPainter, rect: QRectF, lod: float, exact: bool = False) -> None:
        if not self.items:
            return
        a = self._flush(curves=not exact and lod >= CHORD_LOD)
        if exact:
            self._paint_exact(painter, rect, lod)
        elif lod < CHORD_LOD:
            self.paint_chords(painter, a)
        else:
            self._paint_curves(painter, rect, lod, a)

    def paint_chords(self, painter: QPainter, a: dict[str, Any] | None = None) -> None:
        """Every edge as a straight cosmetic line, one path per kind (zoomed out)."""
        from designer.canvas.fastpath import segments_path

        a = a if a is not None else self._flush(curves=False)
        if self._chords is None:
            self._chords = {}
            for k in range(len(KINDS)):
                rows = a["valid"][: len(self.items)] & (a["kind"][: len(self.items)] == k)
                c = a["ctrl"][: len(self.items)][rows]
                self._chords[k] = segments_path(c[:, 0], c[:, 1], c[:, 6], c[:, 7])
        painter.setRenderHint(QPainter.RenderHint.Antialiasing,
                              len(self.items) <= SMOOTH_CHORDS)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for k, path in self._chords.items():
            look = s.EDGE_STYLES[KINDS[k]]
            pen = QPen(look.colour, 1.0)  # a hairline: Qt's fast cosmetic stroker
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawPath(path)
        chosen = sorted(self.selected - self.special)
        if chosen:
            c = a["ctrl"][chosen]
            pen = QPen(s.SELECTION_COLOUR, 1.0)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawPath(segments_path(c[:, 0], c[:, 1], c[:, 6], c[:, 7]))
        for row in sorted(self.special):
            item = self.items[row]
            if item is None:
                continue
            pen, _ = edge_pen(item, 0.0, cosmetic=True)
            painter.setPen(pen)
            c = self.ctrl[row]
            painter.drawLine(QPointF(c[0], c[1]), QPointF(c[6], c[7]))

    def _visible_runs(self, rect: QRectF, a: dict[str, Any]) -> tuple[Any, ...] | None:
        """The rows with a visible part and, flat, the points of each row's visible run.

        A run goes from where the polyline first enters `rect` (grown by `PAD`) to where
        it last leaves it; both ends are clipped, because a middle segment of a long edge
        can be thousands of pixels long and Qt strokes whatever it is given. The start
        moves back to a whole dash period from the edge's start, so the dashes stay put
        while the view pans."""
        import numpy as np

        n = len(self.items)
        x0, y0 = rect.left() - PAD, rect.top() - PAD
        x1, y1 = rect.right() + PAD, rect.bottom() + PAD
        box = a["box"][:n]
        hit = a["valid"][:n] & (box[:, 0] <= x1) & (box[:, 2] >= x0) \
            & (box[:, 1] <= y1) & (box[:, 3] >= y0)
        cand = np.flatnonzero(hit)
        if cand.size == 0:
            return None
        sb = a["segbox"]
        seg = sb[0][cand] <= x1
        seg &= sb[2][cand] >= x0
        seg &= sb[1][cand] <= y1
        seg &= sb[3][cand] >= y0
        anyv = seg.any(axis=1)
        if not anyv.any():
            return None
        rows, seg = cand[anyv], seg[anyv]
        xs, ys = a["x"][rows], a["y"][rows]
        cum = a["cum"][rows]
        k = np.arange(len(rows))
        lo = seg.argmax(axis=1)
        hi = SEGMENTS - 1 - seg[:, ::-1].argmax(axis=1)
        t_in, _ = clip_segments(xs[k, lo], ys[k, lo], xs[k, lo + 1], ys[k, lo + 1], x0, y0, x1, y1)
        _, t_out = clip_segments(xs[k, hi], ys[k, hi], xs[k, hi + 1], ys[k, hi + 1], x0, y0, x1, y1)
        enter = cum[k, lo] + t_in * (cum[k, lo + 1] - cum[k, lo])
        period = np.array([_DASH_UNITS[s.EDGE_STYLES[kind].dash] * s.EDGE_STYLES[kind].width
                           for kind in KINDS])[a["kind"][rows]]
        safe = np.where(period > 0, period, 1.0)
        start_len = np.where(period > 0, np.floor(enter / safe) * period, enter)
        j = np.minimum(np.clip((cum <= start_len[:, None]).sum(axis=1) - 1, 0, SEGMENTS - 1), lo)
        seglen = cum[k, j + 1] - cum[k, j]
        f = np.clip((start_len - cum[k, j]) / np.where(seglen > 0, seglen, 1.0), 0.0, 1.0)
        sx = xs[k, j] + (xs[k, j + 1] - xs[k, j]) * f
        sy = ys[k, j] + (ys[k, j + 1] - ys[k, j]) * f
        ex = xs[k, hi] + (xs[k, hi + 1] - xs[k, hi]) * t_out
        ey = ys[k, hi] + (ys[k, hi + 1] - ys[k, hi]) * t_out
        counts = hi - j + 2  # start, vertices j+1..hi, end
        offsets = np.cumsum(counts) - counts
        owner = np.repeat(k, counts)
        vertex = np.minimum(j[owner] + np.arange(int(counts.sum())) - offsets[owner], SEGMENTS)
        px, py = xs[owner, vertex], ys[owner, vertex]
        px[offsets], py[offsets] = sx, sy
        last = offsets + counts - 1
        px[last], py[last] = ex, ey
        return rows, offsets, counts, px, py

    def _paint_curves(self, painter: QPainter, rect: QRectF, lod: float,
                      a: dict[str, Any]) -> None:
        import numpy as np

        from designer.canvas.fastpath import path_from_arrays, polylines_path

        runs = self._visible_runs(rect, a)
        if runs is None:
            return
        rows, offsets, counts, px, py = runs
        kinds = a["kind"][rows]
        special = np.isin(rows, np.fromiter(self.special, dtype=np.int64)) if self.special \
            else np.zeros(len(rows), dtype=bool)
        chosen = np.isin(rows, np.fromiter(self.selected, dtype=np.int64)) if self.selected \
            else np.zeros(len(rows), dtype=bool)
        # Few edges in view: each with its own pen, at its full width. Many: one hairline
        # path per kind, which Qt's cosmetic stroker draws (antialiased) in a fraction of
        # the time a wide pen takes; a wide antialiased pen over a path of many crossing
        # runs costs seconds.
        detailed = len(rows) <= DETAIL_EDGES
        painter.setRenderHint(QPainter.RenderHint.Antialiasing,
                              lod > AA_LOD and len(rows) <= SMOOTH_EDGES)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        owner = np.repeat(np.arange(len(rows)), counts)
        for (k, kind), picked in itertools.product(enumerate(KINDS), (False, True)):
            mine = (kinds == k) & ~special & (chosen == picked)
            if not mine.any():
                continue
            look = s.EDGE_STYLES[kind]
            dash = look.dash if lod > DASH_LOD else Qt.PenStyle.SolidLine
            colour = s.SELECTION_COLOUR if picked else look.colour
            if detailed:
                painter.setPen(QPen(colour, look.width + (1.5 if picked else 0.0), dash))
                for i in np.flatnonzero(mine).tolist():
                    painter.drawPolyline(run_polygon(px, py, int(offsets[i]), int(counts[i])))
                continue
            keep = mine[owner]
            sel_counts = counts[mine]
            pen = QPen(colour, 1.0, dash)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawPath(polylines_path(px[keep], py[keep], np.cumsum(sel_counts) - sel_counts))
        # Arrowheads whose tip is visible, one path per kind.
        tips = a["ctrl"][rows][:, 6:8]
        back = a["back"][rows]
        inside = (tips[:, 0] >= rect.left() - PAD) & (tips[:, 0] <= rect.right() + PAD) \
            & (tips[:, 1] >= rect.top() - PAD) & (tips[:, 1] <= rect.bottom() + PAD)
        angle = np.arctan2(tips[:, 1] - back[:, 1], tips[:, 0] - back[:, 0])
        for (k, kind), picked in itertools.product(enumerate(KINDS), (False, True)):
            mine = inside & (kinds == k) & ~special & (chosen == picked)
            if not mine.any():
                continue
            look = s.EDGE_STYLES[kind]
            colour = s.SELECTION_COLOUR if picked else look.colour
            tx, ty, an = tips[mine, 0], tips[mine, 1], angle[mine]
            spec = ARROW_SHAPES[look.arrow]
            vx = np.stack([tx - r * ARROW_SIZE * np.cos(an + d) for d, r in spec], axis=1)
            vy = np.stack([ty - r * ARROW_SIZE * np.sin(an + d) for d, r in spec], axis=1)
            connect = np.tile(np.array([0] + [1] * (len(spec) - 1), dtype=np.int32), len(tx))
            pen = QPen(colour, 1.4 if detailed else 1.0)
            pen.setCosmetic(not detailed)
            painter.setPen(pen)
            painter.setBrush(QColor("white") if look.arrow == "open" else colour)
            painter.drawPath(path_from_arrays(vx.ravel(), vy.ravel(), connect))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for i in np.flatnonzero(special).tolist():
            item = self.items[int(rows[i])]
            if item is None:
                continue
            pen, colour = edge_pen(item, lod)
            painter.setPen(pen)
            painter.drawPolyline(run_polygon(px, py, int(offsets[i]), int(counts[i])))
            self._paint_arrow(painter, item.row, colour, rect)
            painter.setBrush(Qt.BrushStyle.NoBrush)
        if lod >= LABEL_LOD:
            self._paint_labels(painter, rect, rows, a)

    def _paint_arrow(self, painter: QPainter, row: int, colour: QColor,
                     rect: QRectF | None) -> None:
        c, edge = self.ctrl[row], self.edges[row]
        tip = QPointF(c[6], c[7])
        outside = rect is not None and not rect.adjusted(-PAD, -PAD, PAD, PAD).contains(tip)
        if edge is None or outside:
            return
        arrow = s.EDGE_STYLES[edge.kind].arrow
        painter.setPen(QPen(colour, 1.4))
        painter.setBrush(QColor("white") if arrow == "open" else colour)
        painter.drawPolygon(arrow_polygon(tip, bezier_point(c, 0.97), arrow))

    def _paint_labels(self, painter: QPainter, rect: QRectF, rows: Any,
                      a: dict[str, Any]) -> None:
        mids = a["mid"][rows]
        near = (a["kind"][rows] == KINDS.index(m.EdgeKind.TOOL_ACCESS)) \
            & (mids[:, 0] >= rect.left() - 20) & (mids[:, 0] <= rect.right() + 20) \
            & (mids[:, 1] >= rect.top() - 10) & (mids[:, 1] <= rect.bottom() + 10)
        for row, (mx, my) in zip(rows[near].tolist(), mids[near].tolist(), strict=True):
            edge = self.edges[row]
            if edge is None:
                continue
            _, colour = self.row_pen(row, 1.0)
            paint_grant_label(painter, edge, QPointF(mx, my), colour, self.label_font)

    def row_pen(self, row: int, lod: float) -> tuple[QPen, QColor]:
        """The pen of the edge in `row`: its item's state, or the plain look of its kind
        while no item stands for it yet (it cannot be selected or lit before that)."""
        item = self.items[row]
        if item is not None:
            return edge_pen(item, lod)
        edge = self.edges[row]
        assert edge is not None
        return kind_pen(edge.kind, lod)

    def _paint_exact(self, painter: QPainter, rect: QRectF, lod: float) -> None:
        """Exports: every edge meeting `rect` as its true cubic, one by one."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for row, edge in enumerate(self.edges):
            c = self.ctrl[row]
            if edge is None or not c:
                continue
            box = self._ctrl_box(c)
            if box is None or not box.intersects(rect):
                continue
            pen, colour = self.row_pen(row, lod)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            curve = QPainterPath(QPointF(c[0], c[1]))
            curve.cubicTo(c[2], c[3], c[4], c[5], c[6], c[7])
            painter.drawPath(curve)
            self._paint_arrow(painter, row, colour, None)
            if lod >= LABEL_LOD and edge.kind is m.EdgeKind.TOOL_ACCESS:
                paint_grant_label(painter, edge, bezier_point(c, 0.5), colour, self.label_font)
