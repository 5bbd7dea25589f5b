"""A dry run's event trace as rows of a sequence diagram.

Each participant (an agent, a tool, a human) is a lane; each row is one
interaction: a delegation (caller → callee), its answer (callee ⇢ caller), a
tool call and its result, a denied tool, an approval request and its answer,
a limit that stopped an agent, and the run's end. Model turns are marks on
their agent's lane. Rows keep the index of their event in the trace, so a
failed expectation can point at its row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from runtime.engine import events as ev
from runtime.engine.plan import DELEGATE_PREFIX, ESCALATE_PREFIX

AGENT, TOOL, HUMAN = "agent", "tool", "human"


@dataclass(frozen=True, slots=True)
class Lane:
    id: str
    kind: str  # agent | tool | human


@dataclass(frozen=True, slots=True)
class Row:
    event_index: int
    source: str  # lane id
    target: str | None  # lane id; None for a mark on `source`'s lane
    label: str
    style: str  # delegate | answer | tool | result | error | denied | ask | decision | limit
    # | model | end


def _short(text: str, width: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class TraceLayout:
    """Lanes in order of first appearance (agents first, then humans, then tools) and rows."""

    def __init__(self, events: Sequence[ev.EngineEvent]) -> None:
        self.rows: list[Row] = []
        seen: dict[str, str] = {}

        def lane(lane_id: str, kind: str) -> str:
            seen.setdefault(lane_id, kind)
            return lane_id

        callers: dict[str, str | None] = {}
        for i, e in enumerate(events):
            if isinstance(e, ev.AgentStarted):
                lane(e.agent, AGENT)
                callers[e.frame] = e.caller
            elif isinstance(e, ev.Delegated):
                self.rows.append(Row(i, lane(e.caller, AGENT), lane(e.callee, AGENT),
                                     _short(e.message) or "delegates", "delegate"))
            elif isinstance(e, ev.AgentFinished):
                caller = callers.get(e.frame)
                if caller:
                    self.rows.append(Row(i, lane(e.agent, AGENT), lane(caller, AGENT),
                                         f"{e.status}: {_short(e.output, 36)}",
                                         "answer" if e.status == "completed" else "error"))
            elif isinstance(e, ev.ModelCalled):
                self.rows.append(Row(i, lane(e.agent, AGENT), None,
                                     f"turn {e.turn} · {e.usage.output_tokens} tok", "model"))
            elif isinstance(e, ev.ToolCalled):
                self.rows.append(Row(i, lane(e.agent, AGENT), lane(e.tool, TOOL), e.tool,
                                     "tool"))
            elif isinstance(e, ev.ToolFinished):
                self.rows.append(Row(i, lane(e.tool, TOOL), lane(e.agent, AGENT),
                                     _short(e.output, 36) or ("ok" if e.ok else "error"),
                                     "result" if e.ok else "error"))
            elif isinstance(e, ev.ToolDenied):
                target = e.tool.removeprefix(DELEGATE_PREFIX).removeprefix(ESCALATE_PREFIX)
                self.rows.append(Row(i, lane(e.agent, AGENT), lane(target, TOOL),
                                     f"denied {e.tool}: {_short(e.reason, 36)}", "denied"))
            elif isinstance(e, ev.ApprovalRequested):
                what = "asks" if e.tool.startswith(ESCALATE_PREFIX) else f"approve {e.tool}?"
                self.rows.append(Row(i, lane(e.agent, AGENT), lane(e.human, HUMAN), what,
                                     "ask"))
                callers[e.request_id] = e.agent
            elif isinstance(e, ev.ApprovalAnswered):
                agent = callers.get(e.request_id)
                if agent:
                    self.rows.append(Row(i, lane(e.human, HUMAN), agent,
                                         e.decision + (f": {_short(e.note, 30)}" if e.note
                                                       else ""), "decision"))
            elif isinstance(e, ev.LimitExceeded):
                if e.agent:
                    self.rows.append(Row(i, lane(e.agent, AGENT), None,
                                         f"limit {e.limit}: {_short(e.detail, 40)}", "limit"))
            elif isinstance(e, ev.RunFinished):
                entry = next((x for x, k in seen.items() if k == AGENT), None)
                if entry:
                    self.rows.append(Row(i, entry, None, f"run {e.status} · ${e.cost_usd:.4f}",
                                         "end" if e.status == "completed" else "limit"))
        order = {AGENT: 0, HUMAN: 1, TOOL: 2}
        self.lanes = [Lane(i, k) for i, k in sorted(seen.items(),
                                                     key=lambda kv: order[kv[1]])]
        position = {lane.id: n for n, lane in enumerate(self.lanes)}
        self.position = position

    def row_of_event(self, event_index: int) -> int | None:
        """The row showing `event_index`, or the first row after it."""
        for n, row in enumerate(self.rows):
            if row.event_index >= event_index:
                return n
        return None
