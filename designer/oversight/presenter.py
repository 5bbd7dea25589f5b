"""Wires the oversight docks to the engine bridge, the canvas and the status bar.

`Oversight(window)` creates the run bridge and six docks (Run and Approvals
beside the inspector; Transcript, Run history, Replay and Dashboard tabbed
with Problems), a Run menu, and the flows between them: a run request
becomes a `RunRequest` from the open document; each event batch is folded
into the live `RunOverlay`, which lights the canvas (working agents, edges in
use, lingering briefly) and the spend in the status bar, and feeds the
transcript; approval requests become cards whose answers go back through
the bridge; a finished run refreshes the history and the dashboard; opening
a run from the history loads its journaled events into the replay, which
drives the same canvas highlight. Holds no engine or journal logic itself.

Nothing of this is on the designer's start path: each panel is built when its
dock is first on screen or first needed (a `LazyHost`), the bridge (asyncio,
the engine) when a run or a journal read first needs it, the overlay with the
first run.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QFrame, QMenu, QScrollArea, QWidget

from designer.lazy_host import LazyHost
from designer.menu_actions import menu_action
from runtime.roster import model as m

if TYPE_CHECKING:  # the panels, the bridge (asyncio) and the engine load on first use
    from designer.main_window import MainWindow
    from designer.oversight.live import RunOverlay
    from designer.panels.approvals import ApprovalsPanel
    from designer.panels.dashboard import DashboardPanel
    from designer.panels.replay import ReplayPanel
    from designer.panels.run_panel import RunPanel
    from designer.panels.runs_panel import RunsPanel
    from designer.panels.transcript import TranscriptPanel
    from designer.run_bridge import RunBridge, RunNotStarted
    from runtime.engine import events as ev
    from runtime.engine.journal import Journal, RunSummary
    from runtime.engine.protocols import ApprovalRequest

P = TypeVar("P", bound=QWidget)
LINGER_TICK_MS = 300
THINKING_POLL_MS = 1500
HISTORY_LIMIT = 1000


def stored_run_events(journal: Journal, run_id: str) -> list[ev.EngineEvent]:
    """A run's events from the journal, latest attempt's view (replayed duplicates skipped)."""
    from designer.oversight.live import event_from_record

    out = []
    for _attempt, kind, replayed, data in journal.stored_events(run_id):
        event = None if replayed else event_from_record(kind, data)
        if event is not None:
            out.append(event)
    return out


TAB_HOMES: tuple[tuple[str, str, str], ...] = (
    # (dock key, title, the dock whose tab group it joins), in tab order
    ("run", "Run", "inspector"),
    ("approvals", "Approvals", "run"),
    ("transcript", "Transcript", "problems"),
    ("runs", "Run History", "transcript"),
    ("replay", "Replay", "runs"),
    ("dashboard", "Dashboard", "replay"),
)


def _scrolling(widget: QWidget) -> QScrollArea:
    """`widget` in a scroll area, so its minimum size never pushes the dock layout around."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


class _Panel(Generic[P]):
    """`oversight.run_panel` and friends: the dock's panel, built on first access."""

    def __init__(self, key: str) -> None:
        self.key = key

    @overload
    def __get__(self, owner: None, _type: type | None = None) -> _Panel[P]: ...
    @overload
    def __get__(self, owner: Oversight, _type: type | None = None) -> P: ...
    def __get__(self, owner: Oversight | None, _type: type | None = None) -> P | _Panel[P]:
        if owner is None:  # looked up on the class (introspection, docs)
            return self
        return cast(P, owner._panel(self.key))


