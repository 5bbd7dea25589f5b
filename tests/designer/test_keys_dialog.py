"""Settings → API keys, driven through its real widgets over fake keyring backends.

The dialog lists key names (never values) and adds, replaces and deletes keys in an
in-memory keyring, always asking before it overwrites or deletes; it says plainly
when the backend is not a secure store (offering a session-only key or the
ANTHROPIC_API_KEY variable), when the keyring is locked and when it does not
answer, and it never blocks the GUI thread while it waits; Check resolves each
reference of the open roster to ✓ or ✗.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path

import keyring.backends.fail
import keyring.backends.null
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QApplication,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QTreeWidget,
    QWidget,
)

from designer.controller import RosterController
from designer.keys.dialog import ApiKeysDialog
from designer.keys.worker import KeyWorker
from runtime.secrets.keystore import KeyStore, SessionKeys
from tests.conftest import make_anthropic_key
from tests.runtime.keyring_backends import (
    HangingKeyring,
    MemoryKeyring,
    PlaintextKeyring,
    locked_keyring,
    no_keyring,
)

SAMPLE = Path(__file__).resolve().parents[2] / "resources/samples/support-triage.roster.yaml"
SERVICE = "agent-roster"


def widget_texts() -> list[str]:
    """Every text any live widget shows or holds: labels, fields, lists, trees, tips."""
    texts: list[str] = []
    for top in QApplication.topLevelWidgets():
        for widget in [top, *top.findChildren(QWidget)]:
            for attr in ("text", "toPlainText", "windowTitle", "toolTip", "placeholderText"):
                getter = getattr(widget, attr, None)
                value = getter() if callable(getter) else None
                if isinstance(value, str):
                    texts.append(value)
            if isinstance(widget, QListWidget):
                texts += [widget.item(i).text() for i in range(widget.count())]
            if isinstance(widget, QTreeWidget):
                root = widget.invisibleRootItem()
                for i in range(root.childCount()):
                    item = root.child(i)
                    texts += [item.text(c) for c in range(item.columnCount())]
                    texts += [item.toolTip(c) for c in range(item.columnCount())]
    return texts


def shows(secret: str) -> bool:
    return any(secret in text for text in widget_texts())


@pytest.fixture
def memory() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def store(memory: MemoryKeyring) -> KeyStore:
    return KeyStore(backend=memory)


class Questions:
    """Stands in for QMessageBox.question: records each question, gives `answer`."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.answer = QMessageBox.StandardButton.Yes

    def __call__(self, parent, title, text, *args, **kwargs) -> QMessageBox.StandardButton:
        self.asked.append(text)
        return self.answer


@pytest.fixture
def questions(monkeypatch) -> Questions:
    stub = Questions()
    monkeypatch.setattr(QMessageBox, "question", stub)
    return stub


@pytest.fixture
def open_dialog(qtbot) -> Iterator[Callable[..., ApiKeysDialog]]:
    def make(store: KeyStore, **kwargs: object) -> ApiKeysDialog:
        kwargs.setdefault("env", {})
        dialog = ApiKeysDialog(store, **kwargs)  # type: ignore[arg-type]
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog

    yield make


def settle(qtbot, dialog: ApiKeysDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.worker.busy and dialog.state != "busy", timeout=3000)


def names(dialog: ApiKeysDialog) -> list[str]:
    return [dialog.names.item(i).text() for i in range(dialog.names.count())]


def select(dialog: ApiKeysDialog, text: str) -> None:
    (item,) = [dialog.names.item(i) for i in range(dialog.names.count())
               if dialog.names.item(i).text() == text]
    item.setSelected(True)


def enter_key(qtbot, dialog: ApiKeysDialog, value: str, name: str | None = None) -> None:
    entry = dialog.entry
    assert entry is not None and entry.isVisible()
    assert entry.value_edit.echoMode() is QLineEdit.EchoMode.Password
    if name is not None:
        entry.name_edit.setText(name)
    entry.value_edit.setText(value)
    entry.ok_button.click()


# ---------------------------------------------------------------- listing and the backend


def test_it_lists_the_stored_names_and_shows_a_secure_backend(qtbot, store, open_dialog):
    secret = make_anthropic_key()
    store.set("anthropic", secret)
    store.set("payments", make_anthropic_key())

    dialog = open_dialog(store)
    settle(qtbot, dialog)

    assert names(dialog) == ["anthropic", "payments"]
    assert "MemoryKeyring" in dialog.backend_label.text()
    assert dialog.security_label.text().startswith("✓ Secure")
    assert dialog.insecure_box.isHidden()
    assert not shows(secret)


