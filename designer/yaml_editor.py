"""Edit a workload or scenario file in place: YAML text checked as you type, saved atomically.

The editor validates with the same loader the CLI uses (`validate` raises a
located `RosterLoadError`), so an error here reads exactly like the CLI's:
file:line:col, what was expected, how to fix it; the offending line is
selected. Save is refused while the text is invalid or holds something that
looks like a secret, and writes through a temporary file and a rename, so a
failed save never tears the old file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from runtime.roster.atomic import write_atomic
from runtime.roster.errors import RosterLoadError
from runtime.secrets.scanner import scan_text

CHECK_DELAY_MS = 300


Validate = Callable[[str], object]
"""Parses the text; raises a located `RosterLoadError` when it is not valid."""


class YamlFileEditor(QDialog):
    saved = Signal(object)  # Path

    def __init__(self, path: Path, text: str, validate: Validate, *, what: str = "file",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path, self.validate, self.what = path, validate, what
        self.setWindowTitle(f"{what.capitalize()} — {path.name}")
        self.resize(720, 640)
        self.editor = QPlainTextEdit(self)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.editor.setFont(font)
        self.editor.setPlainText(text)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{path}</b>"))
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(CHECK_DELAY_MS)
        self._timer.timeout.connect(self.check)
        self.editor.textChanged.connect(self._timer.start)
        self.error: RosterLoadError | None = None
        self.check()

    def check(self) -> bool:
        """Validate the text now; show the first problem. True when it can be saved."""
        text = self.editor.toPlainText()
        self.error = None
        message = ""
        try:
            self.validate(text)
        except RosterLoadError as error:
            self.error = error
            message = str(error)
        if not message:
            hits = scan_text(text)
            if hits:
                line = text.count("\n", 0, hits[0].start) + 1
                message = (f"line {line}: this looks like a secret ({hits[0].description}, "
                           f"{hits[0].redacted()}); keys belong in the OS keyring, "
                           "never in a file")
        ok = not message
        self.problem.setText(f"✓ valid {self.what}" if ok else message)
        self.problem.setStyleSheet("color: #15803d;" if ok else "color: #b91c1c;")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(ok)
        return ok

    def select_error_line(self) -> None:
        if self.error is None or not self.error.line:
            return
        block = self.editor.document().findBlockByNumber(self.error.line - 1)
        cursor = QTextCursor(block)
        cursor.select(QTextCursor.SelectionType.LineUnderCursor)
        self.editor.setTextCursor(cursor)

    def save(self) -> None:
        if not self.check():
            self.select_error_line()
            return
        write_atomic(self.path, self.editor.toPlainText().encode("utf-8"))
        self.saved.emit(self.path)
        self.accept()
