"""Start the designer the way `roster-designer [FILE]` does and photograph the screen.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_start_screenshot.py \
        [FILE] -o start.png [--after-ms 1500] [--raise run,dashboard]

Runs `designer.app.main` (the real composition root: identity, recovery
offer, guided tour unless ROSTER_TOUR=0, FILE opened) on the current display,
waits `--after-ms` once the event loop runs, optionally raises some docks
(their panels are built on first show), grabs the whole screen (what a user
would see, window manager or not) to OUT and the window as Qt renders it to
OUT with `.widget.png`, and quits. Used to check by eye that the
lazily built docks and the welcome page look as they did before the
cold-start work (docs/benchmarks.md, "Round 3: cold start").
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", help="a roster to open, as roster-designer FILE")
    parser.add_argument("-o", "--out", type=Path, default=Path("start.png"))
    parser.add_argument("--after-ms", type=int, default=1500)
    parser.add_argument("--raise", dest="docks", default="",
                        help="comma-separated dock keys to show and raise before the grab")
    args = parser.parse_args(argv)
    os.environ.setdefault("ROSTER_TOUR", "0")

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    from designer import app as designer_app

    app = QApplication.instance() or QApplication(sys.argv[:1])
    status = {"code": 1}

    def window() -> QMainWindow:
        return next(w for w in QApplication.topLevelWidgets()
                    if isinstance(w, QMainWindow) and w.isVisible())

    def show_docks() -> None:
        main_window = window()
        for key in filter(None, args.docks.split(",")):
            dock = main_window._docks[key]  # type: ignore[attr-defined]
            dock.show()
            dock.raise_()
        QTimer.singleShot(2000, grab)  # software paint into Xvfb can lag on a busy box

    def grab() -> None:
        window().grab().save(str(args.out.with_suffix(".widget.png")))  # what Qt painted
        screen = app.primaryScreen()
        pixmap = screen.grabWindow(0)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        status["code"] = 0 if pixmap.save(str(args.out)) else 1
        print(f"wrote {args.out} ({pixmap.width()}×{pixmap.height()})")
        main_window = window()
        main_window.controller.undo_stack.setClean()  # type: ignore[attr-defined]
        main_window.close()
        app.quit()

    QTimer.singleShot(args.after_ms, show_docks)
    designer_app.main([args.file] if args.file else [])
    return status["code"]


if __name__ == "__main__":
    sys.exit(main())
