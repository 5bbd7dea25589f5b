"""The palette: agents, tool kinds, humans and MCP servers to drag onto the canvas.

Each entry starts a real drag (`QDrag`) carrying its palette key in the
canvas's MIME type; the canvas creates the node where it is dropped.
Double-click adds the entry at the centre of the view for keyboard users.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from designer.canvas.view import PALETTE_MIME
from runtime.roster.factory import palette_entries

KEY_ROLE = Qt.ItemDataRole.UserRole


class PalettePanel(QTreeWidget):
    activated_key = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setRootIsDecorated(False)
        self.setIndentation(8)
        groups: dict[str, QTreeWidgetItem] = {}
        for entry in palette_entries():
            group = groups.get(entry.group)
            if group is None:
                group = QTreeWidgetItem(self, [entry.group])
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                groups[entry.group] = group
            item = QTreeWidgetItem(group, [entry.label])
            item.setData(0, KEY_ROLE, entry.key)
            item.setToolTip(0, entry.description)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                          | Qt.ItemFlag.ItemIsDragEnabled)
        self.expandAll()
        self.itemDoubleClicked.connect(self._double_clicked)

    def keys(self) -> list[str]:
        found = []
        for i in range(self.topLevelItemCount()):
            group = self.topLevelItem(i)
            found.extend(group.child(j).data(0, KEY_ROLE) for j in range(group.childCount()))
        return found

    def item_for(self, key: str) -> QTreeWidgetItem | None:
        for i in range(self.topLevelItemCount()):
            group = self.topLevelItem(i)
            for j in range(group.childCount()):
                if group.child(j).data(0, KEY_ROLE) == key:
                    return group.child(j)
        return None

    def mime_for(self, key: str) -> QMimeData:
        mime = QMimeData()
        mime.setData(PALETTE_MIME, key.encode("utf-8"))
        mime.setText(key)
        return mime

    def startDrag(self, supported: Qt.DropAction) -> None:
        item = self.currentItem()
        key = item.data(0, KEY_ROLE) if item is not None else None
        if not key:
            return
        drag = QDrag(self)
        drag.setMimeData(self.mime_for(key))
        drag.exec(Qt.DropAction.CopyAction)

    def _double_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        key = item.data(0, KEY_ROLE)
        if key:
            self.activated_key.emit(key)