@pytest.mark.parametrize("backend", [
    keyring.backends.fail.Keyring(),
    keyring.backends.null.Keyring(),
    PlaintextKeyring(),
], ids=["fail", "null", "plaintext"])
def test_an_insecure_backend_gets_a_prominent_warning(qtbot, open_dialog, backend):
    dialog = open_dialog(KeyStore(backend=backend))
    settle(qtbot, dialog)

    assert type(backend).__name__ in dialog.backend_label.text()
    assert dialog.state == "insecure"
    assert dialog.insecure_box.isVisible()
    assert "No secure key storage" in dialog.insecure_label.text()
    assert "never written to a plaintext file" in dialog.insecure_label.text()
    assert "ANTHROPIC_API_KEY is not set" in dialog.env_label.text()
    assert not dialog.add_button.isEnabled()
    assert dialog.session_button.isEnabled()
    if isinstance(backend, PlaintextKeyring):
        assert backend.calls == []  # never read, never written


def test_no_keyring_at_all_offers_the_same_choices(qtbot, open_dialog):
    dialog = open_dialog(KeyStore(backend=no_keyring()))
    settle(qtbot, dialog)

    assert dialog.state == "insecure"
    assert dialog.insecure_box.isVisible()
    assert "No secure key storage" in dialog.security_label.text()


def test_a_session_only_key_stays_in_memory(qtbot, open_dialog):
    session = SessionKeys()
    secret = make_anthropic_key()
    dialog = open_dialog(KeyStore(backend=keyring.backends.fail.Keyring()), session=session)
    settle(qtbot, dialog)

    dialog.session_button.click()
    enter_key(qtbot, dialog, secret, name="anthropic")

    assert session.get("anthropic") == secret
    assert names(dialog) == ["anthropic — this session only"]
    assert "keyring:agent-roster/anthropic" in dialog.message.text()
    assert not shows(secret)


def test_the_environment_variable_choice_points_the_roster_at_it(qtbot, open_dialog):
    controller = RosterController()
    controller.open(SAMPLE)
    before = controller.undo_stack.count()
    secret = make_anthropic_key()
    dialog = open_dialog(KeyStore(backend=keyring.backends.null.Keyring()),
                         controller=controller, env={"ANTHROPIC_API_KEY": secret})
    settle(qtbot, dialog)
    assert "ANTHROPIC_API_KEY is set" in dialog.env_label.text()

    dialog.env_button.click()

    assert controller.document.meta.providers["anthropic"].api_key == "env:ANTHROPIC_API_KEY"
    assert controller.undo_stack.count() == before + 1
    assert not shows(secret)


def test_the_settings_menu_opens_the_dialog(qtbot, window, store):
    window.key_store = store
    (action,) = [a for a in window.menuBar().actions() if a.text() == "&Settings"]
    action.menu().actions()[0].trigger()

    dialog = window.api_keys_dialog
    assert dialog.isVisible() and dialog.store is store
    settle(qtbot, dialog)
    assert dialog.state == "ready"


# ---------------------------------------------------------------- add, replace, delete


def test_adding_a_key_stores_it_and_shows_only_its_name(qtbot, caplog, memory, store,
                                                        open_dialog):
    caplog.set_level(logging.DEBUG)
    secret = make_anthropic_key()
    dialog = open_dialog(store)
    settle(qtbot, dialog)

    dialog.add_button.click()
    enter_key(qtbot, dialog, secret + "\n", name="anthropic")  # a pasted trailing newline
    qtbot.waitUntil(lambda: names(dialog) == ["anthropic"], timeout=3000)

    assert memory.store[(SERVICE, "anthropic")] == secret
    assert "Stored the key 'anthropic'" in dialog.message.text()
    assert not shows(secret)
    assert secret not in caplog.text


def test_an_admin_key_is_refused_as_a_runtime_key(qtbot, memory, store, open_dialog):
    dialog = open_dialog(store)
    settle(qtbot, dialog)

    dialog.add_button.click()
    enter_key(qtbot, dialog, make_anthropic_key(admin=True), name="admin")

    assert dialog.entry is not None and dialog.entry.isVisible()
    assert "Admin API key" in dialog.entry.problem.text()
    assert "not for running models" in dialog.entry.problem.text()
    assert memory.calls == [("get", SERVICE, "__index__")]  # the listing, nothing written
    dialog.entry.reject()


def test_replacing_a_key_asks_first(qtbot, memory, store, open_dialog, questions):
    old, new = make_anthropic_key(), make_anthropic_key()
    store.set("anthropic", old)
    dialog = open_dialog(store)
    settle(qtbot, dialog)
    select(dialog, "anthropic")

    questions.answer = QMessageBox.StandardButton.No
    dialog.replace_button.click()
    assert dialog.entry is not None and dialog.entry.name_edit.isReadOnly()
    enter_key(qtbot, dialog, new)
    assert memory.store[(SERVICE, "anthropic")] == old

    questions.answer = QMessageBox.StandardButton.Yes
    dialog.replace_button.click()
    enter_key(qtbot, dialog, new)
    qtbot.waitUntil(lambda: memory.store[(SERVICE, "anthropic")] == new, timeout=3000)

    assert len(questions.asked) == 2
    assert "Replace the key stored as 'anthropic'" in questions.asked[0]
    settle(qtbot, dialog)
    assert not shows(old) and not shows(new)


