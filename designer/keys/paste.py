"""Paste detection: offer to move a key pasted into a roster field into the keyring.

The inspector's editors refuse a pasted key (it never reaches the document) and hand
the refused text to `PasteGuard.offer` as a `CapturedSecret`, in memory only. The
guard opens `MovePrompt` ("This looks like an Anthropic API key. Keys never go into a
roster file. Store it in the keyring as NAME and put keyring:agent-roster/NAME in the
field?") with a name derived from the field. On Store it asks before overwriting a
stored name, stores the key through a `KeyWorker` (the prompt shows a busy state and
any keyring error, offering a session-only key when there is no secure store), then
writes through the field's binding: the reference into a key-reference field, or
the text without the key into a text field, as one undo step. On Cancel nothing is
written anywhere. An Anthropic Admin key is refused. The key is dropped when the
flow ends; only its redacted form is ever shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from designer.keys.worker import ADMIN_REFUSAL, KeyWorker, StoreSource, describe, make_store
from designer.panels.guarded_editors import key_hits
from designer.panels.inspector import CapturedSecret
from runtime.roster.edits import EditError
from runtime.secrets import keystore as ks
from runtime.secrets.keystore import SessionKeys
from runtime.secrets.refs import KeyringRef, ReferenceSyntaxError, check_name, format_ref
from runtime.secrets.scanner import SecretHit, scan_text

_ERROR_STYLE: Final = "color: #c62828;"
_NOT_NAME: Final = re.compile(r"[^A-Za-z0-9._@-]+")


def suggest_name(where: str, rule: str) -> str:
    """A key name for a key found in `where`: the provider or tool it belongs to, else
    the key's vendor ("anthropic"), else "key"."""
    section, _, rest = where.partition(".")
    owner, _, key = rest.rpartition(".")
    if owner and (section == "providers" or (section == "tools" and key == "credential")):
        candidate = owner
    elif rule.startswith("anthropic"):
        candidate = "anthropic"
    else:
        candidate = "" if rule in ("high-entropy", "keyword-assignment") else rule.split("-")[0]
    candidate = _NOT_NAME.sub("-", candidate).strip("-._@")
    try:
        return check_name(candidate)
    except ReferenceSyntaxError:
        return "key"


@dataclass
class _Pending:
    """One key being moved; the only place the key lives while the prompt is open."""

    captured: CapturedSecret = field(repr=False)
    hit: SecretHit
    secret: str = field(repr=False)

    @property
    def remaining(self) -> str:
        """A text field's text without the key."""
        return self.captured.text.replace(self.secret, "")


class MovePrompt(QDialog):
    """Asks for a name and shows progress and errors; the guard drives it."""

    def __init__(self, parent: QWidget, hit: SecretHit, where: str, is_reference: bool,
                 service: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Move the key to the keyring")
        self._hit, self._where, self._is_reference = hit, where, is_reference
        self._service = service
        self.busy_now = False
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.name_edit = QLineEdit(suggest_name(where, hit.rule), self)
        self.name_edit.textChanged.connect(self._show_question)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(_ERROR_STYLE)
        self.problem.hide()
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(8)
        self.busy.hide()
        self.store_button = QPushButton("Store in keyring", self)
        self.store_button.setDefault(True)
        self.session_button = QPushButton("Keep for this session only", self)
        self.session_button.hide()
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addStretch(1)
        for button in (self.session_button, self.store_button, self.cancel_button):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.name_edit)
        layout.addWidget(self.problem)
        layout.addWidget(self.busy)
        layout.addLayout(row)
        self._show_question()

    @property
    def name(self) -> str:
        return self.name_edit.text().strip()

    def _show_question(self) -> None:
        name, where = self.name or "NAME", self._where
        action = (f"put keyring:{self._service}/{name} in {where}" if self._is_reference
                  else f"remove it from {where}")
        self.message.setText(
            f"This looks like {self._hit.description} ({self._hit.redacted()}). Keys never go "
            f"into a roster file. Store it in the keyring as {name} and {action}?")

    def set_busy(self, busy: bool, text: str = "") -> None:
        self.busy_now = busy
        self.busy.setVisible(busy)
        for widget in (self.name_edit, self.store_button, self.session_button,
                       self.cancel_button):
            widget.setEnabled(not busy)
        if busy:
            self.show_problem(text, error=False)

    def show_problem(self, text: str, *, error: bool = True) -> None:
        self.problem.setText(text)
        self.problem.setStyleSheet(_ERROR_STYLE if error else "")
        self.problem.setVisible(bool(text))

    def reject(self) -> None:
        if not self.busy_now:  # a pending store ends within the keyring timeout
            super().reject()


