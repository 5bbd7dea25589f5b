"""A short guided tour of the designer: callouts pointing at its panels, one after another.

`install_tour(window, auto=True)` adds Help → Guided Tour and, on the first
start only, opens the tour once the window is shown. Each step points at one
panel (palette, canvas, inspector, problems, simulation, forecast, run) with
a highlight frame and a callout offering Back, Next (Finish on the last) and
Skip; steps whose panel the window does not have are left out. The callout's
"Don't show the tour at start" box (ticked by default) is stored in QSettings
(`tour/show_at_start`), so the tour is shown at the first start, and at later
starts only if the user unticked it. Help → Guided Tour always re-opens it.

The automatic start never happens under tests: it needs `auto=True` (only the
application's `main` passes it), is off while pytest runs, and
ROSTER_TOUR=0 / ROSTER_TOUR=1 turn it off or force it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from designer.main_window import MainWindow

SHOW_AT_START = "tour/show_at_start"
ENV = "ROSTER_TOUR"
MARGIN = 12


@dataclass(frozen=True)
class Step:
    key: str
    """A dock key in `MainWindow._docks`, or "canvas" for the central widget."""
    title: str
    text: str


STEPS: tuple[Step, ...] = (
    Step("palette", "Palette",
         "Drag agents, tools, people and MCP servers from here onto the canvas, or "
         "double-click one to add it in the middle."),
    Step("canvas", "Canvas",
         "Your roster as a picture. Start from a template or a sample here; then draw "
         "delegation, tool access and escalation edges from an agent's handle. Illegal "
         "targets turn red and say why."),
    Step("inspector", "Inspector",
         "Everything about the selected agent, tool, person or edge: model, prompt, "
         "grants and approvals. Edits are undoable."),
    Step("problems", "Problems",
         "The governance checks, live: each finding says what is wrong and how to fix it. "
         "Double-click one to jump to the node."),
    Step("simulation", "Simulation",
         "Dry-run scenarios through the real engine without spending tokens and without "
         "an API key: which agents ran, which approvals were asked, what it would cost."),
    Step("forecast", "Forecast",
         "Cost per task and per month, latency and the human review load under a "
         "workload, with confidence intervals."),
    Step("run", "Run",
         "Run the roster for real on the Anthropic API. Store your key first in "
         "Settings → API Keys; it lives in the OS keyring, never in the file."),
)


def auto_start_allowed(settings: QSettings) -> bool:
    """Whether the tour may open by itself at start (never under pytest unless forced)."""
    forced = os.environ.get(ENV, "").strip().lower()
    if forced in ("0", "false", "no", "off"):
        return False
    if forced in ("1", "true", "yes", "on"):
        return True
    if "PYTEST_CURRENT_TEST" in os.environ:
        return False
    value = settings.value(SHOW_AT_START, True)
    return str(value).lower() not in ("false", "0")


class Callout(QFrame):
    """The floating card of one step: title, text, progress, the buttons and the checkbox."""

    escaped = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("tour-callout")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setStyleSheet("#tour-callout { border: 2px solid #f0a020; border-radius: 6px; }")
        self.setFixedWidth(340)
        self.title = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.progress = QLabel()
        self.dont_show = QCheckBox("Don't show the tour at start")
        self.dont_show.setChecked(True)
        self.back = QPushButton("Back")
        self.next = QPushButton("Next")
        self.skip = QPushButton("Skip tour")
        self.next.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress)
        buttons.addStretch(1)
        for button in (self.skip, self.back, self.next):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        for widget in (self.title, self.text, self.dont_show):
            layout.addWidget(widget)
        layout.addLayout(buttons)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            return
        super().keyPressEvent(event)


class Tour(QObject):
    """Walks the steps available in `window`; emits `finished` when closed in any way."""

    finished = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.steps: list[Step] = []
        self.index = -1
        self.callout = Callout(window)
        self.highlight = QFrame(window)
        self.highlight.setObjectName("tour-highlight")
        self.highlight.setStyleSheet(
            "#tour-highlight { border: 3px solid #f0a020; background: transparent; }")
        self.highlight.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        for widget in (self.callout, self.highlight):
            widget.hide()
        self.callout.next.clicked.connect(self.next)
        self.callout.back.clicked.connect(self.back)
        self.callout.skip.clicked.connect(self.close)
        self.callout.escaped.connect(self.close)
        window.installEventFilter(self)  # follow the window's resizes while open

    # ------------------------------------------------------------ navigation

    @property
    def active(self) -> bool:
        return self.callout.isVisible()

    def available_steps(self) -> list[Step]:
        docks = self.window._docks
        return [s for s in STEPS if s.key == "canvas" or s.key in docks]

    def start(self) -> None:
        self.steps = self.available_steps()
        self.index = 0
        self.callout.show()
        self.highlight.show()
        self._show_step()

    def next(self) -> None:
        if self.index + 1 >= len(self.steps):
            self.close()
            return
        self.index += 1
        self._show_step()

    def back(self) -> None:
        if self.index > 0:
            self.index -= 1
            self._show_step()

    def close(self) -> None:
        """End the tour (Skip, Finish or Escape) and remember the checkbox."""
        if not self.active:
            return
        self.window.settings.setValue(SHOW_AT_START, not self.callout.dont_show.isChecked())
        self.callout.hide()
        self.highlight.hide()
        problems = self.window._docks.get("problems")
        if problems is not None:
            problems.raise_()  # leave the bottom tabs the way the window starts
        self.finished.emit()

    # ------------------------------------------------------------ placement

    def target(self, step: Step) -> QWidget:
        if step.key == "canvas":
            central = self.window.centralWidget()
            assert central is not None
            return central
        dock = self.window._docks[step.key]
        dock.show()
        dock.raise_()
        return dock

    def _show_step(self) -> None:
        step = self.steps[self.index]
        c = self.callout
        c.title.setText(f"<b>{step.title}</b>")
        c.text.setText(step.text)
        c.progress.setText(f"{self.index + 1} of {len(self.steps)}")
        c.back.setEnabled(self.index > 0)
        c.next.setText("Finish" if self.index == len(self.steps) - 1 else "Next")
        QTimer.singleShot(0, self._place)  # after raising a dock, its geometry settles
        self._place()
        c.next.setFocus()

    def _place(self) -> None:
        if not self.active or not 0 <= self.index < len(self.steps):
            return
        target = self.target(self.steps[self.index])
        top_left = target.mapTo(self.window, QPoint(0, 0))
        rect = QRect(top_left, target.size())
        self.highlight.setGeometry(rect)
        self.highlight.raise_()
        self.callout.adjustSize()
        self.callout.move(self._callout_position(rect))
        self.callout.raise_()

    def _callout_position(self, rect: QRect) -> QPoint:
        """Beside the target (right, left, below, above: the first that fits), in the window."""
        size = self.callout.size()
        area = self.window.rect()
        candidates = (
            QPoint(rect.right() + MARGIN, rect.top() + MARGIN),
            QPoint(rect.left() - size.width() - MARGIN, rect.top() + MARGIN),
            QPoint(rect.left() + MARGIN, rect.bottom() + MARGIN),
            QPoint(rect.left() + MARGIN, rect.top() - size.height() - MARGIN),
        )
        for point in candidates:
            if area.contains(QRect(point, size)):
                return point
        centre = rect.center() - QPoint(size.width() // 2, size.height() // 2)
        x = min(max(centre.x(), 0), max(area.width() - size.width(), 0))
        y = min(max(centre.y(), 0), max(area.height() - size.height(), 0))
        return QPoint(x, y)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and self.active and event.type() == QEvent.Type.Resize:
            QTimer.singleShot(0, self._place)
        return False


def _help_menu(window: MainWindow) -> QMenu | None:
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == "Help" and action.menu() is not None:
            menu = action.menu()
            return menu if isinstance(menu, QMenu) else None
    return None


def install_tour(window: MainWindow, *, auto: bool = False,
                 starter: Callable[[Callable[[], None]], None] | None = None) -> Tour:
    """Add Help → Guided Tour to `window`; with `auto`, open the tour at first start.

    `starter` schedules the automatic start (default: once the event loop runs).
    """
    tour = Tour(window)
    action = QAction("Guided &Tour", window)
    action.setObjectName("action-tour")
    action.setStatusTip("A short walk through the designer's panels")
    action.triggered.connect(tour.start)
    menu = _help_menu(window)
    if menu is not None:
        first = menu.actions()[0] if menu.actions() else None
        menu.insertAction(first, action)  # type: ignore[arg-type]
    if auto and auto_start_allowed(window.settings):
        (starter or (lambda start: QTimer.singleShot(0, start)))(tour.start)
    return tour
