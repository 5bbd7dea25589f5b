"""Panels that follow the open document without paying for it on every keystroke.

A `DocumentFollower` holds where the document comes from (a callable giving a
snapshot and the file's path) and whether it changed since the panel last
looked. `changed()` marks it stale and, if the panel is visible, schedules a
refresh a moment later (edits in a burst refresh once); `sync()` applies a
fresh snapshot now if stale. A hidden panel costs nothing while the user edits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

from runtime.roster.codec import RosterContent

RosterSource = Callable[[], tuple[RosterContent, Path | None]]
REFRESH_DELAY_MS = 400


class DocumentFollower(QObject):
    def __init__(self, panel: QWidget, apply: Callable[[RosterContent, Path | None], None]
                 ) -> None:
        super().__init__(panel)
        self.panel, self.apply = panel, apply
        self.source: RosterSource | None = None
        self.stale = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_DELAY_MS)
        self._timer.timeout.connect(self.sync)

    def attach(self, source: RosterSource) -> None:
        self.source = source
        self.changed()

    def changed(self) -> None:
        self.stale = True
        if self.panel.isVisible():
            self._timer.start()

    def sync(self) -> bool:
        """Apply a fresh snapshot if the document changed; True if it did."""
        if self.source is None or not self.stale:
            return False
        self.stale = False
        content, path = self.source()
        self.apply(content, path)
        return True
