"""Composition root of the designer: `roster-designer [FILE]`.

Creates the application, the main window and its services, and opens FILE.
On a machine without a display (no DISPLAY or WAYLAND_DISPLAY, and no
QT_QPA_PLATFORM chosen) it does not fail: it says so and runs the headless
path instead (graph, governance check, simulation and forecast of FILE), so the Quick start
works on servers and in containers too.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from runtime import __version__

ORGANIZATION = "Agent Roster"
APPLICATION = "Agent Roster Designer"


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="roster-designer",
        description="The Agent Roster desktop designer. Without a display it runs a headless "
        "check of FILE instead.",
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="a roster to open")
    parser.add_argument("--version", action="version", version=f"roster-designer {__version__}")
    parser.add_argument("--headless", action="store_true",
                        help="do not open a window; check and summarise FILE")
    parser.add_argument("--self-test", action="store_true",
                        help="load, check, simulate and forecast every sample and template, "
                        "open each in a window (offscreen without a display), print what was "
                        "done and exit 0 when all of it worked")
    return parser.parse_args(argv)


def run_headless(file: str | None) -> int:
    """Without a window: the roster's graph, its governance check, a token-free simulation
    (its scenarios, or a generated coverage suite) and a workload forecast."""
    from runtime.cli.main import main as cli

    if not file:
        print("roster-designer: no display and no FILE; nothing to do", file=sys.stderr)
        return 2
    print(f"No display found: showing a headless check and simulation of {file} instead of "
          "the designer.\n(Set DISPLAY, or QT_QPA_PLATFORM=offscreen, to start the window.)\n")
    worst = 0
    for step in (["graph", file], ["check", file], ["simulate", file],
                 ["forecast", file, "--tasks", "20000"]):
        print(f"$ roster {' '.join(step)}", flush=True)
        code = cli(step)
        worst = max(worst, code)
        print(flush=True)
        if code >= 2:  # the file cannot be read: the later steps would say the same
            break
    return worst


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.self_test:
        from designer.selftest import run_self_test

        return run_self_test(window=not args.headless)
    if args.headless or not has_display():
        try:
            return run_headless(args.file)
        except BrokenPipeError:  # output piped into `head`: the reader left, not an error
            return 0
    from PySide6.QtWidgets import QApplication

    from designer.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(__version__)
    from designer.identity import apply_identity  # window icon, desktop entry name

    apply_identity(app)
    window = MainWindow()
    window.show()
    recovered = window.files.check_recovery()  # after a crash: offer the autosaved work
    from designer.tour import install_tour  # Help → Guided Tour; opens by itself at first start

    install_tour(window, auto=True)
    if args.file and not recovered:
        window.open_path(Path(args.file))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
