"""The main window's file commands: open, templates, save, save as, revert, recent files.

`FileActions` is a mixin of `MainWindow`. It asks before discarding unsaved
work, shows the loader's located message when a file cannot be opened (and
opens nothing), refuses to save a roster holding a secret, and keeps the
recent-files list in QSettings (never in the roster). Reading and writing
themselves are the file service's (`designer/files.py`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

from runtime.roster.errors import RosterLoadError
from runtime.roster.io import SecretInRosterError

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMainWindow, QMenu, QStackedWidget

    from designer.controller import RosterController
    from designer.files import FileService
    from designer.panels.welcome import WelcomePage
    from designer.status import StatusSummary

APP_NAME = "Agent Roster"
FILE_FILTER = "Rosters (*.roster.yaml *.yaml *.yml);;All files (*)"
MAX_RECENT = 10

if TYPE_CHECKING:
    _Base = QMainWindow
else:
    _Base = object


class FileActions(_Base):
    """File menu commands of a `MainWindow` (which provides the attributes below)."""

    settings: QSettings
    controller: RosterController
    files: FileService
    welcome: WelcomePage
    stack: QStackedWidget
    status: StatusSummary
    recent_menu: QMenu

    def recent_files(self) -> list[str]:
        value = self.settings.value("files/recent", [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [p for p in items if Path(p).exists()]

    def _remember(self, path: Path) -> None:
        recent = [str(path), *[p for p in self.recent_files() if p != str(path)]][:MAX_RECENT]
        self.settings.setValue("files/recent", recent)
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_files():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda checked=False, p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(self.recent_menu.actions()))

    def maybe_save(self) -> bool:
        """True when it is fine to discard the current document."""
        if not self.controller.modified:
            return True
        answer = QMessageBox.question(
            self,
            APP_NAME,
            "The roster has unsaved changes. Save them?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def open_dialog(self) -> None:
        start = str(self.controller.path.parent) if self.controller.path else ""
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(self, "Open roster", start, FILE_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        if not self.maybe_save():
            return False
        try:
            if not self.files.open(Path(path)):
                return False
        except RosterLoadError as exc:
            QMessageBox.critical(self, "Cannot open roster", str(exc))
            return False
        self._remember(Path(path))
        return True

    def open_template(self, path: str) -> None:
        """A template opens as a new, unsaved roster."""
        if not self.maybe_save():
            return
        try:
            from runtime.roster.io import load_roster

            loaded = load_roster(path)
        except RosterLoadError as exc:
            QMessageBox.critical(self, "Cannot open template", str(exc))
            return
        self.controller.replace_document(loaded.content, None)

    def new_from_template(self) -> None:
        self.welcome.set_recent(self.recent_files())
        if self.maybe_save():
            self.stack.setCurrentWidget(self.welcome)

    def save(self) -> bool:
        if self.controller.path is None:
            return self.save_as()
        return self._save_to(self.controller.path)

    def save_as(self) -> bool:
        suggestion = str(self.controller.path or "untitled.roster.yaml")
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self, "Save roster", suggestion, FILE_FILTER)
        return bool(path) and self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            if self.files.save(path) is None:
                return False
        except SecretInRosterError as exc:
            QMessageBox.critical(self, "Not saved: a secret is in the roster", str(exc))
            return False
        except OSError as exc:
            QMessageBox.critical(self, "Not saved", f"Could not save {path}: {exc}")
            return False
        self._remember(path)
        self.status.flash(f"Saved {path}")
        return True

    def revert(self) -> None:
        path = self.controller.path
        if path is None:
            return
        if (
            self.controller.modified
            and QMessageBox.question(self, "Revert", "Discard all changes since the last save?")
            != QMessageBox.StandardButton.Yes
        ):
            return
        self.controller.undo_stack.setClean()
        self.open_path(path)


__all__ = ["APP_NAME", "FILE_FILTER", "MAX_RECENT", "FileActions"]