def test_adding_under_a_stored_name_asks_before_overwriting(qtbot, memory, store, open_dialog,
                                                            questions):
    old = make_anthropic_key()
    store.set("anthropic", old)
    dialog = open_dialog(store)
    settle(qtbot, dialog)
    questions.answer = QMessageBox.StandardButton.No

    dialog.add_button.click()
    enter_key(qtbot, dialog, make_anthropic_key(), name="anthropic")

    assert questions.asked and memory.store[(SERVICE, "anthropic")] == old
    assert dialog.message.text() == "Nothing changed."


def test_deleting_a_key_asks_for_confirmation(qtbot, memory, store, open_dialog, questions):
    controller = RosterController()
    controller.open(SAMPLE)
    store.set("anthropic", make_anthropic_key())
    dialog = open_dialog(store, controller=controller)
    settle(qtbot, dialog)
    select(dialog, "anthropic")

    questions.answer = QMessageBox.StandardButton.No
    dialog.delete_button.click()
    assert (SERVICE, "anthropic") in memory.store

    questions.answer = QMessageBox.StandardButton.Yes
    dialog.delete_button.click()
    qtbot.waitUntil(lambda: names(dialog) == [], timeout=3000)

    assert (SERVICE, "anthropic") not in memory.store
    assert "The open roster uses it (providers.anthropic.api_key)" in questions.asked[0]
    assert "Deleted the key 'anthropic'" in dialog.message.text()


def test_deleting_a_key_someone_else_deleted_is_not_an_error(qtbot, memory, store, open_dialog,
                                                            questions):
    store.set("anthropic", make_anthropic_key())
    dialog = open_dialog(store)
    settle(qtbot, dialog)
    del memory.store[(SERVICE, "anthropic")]
    select(dialog, "anthropic")

    dialog.delete_button.click()
    qtbot.waitUntil(lambda: "already deleted" in dialog.message.text(), timeout=3000)

    assert names(dialog) == []


# ---------------------------------------------------------------- a keyring in trouble


def test_the_worker_runs_calls_off_the_gui_thread_and_answers_on_it(qtbot):
    worker = KeyWorker()
    gui = threading.get_ident()
    seen: list[object] = []
    busy: list[bool] = []
    worker.busy_changed.connect(busy.append)

    worker.run(threading.get_ident, lambda ran_on: seen.append((ran_on, threading.get_ident())))
    worker.run(lambda: 1 / 0, None, lambda exc: seen.append((type(exc), threading.get_ident())))
    qtbot.waitUntil(lambda: len(seen) == 2 and not worker.busy, timeout=2000)

    answers = dict(seen)  # type: ignore[arg-type]
    assert answers.pop(ZeroDivisionError) == gui
    ((ran_on, answered_on),) = answers.items()
    assert ran_on != gui and answered_on == gui
    assert busy == [True, False]


def test_a_hanging_keyring_never_blocks_the_gui_thread(qtbot, open_dialog):
    backend = HangingKeyring(seconds=30)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    try:
        start = time.monotonic()
        dialog = open_dialog(KeyStore(backend=backend, timeout=0.5))
        qtbot.waitUntil(lambda: not dialog.busy.isHidden(), timeout=500)  # a busy state
        qtbot.waitUntil(lambda: "not responding" in dialog.message.text(), timeout=2000)
        elapsed = time.monotonic() - start
    finally:
        timer.stop()
        backend.release()

    gaps = [b - a for a, b in pairwise(ticks)]
    assert elapsed < 1.5
    assert len(ticks) > 20 and max(gaps) < 0.2
    assert dialog.state == "not-responding"
    assert dialog.retry_button.isVisible() and dialog.busy.isHidden()


def test_a_locked_keyring_asks_the_user_to_unlock_it(qtbot, open_dialog):
    dialog = open_dialog(KeyStore(backend=locked_keyring()))
    settle(qtbot, dialog)

    assert dialog.state == "locked"
    assert dialog.message.text().startswith("Your keyring is locked. Unlock it")
    assert dialog.retry_button.isVisible() and not dialog.add_button.isEnabled()


# ---------------------------------------------------------------- checking the open roster


def test_check_resolves_each_reference_of_the_roster(qtbot, store, open_dialog):
    controller = RosterController()
    controller.open(SAMPLE)
    secret = make_anthropic_key()
    store.set("anthropic", secret)
    dialog = open_dialog(store, controller=controller)
    settle(qtbot, dialog)

    dialog.check_button.click()
    qtbot.waitUntil(lambda: "resolve" in dialog.message.text(), timeout=3000)

    rows = {}
    root = dialog.refs.invisibleRootItem()
    for i in range(root.childCount()):
        item = root.child(i)
        rows[item.text(0)] = (item.text(1), item.text(2))
    assert rows["keyring:agent-roster/anthropic"] == ("providers.anthropic.api_key", "✓ stored")
    assert rows["keyring:agent-roster/payments"] == (
        "tools.payments.credential, mcp_servers.payments-mcp.env.PAYMENTS_TOKEN",
        "✗ not stored in the keyring")
    assert rows["keyring:agent-roster/crm"][1].startswith("✗")
    assert dialog.message.text() == "2 of 3 references do not resolve."
    assert not shows(secret)