class PasteGuard(QObject):
    """Connect `offer` to `InspectorPanel.secret_captured`; `finished` says what happened."""

    finished = Signal(str)  # a one-line outcome for the status bar; never a value

    def __init__(self, parent: QWidget, store: StoreSource, session: SessionKeys | None = None,
                 worker: KeyWorker | None = None) -> None:
        super().__init__(parent)
        self.window = parent
        self.store_source = store
        self.session = session
        self.worker = worker or KeyWorker(self)
        self.prompt: MovePrompt | None = None
        self.notice: QMessageBox | None = None
        self._pending: _Pending | None = None

    def offer(self, captured: CapturedSecret) -> None:
        text = captured.text
        hits = scan_text(text) if captured.is_reference else key_hits(text)
        # The pasted key, not one a loaded file already held in this text.
        hits = [hit for hit in hits if text[hit.start:hit.end] not in captured.before] or hits
        if not hits:
            return
        if self._pending is not None:
            self.finished.emit("Not moved: finish moving the other key first.")
            return
        hit = hits[0]
        if hit.rule == "anthropic-admin-api-key":
            self._notify("Admin key refused", ADMIN_REFUSAL + " Nothing was stored and the "
                         "field is unchanged.")
            return
        self._pending = _Pending(captured, hit, text[hit.start:hit.end])
        store = make_store(self.store_source)
        self.prompt = MovePrompt(self.window, hit, captured.where, captured.is_reference,
                                 store.service)
        self.prompt.store_button.clicked.connect(lambda: self._store(store))
        self.prompt.session_button.clicked.connect(self._keep_for_session)
        self.prompt.rejected.connect(self._declined)
        self.prompt.open()

    # ------------------------------------------------------------ steps

    def _store(self, store: ks.KeyStore) -> None:
        prompt = self.prompt
        if prompt is None or self._pending is None:
            return
        try:
            name = check_name(prompt.name)
        except ReferenceSyntaxError as exc:
            prompt.show_problem(str(exc))
            return
        prompt.set_busy(True, "Checking the keyring…")
        self.worker.run(store.list_names, lambda names: self._listed(store, name, names),
                        self._failed)

    def _listed(self, store: ks.KeyStore, name: str, names: list[str]) -> None:
        prompt, pending = self.prompt, self._pending
        if prompt is None or pending is None:
            return
        prompt.set_busy(False)
        if name in names and not self._confirm_replace(name, "the keyring"):
            prompt.show_problem("Nothing stored: choose another name.")
            return
        prompt.set_busy(True, f"Storing the key as {name}…")
        secret = pending.secret
        self.worker.run(lambda: store.set(name, secret),
                        lambda _none: self._done(KeyringRef(store.service, name), "keyring"),
                        self._failed)

    def _failed(self, exc: Exception) -> None:
        if self.prompt is None:
            return
        error = describe(exc)
        self.prompt.set_busy(False)
        self.prompt.store_button.setText("Retry")
        offer_session = isinstance(exc, ks.NoSecureBackend) and self.session is not None
        self.prompt.session_button.setVisible(offer_session)
        extra = (" You can keep the key in memory for this session only; it is forgotten "
                 "when you quit.") if offer_session else ""
        self.prompt.show_problem(error.text + extra)

    def _keep_for_session(self) -> None:
        prompt, pending, session = self.prompt, self._pending, self.session
        if prompt is None or pending is None or session is None:
            return
        try:
            name = check_name(prompt.name)
        except ReferenceSyntaxError as exc:
            prompt.show_problem(str(exc))
            return
        if name in session and not self._confirm_replace(name, "this session's keys"):
            return
        session.set(name, pending.secret)
        self._done(KeyringRef(session.service, name), "memory for this session")

    def _done(self, ref: KeyringRef, place: str) -> None:
        pending, prompt = self._pending, self.prompt
        self._pending = None  # the key leaves this object here
        self.prompt = None
        if prompt is not None:
            prompt.set_busy(False)
            prompt.accept()
            prompt.deleteLater()
        if pending is None:
            return
        captured = pending.captured
        value = format_ref(ref) if captured.is_reference else (pending.remaining or None)
        if value and any(value[h.start:h.end] not in captured.before for h in key_hits(value)):
            self.finished.emit(f"Stored the key as {ref}; the pasted text held another key, "
                               f"so {captured.where} was not changed. Paste that key alone.")
            return
        try:
            captured.write(value, False)
        except EditError as exc:
            self.finished.emit(f"Stored the key as {ref}, but {captured.where} was not "
                               f"changed: {exc}")
            return
        shown = f"put {ref} in" if captured.is_reference else "removed it from"
        self.finished.emit(f"Stored the key in {place} as {ref.name} and {shown} "
                           f"{captured.where}.")

    def _declined(self) -> None:
        prompt = self.prompt
        self._pending = None
        self.prompt = None
        if prompt is not None:
            prompt.deleteLater()
        self.finished.emit("Key not moved: nothing was stored and the field is unchanged.")

    # ------------------------------------------------------------ questions

    def _confirm_replace(self, name: str, place: str) -> bool:
        answer = QMessageBox.question(
            self.window, "Replace key", f"A key named {name!r} is already in {place}. Replace "
            "it? Its current value is overwritten and cannot be recovered.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _notify(self, title: str, text: str) -> None:
        self.notice = QMessageBox(QMessageBox.Icon.Warning, title, text,
                                  QMessageBox.StandardButton.Ok, self.window)
        self.notice.open()
        self.finished.emit(f"{title}.")
