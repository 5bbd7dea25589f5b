"""The fast canvas paths look and behave like the item-by-item ones they replace.

Edges are painted by the scene's `EdgeLayer` (their items have no contents),
zoomed out the view paints the batched picture of all cards, the overview is a
cached pixmap, and the first governance check of an opened roster runs after
its first frame. These tests pin down that nothing a user sees or does was
traded away for that: edges are drawn, clickable and exportable, selection and
problem markers show at every zoom, dashes do not crawl, the overview recentres.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainterPath
from PySide6.QtTest import QTest

from designer.canvas import edge_layer
from designer.canvas import style as s
from designer.canvas.edge_layer import KINDS, PAD, SEGMENTS
from designer.canvas.fastpath import path_from_arrays, rects_path, segments_path
from designer.canvas.items import EdgeItem, edge_controls
from runtime.roster import model as m


def _colour_count(image: QImage, colour: QColor, rect: QRectF | None = None,
                  tolerance: int = 12) -> int:
    area = (rect or QRectF(image.rect())).toRect().intersected(image.rect())
    want = (colour.red(), colour.green(), colour.blue())
    found = 0
    for y in range(area.top(), area.bottom() + 1):
        for x in range(area.left(), area.right() + 1):
            c = QColor(image.pixel(x, y))
            if max(abs(c.red() - want[0]), abs(c.green() - want[1]),
                   abs(c.blue() - want[2])) <= tolerance:
                found += 1
    return found


def _grab(window) -> QImage:
    viewport = window.view.viewport()
    viewport.repaint()
    return viewport.grab().toImage()


def _some_edge(window, kind: m.EdgeKind) -> EdgeItem:
    return next(item for item in window.scene.edges.values() if item.edge.kind is kind)


# ------------------------------------------------------------------ fastpath


def test_a_path_built_from_arrays_has_exactly_the_given_moves_and_lines() -> None:
    path = path_from_arrays(np.array([0.0, 10, 20, 5, 6]), np.array([0.0, 1, 2, 3, 4]),
                            np.array([1, 1, 1, 0, 1]))
    expected = QPainterPath(QPointF(0, 0))
    expected.lineTo(10, 1)
    expected.lineTo(20, 2)
    expected.moveTo(5, 3)
    expected.lineTo(6, 4)
    assert path == expected


def test_segment_and_rectangle_paths_cover_what_they_describe() -> None:
    lines = segments_path(np.array([0.0, 100]), np.array([0.0, 0]), np.array([10.0, 110]),
                          np.array([10.0, 5]))
    assert lines.elementCount() == 4 and lines.boundingRect() == QRectF(0, 0, 110, 10)
    rects = rects_path(np.array([0.0, 50]), np.array([0.0, 20]), 10, 5)
    assert rects.boundingRect() == QRectF(0, 0, 60, 25)
    assert rects.contains(QPointF(55, 22)) and not rects.contains(QPointF(30, 10))


def test_an_empty_array_gives_an_empty_path() -> None:
    assert path_from_arrays(np.array([]), np.array([]), np.array([])).isEmpty()


# ------------------------------------------------------------------ edge geometry


def test_edge_controls_match_the_cards_anchor_rules(window) -> None:
    """The float routing used in bulk gives the same curve as the cards' own anchors."""
    item = next(iter(window.scene.edges.values()))
    start, _ = item.source.anchor_towards(item.target.centre())
    end, _ = item.target.anchor_towards(item.source.centre())
    c = edge_controls(item.source.pos(), item.target.pos())
    assert (c[0], c[1]) == (start.x(), start.y())
    assert (c[6], c[7]) == (end.x(), end.y())


