"""The welcome page: start from a template or a sample, or reopen a recent file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
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

try:  # libyaml, which the roster reader uses too; PyYAML's own parser where it is missing
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on the PyYAML wheel
    from yaml.loader import SafeLoader as _Parser  # type: ignore[assignment]

PATH_ROLE = Qt.ItemDataRole.UserRole
HEADER_KEYS = ("name", "description")


def read_header(text: str, keys: tuple[str, ...] = HEADER_KEYS) -> dict[str, str]:
    """The top-level string values of `keys` in a YAML document, read from its first events.

    Stops as soon as every key is found (a roster names and describes itself first), so
    a template's header costs microseconds, where the full load (parse, decode, checks,
    secret scan) would cost the designer's start milliseconds per template. Any style
    (block or flow) is read; aliases are not followed. Raises yaml.YAMLError on a syntax
    error before the keys. Opening the template runs the full load.
    """
    parser: Any = _Parser(text)
    found: dict[str, str] = {}
    depth, key, expect_key = 0, None, True
    while len(found) < len(keys):
        event = parser.get_event()
        if isinstance(event, (yaml.StreamEndEvent, yaml.DocumentEndEvent)):
            break
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth == 1 and not isinstance(event, yaml.MappingStartEvent):
                break  # not a mapping at the top: no header
            if depth == 2:  # a collection as a top-level value (or key): consumed whole
                expect_key = not expect_key
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
            if depth == 0:
                break
            continue
        if depth != 1:
            continue
        if expect_key:
            key = event.value if isinstance(event, yaml.ScalarEvent) else None
        elif key in keys and isinstance(event, yaml.ScalarEvent):
            found[key] = event.value
        expect_key = not expect_key
    return found


def _describe(path: Path) -> tuple[str, str]:
    """A template's name and the first line of its description, from its header."""
    try:
        header = read_header(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return path.name, "(cannot be read)"
    first = header.get("description", "").strip().splitlines()
    return header.get("name") or path.name, first[0] if first else ""


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
