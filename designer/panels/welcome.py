"""The welcome page: start from a template or a sample, or reopen a recent file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from runtime.resources import resource
from runtime.roster.errors import RosterLoadError
from runtime.roster.io import load_roster

PATH_ROLE = Qt.ItemDataRole.UserRole


def _describe(path: Path) -> tuple[str, str]:
    try:
        meta = load_roster(path).content.meta
    except RosterLoadError:
        return path.name, "(cannot be read)"
    first = meta.description.strip().splitlines()
    return meta.name or path.name, first[0] if first else ""


class WelcomePage(QWidget):
    template_requested = Signal(str)  # opens as a new, unsaved roster
    open_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("<h1>Agent Roster</h1><p>Design, govern, simulate and run rosters of AI "
                       "agents. Start from a template or a sample, or open a roster file.</p>")
        title.setWordWrap(True)
        self.templates = QListWidget()
        self.samples = QListWidget()
        self.recent = QListWidget()
        for folder, target in ((resource("templates"), self.templates),
                               (resource("samples"), self.samples)):
            for path in sorted(folder.glob("*.roster.yaml")):
                name, description = _describe(path)
                item = QListWidgetItem(f"{name}\n{description}")
                item.setData(PATH_ROLE, str(path))
                item.setToolTip(str(path))
                target.addItem(item)
        self.templates.itemActivated.connect(
            lambda item: self.template_requested.emit(item.data(PATH_ROLE)))
        self.samples.itemActivated.connect(
            lambda item: self.template_requested.emit(item.data(PATH_ROLE)))
        self.recent.itemActivated.connect(
            lambda item: self.open_requested.emit(item.data(PATH_ROLE)))
        columns = QHBoxLayout()
        for label, widget in (("New from a template", self.templates),
                              ("Samples", self.samples), ("Recent files", self.recent)):
            column = QVBoxLayout()
            column.addWidget(QLabel(f"<b>{label}</b>"))
            column.addWidget(widget)
            columns.addLayout(column)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addWidget(title)
        layout.addLayout(columns, 1)

    def set_recent(self, paths: list[str]) -> None:
        self.recent.clear()
        for path in paths:
            item = QListWidgetItem(f"{Path(path).name}\n{path}")
            item.setData(PATH_ROLE, path)
            self.recent.addItem(item)
        if not paths:
            placeholder = QListWidgetItem("No recent files yet")
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(placeholder)
