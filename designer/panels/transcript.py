"""The per-agent transcript of a run: what each agent was asked, said, called and got back.

One row per step in order (agent started with its task, each model turn with
its text, cost and tokens, each tool call with its arguments and, once it
returns, its result, delegations, approvals, denials, the agent's answer);
details sit in collapsed child rows. Thinking blocks come from the journal's
recorded model responses (`set_model_blocks`) and stay collapsed under their
turn. The agent filter shows one agent's side of the run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from runtime.engine import events as ev
from runtime.roster.costs import format_usd

ALL_AGENTS = "All agents"
DETAIL_CHARS = 4000
_MONO = QFont("monospace")
_MONO.setStyleHint(QFont.StyleHint.TypeWriter)


def _short(text: str, limit: int = 110) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)[:DETAIL_CHARS]


class TranscriptPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter = QComboBox()
        self.filter.addItem(ALL_AGENTS)
        self.filter.currentTextChanged.connect(self._apply_filter)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Agent", "Step"])
        self.tree.setColumnWidth(0, 120)
        self.tree.setUniformRowHeights(False)  # full arguments and results span lines
        self.tree.setWordWrap(False)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.filter, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.tree)
        self._calls: dict[str, QTreeWidgetItem] = {}
        self._turns: dict[str, QTreeWidgetItem] = {}  # "<frame>/model/<turn>" -> row
        self._thought: set[str] = set()

    def clear(self) -> None:
        self.tree.clear()
        self._calls.clear()
        self._turns.clear()
        self._thought.clear()
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.addItem(ALL_AGENTS)
        self.filter.blockSignals(False)

    def agents(self) -> list[str]:
        return [self.filter.itemText(i) for i in range(1, self.filter.count())]

    def rows(self, agent: str | None = None) -> list[str]:
        """The visible step texts (for one agent, or all), in order."""
        out = []
        for item in self._top_items():
            if agent is None or item.text(0) == agent:
                out.append(item.text(1))
        return out

    def add_events(self, events: Iterable[ev.EngineEvent]) -> None:
        bar = self.tree.verticalScrollBar()
        follow = bar.value() >= bar.maximum() - 4  # keep following unless the user scrolled up
        self.tree.setUpdatesEnabled(False)
        try:
            for event in events:
                self._add(event)
        finally:
            self.tree.setUpdatesEnabled(True)
        if follow:
            self.tree.scrollToBottom()

    def _row(self, agent: str, text: str, colour: str | None = None,
             details: Iterable[tuple[str, str]] = ()) -> QTreeWidgetItem:
        if agent and self.filter.findText(agent) < 0:
            self.filter.addItem(agent)
        item = QTreeWidgetItem([agent, text])
        item.setToolTip(1, text)
        if colour:
            item.setForeground(1, QBrush(QColor(colour)))
        for label, body in details:
            self._detail(item, label, body)
        self.tree.addTopLevelItem(item)
        shown = self.filter.currentText()
        item.setHidden(shown not in ("", ALL_AGENTS) and agent != shown)
        return item

    def _detail(self, parent: QTreeWidgetItem, label: str, body: str) -> None:
        child = QTreeWidgetItem(["", f"{label}: {_short(body, 160)}"])
        child.setToolTip(1, body[:DETAIL_CHARS])
        if "\n" in body or len(body) > 160:
            full = QTreeWidgetItem(["", body[:DETAIL_CHARS]])
            full.setFont(1, _MONO)
            child.addChild(full)
        parent.addChild(child)

    def _add(self, e: ev.EngineEvent) -> None:
        if isinstance(e, ev.AgentStarted):
            via = f" for {e.caller}" if e.caller else ""
            self._row(e.agent, f"▸ started on {e.model}{via}: {_short(e.task)}", "#2563eb",
                      [("task", e.task)])
        elif isinstance(e, ev.ModelCalled):
            tokens = f"{e.usage.input_tokens}+{e.usage.output_tokens} tokens"
            said = f": {_short(e.text)}" if e.text else ""
            row = self._row(e.agent, f"turn {e.turn} ({format_usd(e.cost_usd)}, {tokens}, "
                            f"{e.duration_s:.1f} s){said}",
                            details=[("text", e.text)] if e.text else ())
            self._turns[f"{e.frame}/model/{e.turn}"] = row
        elif isinstance(e, ev.ToolCalled):
            row = self._row(e.agent, f"→ {e.tool}({_short(json.dumps(e.arguments), 80)})",
                            "#9a5b13", [("arguments", _json(e.arguments))])
            self._calls[e.call_id] = row
        elif isinstance(e, ev.ToolFinished):
            row = self._calls.get(e.call_id) or self._row(e.agent, f"→ {e.tool}")
            state = "ok" if e.ok else "failed"
            row.setText(1, f"{row.text(1)} → {state} in {e.duration_s:.1f} s")
            if not e.ok:
                row.setForeground(1, QBrush(QColor("#dc2626")))
            self._detail(row, f"result ({state})", e.output)
        elif isinstance(e, ev.ToolDenied):
            self._row(e.agent, f"✕ {e.tool} denied: {_short(e.reason)}", "#dc2626",
                      [("reason", e.reason)])
        elif isinstance(e, ev.Delegated):
            self._row(e.caller, f"⇢ delegates to {e.callee}: {_short(e.message)}", "#3b6fd8",
                      [("message", e.message)])
        elif isinstance(e, ev.ApprovalRequested):
            self._row(e.agent, f"? asks {e.human} to approve {e.tool} (risk {e.risk})",
                      "#2f9e5b", [("arguments", _json(e.arguments)), ("reason", e.reason)])
        elif isinstance(e, ev.ApprovalAnswered):
            note = f": {e.note}" if e.note else ""
            self._row(e.human, f"{e.decision} by {e.by}{note}",
                      "#16a34a" if e.decision == "approve" else "#dc2626")
        elif isinstance(e, ev.LimitExceeded):
            self._row(e.agent or "", f"! limit {e.limit}: {e.detail}", "#d97706")
        elif isinstance(e, ev.AgentFinished):
            self._row(e.agent, f"◂ {e.status} ({format_usd(e.cost_usd)}): {_short(e.output)}",
                      "#16a34a" if e.status == "completed" else "#dc2626",
                      [("answer", e.output)])
        elif isinstance(e, ev.KillSwitchPressed):
            self._row("", f"■ stopped: {e.reason}", "#dc2626")

    def set_model_blocks(self, steps: Mapping[str, Any]) -> int:
        """Attach recorded thinking (journal step results keyed by step key) under their turns,
        collapsed; returns how many thinking blocks were added."""
        added = 0
        for key, row in self._turns.items():
            if key in self._thought or key not in steps:
                continue
            result = getattr(steps[key], "result_json", None)
            if not result:
                continue
            content = json.loads(result).get("content", [])
            thoughts = [b.get("thinking", "") for b in content if b.get("type") == "thinking"]
            self._thought.add(key)
            for thought in thoughts:
                child = QTreeWidgetItem(["", f"thinking ({len(thought)} chars)"])
                child.setForeground(1, QBrush(QColor("#6b7280")))
                full = QTreeWidgetItem(["", thought[:DETAIL_CHARS]])
                full.setFont(1, _MONO)
                child.addChild(full)
                row.insertChild(0, child)
                child.setExpanded(False)
                added += 1
        return added

    def _apply_filter(self, agent: str) -> None:
        for item in self._top_items():
            item.setHidden(agent not in ("", ALL_AGENTS) and item.text(0) != agent)

    def _top_items(self) -> list[QTreeWidgetItem]:
        found = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item for item in found if item is not None]

    def show_agent(self, agent: str | None) -> None:
        self.filter.setCurrentText(agent or ALL_AGENTS)


__all__ = ["TranscriptPanel"]
