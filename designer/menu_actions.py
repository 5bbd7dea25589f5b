"""One helper for menus built outside main_window.py: an action with text, slot and shortcut."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget


def menu_action(menu: QMenu, parent: QWidget, text: str, slot: Callable[[], object],
                shortcut: str | None = None) -> QAction:
    """Add an action to `menu` (owned by `parent`, so its shortcut works window-wide)."""
    action = QAction(text, parent)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


__all__ = ["menu_action"]
