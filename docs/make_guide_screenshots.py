"""Render the user guide's screenshots (docs/user-guide.md) from the real designer.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_guide_screenshots.py [-o docs/images]

Writes guide-welcome.png (the first start), guide-tour.png (the guided tour's
callout on the Problems panel), guide-simulation.png (the content-studio
scenarios dry-run) and guide-forecast.png (its workload forecast). Each is a
grab of a real main window with throwaway settings; simulations and forecasts
really run (no tokens are spent).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "resources" / "samples" / "content-studio.roster.yaml"
SIZE = (1600, 1000)


def _settle(app: Any, until: Callable[[], bool] = lambda: True, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if until():
            break
        time.sleep(0.02)
    for _ in range(5):
        app.processEvents()


def render_all(out_dir: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from designer.main_window import MainWindow
    from designer.tour import install_tour

    app = QApplication.instance() or QApplication([])
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def grab(window: Any, name: str) -> None:
        path = out_dir / name
        if not window.grab().toImage().save(str(path)):
            raise SystemExit(f"could not write {path}")
        written.append(path)

    with tempfile.TemporaryDirectory(prefix="roster-guide-") as folder:
        settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings)
        window.maybe_save = lambda: True
        window.resize(*SIZE)
        window.show()
        _settle(app)
        grab(window, "guide-welcome.png")

        copy = Path(folder) / "samples"  # with its scenarios and workload beside it
        shutil.copytree(SAMPLE.parent, copy)
        if not window.open_path(copy / SAMPLE.name):
            raise SystemExit(f"could not open {SAMPLE}")
        _settle(app)
        window.view.fit_all()
        tour = install_tour(window)
        tour.start()
        while tour.steps[tour.index].key != "problems":
            tour.next()
        _settle(app)
        grab(window, "guide-tour.png")
        tour.close()

        simulation = window.planning.simulation_host
        window._docks["simulation"].raise_()
        _settle(app, lambda: simulation.panel is not None)
        panel = simulation.ensure()
        _settle(app, lambda: panel.content is not None and bool(panel.scenarios), 20)
        done: list[object] = []
        panel.suite_finished.connect(done.append)
        if panel.run_all():
            _settle(app, lambda: bool(done))
        grab(window, "guide-simulation.png")

        forecast = window.planning.forecast_host
        window._docks["forecast"].raise_()
        _settle(app, lambda: forecast.panel is not None)
        fpanel = forecast.ensure()
        shown: list[object] = []
        fpanel.forecast_shown.connect(shown.append)
        if fpanel.run_forecast():
            _settle(app, lambda: bool(shown))
        grab(window, "guide-forecast.png")

        window.controller.undo_stack.setClean()
        window.close()
        window.deleteLater()
        _settle(app)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    for path in render_all(args.output):
        print(path)


if __name__ == "__main__":
    main()
