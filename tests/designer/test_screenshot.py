"""The README screenshot: docs/make_screenshot.py renders the real window with a roster.

Renders the content-studio sample offscreen into a temporary folder and checks
that the PNG has the requested size, is a picture rather than a blank fill,
and that the fitted canvas shows every node of the roster.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QImage

from designer.canvas.items import NodeItem

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "samples" / "content-studio.roster.yaml"
SIZE = (1600, 1000)


def _make_screenshot() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_screenshot",
                                                  ROOT / "docs" / "make_screenshot.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _colours(image: QImage, rect: QRect) -> Counter[int]:
    """How often each RGB colour occurs inside `rect` (every second pixel each way)."""
    counts: Counter[int] = Counter()
    for y in range(rect.top(), rect.bottom() + 1, 2):
        for x in range(rect.left(), rect.right() + 1, 2):
            counts[image.pixel(x, y) & 0xFFFFFF] += 1
    return counts


def test_the_screenshot_shows_every_node_of_the_sample(qapp, tmp_path: Path) -> None:
    roster = tmp_path / SAMPLE.name  # a copy: the lock file goes next to it, not into the repo
    shutil.copy(SAMPLE, roster)
    out = tmp_path / "designer.png"
    seen: dict[str, Any] = {}

    def inspect(window: Any) -> None:
        view, scene = window.view, window.scene
        viewport = view.viewport()
        seen["current_is_canvas"] = window.stack.currentWidget() is view
        seen["document_nodes"] = set(window.controller.document.nodes)
        seen["items"] = set(scene.nodes)
        visible = view.mapToScene(viewport.rect()).boundingRect()
        seen["outside"] = sorted(
            node_id for node_id, item in scene.nodes.items()
            if not (isinstance(item, NodeItem) and item.isVisible()
                    and visible.contains(item.sceneBoundingRect()))
        )
        top_left = viewport.mapTo(window, QPoint(0, 0))
        seen["canvas"] = QRect(top_left, viewport.size())

    result = _make_screenshot().render(roster, out, SIZE, inspect=inspect)

    assert result == out and out.is_file()
    image = QImage(str(out))
    assert not image.isNull()
    assert (image.width(), image.height()) == SIZE

    assert seen["current_is_canvas"]
    assert seen["items"] == seen["document_nodes"] and len(seen["items"]) >= 20
    assert seen["outside"] == [], f"nodes outside the visible canvas: {seen['outside']}"

    everything = _colours(image, image.rect())
    assert len(everything) > 200, f"only {len(everything)} colours: a blank image?"
    canvas = seen["canvas"].intersected(image.rect())
    assert canvas.width() > 400 and canvas.height() > 300
    in_canvas = _colours(image, canvas)
    commonest = in_canvas.most_common(1)[0][1]
    assert len(in_canvas) > 100, f"the canvas has only {len(in_canvas)} colours"
    assert commonest < 0.95 * sum(in_canvas.values()), "the canvas is nearly one colour"
