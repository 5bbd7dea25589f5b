"""What a run looks like at a moment: the fold of its event stream into an overlay state.

`RunOverlay` consumes engine events (live from the bridge, or replayed from
the journal) and answers the questions the canvas and the status bar ask:
which agents are working now, which edges are in use (a delegation while its
callee works, a tool grant while its call runs, an escalation while a human
is asked), and what the run has spent against its budget. An edge that was
just used stays lit for `LINGER_S` (measured on the events' own clock), so a
tool call that starts and ends between two repaints still shows. The fold is
Qt-free and deterministic, so live view and replay draw the same thing from
the same events. `event_from_record` rebuilds typed events from the journal.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from runtime.engine import events as ev
from runtime.engine.plan import DELEGATE_PREFIX, ESCALATE_PREFIX
from runtime.roster import model as m
from runtime.roster.costs import Usage

LINGER_S = 1.2
_BY_NAME = {t.__name__: t for t in ev.EVENT_TYPES}


def event_from_record(kind: str, data: dict[str, Any]) -> ev.EngineEvent | None:
    """A typed event from a stored journal row (None for an unknown type)."""
    cls = _BY_NAME.get(kind)
    if cls is None:
        return None
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in data.items() if k in names}
    if isinstance(values.get("usage"), dict):
        values["usage"] = Usage(**{k: int(v) for k, v in values["usage"].items()})
    try:
        return cls(**values)
    except TypeError:  # a row written by an older engine without a field we now need
        return None


@dataclass
class RunOverlay:
    """The live state of one run, folded from its events in order."""

    run_id: str = ""
    status: str = "idle"  # idle | running | completed | failed | stopped | limit
    budget_usd: float | None = None
    spent_usd: float = 0.0
    model_calls: int = 0
    error: str = ""
    clock: float = 0.0
    frames: dict[str, str] = field(default_factory=dict)  # working frame -> agent
    in_use: dict[str, str] = field(default_factory=dict)  # handle (call/frame) -> edge id
    used_at: dict[str, float] = field(default_factory=dict)  # edge id -> last used
    visited: set[str] = field(default_factory=set)
    last_agent: str | None = None

    def apply(self, event: ev.EngineEvent) -> None:
        self.clock = max(self.clock, event.at)
        if isinstance(event, ev.RunStarted):
            self.run_id, self.status, self.budget_usd = event.run_id, "running", event.budget_usd
        elif isinstance(event, ev.AgentStarted):
            self.frames[event.frame] = event.agent
            self.visited.add(event.agent)
            self.last_agent = event.agent
        elif isinstance(event, ev.AgentFinished):
            self.frames.pop(event.frame, None)
            self._release(event.frame, event.at)
        elif isinstance(event, ev.ModelCalled):
            self.spent_usd += event.cost_usd
            self.model_calls += 1
            self.last_agent = event.agent
        elif isinstance(event, ev.Delegated):
            self._use(event.frame, m.edge_id(m.EdgeKind.DELEGATION, event.caller, event.callee),
                      event.at)
        elif isinstance(event, ev.ToolCalled):
            self._use(event.call_id, self._tool_edge(event.agent, event.tool), event.at)
        elif isinstance(event, ev.ToolFinished | ev.ToolDenied):
            if isinstance(event, ev.ToolDenied):
                self.used_at[self._tool_edge(event.agent, event.tool)] = event.at
            self._release(event.call_id, event.at)
        elif isinstance(event, ev.ApprovalRequested):
            self._use(event.request_id,
                      m.edge_id(m.EdgeKind.ESCALATION, event.agent, event.human), event.at)
        elif isinstance(event, ev.ApprovalAnswered):
            self._release(event.request_id, event.at)
        elif isinstance(event, ev.RunFinished):
            self.status, self.error = event.status, event.error
            self.spent_usd, self.model_calls = event.cost_usd, event.model_calls
            for handle in list(self.in_use):
                self._release(handle, event.at)
            self.frames.clear()

    def _tool_edge(self, agent: str, tool: str) -> str:
        if tool.startswith(ESCALATE_PREFIX):
            return m.edge_id(m.EdgeKind.ESCALATION, agent, tool.removeprefix(ESCALATE_PREFIX))
        if tool.startswith(DELEGATE_PREFIX):
            return m.edge_id(m.EdgeKind.DELEGATION, agent, tool.removeprefix(DELEGATE_PREFIX))
        return m.edge_id(m.EdgeKind.TOOL_ACCESS, agent, tool)

    def _use(self, handle: str, edge: str, at: float) -> None:
        self.in_use[handle] = edge
        self.used_at[edge] = at

    def _release(self, handle: str, at: float) -> None:
        edge = self.in_use.pop(handle, None)
        if edge is not None:
            self.used_at[edge] = at

    def active_agents(self) -> set[str]:
        return set(self.frames.values())

    def lit_edges(self, now: float | None = None) -> set[str]:
        """Edges in use, plus those used within `LINGER_S` of `now` (default: the last
        event's time)."""
        moment = self.clock if now is None else now
        lit = set(self.in_use.values())
        lit.update(edge for edge, at in self.used_at.items() if moment - at <= LINGER_S)
        return lit

    @property
    def finished(self) -> bool:
        return self.status not in ("idle", "running")


def fold(events: list[ev.EngineEvent]) -> RunOverlay:
    overlay = RunOverlay()
    for event in events:
        overlay.apply(event)
    return overlay


__all__ = ["LINGER_S", "RunOverlay", "event_from_record", "fold"]
