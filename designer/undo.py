"""The thin QUndoCommand adapter over core edits.

`EditCommand.redo` applies the edit to the document and keeps the inverse;
`undo` applies the inverse (and keeps the forward edit it returns), so undo
emits exactly the same kind of events as do. Commands with the same merge key
fold into one undo step: consecutive typing in one field, consecutive
keyboard nudges of the same selection.
"""

from __future__ import annotations

from collections.abc import Hashable

from PySide6.QtGui import QUndoCommand

from runtime.roster.document import Document
from runtime.roster.edits import Edit

MERGE_ID = 0x524F53  # any constant; only commands with a merge key use it


class EditCommand(QUndoCommand):
    def __init__(
        self, document: Document, edit: Edit, text: str, merge_key: Hashable | None = None
    ) -> None:
        super().__init__(text)
        self._document = document
        self._edit = edit
        self._inverse: Edit | None = None
        self._merge_key = merge_key

    @property
    def merge_key(self) -> Hashable | None:
        return self._merge_key

    def redo(self) -> None:
        self._inverse = self._document.apply(self._edit)

    def undo(self) -> None:
        assert self._inverse is not None
        self._edit = self._document.apply(self._inverse)

    def id(self) -> int:
        return MERGE_ID if self._merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, EditCommand) or other._merge_key != self._merge_key:
            return False
        # Undo returns to the state before `self`; redo reaches the state after `other`.
        self._edit = other._edit
        return True
