"""Render the designer's main window with a roster loaded to a PNG (used in the README).

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshot.py [ROSTER] [-o OUT.png]

Runs the real main window offscreen (or on the current display), opens the
roster, fits it in view, lets the event loop settle, and grabs the window.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def render(roster: Path, out: Path, size: tuple[int, int] = (1600, 1000)) -> Path:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from designer.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    settings = QSettings(str(out.with_suffix(".ini")), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.resize(*size)
    window.show()
    if not window.open_path(roster):
        raise SystemExit(f"could not open {roster}")
    for _ in range(5):
        app.processEvents()
    window.view.fit_all()
    app.processEvents()
    image = window.grab().toImage()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out)):
        raise SystemExit(f"could not write {out}")
    window.controller.undo_stack.setClean()
    window.close()
    out.with_suffix(".ini").unlink(missing_ok=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roster", nargs="?",
                        default=str(ROOT / "resources/samples/content-studio.roster.yaml"))
    parser.add_argument("-o", "--output", default=str(ROOT / "docs/images/designer.png"))
    args = parser.parse_args()
    print(render(Path(args.roster), Path(args.output)))


if __name__ == "__main__":
    main()
