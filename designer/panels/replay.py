"""Replay a journaled run on the canvas, step by step.

The panel holds a run's stored events and a position; the slider and the
step buttons (first, back, play/pause, forward, last) move it, and at every
position the events up to it are folded into a `RunOverlay` — the same fold
the live view uses — whose working agents and lit edges are emitted as
`highlight_changed(nodes, edges)` for the canvas. The current event is
described in words beneath the slider.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from designer.oversight.live import RunOverlay, fold
from runtime.engine import events as ev
from runtime.roster.costs import format_usd

PLAY_MS = 400


def describe(event: ev.EngineEvent) -> str:
    """One line for the event under the replay cursor."""
    if isinstance(event, ev.RunStarted):
        return f"run started at {event.entry}: {event.task[:100]}"
    if isinstance(event, ev.AgentStarted):
        return f"{event.agent} started on {event.model}"
    if isinstance(event, ev.ModelCalled):
        return f"{event.agent} turn {event.turn}: {format_usd(event.cost_usd)}"
    if isinstance(event, ev.Delegated):
        return f"{event.caller} delegates to {event.callee}"
    if isinstance(event, ev.ToolCalled):
        return f"{event.agent} calls {event.tool}"
    if isinstance(event, ev.ToolFinished):
        return f"{event.tool} {'ok' if event.ok else 'failed'}"
    if isinstance(event, ev.ToolDenied):
        return f"{event.tool} denied: {event.reason}"
    if isinstance(event, ev.ApprovalRequested):
        return f"{event.agent} asks {event.human} about {event.tool}"
    if isinstance(event, ev.ApprovalAnswered):
        return f"{event.human}: {event.decision}"
    if isinstance(event, ev.AgentFinished):
        return f"{event.agent} {event.status}"
    if isinstance(event, ev.RunFinished):
        return f"run {event.status}: {format_usd(event.cost_usd)}"
    return type(event).__name__


class ReplayPanel(QWidget):
    highlight_changed = Signal(set, set)  # node ids, edge ids
    position_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.events: list[ev.EngineEvent] = []
        self.run_id = ""
        self.title = QLabel("Open a run from the run history to replay it.")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self._moved)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for key, text, tip in (("first", "|◀", "First step"), ("back", "◀", "Step back"),
                               ("play", "Play", "Play / pause"),
                               ("forward", "▶", "Step forward"), ("last", "▶|", "Last step")):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setMaximumWidth(56)
            row.addWidget(button)
            self.buttons[key] = button
        row.addWidget(self.slider, 1)
        self.buttons["first"].clicked.connect(lambda: self.seek(0))
        self.buttons["back"].clicked.connect(lambda: self.seek(self.position - 1))
        self.buttons["forward"].clicked.connect(lambda: self.seek(self.position + 1))
        self.buttons["last"].clicked.connect(lambda: self.seek(len(self.events)))
        self.buttons["play"].clicked.connect(self.toggle_play)
        self.step = QLabel()
        self.step.setWordWrap(True)
        self.trace = QListWidget()  # every step; picking one moves the cursor there
        self.trace.currentRowChanged.connect(self._picked)
        self._timer = QTimer(self)
        self._timer.setInterval(PLAY_MS)
        self._timer.timeout.connect(self._advance)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addLayout(row)
        layout.addWidget(self.step)
        layout.addWidget(self.trace, 1)
        self.overlay = RunOverlay()

    @property
    def position(self) -> int:
        return self.slider.value()

    def load(self, run_id: str, events: list[ev.EngineEvent]) -> None:
        self._timer.stop()
        self.run_id, self.events = run_id, events
        self.title.setText(f"Run {run_id}: {len(events)} events")
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(events))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.trace.blockSignals(True)
        self.trace.clear()
        self.trace.addItems([f"{i}. {describe(e)}" for i, e in enumerate(events, 1)])
        self.trace.blockSignals(False)
        self._moved(0)

    def _picked(self, row: int) -> None:
        if row >= 0:
            self.seek(row + 1)

    def seek(self, position: int) -> None:
        self.slider.setValue(max(0, min(len(self.events), position)))

    def toggle_play(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
        else:
            if self.position >= len(self.events):
                self.seek(0)
            self._timer.start()
        self.buttons["play"].setText("Pause" if self._timer.isActive() else "Play")

    def _advance(self) -> None:
        if self.position >= len(self.events):
            self.toggle_play()
            return
        self.seek(self.position + 1)

    def _moved(self, position: int) -> None:
        self.overlay = fold(self.events[:position])
        if position == 0:
            self.step.setText("Before the first event.")
        else:
            event = self.events[position - 1]
            self.step.setText(f"Step {position}/{len(self.events)}: {describe(event)} · spent "
                              f"{format_usd(self.overlay.spent_usd)}")
        self.trace.blockSignals(True)
        self.trace.setCurrentRow(position - 1)
        self.trace.blockSignals(False)
        self.highlight_changed.emit(self.overlay.active_agents(), self.overlay.lit_edges())
        self.position_changed.emit(position)

    def stop(self) -> None:
        self._timer.stop()
        self.buttons["play"].setText("Play")


__all__ = ["ReplayPanel", "describe"]
