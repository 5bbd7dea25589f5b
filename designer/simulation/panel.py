"""The Simulation dock: pick, edit or generate scenarios, dry-run them, read what happened.

Left: the scenarios — the `*.scenario.yaml` files beside the roster, any file
opened, and generated suites (coverage: every delegation and grant walked;
adversarial: injection, a tool the delegate lacks, a loop, a budget blow-up) —
each with its verdict and its expectations. Right: the selected run's
sequence timeline and the suite's coverage. Runs go through the real engine
with scripted turns and stub tools (runtime.simulation), on the thread pool;
nothing spends a token or touches a real system.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from designer.background import BackgroundRunner
from designer.following import DocumentFollower, RosterSource
from designer.panes import two_panes
from designer.simulation.coverage import CoverageView
from designer.simulation.jobs import ScenarioOutcome, run_all
from designer.simulation.results import ResultsTree
from designer.simulation.sequence import SequenceView
from designer.yaml_editor import YamlFileEditor
from runtime.roster.catalog import Catalog
from runtime.roster.codec import RosterContent
from runtime.simulation import (
    Scenario,
    ScenarioError,
    SimulationResult,
    check_against,
    generate,
    load_scenario,
    sibling_scenarios,
    total_coverage,
)

GENERATED = "generated:"


class SimulationPanel(QWidget):
    coverage_changed = Signal(object, object)  # exercised edge ids, unused grant ids (sets)
    remove_grant_requested = Signal(str)  # edge id
    suite_finished = Signal(list)  # list[ScenarioOutcome]

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.content: RosterContent | None = None
        self.roster_path: Path | None = None
        self.scenarios: dict[str, Scenario] = {}
        self.errors: dict[str, str] = {}
        self.results: dict[str, SimulationResult] = {}
        self.extra_files: list[Path] = []
        self.follower = DocumentFollower(self, self.set_roster)
        self.runner = BackgroundRunner(self)
        self.runner.progress.connect(self._landed)
        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(lambda message: self.state.setText(f"Failed: {message}"))
        self.runner.busy_changed.connect(self._busy)
        self._build()

    # ------------------------------------------------------------ construction

    def _build(self) -> None:
        self.run_all_button = QPushButton("Run all")
        self.run_all_button.setDefault(True)
        self.run_one_button = QPushButton("Run selected")
        self.generate_button = QToolButton()
        self.generate_button.setText("Generate")
        self.generate_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.generate_button)
        menu.addAction("Coverage suite (every delegation and grant)",
                       lambda: self.add_generated("coverage"))
        menu.addAction("Adversarial suite (injection, missing tool, loop, budget)",
                       lambda: self.add_generated("adversarial"))
        self.generate_button.setMenu(menu)
        self.open_button = QPushButton("Open…")
        self.edit_button = QPushButton("Edit…")
        self.save_button = QPushButton("Save generated…")
        self.save_button.setToolTip("Write the generated scenarios as files beside the roster")
        buttons = QHBoxLayout()
        for widget in (self.run_all_button, self.run_one_button, self.generate_button,
                       self.open_button, self.edit_button, self.save_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        self.tree = ResultsTree()
        self.state = QLabel("Open a roster to simulate it.")
        self.state.setWordWrap(True)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addLayout(buttons)
        left_box.addWidget(self.tree, 1)
        left_box.addWidget(self.state)
        self.sequence = SequenceView()
        self.coverage = CoverageView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.sequence, "Timeline")
        self.tabs.addTab(self.coverage, "Coverage")
        two_panes(self, left, self.tabs)
        self.run_all_button.clicked.connect(self.run_all)
        self.run_one_button.clicked.connect(self.run_selected)
        self.open_button.clicked.connect(self._open_file)
        self.edit_button.clicked.connect(self.edit_selected)
        self.save_button.clicked.connect(self.save_generated)
        self.tree.scenario_selected.connect(self._show_trace)
        self.tree.event_selected.connect(self._show_event)
        self.coverage.overlay_toggled.connect(lambda _on: self._emit_coverage())
        self.coverage.remove_requested.connect(self.remove_grant_requested)
        self._enable()

    def _enable(self) -> None:
        ready = self.content is not None and not self.runner.busy
        for widget in (self.run_all_button, self.run_one_button, self.generate_button,
                       self.open_button):
            widget.setEnabled(ready)
        self.edit_button.setEnabled(ready and bool(self.tree.selected_key())
                                    and not str(self.tree.selected_key()).startswith(GENERATED))
        self.save_button.setEnabled(ready and any(k.startswith(GENERATED)
                                                  for k in self.scenarios))

    # ------------------------------------------------------------ following the roster

    def attach(self, source: RosterSource) -> None:
        self.follower.attach(source)

    def roster_changed(self) -> None:
        self.follower.changed()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.follower.sync()

    def set_roster(self, content: RosterContent, path: Path | None) -> None:
        moved = path != self.roster_path
        self.content, self.roster_path = content, path
        if moved:
            self.extra_files = []
            self.scenarios = {k: v for k, v in self.scenarios.items()
                              if not k.startswith(GENERATED)}
        self.reload()
        if self.results:
            self.state.setText("The roster changed since these runs; run them again.")

    def reload(self) -> None:
        """Load the scenario files again (beside the roster and opened), keep generated ones."""
        generated = {k: v for k, v in self.scenarios.items() if k.startswith(GENERATED)}
        self.scenarios, self.errors = {}, {}
        files = sibling_scenarios(self.roster_path) if self.roster_path is not None else []
        order = [str(p) for p in dict.fromkeys([*files, *self.extra_files])]
        for key in order:
            try:
                self.scenarios[key] = load_scenario(Path(key))
            except (ScenarioError, OSError) as error:
                self.errors[key] = str(error)
        self.scenarios.update(generated)
        unique: list[tuple[str, Scenario | None, str]] = [
            (k, self.scenarios.get(k), self.errors.get(k, "")) for k in [*order, *generated]]
        self.tree.set_scenarios(unique)
        for key, result in self.results.items():
            if key in self.scenarios:
                self.tree.show_result(key, result)
        self._enable()

    # ------------------------------------------------------------ scenarios

    def add_generated(self, kind: str) -> list[str]:
        """Generate a suite from the roster alone and list it; returns the new keys."""
        self.follower.sync()
        if self.content is None:
            return []
        for key in [k for k in self.scenarios if k.startswith(f"{GENERATED}{kind}:")]:
            del self.scenarios[key]
            self.results.pop(key, None)
        keys = []
        for n, scenario in enumerate(generate(self.content, kind)):
            key = f"{GENERATED}{kind}:{n}"
            self.scenarios[key] = scenario
            keys.append(key)
        self.reload()
        self.state.setText(f"Generated {len(keys)} {kind} scenario(s). Run them to prove "
                           "the gates and limits hold.")
        return keys

    def _open_file(self) -> None:
        start = str(self.roster_path.parent) if self.roster_path else ""
        name, _ = QFileDialog.getOpenFileName(self, "Open scenario", start,
                                              "Scenarios (*.scenario.yaml *.yaml);;All (*)")
        if name:
            self.open_scenario(Path(name))

    def open_scenario(self, path: Path) -> None:
        if path not in self.extra_files:
            self.extra_files.append(path)
        self.reload()

    def edit_selected(self) -> YamlFileEditor | None:
        key = self.tree.selected_key()
        if key is None or key.startswith(GENERATED) or self.content is None:
            return None
        path, content = Path(key), self.content

        def validate(text: str) -> None:
            check_against(load_scenario(str(path), text=text), content)

        editor = YamlFileEditor(path, path.read_text("utf-8"), validate, what="scenario",
                                parent=self)
        editor.saved.connect(lambda _saved: self.reload())
        editor.open()
        return editor

    def save_generated(self, directory: Path | None = None) -> list[Path]:
        from runtime.simulation.files import write_scenarios

        generated = [s for k, s in self.scenarios.items() if k.startswith(GENERATED)]
        if not generated or self.roster_path is None:
            self.state.setText("Save the roster first: scenarios are written beside it.")
            return []
        if directory is None:
            chosen = QFileDialog.getExistingDirectory(self, "Save scenarios to",
                                                      str(self.roster_path.parent))
            if not chosen:
                return []
            directory = Path(chosen)
        written = write_scenarios(generated, str(directory), self.roster_path.name)
        self.state.setText(f"Wrote {len(written)} scenario file(s) to {directory}.")
        return written

    # ------------------------------------------------------------ running

    def run_all(self) -> bool:
        return self._run(list(self.scenarios))

    def run_selected(self) -> bool:
        key = self.tree.selected_key()
        return self._run([key] if key in self.scenarios else [])

    def _run(self, keys: list[str]) -> bool:
        self.follower.sync()
        if self.content is None or not keys:
            self.state.setText("Nothing to run: add or generate a scenario first.")
            return False
        content, catalog = self.content, self.catalog
        todo = [(k, self.scenarios[k]) for k in keys]
        for key in keys:
            self.results.pop(key, None)
        self.runner.start(lambda progress: run_all(content, todo, catalog, progress))
        self.state.setText(f"Running {len(todo)} scenario(s)…")
        return True

    def _busy(self, _busy: bool) -> None:
        self._enable()

    def _landed(self, outcome: ScenarioOutcome) -> None:
        if outcome.result is not None:
            self.results[outcome.key] = outcome.result
        self.tree.show_result(outcome.key, outcome.result, outcome.error)
        if self.tree.selected_key() == outcome.key:
            self._show_trace(outcome.key)

    def _finished(self, outcomes: list[ScenarioOutcome]) -> None:
        ran = [o for o in outcomes if o.result is not None]
        failed = [o for o in ran if o.result is not None and not o.result.passed]
        broken = len(outcomes) - len(ran)
        spend = sum(o.result.cost_usd for o in ran if o.result is not None)
        self.state.setText(
            f"{len(ran) - len(failed)} passed, {len(failed)} failed"
            + (f", {broken} could not run" if broken else "")
            + f" · ${spend:.4f} at catalog prices (no tokens spent)")
        self._update_coverage()
        if outcomes and self.tree.selected_key() is None:
            first = next((o for o in outcomes if o.result is not None and not o.result.passed),
                         outcomes[0])
            self.tree.setCurrentItem(self.tree.items[first.key])
        self.suite_finished.emit(outcomes)

    def _update_coverage(self) -> None:
        if self.content is None or not self.results:
            return
        coverage = total_coverage(list(self.results.values()))
        self.coverage.show_coverage(coverage, self.content)
        self._emit_coverage()

    def _emit_coverage(self) -> None:
        cov = self.coverage.coverage
        if cov is None or not self.coverage.overlay.isChecked():
            self.coverage_changed.emit(set(), set())
            return
        used = set(cov.delegations) | set(cov.grants) | set(cov.gates)
        self.coverage_changed.emit(used, set(self.coverage.unused_ids()))

    def _show_trace(self, key: str) -> None:
        self._enable()
        result = self.results.get(key)
        if result is None:
            self.sequence.set_trace([])
            return
        failed = {x.event_index for x in result.failures if x.event_index is not None}
        self.sequence.set_trace(result.events, failed)

    def _show_event(self, key: str, event_index: int) -> None:
        self.tabs.setCurrentWidget(self.sequence)
        self.sequence.show_event(event_index)
