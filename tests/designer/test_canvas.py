"""The canvas, driven like a person would: palette drops, drawn edges, undo, save."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from runtime.roster import model as m
from runtime.roster.io import dumps, load_roster


def _viewport_point(window, scene_point: QPointF) -> QPoint:
    return window.view.mapFromScene(scene_point)


def _drop_palette_entry(window, key: str, viewport_pos: QPoint) -> None:
    mime = window.palette.mime_for(key)
    viewport = window.view.viewport()
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(viewport_pos, actions, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(viewport_pos, actions, mime, Qt.MouseButton.LeftButton,
                          Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, move)
    drop = QDropEvent(QPointF(viewport_pos), actions, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, drop)


def _draw_edge(window, source: str, target: str) -> None:
    scene = window.scene
    window.view.fit_all()
    start = _viewport_point(window, scene.nodes[source].mapToScene(
        scene.nodes[source].handle_centre()))
    end_item = scene.nodes[target]
    end = _viewport_point(window, end_item.mapToScene(end_item.boundingRect().center()))
    viewport = window.view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, QPoint((start.x() + end.x()) // 2, (start.y() + end.y()) // 2))
    QTest.mouseMove(viewport, end)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def test_the_sample_opens_with_one_item_per_node_and_edge(window) -> None:
    doc = window.controller.document
    assert set(window.scene.nodes) == set(doc.nodes)
    assert set(window.scene.edges) == set(doc.edges)
    assert window.stack.currentWidget() is window.view


def test_dropping_a_palette_entry_adds_a_node_where_it_was_dropped(window, qtbot) -> None:
    window.view.set_zoom(1.0)
    target = QPoint(300, 250)
    before = set(window.controller.document.nodes)
    _drop_palette_entry(window, "tool:http_fetch", target)
    added = set(window.controller.document.nodes) - before
    assert len(added) == 1
    node = window.controller.document.nodes[added.pop()]
    assert isinstance(node, m.Tool) and node.kind == "http_fetch"
    pos = window.controller.document.layout[node.id]
    centre = window.view.mapToScene(target)
    assert abs(pos.x + 98 - centre.x()) < 2 and abs(pos.y + 36 - centre.y()) < 2
    assert window.scene.nodes[node.id].isSelected()


def test_dropping_twice_gives_fresh_unique_ids(window) -> None:
    _drop_palette_entry(window, "agent", QPoint(200, 200))
    _drop_palette_entry(window, "agent", QPoint(400, 400))
    ids = [n for n in window.controller.document.nodes if n.startswith("new-agent")]
    assert ids == ["new-agent", "new-agent-2"]


def test_drawing_from_an_agent_to_an_agent_makes_a_delegation(window) -> None:
    window.controller.add_node("agent", m.Position(0, 400), name="Auditor")
    _draw_edge(window, "refunds", "auditor")
    edge = window.controller.document.edges.get(m.edge_id(m.EdgeKind.DELEGATION, "refunds",
                                                          "auditor"))
    assert edge is not None


def test_drawing_to_a_tool_makes_a_read_only_grant_that_asks(window) -> None:
    tool_id = window.controller.add_node("tool:fs_read", m.Position(700, 500))
    _draw_edge(window, "triage", tool_id)
    edge = window.controller.document.edges[m.edge_id(m.EdgeKind.TOOL_ACCESS, "triage", tool_id)]
    assert (edge.mode, edge.approval) == ("read", "ask")


def test_drawing_to_a_human_makes_an_escalation(window) -> None:
    human_id = window.controller.add_node("human", m.Position(700, -300), name="Finance lead")
    _draw_edge(window, "refunds", human_id)
    assert m.edge_id(m.EdgeKind.ESCALATION, "refunds", human_id) in window.controller.document.edges


def test_an_illegal_pair_is_refused_with_the_cores_reason(window, qtbot) -> None:
    edges_before = dict(window.controller.document.edges)
    revision = window.controller.document.revision
    with qtbot.waitSignal(window.view.refused) as refused:
        _draw_edge(window, "triage", "crm-mcp")  # agent → MCP server is not a relationship
    assert "MCP server" in refused.args[0]
    assert dict(window.controller.document.edges) == edges_before
    assert window.controller.document.revision == revision


def test_undo_and_redo_of_a_drawn_edge(window) -> None:
    tool_id = window.controller.add_node("tool:fs_read", m.Position(700, 500))
    _draw_edge(window, "triage", tool_id)
    key = m.edge_id(m.EdgeKind.TOOL_ACCESS, "triage", tool_id)
    assert key in window.scene.edges
    window.act_undo.trigger()
    assert key not in window.controller.document.edges and key not in window.scene.edges
    window.act_redo.trigger()
    assert key in window.controller.document.edges and key in window.scene.edges


def test_dragging_a_node_is_one_undo_step(window) -> None:
    item = window.scene.nodes["triage"]
    window.view.set_zoom(1.0)
    window.view.centerOn(item)
    start = _viewport_point(window, item.mapToScene(QPointF(60, 20)))
    viewport = window.view.viewport()
    count = window.controller.undo_stack.count()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 6):
        QTest.mouseMove(viewport, start + QPoint(20 * step, 10 * step))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       start + QPoint(100, 50))
    assert window.controller.undo_stack.count() == count + 1
    moved = window.controller.document.layout["triage"]
    assert (moved.x, moved.y) == (100.0, 50.0)
    window.act_undo.trigger()
    assert window.controller.document.layout["triage"] == m.Position(0, 0)
    assert item.pos() == QPointF(0, 0)


def test_delete_cascades_and_undo_restores_every_edge(window) -> None:
    before = dumps(window.controller.document.content())
    window.scene.select_ids(["refunds"])
    window.act_delete.trigger()
    doc = window.controller.document
    assert "refunds" not in doc.nodes
    assert not any("refunds" in (x.source, x.target) for x in doc.edges.values())
    window.act_undo.trigger()
    assert dumps(window.controller.document.content()) == before
    assert set(window.scene.edges) == set(window.controller.document.edges)


def test_keyboard_nudges_merge_into_one_undo_step(window) -> None:
    window.scene.select_ids(["triage"])
    window.view.setFocus()
    count = window.controller.undo_stack.count()
    for _ in range(3):
        QTest.keyClick(window.view, Qt.Key.Key_Right)
    assert window.controller.document.layout["triage"].x == 30.0
    assert window.controller.undo_stack.count() == count + 1


def test_copy_paste_duplicates_with_fresh_ids_as_one_step(window) -> None:
    window.scene.select_ids(["refunds", "payments"])
    count = window.controller.undo_stack.count()
    window.act_copy.trigger()
    window.act_paste.trigger()
    doc = window.controller.document
    assert "refunds-2" in doc.nodes and "payments-2" in doc.nodes
    assert m.edge_id(m.EdgeKind.TOOL_ACCESS, "refunds-2", "payments-2") in doc.edges
    assert window.controller.undo_stack.count() == count + 1


def test_save_then_reload_is_byte_identical(window, roster_copy: Path, tmp_path: Path) -> None:
    original = roster_copy.read_bytes()
    window.controller.move_nodes({"triage": m.Position(10, 20)})
    window.controller.move_nodes({"triage": m.Position(0, 0)})
    target = tmp_path / "saved.roster.yaml"
    assert window._save_to(target)
    assert target.read_bytes() == original
    assert not window.controller.modified
    assert dumps(load_roster(target).content).encode() == original


def test_clicking_a_problem_selects_and_centres_its_node(window, qtbot) -> None:
    window.controller.set_property("triage", "max_turns", 500, merge=False)
    qtbot.waitUntil(lambda: window.problems.topLevelItemCount() > 0)
    finding = window.problems.finding_at(0)
    assert finding is not None and finding.subject == "triage"
    item = window.problems.topLevelItem(0)
    rect = window.problems.visualItemRect(item)
    QTest.mouseClick(window.problems.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, rect.center())
    assert window.scene.selected_ids() == ["triage"]
    visible = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert visible.contains(window.scene.nodes["triage"].sceneBoundingRect().center())


def test_problem_markers_follow_the_findings(window, qtbot) -> None:
    item = window.scene.nodes["triage"]
    assert (item.errors, item.warnings) == (0, 0)
    window.controller.set_property("triage", "max_turns", 500, merge=False)
    qtbot.waitUntil(lambda: item.errors > 0)
    window.act_undo.trigger()
    qtbot.waitUntil(lambda: item.errors == 0)


def test_a_file_that_fails_to_load_opens_nothing(window, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    bad = tmp_path / "bad.roster.yaml"
    bad.write_text("format: agent-roster\nversion: 1\nagents:\n  a: {delegate_to: [b]}\n")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    before = window.controller.document
    assert not window.open_path(bad)
    assert window.controller.document is before
    assert shown and "bad.roster.yaml:4:" in shown[0] and "delegates_to" in shown[0]
