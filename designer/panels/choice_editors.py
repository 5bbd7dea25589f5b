"""Combo-box editors: choices, booleans, models with tier and price, and id references.

Each lists its values with the unset state first ("(unset)", "(inherit
default)" or "(none)") and carries the typed value as item data, so a pick
commits exactly what the file holds. A value the document has but the list
lacks (an unknown model, a dangling id) is shown, marked in red, instead of
silently becoming another value. Model items read like "Sonnet 5.5 —
standard · $2.00/$10.00 per M", from the catalog's tier names and list prices.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QComboBox, QWidget

from designer.panels.editor_base import IdsProvider, PropertyEditor, quiet, wheel_only_with_focus
from runtime.roster.catalog import Catalog, ModelInfo
from runtime.roster.costs import format_usd
from runtime.roster.props import PropSpec

_FOREGROUND = Qt.ItemDataRole.ForegroundRole


class ValueComboBox(QComboBox):
    """A combo box the mouse wheel changes only when it has focus."""

    def wheelEvent(self, event: QWheelEvent) -> None:
        if not wheel_only_with_focus(self, event):
            super().wheelEvent(event)


class ComboEditor(PropertyEditor):
    """A QComboBox whose items carry values; a value it does not list is shown, marked."""

    def __init__(self, spec: PropSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self._unknown = -1  # index of the item added for a value the list lacks
        self.field = ValueComboBox(self)
        self.field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # Long model labels must not widen the dock; the popup shows them in full.
        self.field.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.field.setMinimumContentsLength(12)
        self.field.currentIndexChanged.connect(self._chosen)
        self.box.addWidget(self.field)

    def fill(self, items: list[tuple[str, Any]]) -> None:
        self._unknown = -1
        with quiet(self.field):
            self.field.clear()
            for text, value in items:
                self.field.addItem(text, value)

    def index_of(self, value: Any) -> int:
        for index in range(self.field.count()):
            data = self.field.itemData(index)
            if data == value and type(data) is type(value):
                return index
        return -1

    def set_value(self, value: Any) -> None:
        with quiet(self.field):
            index = self.index_of(value)
            if self._unknown >= 0 and index != self._unknown:
                self.field.removeItem(self._unknown)  # the odd value is gone from the document
                self._unknown = -1
                index = self.index_of(value)
            if index < 0:
                self.field.addItem(self.unknown_text(value), value)
                index = self._unknown = self.field.count() - 1
                self.field.setItemData(index, QColor("#c62828"), _FOREGROUND)
            self.field.setCurrentIndex(index)

    def unknown_text(self, value: Any) -> str:
        return f"{value} (not allowed here)"

    def _chosen(self, index: int) -> None:
        self.committed.emit(self.field.itemData(index))


class ChoiceEditor(ComboEditor):
    def __init__(self, spec: PropSpec, unset_text: str, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.fill([(unset_text, None), *((choice, choice) for choice in spec.choices)])


class BoolEditor(ComboEditor):
    def __init__(self, spec: PropSpec, unset_text: str, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.fill([(unset_text, None), ("true", True), ("false", False)])


def model_label(info: ModelInfo) -> str:
    """The item text, e.g. "Sonnet 5.5 — standard · $2.00/$10.00 per M" (input/output)."""
    name = info.name.removeprefix("Claude ")
    prices = f"{format_usd(info.prices.input)}/{format_usd(info.prices.output)} per M"
    text = f"{name} — {info.tier_name} · {prices}"
    return f"{text} (deprecated)" if info.deprecated else text


class ModelEditor(ComboEditor):
    """The catalog's models with tier and list price; deprecated ones marked and greyed."""

    def __init__(self, spec: PropSpec, catalog: Catalog, unset_text: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.catalog = catalog
        models = catalog.models()
        self.fill([(unset_text, None), *((model_label(info), info.id) for info in models)])
        for index, info in enumerate(models, start=1):
            tip = f"{info.id}: {info.context_window:,} tokens of context"
            self.field.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)
            if info.deprecated:
                self.field.setItemData(index, QColor("#808080"), _FOREGROUND)

    def set_value(self, value: Any) -> None:
        canonical = self.catalog.resolve_alias(value) if isinstance(value, str) else None
        super().set_value(canonical or value)

    def unknown_text(self, value: Any) -> str:
        return f"{value} (not in the catalog)"


class IdRefEditor(ComboEditor):
    """An id of the spec's section, "(none)" first; the list follows the document."""

    def __init__(self, spec: PropSpec, ids_provider: IdsProvider,
                 parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.ids_provider = ids_provider

    def set_value(self, value: Any) -> None:
        ids = self.ids_provider(self.spec.ref_section or "")
        self.fill([("(none)", None), *((node_id, node_id) for node_id in ids)])
        super().set_value(value)

    def unknown_text(self, value: Any) -> str:
        return f"{value} (missing)"
