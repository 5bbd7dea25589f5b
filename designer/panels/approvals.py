"""Approval cards: a human's decision, asked by a running agent, with a countdown.

Each card says who asks (the agent) and whom (the human), which tool, its risk
(coloured), the arguments, the agent's reason, the time left and what happens
when it runs out (the human's `on_timeout`: deny, or escalate to the backup).
Approve, Deny, and Deny with a note that goes back to the agent. The card only
emits `answered`; it disappears when the engine reports the request answered
(by this card, by a timeout, or by `roster runs approve` from a terminal), so
what the panel shows is always what the engine decided.
"""

from __future__ import annotations

import json
import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from designer.canvas import style as s
from runtime.engine.protocols import ApprovalRequest

TICK_MS = 250


def timeout_rule(on_timeout: str | None, backup: str | None) -> str:
    if on_timeout == "escalate" and backup:
        return f"escalates to {backup}"
    return "is denied"


class ApprovalCard(QFrame):
    answered = Signal(str, bool, str)  # request id, approved, note

    def __init__(self, request: ApprovalRequest, on_timeout: str = "is denied",
                 asked_at: float | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self.asked_at = asked_at if asked_at is not None else time.time()
        self.setObjectName("approval-card")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        risk_colour = s.RISK_COLOURS.get(request.risk, s.CARD_SUBTEXT).name()
        self.setStyleSheet(f"QFrame#approval-card {{ border: 2px solid {risk_colour}; "
                           "border-radius: 6px; background: #ffffff; }")
        title = QLabel(f"<b>{request.agent}</b> asks <b>{request.human}</b>")
        tool = QLabel(f"Tool <b>{request.tool}</b> · risk "
                      f"<span style='color:{risk_colour}; font-weight:600'>{request.risk}</span>")
        reason = QLabel(f"Why: {request.reason}")
        reason.setWordWrap(True)
        self.arguments = QPlainTextEdit(json.dumps(request.arguments, ensure_ascii=False,
                                                   indent=2))
        self.arguments.setReadOnly(True)
        self.arguments.setMaximumHeight(110)
        self.countdown = QLabel()
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(6)
        self.on_timeout = on_timeout
        self.note = QLineEdit()
        self.note.setPlaceholderText("Note back to the agent (for Deny with note)")
        self.approve = QPushButton("Approve")
        self.deny = QPushButton("Deny")
        self.deny_note = QPushButton("Deny with note")
        self.approve.clicked.connect(lambda: self._answer(True, ""))
        self.deny.clicked.connect(lambda: self._answer(False, ""))
        self.deny_note.clicked.connect(self._deny_with_note)
        buttons = QHBoxLayout()
        for button in (self.approve, self.deny, self.deny_note):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        for widget in (title, tool, reason, self.arguments, self.countdown, self.bar, self.note):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.tick)
        self.tick()
        if request.timeout_s:
            self._timer.start()

    def seconds_left(self, now: float | None = None) -> float | None:
        if not self.request.timeout_s:
            return None
        elapsed = (now if now is not None else time.time()) - self.asked_at
        return max(0.0, self.request.timeout_s - elapsed)

    def tick(self) -> None:
        left = self.seconds_left()
        if left is None:
            self.countdown.setText("No time limit")
            self.bar.hide()
            return
        total = self.request.timeout_s or 1.0
        minutes, seconds = divmod(int(left + 0.999), 60)
        self.countdown.setText(f"{minutes}:{seconds:02d} left · then the request "
                               f"{self.on_timeout}")
        self.bar.setRange(0, 1000)
        self.bar.setValue(int(1000 * left / total))
        if left <= 0:
            self._timer.stop()
            self.countdown.setText(f"Time is up: the request {self.on_timeout}")
            self._lock()

    def _deny_with_note(self) -> None:
        note = self.note.text().strip()
        if not note:
            self.note.setFocus()
            self.note.setPlaceholderText("Type the note for the agent first")
            return
        self._answer(False, note)

    def _answer(self, approved: bool, note: str) -> None:
        self._lock()
        self.countdown.setText("Approved, sending…" if approved else "Denied, sending…")
        self.answered.emit(self.request.request_id, approved, note)

    def _lock(self) -> None:
        for button in (self.approve, self.deny, self.deny_note):
            button.setEnabled(False)
        self.note.setEnabled(False)


class ApprovalsPanel(QWidget):
    """The open approval cards, newest last; `answered` relays a card's answer."""

    answered = Signal(str, bool, str)
    count_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards: dict[str, ApprovalCard] = {}
        self.empty = QLabel("No approvals waiting.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        inner = QWidget()
        self._list = QVBoxLayout(inner)
        self._list.addWidget(self.empty)
        self._list.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(scroll)

    def add(self, request: ApprovalRequest, on_timeout: str = "is denied",
            asked_at: float | None = None) -> ApprovalCard:
        card = ApprovalCard(request, on_timeout, asked_at)
        card.answered.connect(self.answered)
        self.cards[request.request_id] = card
        self._list.insertWidget(self._list.count() - 1, card)
        self.empty.hide()
        self.count_changed.emit(len(self.cards))
        return card

    def close_card(self, request_id: str) -> None:
        card = self.cards.pop(request_id, None)
        if card is not None:
            card.hide()
            card.deleteLater()
        self.empty.setVisible(not self.cards)
        self.count_changed.emit(len(self.cards))

    def clear(self) -> None:
        for request_id in list(self.cards):
            self.close_card(request_id)


__all__ = ["ApprovalCard", "ApprovalsPanel", "timeout_rule"]
