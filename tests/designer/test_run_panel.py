"""Running a roster from the designer, end to end: the run panel, the bridge, the engine.

Every run here goes through the real path: the key is resolved from the
roster's reference, the real Anthropic SDK talks to the loopback Messages-API
server, the real memory tool writes its file, DBOS and the journal record the
run, and the engine's events cross to the UI thread through the bridge.
"""

from __future__ import annotations

import json
import time

from PySide6.QtWidgets import QApplication

from runtime.engine import events as ev
from runtime.roster import model as m
from tests.designer.oversight_support import LEAD, WRITER, Desk, script_happy_path
from tests.messages_server import Msg, thinking, tool_use

DELEGATION = m.edge_id(m.EdgeKind.DELEGATION, "lead", "writer")
GRANT = m.edge_id(m.EdgeKind.TOOL_ACCESS, "writer", "notes")
ESCALATION = m.edge_id(m.EdgeKind.ESCALATION, "writer", "editor")


def collect(desk: Desk) -> list[ev.EngineEvent]:
    seen: list[ev.EngineEvent] = []
    desk.oversight.bridge.events_ready.connect(seen.extend)
    return seen


def test_highlights_follow_the_events_and_the_approval_reaches_the_engine(desk: Desk) -> None:
    script_happy_path(desk.server)
    seen = collect(desk)
    lit: list[set[str]] = []  # the canvas after each batch (this slot runs after the view's)
    desk.oversight.bridge.events_ready.connect(
        lambda batch: lit.append(desk.window.scene.run_highlight()[1]))
    desk.run()
    desk.qtbot.waitUntil(lambda: bool(desk.oversight.approvals.cards), timeout=30_000)
    # while the editor is asked: both agents work, the delegation and the escalation are lit
    nodes, edges = desk.window.scene.run_highlight()
    assert "writer" in nodes and "lead" in nodes
    assert {DELEGATION, ESCALATION} <= edges
    assert GRANT not in edges, "the tool has not been called yet"
    assert desk.window.scene.nodes["writer"].run_state == "active"
    assert desk.window.scene.edges[DELEGATION].active
    assert desk.window.status.spend.isVisibleTo(desk.window)
    assert "of $5.00" in desk.window.status.spend.text()
    assert desk.notes() == "", "the tool must wait for the approval"
    (card,) = desk.oversight.approvals.cards.values()
    card.approve.click()
    summary = desk.wait_finished()
    assert summary.status == "completed"
    assert "Launch is on Friday" in desk.notes(), "the approval reached the engine"
    desk.qtbot.waitUntil(lambda: not desk.oversight.approvals.cards)
    kinds = [type(e).__name__ for e in seen]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished"
    answered = [e for e in seen if isinstance(e, ev.ApprovalAnswered)]
    assert [(a.decision, a.human) for a in answered] == [("approve", "editor")]
    assert answered[0].by.endswith("(designer)")
    assert any(GRANT in edges for edges in lit), "the tool grant lit up when the tool ran"
    # after the run the overlay goes dark again
    desk.qtbot.waitUntil(lambda: desk.window.scene.run_highlight() == (set(), set()),
                         timeout=5_000)


def test_events_arrive_in_batches_in_order(desk: Desk) -> None:
    script_happy_path(desk.server)
    desk.window.oversight.bridge.approval_requested.connect(
        lambda r: desk.oversight.bridge.answer(r.request_id, True, "test"))
    batches: list[list[ev.EngineEvent]] = []
    desk.oversight.bridge.events_ready.connect(batches.append)
    desk.run()
    desk.wait_finished()
    desk.oversight.bridge.flush_now()
    flat = [e for batch in batches for e in batch]
    assert [e.seq for e in flat] == sorted(e.seq for e in flat)
    assert len(batches) < len(flat), "events should be coalesced into fewer deliveries"


def test_deny_with_a_note_goes_back_to_the_agent(desk: Desk) -> None:
    script_happy_path(desk.server)
    desk.run()
    desk.qtbot.waitUntil(lambda: bool(desk.oversight.approvals.cards), timeout=30_000)
    (card,) = desk.oversight.approvals.cards.values()
    assert card.request.tool == "notes" and card.request.risk == "medium"
    assert json.loads(card.arguments.toPlainText())["note"] == "Launch is on Friday"
    card.deny_note.click()  # no note typed yet: nothing is sent
    assert card.approve.isEnabled()
    card.note.setText("Not before the client signs off")
    card.deny_note.click()
    assert desk.wait_finished().status == "completed"
    assert desk.notes() == "", "a denied tool call never runs"
    writer_calls = [b for b in desk.server.bodies() if WRITER in json.dumps(b.get("system"))]
    result = writer_calls[-1]["messages"][-1]["content"][0]
    assert result["type"] == "tool_result" and result["is_error"]
    assert "Not before the client signs off" in result["content"]