def test_a_visible_run_is_clipped_to_the_view_and_starts_on_a_whole_dash(window) -> None:
    """A long dashed edge hands Qt only the part near the view, starting at a multiple
    of its dash period from the edge's start (so the dashes stay put while panning)."""
    layer = window.scene.layer
    tool = _some_edge(window, m.EdgeKind.TOOL_ACCESS)
    a = layer._flush()
    xs, ys = a["x"][tool.row], a["y"][tool.row]
    mid = SEGMENTS // 2
    centre = QPointF((xs[mid] + xs[mid + 1]) / 2, (ys[mid] + ys[mid + 1]) / 2)
    rect = QRectF(centre.x() - 5, centre.y() - 5, 10, 10)
    runs = layer._visible_runs(rect, a)
    assert runs is not None
    rows, offsets, counts, px, py = runs
    i = int(np.flatnonzero(rows == tool.row)[0])
    run_x = px[offsets[i]:offsets[i] + counts[i]]
    run_y = py[offsets[i]:offsets[i] + counts[i]]
    look = s.EDGE_STYLES[m.EdgeKind.TOOL_ACCESS]
    period = 6.0 * look.width
    grown = rect.adjusted(-PAD - period - 1, -PAD - period - 1, PAD + period + 1, PAD + period + 1)
    assert all(grown.contains(QPointF(x, y)) for x, y in zip(run_x, run_y, strict=True))
    # the run's start lies on the curve at a whole number of periods from the start
    cum = a["cum"][tool.row]
    lengths = np.hypot(np.diff(xs), np.diff(ys))
    for j in range(SEGMENTS):
        x0, y0, x1, y1 = xs[j], ys[j], xs[j + 1], ys[j + 1]
        cross = (run_x[0] - x0) * (y1 - y0) - (run_y[0] - y0) * (x1 - x0)
        within = min(x0, x1) - 1e-6 <= run_x[0] <= max(x0, x1) + 1e-6 and \
            min(y0, y1) - 1e-6 <= run_y[0] <= max(y0, y1) + 1e-6
        if within and abs(cross) <= 1e-6 * max(lengths[j], 1.0) ** 2:
            along = cum[j] + math.hypot(run_x[0] - x0, run_y[0] - y0)
            assert abs(along / period - round(along / period)) < 1e-6
            break
    else:
        raise AssertionError("the run does not start on the edge's polyline")


def test_moving_a_node_reroutes_its_edges_in_the_layer(window) -> None:
    node = window.scene.nodes["triage"]
    edge = node.edges[0]
    before = edge.ctrl
    node.setPos(node.pos() + QPointF(300, 120))
    assert edge.ctrl != before
    a = window.scene.layer._flush()
    assert tuple(a["ctrl"][edge.row]) == edge.ctrl


# ------------------------------------------------------------------ what is painted


def test_edges_are_painted_in_their_kinds_colours_at_full_size(window) -> None:
    window.view.set_zoom(1.0)
    for kind in KINDS:
        item = next((i for i in window.scene.edges.values() if i.edge.kind is kind), None)
        if item is None:
            continue
        c = item.ctrl
        window.view.centerOn(QPointF((c[0] + c[6]) / 2, (c[1] + c[7]) / 2))
        image = _grab(window)
        assert _colour_count(image, s.EDGE_STYLES[kind].colour, tolerance=40) > 10, kind


def test_a_selected_edge_is_drawn_in_the_selection_colour(window) -> None:
    window.view.fit_all()
    before = _colour_count(_grab(window), s.SELECTION_COLOUR, tolerance=30)
    edge = _some_edge(window, m.EdgeKind.DELEGATION)
    window.scene.select_ids([edge.edge_id])
    after = _colour_count(_grab(window), s.SELECTION_COLOUR, tolerance=30)
    assert after > before + 10


def test_clicking_on_an_edge_selects_it(window) -> None:
    window.view.set_zoom(1.0)
    edge = _some_edge(window, m.EdgeKind.DELEGATION)
    point = edge_layer.bezier_point(edge.ctrl, 0.5)
    window.view.centerOn(point)
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, window.view.mapFromScene(point))
    assert window.scene.selected_ids() == [edge.edge_id]


def test_an_edge_has_no_contents_but_a_tight_hit_band(window) -> None:
    edge = _some_edge(window, m.EdgeKind.DELEGATION)
    assert edge.flags() & edge.GraphicsItemFlag.ItemHasNoContents
    on = edge_layer.bezier_point(edge.ctrl, 0.5)
    assert edge.shape().contains(on)
    assert edge.boundingRect().contains(edge.shape().boundingRect())


