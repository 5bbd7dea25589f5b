"""The guided tour: callouts over the real panels, Next/Back/Skip, dismissed for good."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMenu

from designer.tour import SHOW_AT_START, Tour, auto_start_allowed, install_tour


def _help_actions(window) -> list[str]:
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == "Help":
            menu = action.menu()
            assert isinstance(menu, QMenu)
            return [a.text().replace("&", "") for a in menu.actions()]
    raise AssertionError("no Help menu")


def _started(window, qtbot) -> Tour:
    tour = install_tour(window)
    tour.start()
    qtbot.waitUntil(lambda: tour.callout.isVisible())
    return tour


def test_a_main_window_alone_never_shows_the_tour(window, qtbot) -> None:
    """Tests (and any code) building a MainWindow see no callout: only main() asks for it."""
    qtbot.wait(20)
    assert not [w for w in window.findChildren(object) if w.objectName() == "tour-callout"]


def test_help_menu_offers_the_tour_first(window) -> None:
    install_tour(window)
    assert _help_actions(window)[0] == "Guided Tour"


def test_the_tour_visits_every_panel_present_including_simulation_forecast_and_run(
        window, qtbot) -> None:
    tour = _started(window, qtbot)
    keys = [s.key for s in tour.steps]
    assert keys[:4] == ["palette", "canvas", "inspector", "problems"]
    for key in ("simulation", "forecast", "run"):
        assert (key in keys) == (key in window._docks)
    assert "simulation" in keys and "forecast" in keys


def test_steps_for_panels_the_window_lacks_are_skipped(window, qtbot) -> None:
    del window._docks["forecast"]
    tour = _started(window, qtbot)
    assert "forecast" not in [s.key for s in tour.steps]


def test_next_and_back_move_the_callout_beside_the_highlighted_panel(window, qtbot) -> None:
    tour = _started(window, qtbot)
    c = tour.callout
    assert c.progress.text() == f"1 of {len(tour.steps)}"
    assert not c.back.isEnabled()
    palette = window._docks["palette"]
    qtbot.waitUntil(lambda: tour.highlight.geometry().size() == palette.size())
    qtbot.mouseClick(c.next, Qt.MouseButton.LeftButton)
    assert c.title.text() == "<b>Canvas</b>" and c.back.isEnabled()
    qtbot.mouseClick(c.back, Qt.MouseButton.LeftButton)
    assert c.title.text() == "<b>Palette</b>"
    assert window.rect().contains(c.geometry()), "the callout stays inside the window"
    assert not c.geometry().intersects(tour.highlight.geometry()), "it never covers the panel"


def test_a_step_raises_its_dock_when_it_is_tabbed_behind_another(window, qtbot) -> None:
    tour = _started(window, qtbot)
    index = [s.key for s in tour.steps].index("simulation")
    while tour.index < index:
        tour.next()
    dock = window._docks["simulation"]
    qtbot.waitUntil(lambda: dock.isVisible() and not dock.visibleRegion().isEmpty())


def test_finishing_walks_to_the_end_and_remembers_not_to_start_again(
        window, qtbot, settings: QSettings) -> None:
    tour = _started(window, qtbot)
    with qtbot.waitSignal(tour.finished):
        for _ in range(len(tour.steps) - 1):
            tour.next()
        assert tour.callout.next.text() == "Finish"
        qtbot.mouseClick(tour.callout.next, Qt.MouseButton.LeftButton)
    assert not tour.callout.isVisible() and not tour.highlight.isVisible()
    assert str(settings.value(SHOW_AT_START)).lower() == "false"


def test_skip_with_the_box_unticked_keeps_the_tour_for_the_next_start(
        window, qtbot, settings: QSettings, monkeypatch) -> None:
    tour = _started(window, qtbot)
    tour.callout.dont_show.setChecked(False)
    qtbot.mouseClick(tour.callout.skip, Qt.MouseButton.LeftButton)
    assert not tour.active
    assert str(settings.value(SHOW_AT_START)).lower() == "true"
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    monkeypatch.delenv("ROSTER_TOUR", raising=False)
    assert auto_start_allowed(settings)


def test_escape_closes_the_tour(window, qtbot) -> None:
    tour = _started(window, qtbot)
    qtbot.keyClick(tour.callout, Qt.Key.Key_Escape)
    assert not tour.active


@pytest.mark.parametrize(("env", "stored", "pytest_running", "expected"), [
    (None, None, False, True),  # a first start
    (None, "false", False, False),  # dismissed for good
    (None, None, True, False),  # never under tests...
    ("1", None, True, True),  # ...unless asked
    ("0", None, False, False),  # or turned off by the environment
])
def test_when_the_tour_starts_by_itself(settings, monkeypatch, env, stored, pytest_running,
                                        expected) -> None:
    for name, value in (("ROSTER_TOUR", env), ("PYTEST_CURRENT_TEST", "x" if pytest_running
                                                else None)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    if stored is not None:
        settings.setValue(SHOW_AT_START, stored)
    assert auto_start_allowed(settings) is expected


def test_auto_start_is_scheduled_only_when_allowed(window, monkeypatch) -> None:
    scheduled: list[object] = []
    monkeypatch.setenv("ROSTER_TOUR", "1")
    install_tour(window, auto=True, starter=scheduled.append)
    assert len(scheduled) == 1
    monkeypatch.setenv("ROSTER_TOUR", "0")
    install_tour(window, auto=True, starter=scheduled.append)
    assert len(scheduled) == 1
