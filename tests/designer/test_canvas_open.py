"""Opening a roster shows it first and builds the rest behind the first frame, unseen.

A large roster is painted before all of its edges have items: the layer draws
every edge from routes computed in one numpy pass, and the `EdgeItem`s (for
selection, hit tests and tooltips) are built from the event loop, or at once as
soon as anything needs one. Cards carry no Python `itemChange` and no stored
tooltip; card text is laid out once. These tests pin down that none of that is
visible to a user: edges are drawn, clickable, selectable and follow their cards
from the first moment, tooltips appear, and the first check still arrives.
Most tests set `EAGER_EDGES` to 0 so that the small sample takes the large-roster
path.
"""

from __future__ import annotations

import gc
import random

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QHelpEvent, QImage, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolTip

from designer.canvas import scene as scene_module
from designer.canvas import style as s
from designer.canvas import text
from designer.canvas.edge_layer import bezier_point
from designer.canvas.geometry import edge_controls_array, edge_controls_xy
from designer.canvas.items import EdgeItem, NodeItem
from designer.controller import bulk_allocation
from runtime.roster import model as m


@pytest.fixture
def deferred(monkeypatch, window, roster_copy):
    """The main window with the sample opened again as a large roster is: edge items pending
    (as if the event loop had not come round yet; opening may process a few events)."""
    monkeypatch.setattr(scene_module, "EAGER_EDGES", 0)
    monkeypatch.setattr(scene_module.RosterScene, "_build_some_edges", lambda self: None)
    assert window.open_path(roster_copy)
    return window


def _pending(window) -> int:
    count: int = window.scene.edges_pending()
    return count


def _grab(window) -> QImage:
    viewport = window.view.viewport()
    viewport.repaint()
    return viewport.grab().toImage()


def _viewport_point(window, scene_pos: QPointF) -> QPoint:
    return window.view.mapFromScene(scene_pos)


# ------------------------------------------------------------------ routes


def test_routes_computed_for_many_edges_at_once_equal_the_one_edge_rule() -> None:
    rng = random.Random(7)
    points = [(rng.choice([0.0, 40.0, 300.0, -250.0]) + rng.uniform(-300, 300),
               rng.uniform(-2000, 2000)) for _ in range(400)]
    points += [(0.0, 0.0), (0.0, 0.0), (10.0, 500.0), (196.0, 0.0), (-196.0, 72.0)]
    pairs = [(a, b) for a, b in zip(points, points[1:] + points[:1], strict=True)]
    sx, sy = np.array([a[0] for a, _ in pairs]), np.array([a[1] for a, _ in pairs])
    tx, ty = np.array([b[0] for _, b in pairs]), np.array([b[1] for _, b in pairs])
    many = edge_controls_array(sx, sy, tx, ty)
    for row, ((ax, ay), (bx, by)) in zip(many.tolist(), pairs, strict=True):
        assert tuple(row) == edge_controls_xy(ax, ay, bx, by)  # bit for bit


# ------------------------------------------------------------------ deferred edge items


def test_every_edge_is_painted_before_its_item_exists(deferred) -> None:
    scene = deferred.scene
    doc = deferred.controller.document
    assert _pending(deferred) == len(doc.edges) > 0
    assert sorted(e.id for e in scene.layer.edges if e is not None) == sorted(doc.edges)
    deferred.view.fit_all()
    image = _grab(deferred)
    delegation = s.EDGE_STYLES[m.EdgeKind.DELEGATION].colour
    found = sum(1 for y in range(0, image.height(), 2) for x in range(0, image.width(), 2)
                if abs(image.pixelColor(x, y).blue() - delegation.blue()) < 30
                and abs(image.pixelColor(x, y).red() - delegation.red()) < 30
                and abs(image.pixelColor(x, y).green() - delegation.green()) < 30)
    assert found > 10
    assert _pending(deferred) == len(doc.edges)  # painting needed no item


def test_asking_for_the_edges_builds_them_all_on_the_layers_routes(deferred) -> None:
    scene = deferred.scene
    items = scene.edges
    assert _pending(deferred) == 0
    assert set(items) == set(deferred.controller.document.edges)
    for item in items.values():
        assert scene.layer.items[item.row] is item
        assert scene.layer.ctrl[item.row] == item.ctrl
        assert item in item.source.edges and item in item.target.edges


