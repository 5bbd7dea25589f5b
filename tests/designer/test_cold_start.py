"""The designer's start path stays light: what the first window does not show loads on first use.

The first window is the welcome page, the palette, the problems, overview and
(empty) inspector docks, menus and toolbar. Everything else (the oversight
docks and the engine bridge behind them, the inspector's form, the key
store, the importers, exporters, the secrets scanner, the plugin scan's
`importlib.metadata`) must not be imported until it is needed, and must
still work in full once it is: every dock is in the View menu, restores
where the user left it, and builds its panel when it comes on screen.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDockWidget

from tests.designer.conftest import ROOT

CHARTS_DATABASE_SDKS = ("pyqtgraph", "numpy", "sqlalchemy", "dbos", "anthropic", "mcp",
                        "keyring")
PLANNING = ("designer.forecast.panel", "designer.simulation.panel", "runtime.forecast",
            "runtime.simulation")
OVERSIGHT = ("asyncio", "designer.run_bridge", "designer.oversight.live",
             "designer.oversight.stats", "runtime.engine.events", "runtime.engine.plan",
             "runtime.engine.protocols", "designer.panels.run_panel", "designer.panels.approvals",
             "designer.panels.transcript", "designer.panels.runs_panel", "designer.panels.replay",
             "designer.panels.dashboard")
INSPECTOR_AND_KEYS = ("designer.panels.inspector", "designer.panels.property_widgets",
                      "designer.keys.paste", "designer.keys.worker", "runtime.secrets.keystore",
                      "runtime.secrets.scanner")
ACTIONS = ("runtime.interop", "designer.panels.diff_view", "designer.export",
           "designer.keys.dialog", "runtime.cli")
STDLIB = ("importlib.metadata", "email", "socket", "ssl", "sqlite3", "statistics")
DEFERRED = CHARTS_DATABASE_SDKS + PLANNING + OVERSIGHT + INSPECTOR_AND_KEYS + ACTIONS + STDLIB
LAZY_DOCKS = ("inspector", "simulation", "forecast", "run", "approvals", "transcript", "runs",
              "replay", "dashboard")


def _start_and_list(code_after_show: str = "") -> list[str]:
    """Start the main window in a fresh interpreter; the DEFERRED modules it imported."""
    code = textwrap.dedent(f"""
        import json, sys
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from designer.main_window import MainWindow
        window = MainWindow()
        window.show()
        for _ in range(3):
            app.processEvents()
        {code_after_show}
        print(json.dumps(sorted({{d for d in {DEFERRED!r}
                                 for m in sys.modules if m == d or m.startswith(d + ".")}})))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin",
                              "HOME": str(ROOT / ".venv"), "XDG_CONFIG_HOME": "/nonexistent",
                              "XDG_DATA_HOME": "/nonexistent", "ROSTER_TOUR": "0"})
    assert out.returncode == 0, out.stderr
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_opening_the_main_window_loads_nothing_the_first_window_does_not_show() -> None:
    assert _start_and_list() == []


def test_the_check_stays_honest_a_module_used_at_start_is_reported() -> None:
    """The probe can fail: importing a deferred module after the start is seen."""
    loaded = _start_and_list("import designer.oversight.live")
    assert {"designer.oversight.live", "runtime.engine.events"} <= set(loaded)


def _docks(window: object) -> dict[str, QDockWidget]:
    return window._docks  # type: ignore[attr-defined, no-any-return]


def test_every_lazy_dock_is_in_the_view_menu_and_builds_when_toggled_on(qtbot,
                                                                       settings) -> None:
    from designer.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    toggles = {a.text(): a for a in view.actions() if a.isCheckable()}
    oversight, planning = window.oversight, window.planning
    hosts = {"inspector": window.inspector_host, "simulation": planning.simulation_host,
             "forecast": planning.forecast_host, **oversight.hosts}
    assert not any(host.built for host in hosts.values())
    for key in LAZY_DOCKS:
        dock = _docks(window)[key]
        assert dock.windowTitle().split(" (")[0] in toggles, key
        toggle = toggles[dock.windowTitle()]
        if toggle.isChecked():
            toggle.trigger()  # off, then on again: shown and raised by the user
        toggle.trigger()
        dock.raise_()
        if key == "inspector":  # nothing to inspect without a roster: a hint until one opens
            qtbot.wait(20)
            assert not hosts[key].built
            continue
        qtbot.waitUntil(lambda key=key: hosts[key].built, timeout=5000)
    assert window.inspector.show_selection is not None  # asking for it builds it
    assert window.inspector_host.built


def test_opening_a_roster_builds_the_inspector_with_its_settings(qtbot, settings,
                                                                roster_copy: Path) -> None:
    from designer.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    assert not window.inspector_host.built
    assert window.open_path(roster_copy)
    assert window.inspector_host.built
    assert "name" in window.inspector.keys()  # the roster-wide settings form
    assert window.oversight.run_panel.entry.count() > 0  # the run panel lists its agents
    window.controller.undo_stack.setClean()


def test_a_lazy_dock_left_floating_is_restored_and_built_on_the_next_start(
        qtbot, tmp_path: Path) -> None:
    from designer.main_window import MainWindow

    ini = str(tmp_path / "state.ini")
    first = MainWindow(QSettings(ini, QSettings.Format.IniFormat))
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.oversight.show_dock("runs")
    history = _docks(first)["runs"]
    history.setFloating(True)
    history.move(first.geometry().topLeft())
    qtbot.waitUntil(lambda: first.oversight.built("runs"), timeout=5000)
    assert first.close()

    second = MainWindow(QSettings(ini, QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    restored = _docks(second)["runs"]
    assert restored.isFloating() and restored.isVisible()
    qtbot.waitUntil(lambda: second.oversight.built("runs"), timeout=5000)
    assert not second.oversight.built("dashboard")  # still behind its tab
    second.close()
