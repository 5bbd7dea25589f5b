"""The Forecast dock: it follows the open roster, draws its charts off the UI thread,
compares a what-if side by side, and edits workload files safely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QDialogButtonBox

from tests.conftest import make_anthropic_key
from tests.designer.conftest import SAMPLES

pytestmark = pytest.mark.timeout(120)

TASKS = 2_000  # enough for stable shapes; the panel's default is 100,000


def _forecast_panel(window):
    window.planning.show_dock("forecast")
    panel = window.planning.forecast
    panel.tasks_spin.setValue(TASKS)
    return panel


def _run(qtbot, panel) -> None:
    with qtbot.waitSignal(panel.forecast_shown, timeout=60_000):
        assert panel.run_forecast()


def _colour_pixels(image: QImage, colour: str, tolerance: int = 40) -> int:
    """How many pixels (sampled on a 3-px grid) are close to `colour`."""
    target = QColor(colour)
    found = 0
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            c = image.pixelColor(x, y)
            if (abs(c.red() - target.red()) + abs(c.green() - target.green())
                    + abs(c.blue() - target.blue())) < tolerance:
                found += 1
    return found


def test_the_panel_offers_the_workload_file_beside_the_roster_and_prefers_it(
        window, roster_copy: Path) -> None:
    shutil.copy(SAMPLES / "support-triage.workload.yaml",
                roster_copy.with_name("support-triage.workload.yaml"))
    panel = _forecast_panel(window)
    names = [panel.workload_combo.itemText(i) for i in range(panel.workload_combo.count())]
    assert names == ["Derived from the roster and catalog", "support-triage.workload.yaml"]
    assert panel.workload_path() == roster_copy.with_name("support-triage.workload.yaml")


def test_a_forecast_fills_the_table_and_draws_four_non_blank_charts(qtbot, window) -> None:
    from designer.forecast.charts import BASE_COLOUR

    panel = _forecast_panel(window)
    _run(qtbot, panel)
    rows = {panel.table.item(r, 0).text(): panel.table.item(r, 1).text()
            for r in range(panel.table.rowCount())}
    assert rows["cost per task p50"].startswith("$")
    assert "requests/day to support-lead" in rows
    assert "bottleneck" in rows
    assert "2,000 tasks" in panel.state.text()
    for plot in panel.charts.plots():
        image = plot.grab().toImage()
        assert plot.series == 1, plot
        assert _colour_pixels(image, BASE_COLOUR) > 20, f"{plot} drew nothing in its colour"


def test_a_what_if_on_a_cheaper_model_shows_lower_cost_side_by_side(qtbot, window) -> None:
    from designer.forecast.charts import WHAT_IF_COLOUR

    panel = _forecast_panel(window)
    catalog = window.catalog
    from runtime.forecast import default_workload

    loads = default_workload(window.controller.document.content(), catalog).agents
    prices = {info.id: info.prices.output for info in catalog.models() if not info.deprecated}
    cheapest = min(prices, key=lambda model_id: prices[model_id])
    agent = next(a for a, load in loads.items() if load.model != cheapest)
    panel.compare_check.setChecked(True)
    panel.agent_combo.setCurrentIndex(panel.agent_combo.findData(agent))
    panel.model_combo.setCurrentIndex(panel.model_combo.findData(cheapest))
    _run(qtbot, panel)
    head = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    assert head == ["Metric", "Current", f"{agent} on {cheapest}", "Change", "%"]
    row = next(r for r in range(panel.table.rowCount())
               if panel.table.item(r, 0).text() == "cost per task mean")
    assert panel.table.item(row, 3).text().startswith("−")  # cheaper: a negative change
    assert panel.outcome.what_if.cost_mean.value < panel.outcome.base.cost_mean.value
    image = panel.charts.cost.grab().toImage()
    assert _colour_pixels(image, WHAT_IF_COLOUR) > 20


def test_editing_the_roster_marks_the_shown_forecast_out_of_date(qtbot, window) -> None:
    panel = _forecast_panel(window)
    _run(qtbot, panel)
    window.controller.set_property("triage", "max_turns", 3, merge=False)
    qtbot.waitUntil(lambda: "changed since" in panel.state.text(), timeout=5_000)


def test_a_broken_workload_is_reported_with_its_location_and_nothing_runs(
        qtbot, window, roster_copy: Path) -> None:
    bad = roster_copy.with_name("support-triage.workload.yaml")
    bad.write_text("format: agent-roster-workload\nversion: 1\ntasks_per_day: lots\n")
    panel = _forecast_panel(window)
    assert not panel.run_forecast()
    assert "support-triage.workload.yaml:3" in panel.state.text()


def test_the_workload_editor_checks_as_you_type_and_saves_atomically(
        qtbot, window, roster_copy: Path) -> None:
    panel = _forecast_panel(window)
    editor = panel.edit_workload()  # derived: a starter file beside the roster
    qtbot.addWidget(editor)
    target = roster_copy.with_name("support-triage.workload.yaml")
    assert editor.path == target and not target.exists()
    save = editor.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert editor.check() and save.isEnabled(), editor.problem.text()
    editor.editor.setPlainText(editor.editor.toPlainText().replace(
        "tasks_per_day:", "tasks_per_dya:"))
    assert not editor.check()
    assert "tasks_per_dya" in editor.problem.text() and not save.isEnabled()
    editor.save()  # refused: the file is still not written
    assert not target.exists()
    editor.editor.setPlainText(editor.editor.toPlainText().replace(
        "tasks_per_dya:", "tasks_per_day:").replace("tasks_per_day: 100", "tasks_per_day: 640"))
    editor.save()
    assert "tasks_per_day: 640" in target.read_text()
    assert panel.workload_path() == target
    assert [p.name for p in target.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_the_workload_editor_refuses_to_save_a_key(qtbot, window, roster_copy: Path) -> None:
    panel = _forecast_panel(window)
    editor = panel.edit_workload()
    qtbot.addWidget(editor)
    key = make_anthropic_key()
    editor.editor.setPlainText(editor.editor.toPlainText() + f"# token {key}\n")
    assert not editor.check()
    assert "keyring" in editor.problem.text()
    assert key not in editor.problem.text()
    editor.save()
    assert not roster_copy.with_name("support-triage.workload.yaml").exists()


def test_denials_and_timeouts_of_the_workload_are_shown(qtbot, window, roster_copy: Path) -> None:
    shutil.copy(SAMPLES / "support-triage.workload.yaml",
                roster_copy.with_name("support-triage.workload.yaml"))
    panel = _forecast_panel(window)
    _run(qtbot, panel)
    metrics = [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())]
    assert any(m.startswith("denied by ") for m in metrics), metrics