def test_pending_edge_items_are_built_from_the_event_loop(deferred, qtbot,
                                                          monkeypatch) -> None:
    monkeypatch.undo()  # the event loop builds them now, a slice per turn
    deferred.scene._build_timer.start()
    qtbot.waitUntil(lambda: _pending(deferred) == 0, timeout=5000)
    assert len(deferred.scene._edges) == len(deferred.controller.document.edges)


def test_the_scene_bounds_count_edges_still_pending(deferred) -> None:
    scene = deferred.scene
    before = scene.itemsBoundingRect()
    scene.ensure_edges()
    assert scene.itemsBoundingRect() == before


def test_a_click_on_an_edge_right_after_opening_selects_it(deferred) -> None:
    scene, view = deferred.scene, deferred.view
    row = next(r for r, e in enumerate(scene.layer.edges)
               if e is not None and e.kind is m.EdgeKind.DELEGATION)
    edge = scene.layer.edges[row]
    assert edge is not None
    view.set_zoom(1.0)
    spot = bezier_point(scene.layer.ctrl[row], 0.5)
    view.centerOn(spot)
    at = _viewport_point(deferred, spot)
    assert not any(isinstance(i, NodeItem) for i in scene.items(spot)), "a card covers it"
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, at)
    assert scene.selected_ids() == [edge.id]


def test_select_all_takes_the_pending_edges_too(deferred) -> None:
    deferred.select_all()
    selected = set(deferred.scene.selected_ids())
    doc = deferred.controller.document
    assert selected == set(doc.nodes) | set(doc.edges)


def test_moving_a_card_before_its_edges_have_items_reroutes_them(deferred) -> None:
    scene = deferred.scene
    node = scene.nodes["triage"]
    rows = [r for r, e in enumerate(scene.layer.edges)
            if e is not None and "triage" in (e.source, e.target)]
    before = [scene.layer.ctrl[r] for r in rows]
    node.setPos(node.pos() + QPointF(300, 120))
    assert _pending(deferred) == 0
    after = [scene.layer.ctrl[r] for r in rows]
    assert all(a != b for a, b in zip(after, before, strict=True))
    for item in node.edges:
        assert scene.layer.ctrl[item.row] == item.ctrl


def test_a_document_move_reroutes_pending_edges(deferred) -> None:
    scene = deferred.scene
    deferred.controller.move_nodes({"triage": m.Position(-500.0, -400.0)})
    assert scene.nodes["triage"].pos() == QPointF(-500, -400)
    for item in scene.nodes["triage"].edges:
        assert scene.layer.ctrl[item.row] == item.ctrl
        assert (item.ctrl[0], item.ctrl[1]) != (0.0, 0.0) or item.source.node_id != "triage"


def test_dragging_a_card_with_the_mouse_drags_its_edges_along(deferred) -> None:
    scene, view = deferred.scene, deferred.view
    node = scene.nodes["triage"]
    view.set_zoom(1.0)
    view.centerOn(node)
    start = _viewport_point(deferred, node.mapToScene(QPointF(60, 20)))
    viewport = view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, start + QPoint(40, 30))
    QTest.mouseMove(viewport, start + QPoint(80, 60))
    assert node.pos() == QPointF(80, 60)  # mid-drag: the edges follow now, not on release
    for item in node.edges:
        assert item.ctrl == scene.layer.ctrl[item.row]
        end = (item.ctrl[0], item.ctrl[1]) if item.source is node else (item.ctrl[6],
                                                                         item.ctrl[7])
        assert node.sceneBoundingRect().adjusted(-1, -1, 1, 1).contains(QPointF(*end))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       start + QPoint(80, 60))
    assert deferred.controller.document.layout["triage"] == m.Position(80.0, 60.0)


def test_a_selected_group_dragged_together_moves_every_cards_edges(window) -> None:
    scene, view = window.scene, window.view
    group = [scene.nodes["triage"], scene.nodes[next(n for n in scene.nodes if n != "triage")]]
    scene.select_ids([item.node_id for item in group])
    view.set_zoom(1.0)
    view.centerOn(group[0])
    start = _viewport_point(window, group[0].mapToScene(QPointF(60, 20)))
    viewport = view.viewport()
    before = [item.pos() for item in group]
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, start + QPoint(50, 0))
    QTest.mouseMove(viewport, start + QPoint(100, 0))
    for item, was in zip(group, before, strict=True):
        assert item.pos() == was + QPointF(100, 0)
        for edge in item.edges:
            assert edge.ctrl == scene.layer.ctrl[edge.row]
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       start + QPoint(100, 0))


