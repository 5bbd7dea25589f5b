"""A dock's stand-in widget that builds the real panel the first time it is on screen.

The designer's cold start pays only for what the first window shows: a dock
whose panel sits behind another tab (simulation, forecast, run, history, ...)
holds a `LazyHost`, which builds the panel when the dock is first raised or
when code first asks for it (`ensure()`). Until then it shows `placeholder`.
With `build_on_show=False` only `ensure()` builds it: for a panel that is on
screen at start but has nothing to show yet (the inspector before a roster
is open).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QPaintEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class LazyHost(QWidget):
    """A dock's widget that builds the real panel on first show (or first `ensure`)."""

    def __init__(self, build: Callable[[], QWidget], parent: QWidget | None = None,
                 placeholder: str = "Loading…", *, build_on_show: bool = True) -> None:
        super().__init__(parent)
        self._build = build
        self._build_on_show = build_on_show
        self.panel: QWidget | None = None
        self._box = QVBoxLayout(self)
        self._box.setContentsMargins(0, 0, 0, 0)
        self._placeholder = QLabel(placeholder)
        self._placeholder.setWordWrap(True)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setEnabled(False)  # greyed, like any empty panel's hint
        self._box.addWidget(self._placeholder)

    def sizeHint(self) -> QSize:
        """The built panel's hint; before, a panel-sized one, so that a dock area's split
        at start does not depend on which of its panels exist yet."""
        return self.panel.sizeHint() if self.panel is not None else QSize(360, 480)

    @property
    def built(self) -> bool:
        return self.panel is not None

    def ensure(self) -> QWidget:
        if self.panel is None:
            self.panel = self._build()
            self._box.removeWidget(self._placeholder)
            self._placeholder.hide()
            self._placeholder.deleteLater()
            self._box.addWidget(self.panel)
            if self.isVisible():
                self.panel.show()  # a child added to a shown widget waits for the event loop
                self._box.activate()
                self.update()  # the whole host: the placeholder's pixels must not linger
        return self.panel

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._build_on_show:
            # Docks are shown and hidden while the window arranges its tab groups at start;
            # build only if this one is still on screen once the event loop settles.
            QTimer.singleShot(0, self._build_if_shown)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._build_on_show and self.panel is None:
            # Painted means on screen, even when the show came before the dock had a size
            # (a tab raised while its dock area was being laid out): build after this paint.
            QTimer.singleShot(0, self._build_if_shown)

    def _build_if_shown(self) -> None:
        if self.panel is None and self.isVisible() and not self.visibleRegion().isEmpty():
            self.ensure()


__all__ = ["LazyHost"]
