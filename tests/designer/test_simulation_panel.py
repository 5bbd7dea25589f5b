"""The Simulation dock: scenario files beside the roster and generated suites run through the
real engine off the UI thread; verdicts, the sequence timeline, and the coverage overlay with
its one-click (undoable) removal of a grant nobody used."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from tests.designer.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.timeout(180)
BROKEN = ROOT / "tests" / "fixtures" / "scenarios"


def _panel(window):
    window.planning.show_dock("simulation")
    return window.planning.simulation


def _run_all(qtbot, panel) -> list:
    with qtbot.waitSignal(panel.suite_finished, timeout=120_000) as blocker:
        assert panel.run_all()
    return blocker.args[0]


def _non_white(image: QImage) -> int:
    white = QColor("white")
    return sum(1 for y in range(0, image.height(), 4) for x in range(0, image.width(), 4)
               if image.pixelColor(x, y) != white)


@pytest.fixture
def studio(tmp_path: Path) -> Path:
    """The content-studio sample with its scenario files, in a writable folder."""
    for path in SAMPLES.glob("content-studio*"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / "content-studio.roster.yaml"


def test_the_scenarios_beside_the_roster_are_listed_and_pass(qtbot, window, studio) -> None:
    assert window.open_path(studio)
    panel = _panel(window)
    names = {Path(k).name for k in panel.scenarios}
    assert names == {p.name for p in SAMPLES.glob("content-studio*.scenario.yaml")}
    outcomes = _run_all(qtbot, panel)
    assert outcomes and all(o.result is not None and o.result.passed for o in outcomes), [
        (o.key, o.error, o.result and [x.message for x in o.result.failures]) for o in outcomes]
    assert "0 failed" in panel.state.text() and "no tokens spent" in panel.state.text()
    for key in panel.scenarios:
        assert panel.tree.items[key].text(2).startswith("✓")


def test_a_failing_expectation_names_its_event_and_the_timeline_marks_it(
        qtbot, window, studio) -> None:
    broken = sorted(BROKEN.glob("content-studio*.scenario.yaml"))
    assert broken, "a broken variant of the content-studio scenario exists"
    assert window.open_path(studio)
    panel = _panel(window)
    panel.open_scenario(broken[0])
    outcomes = _run_all(qtbot, panel)
    failed = [o for o in outcomes if o.result is not None and not o.result.passed]
    assert [o.key for o in failed] == [str(broken[0])]
    failure = failed[0].result.failures[0]
    assert failure.message and failure.event_index is not None
    item = panel.tree.items[str(broken[0])]
    assert item.text(2).startswith("✗")
    child = next(item.child(i) for i in range(item.childCount())
                 if item.child(i).text(2) == "✗")
    panel.tree.setCurrentItem(child)
    canvas = panel.sequence.canvas
    assert canvas.layout_.rows, "the timeline shows the trace"
    assert canvas.selected is not None
    assert canvas.layout_.rows[canvas.selected].event_index >= failure.event_index
    assert failure.event_index in canvas.failed_events
    assert _non_white(panel.sequence.grab().toImage()) > 200


def test_the_generated_adversarial_suite_finds_holes_in_governance_vacuum(qtbot, window,
                                                                          tmp_path) -> None:
    target = tmp_path / "governance-vacuum.roster.yaml"
    shutil.copy(SAMPLES / "governance-vacuum.roster.yaml", target)
    assert window.open_path(target)
    panel = _panel(window)
    keys = panel.add_generated("adversarial")
    assert keys
    outcomes = _run_all(qtbot, panel)
    mine = [o for o in outcomes if o.key in keys]
    assert any(o.result is not None and not o.result.passed for o in mine)
    written = panel.save_generated(tmp_path / "suite")
    assert len(written) == len(keys) and all(p.exists() for p in written)


def test_coverage_is_drawn_on_the_canvas_and_an_unused_grant_goes_with_undo(
        qtbot, window, studio) -> None:
    assert window.open_path(studio)
    panel = _panel(window)
    _run_all(qtbot, panel)  # the written scenarios walk one path: most grants stay unused
    coverage = panel.coverage.coverage
    assert coverage is not None
    used = set(coverage.delegations) | set(coverage.grants)
    assert used, "the coverage suite exercised something"
    scene = window.scene
    assert all(scene.edges[e].active for e in used if e in scene.edges)
    unused = panel.coverage.unused_ids()
    assert all(scene.edges[e].faded for e in unused)
    panel.coverage.overlay.setChecked(False)
    assert not any(item.active or item.faded for item in scene.edges.values())
    panel.coverage.overlay.setChecked(True)
    assert unused, "a single article scenario leaves grants unused"
    grant = unused[0]
    panel.coverage.unused.setCurrentRow(0)
    panel.coverage.remove_button.click()
    assert grant not in window.controller.document.edges
    window.controller.undo_stack.undo()
    assert grant in window.controller.document.edges


def test_the_coverage_suite_walks_every_delegation_and_grant(qtbot, window) -> None:
    panel = _panel(window)
    keys = panel.add_generated("coverage")
    outcomes = _run_all(qtbot, panel)
    assert {o.key for o in outcomes} == set(keys)
    coverage = panel.coverage.coverage
    assert coverage.delegations == coverage.all_delegations
    assert coverage.grants == coverage.all_grants
    assert panel.coverage.unused_ids() == []


def test_a_scenario_naming_a_missing_agent_shows_a_located_error_and_runs_nothing(
        qtbot, window, roster_copy) -> None:
    bad = roster_copy.with_name("support-triage.ghost.scenario.yaml")
    text = (SAMPLES / "support-triage.scenario.yaml").read_text()
    bad.write_text(text.replace("\nentry: triage\n", "\nentry: traige\n"))
    panel = _panel(window)
    panel.reload()
    outcomes = _run_all(qtbot, panel)
    ghost = next(o for o in outcomes if o.key == str(bad))
    assert ghost.result is None
    assert "support-triage.ghost.scenario.yaml:" in ghost.error
