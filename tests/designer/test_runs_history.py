"""Run history and replay: the journal's runs in a sortable, filterable table, and a run's
trace replayed on the canvas step by step through the same highlight the live view uses."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt

from designer.panels.runs_panel import RunsPanel
from runtime.engine.journal import RunSummary
from runtime.roster import model as m
from tests.designer.oversight_support import Desk, script_happy_path

BASE = RunSummary(
    id="r1", roster_name="Desk", roster_path=None, content_hash="a" * 64, task="t",
    entry="lead", status="completed", started_at=1000.0, finished_at=1010.0, cost_usd=0.5,
    input_tokens=0, output_tokens=0, model_calls=2, error="", output="", executor=None,
    host=None, pid=0, attempts=1, heartbeat_at=None, max_usd=None, unattended=False)


def sample_runs() -> list[RunSummary]:
    return [
        dataclasses.replace(BASE, id="r1", cost_usd=0.5, started_at=1000.0),
        dataclasses.replace(BASE, id="r2", cost_usd=10.0, started_at=3000.0, status="failed",
                            task="refund order 42"),
        dataclasses.replace(BASE, id="r3", cost_usd=2.0, started_at=2000.0,
                            roster_name="Studio", task="write the launch post"),
    ]


def test_runs_sort_numerically_by_cost_and_by_start(qtbot) -> None:
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.set_runs(sample_runs())
    assert panel.visible_ids() == ["r2", "r3", "r1"]  # newest first by default
    panel.table.sortByColumn(6, Qt.SortOrder.AscendingOrder)  # cost: 0.5 < 2 < 10
    assert panel.visible_ids() == ["r1", "r3", "r2"]


def test_runs_filter_by_text_and_status(qtbot) -> None:
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.set_runs(sample_runs())
    panel.search.setText("studio")
    assert panel.visible_ids() == ["r3"]
    panel.search.setText("")
    panel.status.setCurrentText("failed")
    assert panel.visible_ids() == ["r2"]
    panel.search.setText("launch")
    assert panel.visible_ids() == []


def test_double_click_opens_the_run(qtbot) -> None:
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.set_runs(sample_runs())
    with qtbot.waitSignal(panel.open_requested) as opened:
        panel.table.doubleClicked.emit(panel.proxy.index(1, 0))
    assert opened.args == ["r3"]


def test_the_history_shows_a_finished_run_and_replays_it_on_the_canvas(desk: Desk) -> None:
    script_happy_path(desk.server)
    desk.oversight.bridge.approval_requested.connect(
        lambda r: desk.oversight.bridge.answer(r.request_id, True, "t"))
    desk.run("Save the launch note")
    summary = desk.wait_finished()
    runs = desk.oversight.runs
    desk.oversight.show_dock("runs")
    desk.qtbot.waitUntil(lambda: runs.visible_ids() == [summary.id], timeout=10_000)
    status = runs.proxy.index(0, 5).data()
    assert status == "completed"
    desk.qtbot.wait(1500)  # let the live overlay go dark
    with desk.qtbot.waitSignal(desk.oversight.replay.highlight_changed, timeout=10_000):
        runs.open_requested.emit(summary.id)
    replay = desk.oversight.replay
    assert replay.run_id == summary.id and replay.position == 0
    scene = desk.window.scene
    assert scene.run_highlight() == (set(), set())
    delegation = m.edge_id(m.EdgeKind.DELEGATION, "lead", "writer")
    kinds = [type(e).__name__ for e in replay.events]
    step = kinds.index("Delegated") + 1
    replay.seek(step)
    nodes, edges = scene.run_highlight()
    assert nodes == {"lead"} and delegation in edges
    replay.buttons["forward"].click()  # the writer starts
    assert "writer" in scene.run_highlight()[0]
    replay.buttons["last"].click()
    assert replay.position == len(replay.events)
    assert scene.run_highlight()[0] == set()
    assert "run completed" in replay.step.text()
    replay.buttons["first"].click()
    assert scene.run_highlight() == (set(), set())
    replay.trace.setCurrentRow(step - 1)  # picking the delegation in the list of steps
    assert replay.position == step and delegation in scene.run_highlight()[1]
    assert "writer" in desk.oversight.transcript.agents()