def test_an_unanswered_card_follows_the_humans_on_timeout(desk: Desk) -> None:
    desk.reopen(timeout_s=2, on_timeout="deny")
    script_happy_path(desk.server)
    desk.run()
    desk.qtbot.waitUntil(lambda: bool(desk.oversight.approvals.cards), timeout=30_000)
    (card,) = desk.oversight.approvals.cards.values()
    assert "then the request is denied" in card.countdown.text()
    left = card.seconds_left()
    assert left is not None and 0 < left <= 2
    assert desk.wait_finished().status == "completed"
    assert desk.notes() == ""
    assert not desk.oversight.approvals.cards


def test_stop_cancels_everything_within_two_seconds(desk: Desk) -> None:
    desk.server.script.push(Msg([tool_use("agent__writer", {"task": "write forever"})]),
                            system_contains=LEAD)
    desk.server.script.push(Msg("too late", delay_s=30), system_contains=WRITER)
    desk.run()
    desk.qtbot.waitUntil(lambda: "writer" in desk.window.scene.run_highlight()[0],
                         timeout=30_000)
    time.sleep(0.3)  # the writer's model call is in flight on the server
    assert desk.oversight.run_panel.stop_button.isEnabled()
    pressed = time.monotonic()
    desk.oversight.run_panel.stop_button.click()
    summary = desk.wait_finished(timeout_ms=5_000)
    assert time.monotonic() - pressed < 2.0
    assert summary.status == "stopped"
    assert not desk.oversight.run_panel.stop_button.isEnabled()
    assert desk.oversight.run_panel.run_button.isEnabled()


def test_without_a_key_the_panel_says_so_and_opens_api_keys(desk: Desk,
                                                            monkeypatch: object) -> None:
    desk.reopen(key_ref="env:ROSTER_TEST_OVERSIGHT_NO_SUCH_KEY")
    desk.run()
    panel = desk.oversight.run_panel
    desk.qtbot.waitUntil(lambda: panel.key_box.isVisible(), timeout=15_000)
    assert "ROSTER_TEST_OVERSIGHT_NO_SUCH_KEY" in panel.key_message.text()
    assert panel.key_button.isVisible()
    assert panel.run_button.isEnabled() and not panel.running
    panel.key_button.click()
    desk.qtbot.waitUntil(lambda: getattr(desk.window, "api_keys_dialog", None) is not None)
    dialog = desk.window.api_keys_dialog
    assert dialog.isVisible()
    dialog.close()
    QApplication.processEvents()
    assert not desk.server.requests, "nothing may reach the API without a key"


def test_the_transcript_shows_each_agents_steps(desk: Desk) -> None:
    script_happy_path(desk.server)
    desk.oversight.bridge.approval_requested.connect(
        lambda r: desk.oversight.bridge.answer(r.request_id, True, "test"))
    desk.run()
    desk.wait_finished()
    transcript = desk.oversight.transcript
    assert set(transcript.agents()) >= {"lead", "writer"}
    writer = transcript.rows("writer")
    assert writer[0].startswith("▸ started on claude-sonnet-5-5 for lead")
    assert any(r.startswith("→ notes(") and "→ ok" in r for r in writer)
    assert writer[-1].startswith("◂ completed")
    assert any(r.startswith("⇢ delegates to writer") for r in transcript.rows("lead"))
    transcript.show_agent("writer")
    hidden = [transcript.tree.topLevelItem(i).isHidden()
              for i in range(transcript.tree.topLevelItemCount())]
    assert any(hidden) and not all(hidden)


def test_thinking_is_read_from_the_journal_and_stays_collapsed(desk: Desk) -> None:
    desk.server.script.push(
        Msg([thinking("The writer should handle this note."),
             tool_use("agent__writer", {"task": "Save a note: hello"})]),
        Msg("Done."), system_contains=LEAD)
    desk.server.script.push(Msg("Nothing to save."), system_contains=WRITER)
    desk.run()
    desk.wait_finished()
    tree = desk.oversight.transcript.tree

    def thoughts() -> list[object]:
        found = []
        for i in range(tree.topLevelItemCount()):
            row = tree.topLevelItem(i)
            for j in range(row.childCount()):
                if row.child(j).text(1).startswith("thinking ("):
                    found.append(row.child(j))
        return found

    desk.qtbot.waitUntil(lambda: bool(thoughts()), timeout=10_000)
    (thought,) = thoughts()
    assert not thought.isExpanded()
    assert thought.child(0).text(1) == "The writer should handle this note."
