"""The contract every generated property editor keeps, and the single-line text editor.

A `PropertyEditor` is a small widget for one `PropSpec`: `set_value(value)`
shows a value from the document without emitting anything, and the
`committed(object)` signal carries the typed value the user chose, None
meaning unset. `LineEditor` is the base of every one-line text editor: a
subclass only says how text parses into a value (raising `ValueError` with a
message for text it must not commit) and how a value formats back to text.
Value widgets ignore the mouse wheel unless focused, so scrolling the
inspector never edits. Editors know nothing of documents or undo.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from runtime.roster.props import PropSpec

IdsProvider = Callable[[str], Sequence[str]]
"""Ids of the nodes in a document section ("humans", "mcp_servers"), for ID_REF editors."""

UNSET = "(unset)"
INVALID_STYLE = "color: #c62828;"


@contextmanager
def quiet(widget: QObject) -> Iterator[None]:
    """Block `widget`'s signals, so showing a document value is never taken for an edit."""
    was_blocked = widget.blockSignals(True)
    try:
        yield
    finally:
        widget.blockSignals(was_blocked)


def wheel_only_with_focus(widget: QWidget, event: QWheelEvent) -> bool:
    """Let the wheel scroll the inspector instead of changing a value the user is not editing."""
    if widget.hasFocus():
        return False
    event.ignore()
    return True


class PropertyEditor(QWidget):
    """One property's editor: `set_value` shows, `committed` reports a user's choice."""

    committed = Signal(object)  # the typed value; None means unset
    secret_pasted = Signal(str)  # the field name; a key was pasted and refused
    # (field name, the refused text holding the key): handed to the paste guard in memory only
    secret_captured = Signal(str, str)

    spans_row = False  # True when the editor carries its own title (a group box)

    def __init__(self, spec: PropSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        # Typing editors fold consecutive commits into one undo step; choices do not.
        self.merges = False
        self.setToolTip(spec.help)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.setSpacing(2)

    @property
    def title(self) -> str:
        return self.spec.title

    def set_value(self, value: Any) -> None:
        raise NotImplementedError


class LineEditor(PropertyEditor):
    """A QLineEdit committing on every edit; text that does not parse shows red, uncommitted."""

    def __init__(self, spec: PropSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.merges = True
        self.problem = ""
        self._value: Any = None
        self.field = QLineEdit(self)
        self.field.setClearButtonEnabled(True)
        self.field.textEdited.connect(self._edited)
        self.box.addWidget(self.field)

    def parse(self, text: str) -> Any:
        """The value `text` stands for; raises ValueError with a message when it is refused."""
        return text or None

    def format(self, value: Any) -> str:
        return "" if value is None else str(value)

    def set_value(self, value: Any) -> None:
        self._value = value
        try:
            if self.parse(self.field.text()) == value:
                # Equal already (say "a, b" against ("a", "b")): keep the user's text and cursor.
                self.show_problem("")
                return
        except ValueError:
            pass
        with quiet(self.field):
            self.field.setText(self.format(value))
        self.show_problem("")

    def show_problem(self, problem: str) -> None:
        self.problem = problem
        self.field.setStyleSheet(INVALID_STYLE if problem else "")
        self.field.setToolTip(problem)

    def _edited(self, text: str) -> None:
        try:
            value = self.parse(text)
        except ValueError as exc:
            self.show_problem(str(exc))
            return
        self.show_problem("")
        self._value = value
        self.committed.emit(value)
