"""Exports from the designer: the roster YAML (as `roster export yaml`) and canvas images.

The YAML export runs the same checks and the same secret guard as the CLI:
errors need an explicit confirmation, a literal secret is always refused.
Images render the whole scene (not just the visible part) to PNG or SVG.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QGraphicsScene, QMessageBox

from runtime.roster.atomic import write_atomic
from runtime.roster.checks.engine import check_roster
from runtime.roster.io import SecretInRosterError, guarded_bytes, to_data

if TYPE_CHECKING:
    from designer.main_window import MainWindow

MARGIN = 40.0


def scene_bounds(scene: QGraphicsScene) -> QRectF:
    return scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


def render_png(scene: QGraphicsScene, path: Path, scale: float = 1.0) -> QImage:
    source = scene_bounds(scene)
    size = QSize(max(1, int(source.width() * scale)), max(1, int(source.height() * scale)))
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing
                           | QPainter.RenderHint.TextAntialiasing)
    scene.render(painter, QRectF(0, 0, size.width(), size.height()), source)
    painter.end()
    if not image.save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return image


def render_svg(scene: QGraphicsScene, path: Path, title: str = "Agent Roster") -> None:
    source = scene_bounds(scene)
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(int(source.width()), int(source.height())))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle(title)
    painter = QPainter(generator)
    scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
    painter.end()


def export_canvas(window: MainWindow, kind: str) -> None:
    default = (window.controller.path or Path("roster")).with_suffix("").with_suffix(f".{kind}")
    path, _ = QFileDialog.getSaveFileName(window, f"Export canvas as {kind.upper()}",
                                          str(default), f"{kind.upper()} (*.{kind})")
    if not path:
        return
    window.scene.clearSelection()
    try:
        if kind == "png":
            render_png(window.scene, Path(path), scale=2.0)
        else:
            render_svg(window.scene, Path(path), window.controller.document.meta.name)
    except OSError as exc:
        QMessageBox.critical(window, "Export failed", str(exc))
        return
    window.status.flash(f"Exported {path}")


def export_roster_yaml(window: MainWindow, *, strip_layout: bool | None = None) -> None:
    content = window.controller.document.content()
    errors = [f for f in check_roster(content) if f.blocking]
    if errors:
        answer = QMessageBox.warning(
            window, "Export with errors?",
            f"The roster has {len(errors)} governance error(s). Export it anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return
    if strip_layout is None:
        strip_layout = QMessageBox.question(
            window, "Export", "Leave out the canvas layout (positions)?") \
            == QMessageBox.StandardButton.Yes
    default = (window.controller.path or Path("roster.roster.yaml")).with_name(
        "export.roster.yaml")
    path, _ = QFileDialog.getSaveFileName(window, "Export roster YAML", str(default),
                                          "Rosters (*.roster.yaml *.yaml)")
    if not path:
        return
    data = to_data(content)
    if strip_layout:
        data.pop("layout", None)
    try:
        write_atomic(Path(path), guarded_bytes(data, path))
    except SecretInRosterError as exc:
        QMessageBox.critical(window, "Not exported: a secret is in the roster", str(exc))
        return
    except OSError as exc:
        QMessageBox.critical(window, "Export failed", str(exc))
        return
    window.status.flash(f"Exported {path}")