# ------------------------------------------------------------------ tooltips


def _tooltip_at(window, scene_pos: QPointF) -> str:
    QToolTip.hideText()
    viewport = window.view.viewport()
    at = _viewport_point(window, scene_pos)
    QApplication.sendEvent(viewport, QHelpEvent(QHelpEvent.Type.ToolTip, at,
                                                viewport.mapToGlobal(at)))
    return QToolTip.text() if QToolTip.isVisible() else ""


def test_a_cards_tooltip_is_written_when_the_pointer_asks(deferred) -> None:
    node = deferred.scene.nodes["triage"]
    deferred.view.set_zoom(1.0)
    deferred.view.centerOn(node)
    tip = _tooltip_at(deferred, node.mapToScene(QPointF(60, 20)))
    assert f"({node.node_id})" in tip
    assert (node.node.name or node.node_id) in tip
    assert node.toolTip() == node.tooltip_text()


def test_an_edges_tooltip_names_its_kind_and_ends(deferred) -> None:
    scene, view = deferred.scene, deferred.view
    item = next(i for i in scene.edges.values() if i.edge.kind is m.EdgeKind.TOOL_ACCESS)
    view.set_zoom(1.0)
    spot = bezier_point(item.ctrl, 0.5)
    view.centerOn(spot)
    tip = _tooltip_at(deferred, spot)
    assert tip == item.tooltip_text()
    assert f"{item.edge.source} → {item.edge.target}" in tip
    assert "tool access" in tip


def test_no_tooltip_over_empty_canvas(window) -> None:
    bounds = window.scene.itemsBoundingRect()
    window.view.set_zoom(1.0)
    far = QPointF(bounds.right() + 300, bounds.bottom() + 250)
    window.view.centerOn(far)
    assert _tooltip_at(window, far) == ""


# ------------------------------------------------------------------ opening


def test_the_checker_is_built_when_first_asked_for(deferred) -> None:
    controller = deferred.controller
    if controller._checker is not None:  # as right after replace_document
        controller._checker.close()
        controller._checker = None
    first = controller.checker
    assert controller.checker is first
    assert first.document is controller.document


def test_edits_before_the_first_check_are_checked(deferred, qtbot) -> None:
    item = deferred.scene.nodes["triage"]
    deferred.controller.set_property("triage", "max_turns", 500, merge=False)
    qtbot.waitUntil(lambda: item.errors > 0, timeout=10000)
    deferred.act_undo.trigger()
    qtbot.waitUntil(lambda: item.errors == 0, timeout=10000)


def test_collection_is_back_on_after_an_open_and_stays_off_if_it_was_off() -> None:
    assert gc.isenabled()
    with bulk_allocation():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with bulk_allocation():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_collection_is_back_on_when_an_open_fails() -> None:
    with pytest.raises(RuntimeError), bulk_allocation():
        raise RuntimeError("damaged file")
    assert gc.isenabled()


def test_a_card_with_edges_stacks_above_them_for_clicks(window) -> None:
    node = window.scene.nodes["triage"]
    edge = node.edges[0]
    assert isinstance(edge, EdgeItem)
    assert node.zValue() > edge.zValue()


# ------------------------------------------------------------------ card text


def test_card_text_is_laid_out_once_and_shared(qapp) -> None:
    font = QFont()
    font.setPointSizeF(9.5)
    first = text.layout("Billing analyst 1", font)
    assert text.layout("Billing analyst 1", font) is first
    assert text.layout("Billing analyst 2", font) is not first
    static, width, height = first
    assert (width, height) == (static.size().width(), static.size().height()) != (0, 0)


def test_eliding_matches_the_fonts_own_rule(qapp) -> None:
    font = QFont()
    long_name = "An exceptionally long agent name that cannot fit on a card"
    expected = QFontMetricsF(font).elidedText(long_name, Qt.TextElideMode.ElideRight, 120)
    assert text.elide(long_name, font, 120) == expected
    assert text.elide(long_name, font, 120).endswith("…")
    assert text.elide("short", font, 120) == "short"


# ------------------------------------------------------------------ scrolling


