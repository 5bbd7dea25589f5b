"""Render the designer's main window with a roster loaded to a PNG (used in the README).

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshot.py [ROSTER] [-o OUT.png]

Runs the real main window offscreen (or on the current display), opens the
roster, fits it in view, lets the event loop settle, and grabs the window.
`render(..., inspect=fn)` calls `fn(window)` after the grab and before the
window closes, so a test can check what was shown (tests/designer/test_screenshot.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def render(roster: Path, out: Path, size: tuple[int, int] = (1600, 1000),
           inspect: Callable[[Any], object] | None = None) -> Path:
    """Write a PNG of the main window showing `roster`; returns `out`.

    `inspect`, when given, is called with the `MainWindow` once the image is
    grabbed, while the window is still open and the roster still loaded.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from designer.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    settings = QSettings(str(out.with_suffix(".ini")), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.resize(*size)
    window.show()
    try:
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
        if inspect is not None:
            inspect(window)
    finally:
        window.controller.undo_stack.setClean()
        window.close()  # saves the window state into `settings`...
        window.deleteLater()
        settings.sync()  # ... written now, so that the file is gone for good below
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
