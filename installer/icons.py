"""Render the application icon (resources/icons/agent-roster.svg) at the usual sizes with Qt.

`render_icons(target)` writes the freedesktop hicolor layout the install script
copies into ~/.local/share/icons: `hicolor/NxN/apps/agent-roster.png` for every
size in `SIZES` and `hicolor/scalable/apps/agent-roster.svg`. On Windows and
macOS `platform_icon(work)` also writes the .ico / .icns the executables carry.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "agent-roster.svg"
NAME = "agent-roster"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def _app() -> object:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.instance() or QGuiApplication(sys.argv[:1])


def render(size: int, svg: Path = SVG) -> object:
    """The icon as a `QImage` of `size`×`size` pixels with a transparent background."""
    _app()
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG icon")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def render_icons(target: Path, svg: Path = SVG) -> list[Path]:
    """Write the hicolor icon set under `target/hicolor`; returns the files written."""
    written: list[Path] = []
    for size in SIZES:
        path = target / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not render(size, svg).save(str(path), "PNG"):  # type: ignore[attr-defined]
            raise OSError(f"could not write {path}")
        written.append(path)
    scalable = target / "hicolor" / "scalable" / "apps" / f"{NAME}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    written.append(scalable)
    return written


def platform_icon(work: Path) -> Path | None:
    """The .ico (Windows) or .icns (macOS) for the executables, or None elsewhere."""
    suffix = {"win32": ".ico", "darwin": ".icns"}.get(sys.platform)
    if suffix is None:
        return None
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"{NAME}{suffix}"
    if not render(256).save(str(path)):  # type: ignore[attr-defined]
        print(f"icons: Qt cannot write {suffix} here; the executables get no icon",
              file=sys.stderr)
        return None
    return path
