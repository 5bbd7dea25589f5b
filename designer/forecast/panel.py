"""The Forecast dock: pick a workload, an engine and a what-if, and read cost, latency and load.

Left: the workload (derived from the roster, or a `*.workload.yaml` beside it,
or any file), the engine (Monte Carlo: fast, no queues; discrete-event:
concurrency, rate limits, human queues), tasks and seed, and a what-if (one
agent on another model). Right: the numbers with their 95% intervals (or the
side-by-side comparison) and four charts. Forecasts run on the thread pool;
the panel stays responsive, and editing the roster marks the shown forecast
as out of date rather than recomputing behind the user's back.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer.background import BackgroundRunner
from designer.following import DocumentFollower, RosterSource
from designer.forecast.charts import ForecastCharts
from designer.forecast.jobs import ForecastOutcome, ForecastRequest, run_request
from designer.forecast.starter import starter_text
from designer.forecast.summary import SummaryTable
from designer.panels.choice_editors import model_label
from designer.panes import two_panes
from designer.yaml_editor import YamlFileEditor
from runtime.forecast import Workload, default_workload, load_workload, loads_workload
from runtime.forecast.api import Engine
from runtime.roster import model as m
from runtime.roster.catalog import Catalog
from runtime.roster.codec import RosterContent
from runtime.roster.errors import RosterLoadError

DERIVED = ""  # the workload combo's value for "derived from the roster"
ENGINE_LABELS: dict[Engine, str] = {
    "mc": "Monte Carlo (fast, no queues)",
    "des": "Discrete-event (queues, rate limits)",
}
DEFAULT_TASKS: dict[Engine, int] = {"mc": 100_000, "des": 20_000}


def sibling_workloads(roster_path: Path | None) -> list[Path]:
    """`NAME*.workload.yaml` files beside `NAME.roster.yaml`, sorted."""
    if roster_path is None:
        return []
    stem = roster_path.name.removesuffix(".yaml").removesuffix(".yml").removesuffix(".roster")
    return sorted(roster_path.parent.glob(f"{stem}*.workload.yaml"))


class ForecastPanel(QWidget):
    """Forecasts of the open roster.

    `attach(source)` gives it the open document (a callable returning a snapshot
    and the file's path); `roster_changed()` says the document changed. The
    snapshot is taken only when the panel is visible or a forecast starts, so
    editing a large roster with the panel closed costs nothing.
    """

    forecast_shown = Signal(object)  # ForecastOutcome

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.follower = DocumentFollower(self, self.set_roster)
        self.content: RosterContent | None = None
        self.roster_path: Path | None = None
        self.outcome: ForecastOutcome | None = None
        self.runner = BackgroundRunner(self)
        self.runner.finished.connect(self._show)
        self.runner.failed.connect(self._failed)
        self.runner.busy_changed.connect(self._busy)
        self._build()

    # ------------------------------------------------------------ construction

    def _build(self) -> None:
        self.workload_combo = QComboBox()
        self.workload_combo.setToolTip("Where tasks per day, mix, tokens and limits come from")
        self.open_button = QPushButton("Open…")
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip("Edit the workload file (creates one beside the roster "
                                    "when the workload is derived)")
        workload_row = QHBoxLayout()
        workload_row.addWidget(self.workload_combo, 1)
        workload_row.addWidget(self.open_button)
        workload_row.addWidget(self.edit_button)
        self.engine_combo = QComboBox()
        for key, label in ENGINE_LABELS.items():
            self.engine_combo.addItem(label, key)
        self.tasks_spin = QSpinBox()
        self.tasks_spin.setRange(1_000, 1_000_000)
        self.tasks_spin.setSingleStep(10_000)
        self.tasks_spin.setGroupSeparatorShown(True)
        self.tasks_spin.setValue(DEFAULT_TASKS["mc"])
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.compare_check = QCheckBox("What if")
        self.agent_combo = QComboBox()
        self.model_combo = QComboBox()
        for info in self.catalog.models():
            if not info.deprecated:
                self.model_combo.addItem(model_label(info), info.id)
        what_if = QHBoxLayout()
        what_if.addWidget(self.compare_check)
        what_if.addWidget(self.agent_combo, 1)
        what_if.addWidget(QLabel("on"))
        what_if.addWidget(self.model_combo, 2)
        self.run_button = QPushButton("Forecast")
        self.run_button.setDefault(True)
        self.state = QLabel("Open a roster to forecast it.")
        self.state.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Workload", workload_row)
        form.addRow("Engine", self.engine_combo)
        form.addRow("Tasks", self.tasks_spin)
        form.addRow("Seed", self.seed_spin)
        form.addRow(what_if)
        form.addRow(self.run_button)
        form.addRow(self.state)
        controls = QGroupBox("Forecast")
        controls.setLayout(form)
        self.table = SummaryTable()
        self.assumptions = QPlainTextEdit()
        self.assumptions.setReadOnly(True)
        self.assumptions.setPlaceholderText("Assumptions taken from defaults appear here.")
        self.assumptions.setMaximumHeight(110)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(controls)
        left_box.addWidget(self.table, 1)
        left_box.addWidget(QLabel("Assumptions"))
        left_box.addWidget(self.assumptions)
        self.charts = ForecastCharts()
        two_panes(self, left, self.charts)
        self.engine_combo.currentIndexChanged.connect(self._engine_changed)
        self.run_button.clicked.connect(self.run_forecast)
        self.open_button.clicked.connect(self._open_file)
        self.edit_button.clicked.connect(self.edit_workload)
        self.compare_check.toggled.connect(self._what_if_toggled)
        self._what_if_toggled(False)
        self._set_enabled(False)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.run_button, self.edit_button, self.open_button,
                       self.workload_combo, self.compare_check):
            widget.setEnabled(enabled)

    # ------------------------------------------------------------ inputs

    def attach(self, source: RosterSource) -> None:
        self.follower.attach(source)

    def roster_changed(self) -> None:
        self.follower.changed()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.sync()

    def sync(self) -> None:
        """Take a fresh snapshot of the document now (if it changed) and list the
        workload files beside it again (one may have been written meanwhile)."""
        if not self.follower.sync() and self.content is not None:
            self._refresh_workloads(keep=self.workload_path())

    def set_roster(self, content: RosterContent, path: Path | None) -> None:
        """Follow the open document: refresh the agents and the workload files offered."""
        moved = path != self.roster_path
        self.content, self.roster_path = content, path
        agent = self.agent_combo.currentData()
        self.agent_combo.clear()
        for node in content.nodes.values():
            if isinstance(node, m.Agent):
                self.agent_combo.addItem(node.name or node.id, node.id)
        index = self.agent_combo.findData(agent)
        self.agent_combo.setCurrentIndex(max(index, 0))
        self._refresh_workloads(keep=None if moved else self.workload_path())
        self._set_enabled(True)
        if self.outcome is not None and self.outcome.request.content is not content:
            self.state.setText("The roster changed since this forecast; run it again.")

    def _refresh_workloads(self, select: Path | None = None, keep: Path | None = None) -> None:
        """List the derived workload and the files beside the roster; choose `select`,
        else keep `keep` when still listed, else prefer a written workload file."""
        if select is None and keep is not None and keep.exists():
            select = keep
        self.workload_combo.clear()
        self.workload_combo.addItem("Derived from the roster and catalog", DERIVED)
        for path in sibling_workloads(self.roster_path):
            self.workload_combo.addItem(path.name, str(path))
        if select is not None:
            if self.workload_combo.findData(str(select)) < 0:
                self.workload_combo.addItem(select.name, str(select))
            self.workload_combo.setCurrentIndex(self.workload_combo.findData(str(select)))
        elif self.workload_combo.count() > 1:
            self.workload_combo.setCurrentIndex(1)  # a written workload beats the defaults

    def workload_path(self) -> Path | None:
        value = self.workload_combo.currentData()
        return Path(value) if value else None

    def _engine_changed(self) -> None:
        engine = self.engine_combo.currentData()
        self.tasks_spin.setValue(DEFAULT_TASKS[engine])

    def _what_if_toggled(self, on: bool) -> None:
        self.agent_combo.setEnabled(on)
        self.model_combo.setEnabled(on)

    def _open_file(self) -> None:
        start = str(self.roster_path.parent) if self.roster_path else ""
        name, _ = QFileDialog.getOpenFileName(self, "Open workload", start,
                                              "Workloads (*.workload.yaml *.yaml);;All (*)")
        if name:
            self._refresh_workloads(select=Path(name))

    def edit_workload(self) -> YamlFileEditor | None:
        """Open the workload editor (a starter file beside the roster when derived)."""
        if self.content is None:
            return None
        path = self.workload_path()
        if path is None:
            if self.roster_path is None:
                self.state.setText("Save the roster first: its workload file lives beside it.")
                return None
            stem = self.roster_path.name.removesuffix(".yaml").removesuffix(".roster")
            path = self.roster_path.with_name(f"{stem}.workload.yaml")
            text = (path.read_text("utf-8") if path.exists() else
                    starter_text(self.content, self.roster_path,
                                 default_workload(self.content, self.catalog)))
        else:
            text = path.read_text("utf-8")
        content, where = self.content, str(path)
        editor = YamlFileEditor(
            path, text, lambda text: loads_workload(text, content, filename=where,
                                                    catalog=self.catalog),
            what="workload", parent=self)
        editor.saved.connect(lambda saved: self._refresh_workloads(select=saved))
        editor.open()
        return editor

    # ------------------------------------------------------------ running

    def request(self) -> ForecastRequest | None:
        """The request the controls describe, or None (with the reason shown)."""
        if self.content is None:
            return None
        workload: Workload | None = None
        path = self.workload_path()
        if path is not None:
            try:
                workload = load_workload(path, self.content, self.catalog)
            except (RosterLoadError, OSError) as error:
                self.state.setText(f"The workload cannot be used:\n{error}")
                return None
        what_if: dict[str, str] = {}
        if self.compare_check.isChecked() and self.agent_combo.currentData():
            what_if[self.agent_combo.currentData()] = self.model_combo.currentData()
        return ForecastRequest(self.content, workload, self.engine_combo.currentData(),
                               self.tasks_spin.value(), self.seed_spin.value(), what_if)

    def run_forecast(self) -> bool:
        self.sync()
        request = self.request()
        if request is None:
            return False
        self.runner.start(lambda _progress: run_request(request, self.catalog))
        return True

    def _busy(self, busy: bool) -> None:
        self.run_button.setEnabled(not busy and self.content is not None)
        if busy:
            self.state.setText("Forecasting…")

    def _failed(self, message: str) -> None:
        self.state.setText(f"The forecast failed: {message}")

    def _show(self, outcome: ForecastOutcome) -> None:
        self.outcome = outcome
        base, other = outcome.base, outcome.what_if
        label = "what-if"
        if other is not None:
            agent, model = next(iter(outcome.request.what_if.items()))
            label = f"{agent} on {model}"
            self.table.show_comparison(base, other, label)
        else:
            self.table.show_forecast(base)
        self.charts.show_forecasts(base, other, ("current", label))
        notes = list(base.workload.assumptions) + list(base.notes)
        self.assumptions.setPlainText("\n".join(f"• {n}" for n in notes) or "None.")
        engine = ENGINE_LABELS[outcome.request.engine].split(" (")[0]
        self.state.setText(f"{engine}: {base.tasks:,} tasks, seed {base.seed}, "
                           f"{outcome.seconds:.2f} s.")
        self.forecast_shown.emit(outcome)
