"""Card text, laid out once and drawn from the layout on every later frame.

`QPainter.drawText(rect, flags, text)` shapes and lays the string out again on
every call: about 0.1 ms each, and a card has five or six strings, which made
text the largest cost of a frame at 100 % after the edges. `QStaticText` keeps
the laid-out glyphs; drawing it at a translated position reuses them (a new
zoom lays them out once more). Layouts and elided strings are shared by all
cards (glyph letters, model badges, capability words and counts repeat across
thousands of cards), up to `LIMIT` entries, then the cache starts afresh.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QStaticText, QTransform

LIMIT = 20_000
LEFT, CENTRE, RIGHT = 0, 1, 2

_layouts: dict[tuple[str, int], tuple[QStaticText, float, float]] = {}  # with its size
_elided: dict[tuple[str, int, int, float], str] = {}
_metrics: dict[int, QFontMetricsF] = {}


def _font_key(font: QFont) -> int:
    return id(font)  # the card fonts are module constants, shared and never changed


def layout(text: str, font: QFont) -> tuple[QStaticText, float, float]:
    """The laid-out `text` in `font` (plain text, one line), its width and height (asking
    `QStaticText.size()` each time costs as much as laying it out again)."""
    key = (text, _font_key(font))
    found = _layouts.get(key)
    if found is None:
        if len(_layouts) >= LIMIT:
            _layouts.clear()
        static = QStaticText(text)
        static.setTextFormat(Qt.TextFormat.PlainText)
        static.prepare(QTransform(), font)
        size = static.size()
        found = _layouts[key] = (static, size.width(), size.height())
    return found


def elide(text: str, font: QFont, width: float,
          mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight) -> str:
    """`text` shortened with an ellipsis to fit `width` px in `font`."""
    key = (text, _font_key(font), int(mode.value), width)
    found = _elided.get(key)
    if found is None:
        metrics = _metrics.get(_font_key(font))
        if metrics is None:
            metrics = _metrics[_font_key(font)] = QFontMetricsF(font)
        if len(_elided) >= LIMIT:
            _elided.clear()
        found = _elided[key] = metrics.elidedText(text, mode, width)
    return found


def draw(painter: QPainter, rect: QRectF, text: str, font: QFont, align: int = LEFT) -> None:
    """`text` in `font` with the painter's pen, vertically centred in `rect`, at its left,
    centre or right (as `drawText` with AlignVCenter would place it)."""
    if not text:
        return
    static, width, height = layout(text, font)
    if align == LEFT:
        x = rect.left()
    elif align == CENTRE:
        x = rect.left() + (rect.width() - width) / 2
    else:
        x = rect.right() - width
    painter.setFont(font)
    painter.drawStaticText(QPointF(x, rect.top() + (rect.height() - height) / 2), static)


def clear() -> None:
    """Forget every layout (fonts or screens changed)."""
    _layouts.clear()
    _elided.clear()
    _metrics.clear()