class Oversight(QObject):
    def __init__(self, window: MainWindow, db: str | None = None) -> None:
        super().__init__(window)
        self.window = window
        self._db = db
        self._bridge: RunBridge | None = None
        self._overlay: RunOverlay | None = None
        self.live = False
        self._panels: dict[str, QWidget] = {}
        self.hosts: dict[str, LazyHost] = {}
        for key, title, home in TAB_HOMES:
            host = LazyHost(lambda key=key: self._build(key))  # type: ignore[misc]
            self.hosts[key] = host
            window._add_dock(key, title, host, window.dockWidgetArea(window._docks[home]))
            window._docks[key].hide()  # side by side, their minimum sizes would grow the window
        window.installEventFilter(self)  # the docks join their tab groups once it is shown
        self._linger = QTimer(self)
        self._linger.setInterval(LINGER_TICK_MS)
        self._linger.timeout.connect(self._repaint_overlay)
        self._stale: dict[str, Any] = {}
        self._thoughts = QTimer(self)
        self._thoughts.setSingleShot(True)
        self._thoughts.setInterval(THINKING_POLL_MS)
        self._thoughts.timeout.connect(self._fetch_thinking)
        for key in ("runs", "dashboard"):
            window._docks[key].visibilityChanged.connect(
                lambda visible, key=key: self._dock_shown(key, visible))
        window.controller.document_replaced.connect(self._document_replaced)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Show:
            self.window.removeEventFilter(self)
            QTimer.singleShot(0, self.arrange_docks)
        return False

    def arrange_docks(self) -> None:
        """Tab Run and Approvals beside the inspector and the rest beside Problems (and show
        them), unless a restored layout already placed them. Done once the window is shown:
        tabifying in a second dock area of a hidden window leaves an orphan tab bar painted
        on screen."""
        docks = self.window._docks
        for key, _title, home in TAB_HOMES:
            dock = docks[key]
            if not dock.isFloating() and not self.window.tabifiedDockWidgets(dock):
                self.window.tabifyDockWidget(docks[home], dock)
                dock.show()
        docks["inspector"].raise_()
        docks["problems"].raise_()
        if self.window.settings.value("window/state") is None:
            QTimer.singleShot(0, self.window.default_dock_sizes)  # once the tabs are laid out

    def dock(self, key: str) -> QDockWidget:
        return self.window._docks[key]

    # ------------------------------------------------------------ built on first use

    @property
    def bridge(self) -> RunBridge:
        """The engine bridge, created (and wired) the first time a run or a read needs it."""
        if self._bridge is None:
            from designer.run_bridge import RunBridge

            b = self._bridge = RunBridge(self._db, parent=self)
            b.events_ready.connect(self._on_events)
            b.approval_requested.connect(self._on_approval)
            b.run_started.connect(lambda run_id: self.run_panel.set_running(
                True, f"Run {run_id} started."))
            b.run_refused.connect(self._on_refused)
            b.run_finished.connect(self._on_finished)
        return self._bridge

    @property
    def overlay(self) -> RunOverlay:
        """The live run's state (a fresh one per run)."""
        if self._overlay is None:
            from designer.oversight.live import RunOverlay

            self._overlay = RunOverlay()
        return self._overlay

    @overlay.setter
    def overlay(self, overlay: RunOverlay) -> None:
        self._overlay = overlay

    def _active_runs(self) -> set[str]:
        return self._bridge.active_runs if self._bridge is not None else set()

    def built(self, key: str) -> bool:
        """Whether the panel of dock `key` exists yet."""
        return key in self._panels

    def _panel(self, key: str) -> Any:
        self.hosts[key].ensure()
        return self._panels[key]

    run_panel: _Panel[RunPanel] = _Panel("run")
    approvals: _Panel[ApprovalsPanel] = _Panel("approvals")
    transcript: _Panel[TranscriptPanel] = _Panel("transcript")
    runs: _Panel[RunsPanel] = _Panel("runs")
    replay: _Panel[ReplayPanel] = _Panel("replay")
    dashboard: _Panel[DashboardPanel] = _Panel("dashboard")

    def _build(self, key: str) -> QWidget:
        """Create the panel of dock `key`, wire it, and return what the dock shows."""
        panel: QWidget = getattr(self, f"_build_{key}")()
        self._panels[key] = panel
        return _scrolling(panel) if key == "dashboard" else panel

    def _build_run(self) -> QWidget:
        from designer.panels.run_panel import RunPanel

        panel = RunPanel()
        panel.run_requested.connect(self.start_run)
        panel.stop_requested.connect(self.stop)
        panel.api_keys_requested.connect(self.window.open_api_keys)
        self._set_agents(panel)
        return panel

    def _build_approvals(self) -> QWidget:
        from designer.panels.approvals import ApprovalsPanel

        panel = ApprovalsPanel()
        panel.answered.connect(self._answer)
        panel.count_changed.connect(self._approvals_count)
        return panel

    def _build_transcript(self) -> QWidget:
        from designer.panels.transcript import TranscriptPanel

        return TranscriptPanel()

    def _build_runs(self) -> QWidget:
        from designer.panels.runs_panel import RunsPanel

        panel = RunsPanel()
        panel.refresh_requested.connect(lambda: self.refresh_history(force=True))
        panel.open_requested.connect(self.open_run)
        return panel

    def _build_replay(self) -> QWidget:
        from designer.panels.replay import ReplayPanel

        panel = ReplayPanel()
        panel.highlight_changed.connect(self._replay_highlight)
        return panel

    def _build_dashboard(self) -> QWidget:
        from designer.panels.dashboard import DashboardPanel

        panel = DashboardPanel()
        panel.refresh_button.clicked.connect(lambda: self.refresh_dashboard(force=True))
        return panel

    def build_menu(self) -> QMenu:
        """The Run menu, placed before Settings."""
        w = self.window
        menu = QMenu("&Run", w)

        def act(text: str, slot: Any, shortcut: str | None = None) -> QAction:
            return menu_action(menu, w, text, slot, shortcut)

        self.act_run = act("&Run Task", self.run_from_menu, "Ctrl+R")
        self.act_stop = act("&Stop (Kill Switch)", self.stop, "Ctrl+.")
        menu.addSeparator()
        act("Run &History", lambda: self.show_dock("runs"), "Ctrl+Shift+H")
        act("&Dashboard", lambda: self.show_dock("dashboard"), "Ctrl+Shift+D")
        act("&Approvals", lambda: self.show_dock("approvals"))
        act("&Transcript", lambda: self.show_dock("transcript"))
        bar = w.menuBar()
        before = next((a for a in bar.actions() if a.text() == "&Settings"), None)
        if before is not None:
            bar.insertMenu(before, menu)
        else:
            bar.addMenu(menu)
        return menu

    def show_dock(self, key: str) -> None:
        """Show and raise one of the oversight docks (refreshing history and dashboard)."""
        self._stale.pop(key, None)
        dock = self.dock(key)
        dock.show()
        dock.raise_()
        if key == "runs":
            self.refresh_history(force=True)
        elif key == "dashboard":
            self.refresh_dashboard(force=True)

    # ------------------------------------------------------------ document

    def _document_replaced(self, document: object) -> None:
        self.window.controller.signals.changed.connect(self._document_changed)
        self._document_changed()

    def _document_changed(self) -> None:
        if self.built("run"):  # a run panel built later reads the agents then
            self._set_agents(self.run_panel)

    def _set_agents(self, panel: RunPanel) -> None:
        doc = self.window.controller.document
        agents = sorted(n.id for n in doc.nodes.values() if isinstance(n, m.Agent))
        panel.set_agents(agents, doc.meta.entry[0] if doc.meta.entry else None)

    # ------------------------------------------------------------ live runs

    def run_from_menu(self) -> None:
        self.show_dock("run")
        if self.run_panel.run_button.isEnabled():
            self.run_panel.run_button.click()
        else:
            self.run_panel.task.setFocus()

    def start_run(self, entry: str, task: str, max_usd: float | None) -> None:
        controller = self.window.controller
        path = controller.path
        from designer.oversight.live import RunOverlay
        from designer.run_bridge import RunRequest

        request = RunRequest(controller.document.content(), task, entry or None, max_usd,
                             str(path) if path else None, str(path.parent) if path else None)
        self.overlay = RunOverlay()
        self.live = True
        if self.built("replay"):
            self.replay.stop()
        self.transcript.clear()
        self.approvals.clear()
        self.run_panel.set_running(True, "Starting (reading the key, opening the journal)…")
        self.bridge.start(request)

    def stop(self) -> None:
        if self._active_runs() or (self.built("run") and self.run_panel.running):
            self.run_panel.state.setText("Stopping: cancelling everything in flight…")
            self.bridge.stop()

    def _on_refused(self, exc: RunNotStarted) -> None:
        self.live = False
        self.run_panel.show_refusal(str(exc), exc.missing_key)
        self.dock("run").show()
        self.dock("run").raise_()
        self.window.status.flash(f"Run not started: {exc}")

    def _on_events(self, batch: list[ev.EngineEvent]) -> None:
        from runtime.engine import events as ev

        steps = False
        for event in batch:
            self.overlay.apply(event)
            if isinstance(event, ev.ApprovalAnswered):
                self.approvals.close_card(event.request_id)
            steps = steps or isinstance(event, ev.ModelCalled)
        self.transcript.add_events(batch)
        self._repaint_overlay()
        o = self.overlay
        if not o.finished:
            self.run_panel.show_progress(o.spent_usd, o.budget_usd, sorted(o.active_agents()))
        if steps and not self._thoughts.isActive():
            self._thoughts.start()  # thinking is read from the journal at most every 1.5 s
        if not self._linger.isActive():
            self._linger.start()

    def _fetch_thinking(self) -> None:
        run_id = self.overlay.run_id
        if run_id:
            self.bridge.query(lambda j: j.load_steps(run_id), self._thinking)

    def _thinking(self, steps: Any) -> None:
        if isinstance(steps, dict):
            self.transcript.set_model_blocks(steps)

    def _repaint_overlay(self) -> None:
        """Light the canvas from the live overlay. After the run, the last edges fade as
        their linger ends (so a fast run's final tool call still shows), then it stops."""
        o = self.overlay
        lit = o.lit_edges(time.time())
        if self.live:
            self.window.scene.set_run_highlight(o.active_agents(), lit)
        self.window.status.set_spend(o.spent_usd, o.budget_usd,
                                     "running" if not o.finished else o.status)
        if o.finished and not lit:
            self._linger.stop()

    def _on_approval(self, request: ApprovalRequest) -> None:
        from designer.panels.approvals import timeout_rule

        self.bridge.flush_now()  # the canvas shows who asks before the card does
        human = self.window.controller.document.nodes.get(request.human)
        rule = timeout_rule(human.on_timeout, human.backup) if isinstance(human, m.Human) \
            else "is denied"
        self.approvals.add(request, rule)
        self.show_dock("approvals")

    def _answer(self, request_id: str, approved: bool, note: str) -> None:
        name = str(self.window.settings.value("user/name", "")) or "designer user"
        if not self.bridge.answer(request_id, approved, f"{name} (designer)", note):
            self.approvals.close_card(request_id)
            self.window.status.flash("That request is no longer waiting")

    def _approvals_count(self, count: int) -> None:
        self.dock("approvals").setWindowTitle(f"Approvals ({count})" if count else "Approvals")

    def _on_finished(self, summary: RunSummary) -> None:
        self.bridge.flush_now()
        text = f"Run {summary.id} {summary.status}"
        if summary.error:
            text += f": {summary.error}"
        self.run_panel.set_running(False, text + ".")
        self.window.status.flash(text)
        self.approvals.clear()
        self._thoughts.stop()
        self._fetch_thinking()
        self.refresh_history()
        self.refresh_dashboard()

    # ------------------------------------------------------------ history and replay

    def _when_shown(self, key: str, refresh: Any) -> bool:
        """True when the dock is on screen; otherwise mark it stale, to refresh when shown
        (a hidden or covered chart is not redrawn while a run streams)."""
        dock = self.dock(key)
        if dock.isVisible() and not dock.widget().visibleRegion().isEmpty():
            return True
        self._stale[key] = refresh
        return False

    def _dock_shown(self, key: str, visible: bool) -> None:
        refresh = self._stale.pop(key, None) if visible else None
        if refresh is not None:
            refresh(force=True)

    def refresh_history(self, force: bool = False) -> None:
        if force or self._when_shown("runs", self.refresh_history):
            self.bridge.query(lambda j: j.list_runs(HISTORY_LIMIT), self._history)

    def _history(self, result: Any) -> None:
        if isinstance(result, Exception):
            self.window.status.flash(f"Cannot read the run journal: {result}")
            return
        self.runs.set_runs(result)

    def refresh_dashboard(self, force: bool = False) -> None:
        if force or self._when_shown("dashboard", self.refresh_dashboard):
            from designer.oversight.stats import journal_stats

            self.bridge.query(journal_stats, self._stats)

    def _stats(self, result: Any) -> None:
        from designer.oversight.stats import OversightStats

        if isinstance(result, OversightStats):
            self.dashboard.show_stats(result)
        else:
            self.window.status.flash(f"Cannot read the run journal: {result}")

    def open_run(self, run_id: str) -> None:
        self.bridge.query(lambda j: (stored_run_events(j, run_id), j.load_steps(run_id)),
                          lambda result: self._opened(run_id, result))

    def _opened(self, run_id: str, result: Any) -> None:
        if isinstance(result, Exception):
            self.window.status.flash(f"Cannot open run {run_id}: {result}")
            return
        events, steps = result
        self.live = False
        self.transcript.clear()
        self.transcript.add_events(events)
        self.transcript.set_model_blocks(steps)
        self.replay.load(run_id, events)
        self.show_dock("replay")

    def _replay_highlight(self, nodes: set[str], edges: set[str]) -> None:
        if not self._active_runs():
            self.window.scene.set_run_highlight(nodes, edges)

    def shutdown(self) -> None:
        self._linger.stop()
        if self.built("replay"):
            self.replay.stop()
        if self._bridge is not None:
            self._bridge.shutdown()


__all__ = ["Oversight", "stored_run_events"]
