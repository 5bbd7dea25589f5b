"""The two-pane body the planning docks share: controls and results left, views right."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget


def two_panes(owner: QWidget, left: QWidget, right: QWidget,
              stretch: tuple[int, int] = (2, 3)) -> QSplitter:
    """Fill `owner` with a horizontal splitter of `left` and `right` (2:3 by default)."""
    split = QSplitter(Qt.Orientation.Horizontal)
    split.addWidget(left)
    split.addWidget(right)
    split.setStretchFactor(0, stretch[0])
    split.setStretchFactor(1, stretch[1])
    QVBoxLayout(owner).addWidget(split)
    return split
