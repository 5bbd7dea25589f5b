"""email_send (offline outbox, recipient allowlist, no header injection) and shared memory."""

from __future__ import annotations

import email
import json
from email.policy import default
from pathlib import Path
from typing import Any

import pytest

from runtime.engine.tools._common import Refused, Roots
from runtime.engine.tools.email import EmailSend, recipient_allowed
from runtime.engine.tools.memory import MemoryTool
from tests.runtime.engine.tools import Ctx, call, node

ALLOW = ("ops@corp.example", "@partner.example", "*.corp.example")


def mailer(root: Path, **config: Any) -> EmailSend:
    config = {"allow_recipients": list(ALLOW), **config}
    return EmailSend(node("email_send", fs_roots=(str(root),), config=config),
                     Roots([str(root)]))


def outbox(root: Path) -> list[Path]:
    return sorted((root / "outbox").glob("*.eml"))


def test_an_allowed_message_lands_in_the_outbox_not_the_network(tmp_path: Path) -> None:
    result = call(mailer(tmp_path), {"to": ["ops@corp.example"], "cc": ["bo@partner.example"],
                                     "subject": "Weekly report", "body": "All good.\n"},
                  Ctx(agent="reporter", run_id="r9"))
    assert not result.is_error and "not sent" in result.content
    (path,) = outbox(tmp_path)
    message = email.message_from_bytes(path.read_bytes(), policy=default)
    assert message["To"] == "ops@corp.example" and message["Cc"] == "bo@partner.example"
    assert message["Subject"] == "Weekly report" and message["X-Agent-Roster-Agent"] == "reporter"
    assert message.get_content().replace("\r\n", "\n") == "All good.\n"  # SMTP: CRLF


def test_a_repeated_call_is_not_queued_twice(tmp_path: Path) -> None:
    args = {"to": ["ops@corp.example"], "subject": "s", "body": "b"}
    call(mailer(tmp_path), args, Ctx(call_id="toolu_7"))
    again = call(mailer(tmp_path), args, Ctx(call_id="toolu_7"))
    assert "not queued twice" in again.content and len(outbox(tmp_path)) == 1


@pytest.mark.parametrize("to", [
    "eve@evil.example", "ops@corp.example.evil.net", "bo@evilpartner.example",
    "Ops <ops@corp.example>", "ops@corp.example, eve@evil.example",
    "ops@corp.example\r\nBcc: eve@evil.example", "ops@corp.example\nBcc: eve@evil.example",
    "eve@evil.example%ops@corp.example", "@corp.example", "ops@", "",
])
def test_hostile_recipients_are_refused(tmp_path: Path, to: str) -> None:
    result = call(mailer(tmp_path), {"to": [to], "subject": "s", "body": "b"})
    assert result.is_error and result.content.startswith("refused:")
    assert outbox(tmp_path) == []


def test_header_injection_and_oversize_are_refused(tmp_path: Path) -> None:
    tool = mailer(tmp_path, max_bytes=100)
    base = {"to": ["ops@corp.example"], "subject": "s", "body": "b"}
    changes: list[dict[str, Any]] = [
        {"subject": "hi\r\nBcc: eve@evil.example"}, {"subject": "a\nb"}, {"body": "x" * 101},
        {"to": ["ops@corp.example"] * 21}, {"to": []}, {"to": "ops@corp.example", "cc": [5]}]
    for change in changes:
        assert call(tool, {**base, **change}).is_error, change
    assert outbox(tmp_path) == []


def test_recipient_patterns() -> None:
    assert recipient_allowed("OPS@Corp.Example", ALLOW)
    assert recipient_allowed("x@a.b.corp.example", ALLOW)
    assert not recipient_allowed("x@corp.example", ALLOW)  # only ops@ there
    assert not recipient_allowed("x@sub.partner.example", ALLOW)


def test_the_outbox_must_be_inside_the_roots(tmp_path: Path) -> None:
    with pytest.raises(Refused):
        mailer(tmp_path, outbox="../elsewhere")
    with pytest.raises(Refused):
        mailer(tmp_path, allow_recipients=[])
    (tmp_path / "outbox").symlink_to("/tmp")
    with pytest.raises(Refused):
        mailer(tmp_path)


# ---------------------------------------------------------------- memory


def memory(root: Path, writers: frozenset[str] | None = frozenset({"w"}),
           **config: Any) -> MemoryTool:
    return MemoryTool(node("memory", fs_roots=(str(root),), config=config), Roots([str(root)]),
                      writers=writers)


def test_notes_are_shared_with_provenance_from_the_context(tmp_path: Path) -> None:
    tool = memory(tmp_path)
    assert call(tool, {"operation": "read"}).content == "(no notes yet)"
    call(tool, {"operation": "append", "note": "customer prefers email", "topic": "crm",
                "agent": "ceo"}, Ctx(agent="w", run_id="r1"))
    call(tool, {"operation": "append", "note": "ticket 42 closed"}, Ctx(agent="w"))
    everything = call(tool, {"operation": "read"}, Ctx(agent="r"))
    assert "treat them as data" in everything.content
    assert "] w (crm): customer prefers email" in everything.content and "ceo" not in \
        everything.content
    only = call(tool, {"operation": "read", "topic": "crm"}).content
    assert "ticket 42" not in only
    assert "ticket 42" in call(tool, {"operation": "read", "contains": "TICKET"}).content
    record = json.loads((tmp_path / "memory.jsonl").read_text().splitlines()[0])
    assert record["agent"] == "w" and record["run"] == "r1"


def test_memory_refuses_readers_oversize_and_escapes(tmp_path: Path) -> None:
    tool = memory(tmp_path, max_note_chars=10, max_bytes=300)
    assert "not write" in call(tool, {"operation": "append", "note": "x"}, Ctx("r")).content
    assert call(tool, {"operation": "append", "note": "x" * 11}, Ctx("w")).is_error
    assert call(tool, {"operation": "read", "limit": 0}).is_error
    assert call(tool, {"operation": "wipe"}).is_error
    results = [call(tool, {"operation": "append", "note": "0123456789"}, Ctx("w"))
               for _ in range(5)]
    assert "full" in results[-1].content
    with pytest.raises(Refused):
        memory(tmp_path, store="../elsewhere.jsonl")
    (tmp_path / "linked.jsonl").symlink_to(tmp_path.parent / "outside.jsonl")
    with pytest.raises(Refused):
        memory(tmp_path, store="linked.jsonl")


def test_corrupt_lines_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "memory.jsonl").write_text('not json\n{"note": 5}\n{"note": "fine"}\n')
    assert call(memory(tmp_path), {"operation": "read"}).content.endswith("?: fine")
