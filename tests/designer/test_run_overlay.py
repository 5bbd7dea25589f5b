"""The run overlay fold: what the canvas lights for a sequence of engine events."""

from __future__ import annotations

import dataclasses
import json

from designer.oversight.live import LINGER_S, RunOverlay, event_from_record, fold
from runtime.engine import events as ev
from runtime.engine.journal import dumps
from runtime.roster import model as m
from runtime.roster.costs import Usage

DELEGATION = m.edge_id(m.EdgeKind.DELEGATION, "lead", "writer")
GRANT = m.edge_id(m.EdgeKind.TOOL_ACCESS, "writer", "notes")


def story() -> list[ev.EngineEvent]:
    r = "run1"
    return [
        ev.RunStarted(run_id=r, seq=1, at=100.0, roster="Desk", task="t", entry="lead",
                      budget_usd=2.0),
        ev.AgentStarted(run_id=r, seq=2, at=100.0, agent="lead", model="m", depth=0,
                        caller=None, task="t", frame="lead"),
        ev.ModelCalled(run_id=r, seq=3, at=101.0, agent="lead", frame="lead", model="m",
                       turn=1, usage=Usage(10, 5), cost_usd=0.25, stop_reason="tool_use",
                       duration_s=1.0),
        ev.Delegated(run_id=r, seq=4, at=101.0, caller="lead", callee="writer",
                     frame="lead/writer@c1", call_id="c1", message="go"),
        ev.AgentStarted(run_id=r, seq=5, at=101.0, agent="writer", model="m", depth=1,
                        caller="lead", task="go", frame="lead/writer@c1"),
        ev.ToolCalled(run_id=r, seq=6, at=102.0, agent="writer", frame="lead/writer@c1",
                      tool="notes", call_id="c2", arguments={"note": "x"}),
        ev.ToolFinished(run_id=r, seq=7, at=102.5, agent="writer", frame="lead/writer@c1",
                        tool="notes", call_id="c2", ok=True, output="ok", duration_s=0.5),
        ev.AgentFinished(run_id=r, seq=8, at=110.0, agent="writer", frame="lead/writer@c1",
                         status="completed", output="done", cost_usd=0.0),
    ]


def test_working_agents_and_edges_in_use_are_lit() -> None:
    events = story()
    overlay = fold(events[:6])
    assert overlay.active_agents() == {"lead", "writer"}
    assert overlay.lit_edges() == {DELEGATION, GRANT}
    assert (overlay.spent_usd, overlay.budget_usd, overlay.status) == (0.25, 2.0, "running")


def test_a_finished_tool_call_lingers_then_goes_dark() -> None:
    overlay = fold(story()[:7])
    assert GRANT in overlay.lit_edges(now=102.5 + LINGER_S / 2)
    assert GRANT not in overlay.lit_edges(now=102.5 + LINGER_S * 2)
    assert DELEGATION in overlay.lit_edges(now=200.0), "the writer is still working"


def test_a_finished_delegate_releases_its_edge() -> None:
    overlay = fold(story())
    assert overlay.active_agents() == {"lead"}
    assert DELEGATION not in overlay.lit_edges(now=200.0)


def test_events_round_trip_through_the_journals_json() -> None:
    for event in story():
        data = json.loads(dumps({f.name: getattr(event, f.name)
                                 for f in dataclasses.fields(event)}))
        assert event_from_record(type(event).__name__, data) == event
    assert event_from_record("SomethingNew", {}) is None


def test_an_empty_overlay_is_idle() -> None:
    overlay = RunOverlay()
    assert not overlay.finished and overlay.active_agents() == set()
