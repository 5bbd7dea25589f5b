"""The one factory mapping a property's semantic type to its editor widget.

`editor_for(spec, catalog, ids_provider)` returns a `PropertyEditor`: text
fields for strings, URLs, digests and lists, a text box for multi-line text,
spin boxes whose lowest step reads "(unset)" for numbers, combo boxes with an
unset entry first for booleans, choices, models (with tier and price) and id
references, a checkbox grid for tags, and for objects either a group of nested
editors or YAML text. Unset is a value of its own everywhere because an unset
field inherits the roster default. Only this factory picks an editor for a
spec; combo editors live in choice_editors.py, gated ones in guarded_editors.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any, cast

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QValidator, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from designer.panels.choice_editors import BoolEditor, ChoiceEditor, IdRefEditor, ModelEditor
from designer.panels.editor_base import (
    UNSET,
    IdsProvider,
    LineEditor,
    PropertyEditor,
    quiet,
    wheel_only_with_focus,
)
from designer.panels.guarded_editors import KeyRefEditor, YamlEditor, key_hits
from runtime.roster.catalog import Catalog
from runtime.roster.props import PropSpec, PropType

INHERIT = "(inherit default)"
DECIMALS = 6
_INT_LIMIT = 2**31 - 1
_NUMBER_LIMIT = 1e12
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TALL_TEXT = frozenset({"instructions", "description"})


# ---------------------------------------------------------------- text


class ListEditor(LineEditor):
    """Comma-separated values; a value holding a comma needs the YAML file."""

    def parse(self, text: str) -> Any:
        items = tuple(part.strip() for part in text.split(",") if part.strip())
        return items or None

    def format(self, value: Any) -> str:
        return ", ".join(value or ())


class UrlEditor(LineEditor):
    def parse(self, text: str) -> Any:
        if not text:
            return None
        url = QUrl(text, QUrl.ParsingMode.StrictMode)
        if not url.isValid() or url.scheme() not in ("http", "https") or not url.host():
            raise ValueError("expected an http(s) URL such as https://gateway.example.com/v1")
        return text


class Sha256Editor(LineEditor):
    def parse(self, text: str) -> Any:
        digest = text.strip().lower()
        if not digest:
            return None
        if not _SHA256.fullmatch(digest):
            raise ValueError(f"expected 64 hex characters (a sha256 digest), not {len(digest)}")
        return digest


class TextEditor(PropertyEditor):
    """Multi-line text committed on every change; the undo stack folds the typing. Text
    holding a key is not committed: it goes back, and the key to the paste guard."""

    def __init__(self, spec: PropSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.merges = True
        self.field = QPlainTextEdit(self)
        self.field.setTabChangesFocus(True)
        lines = 8 if spec.name in _TALL_TEXT else 3
        self.field.setFixedHeight(self.field.fontMetrics().lineSpacing() * lines + 12)
        self.field.textChanged.connect(self._changed)
        self.box.addWidget(self.field)
        self._shown = ""  # the last text shown or committed

    def set_value(self, value: Any) -> None:
        text = value or ""
        self._shown = text
        if self.field.toPlainText() != text:
            with quiet(self.field):
                self.field.setPlainText(text)

    def _changed(self) -> None:
        text = self.field.toPlainText()
        # A new key is never committed: the text goes back and the key to the paste guard.
        # (A key already in a loaded file is left to the save gate, so typing still works.)
        if any(text[hit.start:hit.end] not in self._shown for hit in key_hits(text)):
            with quiet(self.field):
                self.field.setPlainText(self._shown)
            self.secret_pasted.emit(self.spec.name)
            self.secret_captured.emit(self.spec.name, text)
            return
        self._shown = text
        self.committed.emit(text or None)


# ---------------------------------------------------------------- numbers


def _means_unset(box: QAbstractSpinBox, text: str) -> bool:
    return not text.strip() or text == box.specialValueText()


class _UnsetSteps:
    """Shared by both spin boxes: the minimum is the unset step, an emptied field means unset,
    and the wheel only turns the value of a focused box."""

    def wheelEvent(self, event: QWheelEvent) -> None:
        box = cast(QAbstractSpinBox, self)
        if not wheel_only_with_focus(box, event):
            super().wheelEvent(event)  # type: ignore[misc]

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        if _means_unset(cast(QAbstractSpinBox, self), text):
            return QValidator.State.Acceptable, text, pos
        return super().validate(text, pos)  # type: ignore[misc,no-any-return]


class UnsetSpinBox(_UnsetSteps, QSpinBox):
    """An integer box whose minimum means unset."""

    def valueFromText(self, text: str) -> int:
        return self.minimum() if _means_unset(self, text) else super().valueFromText(text)


class UnsetDoubleSpinBox(_UnsetSteps, QDoubleSpinBox):
    """As `UnsetSpinBox`, and shows no trailing zeros ("2.5", not "2.500000")."""

    def valueFromText(self, text: str) -> float:
        return self.minimum() if _means_unset(self, text) else super().valueFromText(text)

    def textFromValue(self, value: float) -> str:
        text = super().textFromValue(value)
        point = self.locale().decimalPoint()
        return text.rstrip("0").rstrip(point) if point in text else text


class NumberEditor(PropertyEditor):
    """INT or NUMBER within the spec's bounds; the step below the lowest valid value is unset."""

    def __init__(self, spec: PropSpec, unset_text: str, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.merges = True  # arrow steps fold like a drag
        self.whole = spec.type is PropType.INT
        unit = 1.0 if self.whole else 10.0**-DECIMALS
        limit = _INT_LIMIT if self.whole else _NUMBER_LIMIT
        low = -limit + unit if spec.minimum is None else float(spec.minimum)
        first: float = low + unit if spec.exclusive_minimum else low  # lowest valid value
        if self.whole:
            first = float(math.floor(low) + 1 if spec.exclusive_minimum else math.ceil(low))
        self.unset_value = first - unit
        # Anything below the middle of the unset step is unset, whatever the float rounding.
        self._unset_below = first - unit / 2
        top = limit if spec.maximum is None else spec.maximum
        self.field: QSpinBox | QDoubleSpinBox
        if self.whole:
            self.field = UnsetSpinBox(self)
            self.field.setRange(int(self.unset_value), int(top))
        else:
            self.field = UnsetDoubleSpinBox(self)
            self.field.setDecimals(DECIMALS)
            self.field.setRange(self.unset_value, top)
        self.field.setSpecialValueText(unset_text)
        self.field.setKeyboardTracking(False)  # commit on Enter, focus-out or a step
        self.field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.field.setAccelerated(True)
        self.field.valueChanged.connect(self._changed)
        self.box.addWidget(self.field)

    def set_value(self, value: Any) -> None:
        shown = self.unset_value if value is None else value
        with quiet(self.field):
            self.field.setValue(shown)  # type: ignore[arg-type]

    def _changed(self, value: float) -> None:
        if value < self._unset_below:
            self.committed.emit(None)
        elif self.whole:
            self.committed.emit(int(value))
        else:
            number = round(float(value), DECIMALS)
            self.committed.emit(int(number) if number.is_integer() else number)


# ---------------------------------------------------------------- groups


class TagsEditor(PropertyEditor):
    """A checkbox per choice; keeps the document's order and appends new tags."""

    def __init__(self, spec: PropSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self._value: tuple[str, ...] = ()
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(0)
        self.boxes: dict[str, QCheckBox] = {}
        for index, choice in enumerate(spec.choices):
            box = QCheckBox(choice.replace("_", " "), self)
            box.setToolTip(choice)
            box.toggled.connect(lambda on, name=choice: self._toggled(name, on))
            grid.addWidget(box, index // 2, index % 2)
            self.boxes[choice] = box
        self.box.addLayout(grid)

    def set_value(self, value: Any) -> None:
        self._value = tuple(value or ())
        for name, box in self.boxes.items():
            with quiet(box):
                box.setChecked(name in self._value)

    def _toggled(self, name: str, on: bool) -> None:
        kept = [tag for tag in self._value if tag != name]
        self._value = (*kept, name) if on else tuple(kept)
        self.committed.emit(self._value or None)


def _member(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    if is_dataclass(value) and name in {f.name for f in fields(value)}:
        return getattr(value, name)
    return None


class NestedEditor(PropertyEditor):
    """An object with declared fields as a group of editors; commits the mapping of set ones."""

    spans_row = True

    def __init__(self, spec: PropSpec, catalog: Catalog, ids_provider: IdsProvider,
                 parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        group = QGroupBox(spec.title, self)
        form = QFormLayout(group)
        self.editors: dict[str, PropertyEditor] = {}
        self._values: dict[str, Any] = {}
        for child in spec.nested:
            editor = editor_for(child, catalog, ids_provider)
            editor.committed.connect(lambda value, name=child.name: self._child(name, value))
            editor.secret_pasted.connect(self.secret_pasted)
            form.addRow(child.title, editor)
            self.editors[child.name] = editor
        self.box.addWidget(group)

    def set_value(self, value: Any) -> None:
        for name, editor in self.editors.items():
            self._values[name] = _member(value, name)
            editor.set_value(self._values[name])

    def _child(self, name: str, value: Any) -> None:
        self._values[name] = value
        self.merges = self.editors[name].merges
        chosen = {key: item for key, item in self._values.items() if item is not None}
        self.committed.emit(chosen or None)


# ---------------------------------------------------------------- the factory


def editor_for(spec: PropSpec, catalog: Catalog, ids_provider: IdsProvider, *,
               unset_text: str = UNSET) -> PropertyEditor:
    """The editor for `spec`; `unset_text` names the unset state, e.g. `INHERIT` for agent
    fields that fall back to the roster defaults."""
    t = spec.type
    if t is PropType.MULTILINE:
        return TextEditor(spec)
    if t in (PropType.INT, PropType.NUMBER):
        return NumberEditor(spec, unset_text)
    if t is PropType.BOOL:
        return BoolEditor(spec, unset_text)
    if t is PropType.CHOICE:
        return ChoiceEditor(spec, unset_text)
    if t is PropType.TAGS:
        return TagsEditor(spec)
    if t is PropType.MODEL:
        return ModelEditor(spec, catalog, unset_text)
    if t is PropType.KEY_REF:
        return KeyRefEditor(spec)
    if t in (PropType.PATH_LIST, PropType.STRING_LIST):
        return ListEditor(spec)
    if t is PropType.ID_REF:
        return IdRefEditor(spec, ids_provider)
    if t is PropType.OBJECT:
        return NestedEditor(spec, catalog, ids_provider) if spec.nested else YamlEditor(spec)
    if t is PropType.SHA256:
        return Sha256Editor(spec)
    if t is PropType.URL:
        return UrlEditor(spec)
    return LineEditor(spec)