def _differing(a: QImage, b: QImage) -> int:
    assert a.size() == b.size()
    return sum(1 for y in range(0, a.height(), 2) for x in range(0, a.width(), 2)
               if a.pixel(x, y) != b.pixel(x, y))


def test_a_scroll_paints_only_the_exposed_strips_and_the_picture_is_whole(window, qtbot,
                                                                           monkeypatch) -> None:
    """After a scroll Qt blits what stays visible and asks for two thin strips; the edges
    are painted per strip, and the result is the same picture a full repaint gives."""
    view = window.view
    view.set_zoom(1.0)
    view.centerOn(window.scene.nodes["triage"])
    viewport = view.viewport()
    viewport.repaint()
    seen: list[QRectF] = []
    real = window.scene.drawBackground
    monkeypatch.setattr(window.scene, "drawBackground",
                        lambda painter, rect: (seen.append(QRectF(rect)), real(painter, rect)))
    hbar, vbar = view.horizontalScrollBar(), view.verticalScrollBar()
    hbar.setValue(hbar.value() + 24)
    vbar.setValue(vbar.value() + 12)
    QApplication.processEvents()
    assert len(seen) == 2  # one call per exposed strip
    full = view.mapToScene(viewport.rect()).boundingRect()
    assert all(r.width() * r.height() < full.width() * full.height() / 4 for r in seen)
    scrolled = _on_screen(viewport)  # the blitted part and the two strips, as shown
    viewport.repaint()  # everything afresh
    fresh = _on_screen(viewport)
    assert _differing(scrolled, fresh) <= scrolled.width() * 0.02
    assert _differing(scrolled, QImage(scrolled.size(), scrolled.format())) > 100


def _on_screen(widget) -> QImage:
    """What the window shows of `widget` (its backing store), not a fresh render."""
    top = widget.window()
    origin = widget.mapTo(top, QPoint(0, 0))
    shot = top.screen().grabWindow(top.winId()).toImage()
    return shot.copy(origin.x(), origin.y(), widget.width(), widget.height())


# ------------------------------------------------------------------ the zoomed-out picture


def test_a_selection_change_recolours_the_blocks_without_rereading_the_cards(window) -> None:
    scene = window.scene
    batch = scene.batch
    nodes = list(scene.nodes.values())
    image = QImage(64, 64, QImage.Format.Format_ARGB32)

    def paint() -> None:
        painter = QPainter(image)
        batch.paint(painter, nodes,
                    lambda: [i for i in scene.selectedItems() if isinstance(i, NodeItem)])
        painter.end()

    scene.clearSelection()
    paint()
    base = batch._base
    node = scene.nodes["triage"]
    scene.select_ids(["triage"])
    paint()
    assert batch._base is base  # the cards were not read again
    fills = dict((colour.name(), path) for colour, path in batch._fills or [])
    selected = fills[s.SELECTION_COLOUR.name()]
    assert selected.boundingRect() == node.mapRectToScene(QRectF(0, 0, s.NODE_WIDTH,
                                                                 s.NODE_HEIGHT))
    node.setPos(node.pos() + QPointF(500, 0))  # a move reads the cards again
    paint()
    assert batch._base is not base
    moved = dict((colour.name(), path) for colour, path in batch._fills or [])
    assert moved[s.SELECTION_COLOUR.name()].boundingRect() == node.mapRectToScene(
        QRectF(0, 0, s.NODE_WIDTH, s.NODE_HEIGHT))


def test_only_a_few_thin_exposed_strips_are_painted_one_by_one(qapp) -> None:
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QRegion

    from designer.canvas.view import _strips

    after_scroll = QRegion(QRect(0, 0, 800, 12)).united(QRegion(QRect(776, 0, 24, 600)))
    assert sorted((r.width(), r.height()) for r in _strips(after_scroll)) == [(24, 588),
                                                                             (800, 12)]
    assert _strips(QRegion(QRect(0, 0, 800, 600))) == []  # one rect: as it is
    many = QRegion()
    for i in range(6):
        many = many.united(QRegion(QRect(100 * i, 90 * i, 40, 40)))
    assert _strips(many) == []  # each would cost a pass over the edges
    halves = QRegion(QRect(0, 0, 400, 600)).united(QRegion(QRect(420, 0, 380, 600)))
    assert _strips(halves) == []  # they cover most of their bounds anyway