def test_the_exported_image_contains_the_edges(window, tmp_path: Path) -> None:
    from designer.export import render_png

    image = render_png(window.scene, tmp_path / "canvas.png")
    colour = s.EDGE_STYLES[m.EdgeKind.DELEGATION].colour
    assert _colour_count(image, colour, tolerance=40) > 50


def test_zoomed_out_a_large_roster_paints_in_batches_with_selection_and_markers(
        window, qtbot, monkeypatch) -> None:
    """Below BATCH_ZOOM (and from BATCH_MIN_NODES nodes up; lowered here for the small
    sample) the view paints every card as a block in its type colour, the selection in
    the selection colour and problem markers in the error colour."""
    from designer.canvas import view as view_module

    monkeypatch.setattr(view_module, "BATCH_MIN_NODES", 1)
    view = window.view
    view.fit_all()
    view.set_zoom(0.2)
    assert view.batched()
    node = window.scene.nodes["triage"]
    view.centerOn(node)
    agents = s.TYPE_COLOURS[m.NodeType.AGENT].lighter(150)
    assert _colour_count(_grab(window), agents, tolerance=6) > 20
    window.scene.select_ids(["triage"])
    assert _colour_count(_grab(window), s.SELECTION_COLOUR, tolerance=6) > 20
    window.controller.set_property("triage", "max_turns", 500, merge=False)
    qtbot.waitUntil(lambda: node.errors > 0)
    assert _colour_count(_grab(window), s.ERROR_COLOUR, tolerance=6) > 20


def test_a_small_roster_keeps_painting_item_by_item_when_zoomed_out(window) -> None:
    window.view.set_zoom(0.2)
    assert not window.view.batched()


# ------------------------------------------------------------------ overview and open


def test_the_overview_draws_the_roster_and_recentres_the_canvas(window, qtbot) -> None:
    overview = window.overview
    overview.parentWidget().show()
    overview.resize(240, 200)
    overview.refresh()
    assert overview._pixmap is not None
    image = overview._pixmap.toImage()
    agents = s.TYPE_COLOURS[m.NodeType.AGENT].lighter(150)
    assert _colour_count(image, agents, tolerance=6) > 5
    window.view.set_zoom(1.0)
    target = window.scene.nodes["triage"].sceneBoundingRect().center()
    panel_point = overview._transform.map(target)
    QTest.mouseClick(overview, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     panel_point.toPoint())
    visible = window.view.visible_scene_rect()
    assert visible.contains(target)


def test_the_overview_refreshes_after_the_scene_changes(window, qtbot) -> None:
    overview = window.overview
    overview.parentWidget().show()
    overview.refresh()
    first = overview._pixmap
    window.scene.nodes["triage"].setPos(QPointF(-2000, -2000))
    qtbot.waitUntil(lambda: overview._pixmap is not first, timeout=3000)


def test_opening_shows_the_roster_before_its_first_check_then_the_findings(
        window, roster_copy: Path, qtbot) -> None:
    window.controller.set_property("triage", "max_turns", 500, merge=False)
    window.save()
    assert window.open_path(roster_copy)
    assert window.controller.findings == []  # the check has not run yet: first frame first
    assert set(window.scene.nodes) == set(window.controller.document.nodes)
    qtbot.waitUntil(lambda: window.controller.findings != [])
    qtbot.waitUntil(lambda: window.scene.nodes["triage"].errors > 0)


def test_a_rubber_band_drawn_while_zoomed_out_selects_and_is_painted(window, monkeypatch) -> None:
    from PySide6.QtCore import QPoint

    from designer.canvas import view as view_module

    monkeypatch.setattr(view_module, "BATCH_MIN_NODES", 1)
    view = window.view
    view.fit_all()
    view.set_zoom(0.2)
    assert view.batched()
    bounds = window.scene.itemsBoundingRect()
    start = view.mapFromScene(bounds.topLeft() - QPointF(40, 40))
    end = view.mapFromScene(bounds.bottomRight() + QPointF(40, 40))
    viewport = view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, QPoint((start.x() + end.x()) // 2, (start.y() + end.y()) // 2))
    QTest.mouseMove(viewport, end)
    assert not view.rubberBandRect().isNull()
    _grab(window)  # the batched paint draws the band too
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    assert set(window.scene.nodes) <= set(window.scene.selected_ids())
