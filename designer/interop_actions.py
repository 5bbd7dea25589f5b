"""File → Import / Export for other tools, and the diff view, as menu actions.

Imports (a Claude Code folder, a CrewAI project) open the result the way a
template opens: as a new, unsaved roster through the controller, after the
usual "save changes?" question. Exports (Claude Code, CrewAI, the Markdown
handbook) write what the CLI writes, with the same governance and secret
refusals. "Compare with Saved" and "Compare with File…" show the semantic
diff of the current roster against a file. Every dialog goes through a small
overridable method so tests can answer it. The importers, exporters and the
diff load when their action is first used, not at the designer's start.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from runtime.roster import model as m
from runtime.roster.errors import RosterLoadError
from runtime.roster.io import SecretInRosterError, load_roster

if TYPE_CHECKING:
    from designer.main_window import MainWindow
    from designer.panels.diff_view import DiffDialog
    from runtime.interop.report import ImportReport

LABELS = {"claude-code": "Claude Code", "crewai": "CrewAI"}


class InteropActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.diff_dialog: DiffDialog | None = None
        self.last_report = ""
        act = window._action
        self.act_import_claude = act("&Claude Code Subagents Folder…",
                                     lambda: self.import_dialog("claude-code"))
        self.act_import_crewai = act("Crew&AI Project…", lambda: self.import_dialog("crewai"))
        self.act_export_claude = act("&Claude Code Subagents…",
                                     lambda: self.export_dialog("claude-code"))
        self.act_export_crewai = act("Crew&AI Project…", lambda: self.export_dialog("crewai"))
        self.act_export_handbook = act("&Handbook (Markdown)…", self.handbook_dialog)
        self.act_diff_saved = act("Compare with &Saved", self.diff_with_saved, None,
                                  "What changed in meaning since the last save")
        self.act_diff_file = act("Compare with &File…", self.diff_dialog_file)

    def install(self, file_menu: QMenu, export_menu: QMenu) -> None:
        import_menu = file_menu.addMenu("&Import")
        import_menu.addActions([self.act_import_claude, self.act_import_crewai])
        export_menu.addSeparator()
        export_menu.addActions([self.act_export_claude, self.act_export_crewai,
                                self.act_export_handbook])
        file_menu.addActions([self.act_diff_saved, self.act_diff_file])

    # ------------------------------------------------------------ dialogs (overridable)

    def choose_directory(self, title: str) -> Path | None:
        path = QFileDialog.getExistingDirectory(self.window, title)
        return Path(path) if path else None

    def choose_save_file(self, title: str, suggestion: str, filters: str) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(self.window, title, suggestion, filters)
        return Path(path) if path else None

    def choose_open_file(self, title: str) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self.window, title, "",
                                              "Rosters (*.roster.yaml *.yaml *.yml)")
        return Path(path) if path else None

    def confirm(self, title: str, text: str) -> bool:
        return QMessageBox.question(self.window, title, text) == QMessageBox.StandardButton.Yes

    def show_report(self, title: str, summary: str, report: ImportReport | None) -> None:
        self.last_report = "" if report is None else report.text()
        box = QMessageBox(QMessageBox.Icon.Information, title, summary,
                          QMessageBox.StandardButton.Ok, self.window)
        if self.last_report:
            box.setDetailedText(self.last_report)
        box.open()

    def show_error(self, title: str, text: str) -> None:
        self.last_report = text
        QMessageBox.critical(self.window, title, text)

    # ------------------------------------------------------------ import

    def import_dialog(self, kind: str) -> None:
        folder = self.choose_directory(f"Import {LABELS[kind]}")
        if folder is not None:
            self.import_folder(kind, folder)

    def import_folder(self, kind: str, folder: Path) -> bool:
        """Import and open as a new, unsaved roster; False when nothing was opened."""
        from runtime.interop.claude_import import import_claude_code
        from runtime.interop.crewai_import import import_crewai
        from runtime.interop.report import InteropError

        if not self.window.maybe_save():
            return False
        importer = import_claude_code if kind == "claude-code" else import_crewai
        try:
            content, report = importer(folder)
        except InteropError as exc:
            self.show_error(f"Cannot import {LABELS[kind]}", str(exc))
            return False
        agents = sum(isinstance(n, m.Agent) for n in content.nodes.values())
        if agents == 0:
            self.show_error(f"Nothing imported from {folder}", report.text())
            return False
        self.window.controller.replace_document(content, None)
        refused = len(report.errors)
        note = f"; {refused} file(s) refused (see details)" if refused else ""
        self.show_report(f"Imported {LABELS[kind]}", f"{agents} agent(s) imported from "
                         f"{folder}{note}. Save the roster to keep it.", report)
        return True

    # ------------------------------------------------------------ export

    def _allowed(self) -> bool:
        from runtime.roster.checks.engine import check_roster

        errors = [f for f in check_roster(self.window.controller.document.content())
                  if f.blocking]
        return not errors or self.confirm(
            "Export with errors?", f"The roster has {len(errors)} governance error(s). "
            "Export it anyway?")

    def export_dialog(self, kind: str) -> None:
        folder = self.choose_directory(f"Export to a {LABELS[kind]} folder")
        if folder is not None:
            self.export_folder(kind, folder)

    def export_folder(self, kind: str, folder: Path) -> bool:
        from runtime.interop.claude_export import export_claude_code, write_files
        from runtime.interop.crewai_export import export_crewai

        if not self._allowed():
            return False
        content = self.window.controller.document.content()
        try:
            if kind == "claude-code":
                files, report = export_claude_code(content, folder)
            else:
                files, report = export_crewai(content)
            write_files(files, folder)
        except SecretInRosterError as exc:
            self.show_error("Not exported: a secret is in the roster", str(exc))
            return False
        except OSError as exc:
            self.show_error("Export failed", str(exc))
            return False
        self.show_report(f"Exported {LABELS[kind]}", f"Wrote {len(files)} files into {folder}.",
                         report)
        self.window.status.flash(f"Exported {folder}")
        return True

    def handbook_dialog(self) -> None:
        stem = (self.window.controller.path or Path("roster.roster.yaml")).name.split(".")[0]
        path = self.choose_save_file("Export handbook", f"{stem}-handbook.md",
                                     "Markdown (*.md)")
        if path is not None:
            self.export_handbook(path)

    def export_handbook(self, path: Path) -> bool:
        from runtime.interop.handbook import handbook
        from runtime.roster.atomic import write_atomic

        try:
            write_atomic(path, handbook(self.window.controller.document.content()).encode())
        except OSError as exc:
            self.show_error("Export failed", str(exc))
            return False
        self.window.status.flash(f"Exported {path}")
        return True

    # ------------------------------------------------------------ diff

    def diff_with_saved(self) -> None:
        path = self.window.controller.path
        if path is None:
            self.show_error("Nothing to compare", "This roster has not been saved yet.")
            return
        self.show_diff(path)

    def diff_dialog_file(self) -> None:
        path = self.choose_open_file("Compare with roster")
        if path is not None:
            self.show_diff(path)

    def show_diff(self, other: Path) -> DiffDialog | None:
        """Diff from `other` (the older side) to the roster being edited."""
        from designer.panels.diff_view import DiffDialog
        from runtime.interop.diff import diff

        try:
            old = load_roster(other).content
        except RosterLoadError as exc:
            self.show_error("Cannot compare", str(exc))
            return None
        changes = diff(old, self.window.controller.document.content())
        if self.diff_dialog is None:
            self.diff_dialog = DiffDialog(self.window)
        self.diff_dialog.view.set_changes(changes, other.name, "the roster being edited")
        self.diff_dialog.show()
        self.diff_dialog.raise_()
        return self.diff_dialog
