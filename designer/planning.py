"""Wires the planning docks (Simulation and Forecast) into the main window, with a Simulate menu.

`Planning(window)` adds the docks, tabbed with Problems, keeps them following
the open document (the forecast takes a snapshot only when it needs one), and
builds the Simulate menu placed before Run. A panel is built the first time
its dock is shown: NumPy and pyqtgraph cost a good part of a second to
import, which the designer's cold start must not pay. It holds no simulation or
forecast logic itself: the panels call runtime.simulation and runtime.forecast.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from designer.lazy_host import LazyHost
from designer.menu_actions import menu_action
from runtime.roster.codec import RosterContent

if TYPE_CHECKING:
    from designer.forecast.panel import ForecastPanel
    from designer.main_window import MainWindow
    from designer.simulation.panel import SimulationPanel


class Planning(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.simulation_host = LazyHost(self._build_simulation)
        self.forecast_host = LazyHost(self._build_forecast)
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        window._add_dock("simulation", "Simulation", self.simulation_host, bottom)
        window._add_dock("forecast", "Forecast", self.forecast_host, bottom)
        docks = window._docks
        window.tabifyDockWidget(docks["problems"], docks["simulation"])
        window.tabifyDockWidget(docks["simulation"], docks["forecast"])
        docks["problems"].raise_()
        controller = window.controller
        controller.document_replaced.connect(self._document_replaced)
        controller.path_changed.connect(lambda _path: self._roster_changed())
        self._document_replaced()

    @property
    def forecast(self) -> ForecastPanel:
        from designer.forecast.panel import ForecastPanel

        panel = self.forecast_host.ensure()
        assert isinstance(panel, ForecastPanel)
        return panel

    @property
    def simulation(self) -> SimulationPanel:
        from designer.simulation.panel import SimulationPanel

        panel = self.simulation_host.ensure()
        assert isinstance(panel, SimulationPanel)
        return panel

    def _build_simulation(self) -> QWidget:
        from designer.simulation.panel import SimulationPanel

        panel = SimulationPanel(self.window.catalog)
        panel.attach(self.snapshot)
        panel.coverage_changed.connect(self.window.scene.set_coverage)
        panel.remove_grant_requested.connect(self.remove_grant)
        return panel

    def remove_grant(self, edge_id: str) -> None:
        """Remove an unused grant through the undo stack, like a delete on the canvas."""
        if edge_id in self.window.controller.document.edges:
            self.window.controller.remove([edge_id])
            self.window.status.flash(f"Removed unused grant {edge_id} (undo with Ctrl+Z)")

    def _build_forecast(self) -> QWidget:
        from designer.forecast.panel import ForecastPanel

        panel = ForecastPanel(self.window.catalog)
        panel.attach(self.snapshot)
        return panel

    def _roster_changed(self) -> None:
        for host in (self.simulation_host, self.forecast_host):
            if host.panel is not None:
                host.panel.roster_changed()  # type: ignore[attr-defined]

    def snapshot(self) -> tuple[RosterContent, Path | None]:
        controller = self.window.controller
        return controller.document.content(), controller.path

    def _document_replaced(self, *_args: object) -> None:
        self.window.controller.signals.changed.connect(self._roster_changed)
        self._roster_changed()

    def show_dock(self, key: str) -> None:
        dock = self.window._docks[key]
        dock.show()
        dock.raise_()

    def build_menu(self) -> QMenu:
        """The Simulate menu, placed before Run (or Settings)."""
        w = self.window
        menu = QMenu("Si&mulate", w)

        def act(text: str, slot: Callable[[], object], shortcut: str | None = None) -> QAction:
            return menu_action(menu, w, text, slot, shortcut)

        self.act_simulate = act("Run &Scenarios", self.simulate_now, "Ctrl+Shift+M")
        act("Generate &Coverage Suite", lambda: self.generate("coverage"))
        act("Generate &Adversarial Suite", lambda: self.generate("adversarial"))
        menu.addSeparator()
        self.act_forecast = act("&Forecast", self.forecast_now, "Ctrl+Shift+F")
        act("Edit &Workload…", self.edit_workload)
        bar = w.menuBar()
        before = next((a for a in bar.actions() if a.text() in ("&Run", "&Settings")), None)
        if before is not None:
            bar.insertMenu(before, menu)
        else:
            bar.addMenu(menu)
        return menu

    def simulate_now(self) -> None:
        self.show_dock("simulation")
        self.simulation.run_all()

    def generate(self, kind: str) -> None:
        self.show_dock("simulation")
        self.simulation.add_generated(kind)
        self.simulation.run_all()

    def forecast_now(self) -> None:
        self.show_dock("forecast")
        self.forecast.run_forecast()

    def edit_workload(self) -> None:
        self.show_dock("forecast")
        self.forecast.sync()
        self.forecast.edit_workload()
