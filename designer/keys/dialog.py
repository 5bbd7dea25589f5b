"""Settings → API keys: see where keys are kept, and add, replace, delete and check them.

`ApiKeysDialog` shows the keyring backend (its name, and a prominent warning when it
is not a secure store, offering a session-only key or the ANTHROPIC_API_KEY variable
instead, never a plaintext file), the NAMES of the stored keys (never a value), and
the credential references the open roster uses with ✓/✗ after Check. Every keyring
call runs on a `KeyWorker` within the store's timeout, so a locked or hung keyring
shows as a message ("Your keyring is locked…", "The keyring is not responding…")
while the window stays responsive. A value is typed into a password field of
`KeyEntryDialog`, taken out of it as soon as the dialog is accepted, and goes only
to the keyring; an Anthropic Admin API key is refused as a runtime key. Deleting or
overwriting a key always asks first. The store (or a factory) is injected.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.controller import RosterController
from designer.keys.worker import (
    ENV_VAR,
    KeyWorker,
    StoreSource,
    check_references,
    describe,
    key_problem,
    make_store,
    roster_references,
)
from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.secrets import keystore as ks
from runtime.secrets.keystore import BackendInfo, SessionKeys
from runtime.secrets.refs import ReferenceSyntaxError, check_name

_WARNING_STYLE: Final = "QFrame#insecure { background: #fff3cd; border: 1px solid #d39e00; }"
_ERROR_STYLE: Final = "color: #c62828;"
_RETRY_STATES: Final = frozenset({"locked", "not-responding", "unavailable", "failed"})
_SESSION: Final = "session"
_KEYRING: Final = "keyring"


class KeyEntryDialog(QDialog):
    """A key name and a value typed into a password field; `take()` empties the field."""

    def __init__(self, parent: QWidget, title: str, action: str, name: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.name_edit = QLineEdit(name or "", self)
        self.name_edit.setReadOnly(name is not None)
        self.name_edit.setPlaceholderText("e.g. anthropic")
        self.value_edit = QLineEdit(self)
        self.value_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.value_edit.setPlaceholderText("paste the key")
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(_ERROR_STYLE)
        self.problem.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Name:", self.name_edit)
        form.addRow("Key:", self.value_edit)
        form.addRow(self.problem)
        form.addRow(self.buttons)
        (self.value_edit if name else self.name_edit).setFocus()

    def accept(self) -> None:
        try:
            check_name(self.name_edit.text().strip())
            problem = key_problem(self.value_edit.text().strip())
        except ReferenceSyntaxError as exc:
            problem = str(exc)
        if problem:
            self.problem.setText(problem)
            self.problem.show()
            return
        super().accept()

    def take(self) -> tuple[str, str]:
        """The name and the value; the value leaves the widget (and its undo history)."""
        value = self.value_edit.text().strip()
        self.value_edit.setText("")
        return self.name_edit.text().strip(), value

    def done(self, result: int) -> None:
        if result != QDialog.DialogCode.Accepted:
            self.value_edit.setText("")
        super().done(result)


class ApiKeysDialog(QDialog):
    """Settings → API keys; every keyring call goes through `self.worker`."""

    def __init__(self, store: StoreSource, parent: QWidget | None = None, *,
                 controller: RosterController | None = None, session: SessionKeys | None = None,
                 env: Mapping[str, str] | None = None, worker: KeyWorker | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("API keys")
        self.store = make_store(store)
        self.controller = controller
        self.session = session if session is not None else SessionKeys(self.store.service)
        self.env = os.environ if env is None else env
        self.worker = worker or KeyWorker(self)
        self.info: BackendInfo | None = None
        self.state = "busy"
        self.stored: list[str] = []
        self.entry: KeyEntryDialog | None = None
        self._build()
        self.worker.busy_changed.connect(lambda _busy: self._update())
        self.resize(620, 560)
        self.refresh()

    # ------------------------------------------------------------ construction

    def _build(self) -> None:
        storage = QGroupBox("Where keys are kept", self)
        self.backend_label = QLabel("…", storage)
        self.backend_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.security_label = QLabel(storage)
        self.security_label.setWordWrap(True)
        self.insecure_box = QFrame(storage)
        self.insecure_box.setObjectName("insecure")
        self.insecure_box.setStyleSheet(_WARNING_STYLE)
        self.insecure_label = QLabel(self.insecure_box)
        self.insecure_label.setWordWrap(True)
        self.env_label = QLabel(self.insecure_box)
        self.session_button = QPushButton("Keep a key for this session…", self.insecure_box)
        self.session_button.clicked.connect(self.add_session_key)
        self.env_button = QPushButton(f"Use env:{ENV_VAR} in this roster", self.insecure_box)
        self.env_button.clicked.connect(self.use_env_reference)
        choices = QHBoxLayout()
        choices.addWidget(self.session_button)
        choices.addWidget(self.env_button)
        choices.addStretch(1)
        box = QVBoxLayout(self.insecure_box)
        box.addWidget(self.insecure_label)
        box.addWidget(self.env_label)
        box.addLayout(choices)
        self.insecure_box.hide()
        form = QFormLayout(storage)
        form.addRow("Backend:", self.backend_label)
        form.addRow(self.security_label)
        form.addRow(self.insecure_box)

        keys = QGroupBox("Stored keys (names only)", self)
        self.names = QListWidget(keys)
        self.names.itemSelectionChanged.connect(self._update)
        self.add_button = QPushButton("Add…", keys)
        self.add_button.clicked.connect(self.add_key)
        self.replace_button = QPushButton("Replace…", keys)
        self.replace_button.clicked.connect(self.replace_key)
        self.delete_button = QPushButton("Delete", keys)
        self.delete_button.clicked.connect(self.delete_key)
        column = QVBoxLayout()
        for button in (self.add_button, self.replace_button, self.delete_button):
            column.addWidget(button)
        column.addStretch(1)
        row = QHBoxLayout(keys)
        row.addWidget(self.names, 1)
        row.addLayout(column)

        refs = QGroupBox("References in the open roster", self)
        self.refs = QTreeWidget(refs)
        self.refs.setHeaderLabels(["Reference", "Used by", "Status"])
        self.refs.setRootIsDecorated(False)
        self.check_button = QPushButton("Check", refs)
        self.check_button.clicked.connect(self.check)
        column = QVBoxLayout(refs)
        column.addWidget(self.refs)
        column.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignRight)

        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)  # indeterminate: a keyring call is pending
        self.busy.setMaximumHeight(8)
        self.busy.setTextVisible(False)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.retry_button = QPushButton("Retry", self)
        self.retry_button.clicked.connect(self.refresh)
        footer = QHBoxLayout()
        footer.addWidget(self.message, 1)
        footer.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignTop)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (storage, keys, refs, self.busy):
            layout.addWidget(widget)
        layout.addLayout(footer)
        layout.addWidget(close)
        self._show_refs({})

    # ------------------------------------------------------------ keyring state

    def refresh(self) -> None:
        """Find the backend, then list the stored names (both on the worker)."""
        self.state = "busy"
        self._say("Looking for the key storage…")
        self.worker.run(self.store.backend_info, self._got_backend, self._failed)

    def _got_backend(self, info: BackendInfo) -> None:
        self.info = info
        self.backend_label.setText(info.name)
        if info.secure:
            self.security_label.setText(f"✓ Secure: {info.reason}.")
            self.insecure_box.hide()
            self.worker.run(self.store.list_names, self._got_names, self._failed)
        else:
            self.security_label.setText(f"⚠ Not a secure store: {info.reason}.")
            self._insecure(f"The keyring backend is not a secure store ({info.reason}).")

    def _insecure(self, why: str) -> None:
        self.state = "insecure"
        self.stored = []
        is_set = bool(self.env.get(ENV_VAR))
        self.insecure_label.setText(
            f"<b>⚠ No secure key storage is available.</b> {why} Keys are never written to "
            "a plaintext file. You can keep a key in memory for this run of the app only (it "
            f"is forgotten when you quit), or set {ENV_VAR} in the environment before "
            f"starting the designer and use env:{ENV_VAR} in the roster.")
        self.env_label.setText(f"{ENV_VAR} is {'set' if is_set else 'not set'} in this "
                               "environment.")
        self.insecure_box.show()
        self._say("Keys cannot be stored in the keyring here; see the warning above.")
        self._show_names()

    def _got_names(self, names: list[str]) -> None:
        self.state = "ready"
        self.stored = list(names)
        self._show_names()
        self._say(f"{len(names)} key{'' if len(names) == 1 else 's'} stored in keyring service "
                  f"{self.store.service!r}.")

    def _failed(self, exc: Exception) -> None:
        error = describe(exc)
        if isinstance(exc, ks.NoSecureBackend):
            self.backend_label.setText(self.info.name if self.info else "none")
            self.security_label.setText(f"⚠ {error.headline}")
            self._insecure(error.detail)
            return
        self.state = error.state
        self._say(error.text, error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(_ERROR_STYLE if error else "")
        self._update()

    def _update(self) -> None:
        idle = not self.worker.busy
        kind, _name = self._selected()
        self.busy.setVisible(not idle)
        self.add_button.setEnabled(idle and self.state == "ready")
        usable = kind == _SESSION or (kind == _KEYRING and self.state == "ready")
        self.replace_button.setEnabled(idle and usable)
        self.delete_button.setEnabled(idle and usable)
        self.check_button.setEnabled(idle and self.controller is not None)
        self.env_button.setEnabled(self.controller is not None)
        self.retry_button.setVisible(idle and self.state in _RETRY_STATES)

    def _show_names(self) -> None:
        self.names.clear()
        rows = [(n, _KEYRING, n) for n in self.stored]
        rows += [(f"{n} — this session only", _SESSION, n) for n in self.session.list_names()]
        for text, kind, name in rows:
            item = QListWidgetItem(text, self.names)
            item.setData(Qt.ItemDataRole.UserRole, (kind, name))
        self._update()

    def _selected(self) -> tuple[str | None, str]:
        items = self.names.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else (None, "")

    # ------------------------------------------------------------ add, replace, delete

    def add_key(self) -> None:
        self._enter("Add an API key", "Store in keyring", None, _KEYRING)

    def add_session_key(self) -> None:
        self._enter("Keep a key for this session", "Keep for this session", None, _SESSION)

    def replace_key(self) -> None:
        kind, name = self._selected()
        if kind is not None:
            self._enter(f"Replace the key {name!r}", "Replace", name, kind)

    def _enter(self, title: str, action: str, name: str | None, kind: str) -> None:
        self.entry = KeyEntryDialog(self, title, action, name)
        self.entry.accepted.connect(lambda dialog=self.entry: self._entered(dialog, kind))
        self.entry.finished.connect(lambda _code, dialog=self.entry: self._forget(dialog))
        self.entry.open()

    def _forget(self, dialog: KeyEntryDialog) -> None:
        if self.entry is dialog:
            self.entry = None
        dialog.deleteLater()

    def _entered(self, dialog: KeyEntryDialog, kind: str) -> None:
        name, value = dialog.take()
        existing = self.session.list_names() if kind == _SESSION else self.stored
        if name in existing and not self._confirm(
                "Replace key", f"Replace the key stored as {name!r}? Its current value is "
                "overwritten and cannot be recovered."):
            self._say("Nothing changed.")
            return
        if kind == _SESSION:
            self.session.set(name, value)
            self._show_names()
            self._say(f"Keeping the key {name!r} in memory until you quit; use "
                      f"keyring:{self.session.service}/{name} in the roster.")
            return
        self._say(f"Storing the key {name!r}…")
        store = self.store
        self.worker.run(lambda: store.set(name, value),
                        lambda _none: self._changed(f"Stored the key {name!r}."), self._failed)

    def delete_key(self) -> None:
        kind, name = self._selected()
        if kind is None:
            return
        service = self.session.service if kind == _SESSION else self.store.service
        used = self._roster_refs().get(f"keyring:{service}/{name}", [])
        note = f" The open roster uses it ({', '.join(used)})." if used else ""
        where = "this session's keys" if kind == _SESSION else "the keyring"
        if not self._confirm("Delete key", f"Delete the key {name!r} from {where}?{note} "
                             "This cannot be undone."):
            return
        if kind == _SESSION:
            self.session.delete(name)
            self._show_names()
            self._say(f"Forgot the session key {name!r}.")
            return
        self._say(f"Deleting the key {name!r}…")
        store = self.store
        self.worker.run(lambda: store.delete(name),
                        lambda _none: self._changed(f"Deleted the key {name!r}."),
                        lambda exc: self._delete_failed(name, exc))

    def _delete_failed(self, name: str, exc: Exception) -> None:
        if isinstance(exc, ks.KeyNotFound):  # already gone: what the user wanted
            self._changed(f"The key {name!r} was already deleted.")
        else:
            self._failed(exc)

    def _changed(self, done: str) -> None:
        self._say(done)
        self.worker.run(self.store.list_names, lambda names: self._listed(names, done),
                        self._failed)

    def _listed(self, names: list[str], done: str) -> None:
        self._got_names(names)
        self._say(done)

    def _confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(
            self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    # ------------------------------------------------------------ the open roster

    def _roster_refs(self) -> dict[str, list[str]]:
        return {} if self.controller is None else roster_references(self.controller.document)

    def check(self) -> None:
        """Resolve every reference of the open roster on the worker; show ✓ or ✗ each."""
        refs = self._roster_refs()
        self._show_refs({ref: (False, "checking…", "") for ref in refs}, pending=True)
        store, session, env = self.store, self.session, dict(self.env)
        self._say("Checking the roster's references…")
        self.worker.run(lambda: check_references(refs, store, session, env),
                        self._checked, self._failed)

    def _checked(self, results: dict[str, tuple[bool, str, str]]) -> None:
        self._show_refs(results)
        missing = sum(not ok for ok, _status, _detail in results.values())
        self._say("Every reference resolves." if not missing else
                  f"{missing} of {len(results)} references do not resolve.", error=bool(missing))

    def _show_refs(self, results: Mapping[str, tuple[bool, str, str]],
                   pending: bool = False) -> None:
        self.refs.clear()
        places = self._roster_refs()
        for ref in sorted(places):
            ok, status, detail = results.get(ref, (False, "", ""))
            mark = "" if pending or ref not in results else ("✓ " if ok else "✗ ")
            item = QTreeWidgetItem(self.refs, [ref, ", ".join(places[ref]), mark + status])
            item.setToolTip(2, detail)
        for column in range(2):
            self.refs.resizeColumnToContents(column)

    def use_env_reference(self) -> None:
        """Point the Anthropic provider at env:ANTHROPIC_API_KEY (one undo step)."""
        if self.controller is None:
            return
        providers = dict(self.controller.document.meta.providers)
        provider = providers.get("anthropic") or m.Provider()
        providers["anthropic"] = dataclasses.replace(provider, api_key=f"env:{ENV_VAR}")
        self.controller.set_property(e.ROSTER, "providers", providers, merge=False)
        self._show_refs({})
        self._say(f"The roster now reads the key from env:{ENV_VAR}.")
