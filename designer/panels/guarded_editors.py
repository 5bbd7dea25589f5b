"""Editors that gate what reaches the document: key references and free-form YAML objects.

`KeyRefEditor` accepts only credential references (`keyring:SERVICE/NAME`,
`env:VAR`); when the user pastes something the secret scanner takes for a key
it commits nothing, puts the field back, shows why keys never go into a
roster file and emits `secret_pasted`, and `secret_captured` with the refused
text for the paste guard (`key_hits` finds keys in free text for the same
purpose). `YamlEditor` holds an OBJECT without
declared fields (an input schema, an environment) as YAML text and commits on
focus-out only when the text parses to a mapping with no secret in it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QWidget

from designer.panels.editor_base import INVALID_STYLE, LineEditor, PropertyEditor, quiet
from runtime.roster import yaml_read, yaml_write
from runtime.roster.errors import RosterLoadError
from runtime.roster.model import freeze, thaw
from runtime.roster.props import PropSpec
from runtime.secrets.refs import ReferenceSyntaxError, parse_ref
from runtime.secrets.scanner import SecretHit, scan_text, scan_value

SECRET_WARNING = (
    "This looks like an API key. Keys never go into a roster file — store it in the "
    "keyring (Settings → API keys) and use keyring:agent-roster/NAME here."
)


_VAGUE_RULES = frozenset({"keyword-assignment", "high-entropy"})


def key_hits(text: str) -> list[SecretHit]:
    """Keys in free text: a provider's key format, not prose that merely looks random."""
    return [hit for hit in scan_text(text) if hit.rule not in _VAGUE_RULES]


def _warning_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setStyleSheet(INVALID_STYLE)
    label.hide()
    return label


class KeyRefEditor(LineEditor):
    """A credential reference; refuses anything else, and a pasted key above all."""

    def __init__(self, spec: PropSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.field.setPlaceholderText("keyring:agent-roster/NAME or env:VAR")
        self.warning = _warning_label(self)
        self.box.addWidget(self.warning)

    def parse(self, text: str) -> Any:
        if not text:
            return None
        try:
            parse_ref(text)
        except ReferenceSyntaxError as exc:
            raise ValueError(str(exc)) from None  # its message never echoes a long value
        return text

    def _edited(self, text: str) -> None:
        self.warning.hide()
        # Scan even a valid reference: a key pasted after "keyring:agent-roster/" is one.
        if text and scan_text(text):
            # Put the field back so the key is neither on screen nor committed later.
            with quiet(self.field):
                self.field.setText(self.format(self._value))
            self.show_problem("")
            self.warning.setText(SECRET_WARNING)
            self.warning.show()
            self.secret_pasted.emit(self.spec.name)
            self.secret_captured.emit(self.spec.name, text)
            return
        super()._edited(text)

    def set_value(self, value: Any) -> None:
        if value != self._value:  # e.g. the paste guard put a reference here
            self.warning.hide()
        super().set_value(value)


class YamlTextEdit(QPlainTextEdit):
    """A plain text edit that says when the user leaves it (not for its own context menu)."""

    focus_left = Signal()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if event.reason() is not Qt.FocusReason.PopupFocusReason:
            self.focus_left.emit()


class YamlEditor(PropertyEditor):
    """A free-form mapping as YAML text, committed on focus-out when it is a valid mapping."""

    def __init__(self, spec: PropSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.problem = ""
        self._value: Any = None
        self.field = YamlTextEdit(self)
        self.field.setTabChangesFocus(True)
        self.field.setPlaceholderText("key: value")
        self.field.setFixedHeight(self.field.fontMetrics().lineSpacing() * 7 + 12)
        self.field.focus_left.connect(self.commit_text)
        self.error = _warning_label(self)
        self.box.addWidget(self.field)
        self.box.addWidget(self.error)

    def set_value(self, value: Any) -> None:
        if freeze(value) == freeze(self._value):
            return  # unchanged: keep whatever the user is typing, even text not yet valid
        self._value = value
        with quiet(self.field):
            self.field.setPlainText(yaml_write.dumps(thaw(value)) if value else "")
        self._show_problem("")

    def commit_text(self) -> None:
        text = self.field.toPlainText()
        if not text.strip():
            value: Any = None
        else:
            try:
                value = yaml_read.parse(text)
            except RosterLoadError as exc:
                where = f"line {exc.line}: " if exc.line is not None else ""
                self._show_problem(f"Not saved: {where}{exc.message}")
                return
            if not isinstance(value, dict):
                self._show_problem("Not saved: expected a mapping (key: value lines)")
                return
            if scan_value(value):
                self._show_problem(SECRET_WARNING)
                self.secret_pasted.emit(self.spec.name)
                return
        self._show_problem("")
        if freeze(value) != freeze(self._value):
            self._value = value
            self.committed.emit(value)

    def _show_problem(self, problem: str) -> None:
        self.problem = problem
        self.error.setText(problem)
        self.error.setVisible(bool(problem))
