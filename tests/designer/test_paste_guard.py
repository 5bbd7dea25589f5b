"""Paste detection in the main window: a pasted key is offered a move into the keyring.

A key pasted into a key-reference field or into an agent's instructions never
reaches the document. The guard asks to store it in the keyring under a suggested
name; on Store the key lands in the (in-memory) keyring and the field gets the
reference, or the text loses the key, as one undo step; on Cancel nothing is
stored and nothing changes. The key is never shown, logged or saved.
"""

from __future__ import annotations

import logging
from pathlib import Path

import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from designer.keys.paste import PasteGuard, suggest_name
from runtime.roster import model as m
from runtime.secrets.keystore import KeyStore
from tests.conftest import make_anthropic_key
from tests.designer.test_keys_dialog import Questions, shows
from tests.runtime.keyring_backends import MemoryKeyring, locked_keyring

SERVICE = "agent-roster"
API_KEY = "providers.anthropic.api_key"


@pytest.fixture
def memory(window) -> MemoryKeyring:
    backend = MemoryKeyring()
    window.key_store = KeyStore(backend=backend)
    return backend


@pytest.fixture
def questions(monkeypatch) -> Questions:
    stub = Questions()
    monkeypatch.setattr(QMessageBox, "question", stub)
    return stub


def paste(qtbot, field: QWidget, text: str) -> None:
    """Put `text` on the clipboard and press Ctrl+V in `field` (at its end)."""
    clipboard = QApplication.clipboard()
    clipboard.setText(text)
    try:
        field.setFocus()
        if hasattr(field, "moveCursor"):
            field.moveCursor(QTextCursor.MoveOperation.End)
        else:
            field.selectAll()
        qtbot.keyClick(field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    finally:
        clipboard.clear()


def prompt_of(qtbot, window):
    guard: PasteGuard = window.paste_guard
    qtbot.waitUntil(lambda: guard.prompt is not None and guard.prompt.isVisible(), timeout=2000)
    return guard.prompt


def instructions(window, agent_id: str) -> str:
    node = window.controller.document.nodes[agent_id]
    assert isinstance(node, m.Agent)
    return node.instructions


def api_key(window) -> str | None:
    return window.controller.document.meta.providers["anthropic"].api_key


def test_a_key_pasted_into_a_key_field_moves_to_the_keyring(qtbot, caplog, window, memory,
                                                            roster_copy: Path):
    caplog.set_level(logging.DEBUG)
    window.inspector.show_selection([])
    editor = window.inspector.editor(API_KEY)
    before = window.controller.undo_stack.count()
    secret = make_anthropic_key()

    paste(qtbot, editor.field, secret)
    prompt = prompt_of(qtbot, window)

    assert prompt.name_edit.text() == "anthropic"
    assert prompt.message.text().startswith(
        "This looks like an Anthropic API key (sk-ant-api03-…(108 chars)). Keys never go "
        "into a roster file. Store it in the keyring as anthropic and put "
        "keyring:agent-roster/anthropic in providers.anthropic.api_key?")
    prompt.name_edit.setText("anthropic-main")
    assert "keyring:agent-roster/anthropic-main" in prompt.message.text()
    prompt.store_button.click()
    qtbot.waitUntil(lambda: window.paste_guard.prompt is None, timeout=3000)

    assert memory.store[(SERVICE, "anthropic-main")] == secret
    assert api_key(window) == "keyring:agent-roster/anthropic-main"
    assert editor.field.text() == "keyring:agent-roster/anthropic-main"
    assert editor.warning.isHidden()
    assert window.controller.undo_stack.count() == before + 1
    assert not shows(secret) and secret not in caplog.text

    window.controller.undo_stack.undo()
    assert api_key(window) == "keyring:agent-roster/anthropic"

    window.controller.undo_stack.redo()
    assert window.save()
    saved = roster_copy.read_text(encoding="utf-8")
    assert secret not in saved and "keyring:agent-roster/anthropic-main" in saved


def test_a_key_pasted_into_instructions_moves_and_leaves_the_text(qtbot, window, memory,
                                                                 roster_copy: Path):
    window.inspector.show_selection(["triage"])
    field = window.inspector.editor("instructions").field
    original = instructions(window, "triage")
    before = window.controller.undo_stack.count()
    secret = make_anthropic_key()

    paste(qtbot, field, f"Use the API key {secret} for calls.")
    assert secret not in field.toPlainText()  # taken out at once, before any question
    assert instructions(window, "triage") == original
    prompt = prompt_of(qtbot, window)
    assert prompt.message.text().endswith(
        "Store it in the keyring as anthropic and remove it from agents.triage.instructions?")
    prompt.store_button.click()
    qtbot.waitUntil(lambda: window.paste_guard.prompt is None, timeout=3000)

    assert memory.store[(SERVICE, "anthropic")] == secret
    assert instructions(window, "triage") == original + "Use the API key  for calls."
    assert field.toPlainText() == original + "Use the API key  for calls."
    assert window.controller.undo_stack.count() == before + 1
    assert not shows(secret)

    assert window.save()
    assert secret not in roster_copy.read_text(encoding="utf-8")


def test_a_key_already_in_the_text_leaves_the_field_editable(qtbot, window, memory):
    old, new = make_anthropic_key(), make_anthropic_key()
    window.controller.set_property("triage", "instructions", f"Old key {old}.\n", merge=False)
    window.inspector.show_selection(["triage"])
    field = window.inspector.editor("instructions").field
    field.setFocus()
    field.moveCursor(QTextCursor.MoveOperation.End)

    qtbot.keyClicks(field, "Be brief.")
    assert instructions(window, "triage") == f"Old key {old}.\nBe brief."
    assert window.paste_guard.prompt is None

    paste(qtbot, field, new)
    prompt_of(qtbot, window).store_button.click()
    qtbot.waitUntil(lambda: window.paste_guard.prompt is None, timeout=3000)

    assert memory.store[(SERVICE, "anthropic")] == new  # the pasted key, not the old one
    assert instructions(window, "triage") == f"Old key {old}.\nBe brief."


def test_a_second_pasted_key_never_reaches_the_text(qtbot, window, memory):
    window.inspector.show_selection(["triage"])
    field = window.inspector.editor("instructions").field
    original = instructions(window, "triage")
    first, second = make_anthropic_key(), make_anthropic_key()
    flashes: list[str] = []
    window.paste_guard.finished.connect(flashes.append)

    paste(qtbot, field, f"{first} and {second}")
    prompt_of(qtbot, window).store_button.click()
    qtbot.waitUntil(lambda: window.paste_guard.prompt is None, timeout=3000)

    assert memory.store[(SERVICE, "anthropic")] == first
    assert instructions(window, "triage") == original
    assert "held another key" in flashes[-1]
    assert not shows(first) and not shows(second)


@pytest.mark.parametrize(("selection", "key"), [([], API_KEY), (["triage"], "instructions")])
def test_declining_stores_nothing_and_changes_nothing(qtbot, window, memory, selection, key):
    window.inspector.show_selection(selection)
    editor = window.inspector.editor(key)
    saved = window.controller.document.content()
    before = window.controller.undo_stack.count()
    secret = make_anthropic_key()

    paste(qtbot, editor.field, secret)
    prompt_of(qtbot, window).cancel_button.click()

    assert window.paste_guard.prompt is None
    assert not [call for call in memory.calls if call[0] == "set"] and memory.store == {}
    assert window.controller.document.content() == saved
    assert window.controller.undo_stack.count() == before
    assert not shows(secret)


def test_a_stored_name_is_not_overwritten_without_asking(qtbot, window, memory, questions):
    old = make_anthropic_key()
    window.key_store.set("anthropic", old)
    window.inspector.show_selection([])
    questions.answer = QMessageBox.StandardButton.No

    paste(qtbot, window.inspector.editor(API_KEY).field, make_anthropic_key())
    prompt = prompt_of(qtbot, window)
    prompt.store_button.click()
    qtbot.waitUntil(lambda: "choose another name" in prompt.problem.text(), timeout=3000)

    assert "A key named 'anthropic' is already in the keyring" in questions.asked[0]
    assert memory.store[(SERVICE, "anthropic")] == old
    prompt.cancel_button.click()


def test_without_a_secure_store_the_key_can_be_kept_for_the_session(qtbot, window):
    window.key_store = KeyStore(backend=keyring.backends.fail.Keyring())
    window.inspector.show_selection(["payments"])
    secret = make_anthropic_key()

    paste(qtbot, window.inspector.editor("credential").field, secret)
    prompt = prompt_of(qtbot, window)
    assert prompt.name_edit.text() == "payments"
    prompt.store_button.click()
    qtbot.waitUntil(lambda: prompt.session_button.isVisible(), timeout=3000)
    assert prompt.problem.text().startswith("No secure key storage is available.")
    prompt.session_button.click()

    assert window.session_keys.get("payments") == secret
    assert window.controller.document.nodes["payments"].credential == (
        "keyring:agent-roster/payments")
    assert not shows(secret)


def test_a_locked_keyring_is_reported_in_the_prompt(qtbot, window):
    window.key_store = KeyStore(backend=locked_keyring())
    window.inspector.show_selection([])
    paste(qtbot, window.inspector.editor(API_KEY).field, make_anthropic_key())
    prompt = prompt_of(qtbot, window)

    prompt.store_button.click()
    qtbot.waitUntil(lambda: "locked" in prompt.problem.text(), timeout=3000)

    assert prompt.store_button.text() == "Retry" and prompt.session_button.isHidden()
    assert api_key(window) == "keyring:agent-roster/anthropic"
    prompt.cancel_button.click()


def test_an_admin_key_is_refused_and_not_stored(qtbot, window, memory):
    window.inspector.show_selection([])
    admin = make_anthropic_key(admin=True)

    paste(qtbot, window.inspector.editor(API_KEY).field, admin)

    notice = window.paste_guard.notice
    assert window.paste_guard.prompt is None
    assert notice is not None and notice.isVisible() and "Admin API key" in notice.text()
    assert memory.store == {} and not shows(admin)
    notice.close()


@pytest.mark.parametrize(("where", "rule", "name"), [
    ("providers.anthropic.api_key", "anthropic-api-key", "anthropic"),
    ("providers.gateway.api_key", "anthropic-api-key", "gateway"),
    ("tools.payments.credential", "github-token", "payments"),
    ("agents.triage.instructions", "anthropic-api-key", "anthropic"),
    ("agents.triage.instructions", "github-token", "github"),
    ("tools.crm.credential", "high-entropy", "crm"),
    ("description", "high-entropy", "key"),
])
def test_the_suggested_name_comes_from_the_field_or_the_key(where, rule, name):
    assert suggest_name(where, rule) == name
