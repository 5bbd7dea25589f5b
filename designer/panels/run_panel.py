"""The run panel: pick the entry agent, type a task, Run; Stop is the kill switch.

The panel only collects intent and shows state: `run_requested` carries the
entry, the task and an optional spend cap; `stop_requested` asks the bridge to
cancel everything in flight. When a run cannot start because there is no key
(or the keyring cannot be read), the reason is shown with a button that opens
Settings → API keys (`api_keys_requested`).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from runtime.roster.costs import format_usd


class RunPanel(QWidget):
    run_requested = Signal(str, str, object)  # entry, task, max_usd (float | None)
    stop_requested = Signal()
    api_keys_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = QComboBox()
        self.entry.setToolTip("The agent that receives the task")
        self.task = QPlainTextEdit()
        self.task.setPlaceholderText("What should the roster do?")
        self.task.setMaximumHeight(90)
        self.task.textChanged.connect(self._update_buttons)
        self.cap = QDoubleSpinBox()
        self.cap.setRange(0.0, 10_000.0)
        self.cap.setDecimals(2)
        self.cap.setPrefix("$")
        self.cap.setSpecialValueText("the roster's budget")
        self.cap.setToolTip("Cap this run's spend (0: the roster's per-run budget applies)")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Run the roster on this task (Ctrl+R)")
        self.run_button.clicked.connect(self._run)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Kill switch: cancel every model call, tool and delegation "
                                    "in flight (Ctrl+.)")
        self.stop_button.setStyleSheet("QPushButton:enabled { color: #b91c1c; }")
        self.stop_button.clicked.connect(self.stop_requested)
        self.state = QLabel("No run yet.")
        self.state.setWordWrap(True)
        self.key_box = QFrame()
        self.key_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.key_message = QLabel()
        self.key_message.setWordWrap(True)
        self.key_button = QPushButton("Open API keys…")
        self.key_button.clicked.connect(self.api_keys_requested)
        key_layout = QVBoxLayout(self.key_box)
        key_layout.addWidget(self.key_message)
        key_layout.addWidget(self.key_button)
        self.key_box.hide()
        form = QFormLayout()
        form.addRow("Entry agent", self.entry)
        form.addRow("Task", self.task)
        form.addRow("Spend cap", self.cap)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.key_box)
        layout.addWidget(self.state)
        layout.addStretch(1)
        self.running = False
        self._update_buttons()

    def set_agents(self, agent_ids: list[str], default: str | None = None) -> None:
        current = self.entry.currentText() or default
        self.entry.clear()
        self.entry.addItems(agent_ids)
        if current in agent_ids:
            self.entry.setCurrentText(current)
        self._update_buttons()

    def set_running(self, running: bool, text: str = "") -> None:
        self.running = running
        if text:
            self.state.setText(text)
        if running:
            self.key_box.hide()
        self._update_buttons()

    def show_progress(self, spent: float, budget: float | None, agents: list[str]) -> None:
        cap = f" of {format_usd(budget)}" if budget is not None else ""
        working = ", ".join(sorted(agents)) or "—"
        self.state.setText(f"Running · spent {format_usd(spent)}{cap} · working: {working}")

    def show_refusal(self, message: str, missing_key: bool) -> None:
        self.set_running(False, "The run did not start.")
        self.key_message.setText(message)
        self.key_button.setVisible(missing_key)
        self.key_box.show()

    def _run(self) -> None:
        task = self.task.toPlainText().strip()
        if not task or self.running or not self.entry.currentText():
            return
        cap = self.cap.value() or None
        self.key_box.hide()
        self.run_requested.emit(self.entry.currentText(), task, cap)

    def _update_buttons(self) -> None:
        ready = bool(self.entry.count()) and bool(self.task.toPlainText().strip())
        self.run_button.setEnabled(ready and not self.running)
        self.stop_button.setEnabled(self.running)


__all__ = ["RunPanel"]
