"""`roster-designer --self-test`: prove an installation works, for support and smoke tests.

Every sample and template shipped in resources/ is loaded, checked with the
governance rules, dry-run through the simulation (its sibling scenario files,
else the generated coverage suite) and forecast (its sibling workload, else the
derived default), and finally opened in a real main window (offscreen when
there is no display). Each step prints one line saying what it did; the exit
status is 0 when every step worked and 1 otherwise.

Findings are not failures: the governance-vacuum sample is meant to have them.
A failure is a step that raised, a scenario expectation that did not hold, or a
window that could not open a roster. Nothing is written outside a temporary
folder: the window uses throwaway settings and opens each roster as an unsaved
copy (no lock file next to the installed samples).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from runtime.roster.codec import RosterContent

FORECAST_TASKS = 2_000  # enough to exercise both array paths; well under a second


@dataclass
class SelfTest:
    """Runs the steps and keeps the tally; `out` receives one line per step."""

    out: TextIO
    failures: list[str] = field(default_factory=list)
    steps: int = 0

    @contextmanager
    def step(self, what: str) -> Iterator[list[str]]:
        """A step: the body appends details to the yielded list; an exception fails it."""
        details: list[str] = []
        started = time.perf_counter()
        self.steps += 1
        try:
            yield details
        except Exception as exc:  # a self-test reports every failure and carries on
            self.failures.append(f"{what}: {exc}")
            self._line("FAIL", what, [f"{type(exc).__name__}: {exc}"], started)
            if os.environ.get("ROSTER_SELFTEST_TRACE"):
                traceback.print_exc(file=self.out)
            return
        failed = [d for d in details if d.startswith("FAILED")]
        if failed:
            self.failures.append(f"{what}: {'; '.join(failed)}")
        self._line("FAIL" if failed else "ok", what, details, started)

    def _line(self, status: str, what: str, details: list[str], started: float) -> None:
        ms = (time.perf_counter() - started) * 1000
        suffix = f" — {', '.join(details)}" if details else ""
        print(f"{status:4} {what}{suffix} ({ms:.0f} ms)", file=self.out, flush=True)


def shipped_rosters() -> list[Path]:
    """The samples and templates an installation ships, samples first."""
    from runtime.resources import resource

    found: list[Path] = []
    for folder in ("samples", "templates"):
        found.extend(sorted(resource(folder).glob("*.roster.yaml")))
    return found


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _check_roster(test: SelfTest, path: Path) -> RosterContent | None:
    from runtime.roster.catalog import load_catalog
    from runtime.roster.checks.engine import check_roster
    from runtime.roster.io import load_roster
    from runtime.roster.summary import summarize

    content: RosterContent | None = None
    with test.step(f"load     {_label(path)}") as details:
        content = load_roster(path).content
        summary = summarize(content, load_catalog())
        details.append(f"{summary.agents} agents, {summary.tools} tools, "
                       f"{summary.humans} humans, {sum(summary.edges.values())} edges")
    if content is None:
        return None
    with test.step(f"check    {_label(path)}") as details:
        findings = check_roster(content)
        blocking = sum(1 for f in findings if f.blocking)
        details.append(f"{len(findings)} finding(s), {blocking} blocking")
    return content


def _simulate(test: SelfTest, path: Path, content: RosterContent) -> None:
    from runtime.simulation import generate, load_scenario, run_scenario_sync, sibling_scenarios

    with test.step(f"simulate {_label(path)}") as details:
        files = sibling_scenarios(path)
        scenarios = ([load_scenario(p) for p in files] if files
                     else generate(content, "coverage"))
        results = [run_scenario_sync(content, s) for s in scenarios]
        passed = sum(1 for r in results if r.passed)
        origin = f"{len(files)} scenario file(s)" if files else "generated coverage suite"
        details.append(f"{origin}: {passed}/{len(results)} passed")
        if passed != len(results):
            failed = ", ".join(r.scenario for r in results if not r.passed)
            details.append(f"FAILED {failed}")


def _forecast(test: SelfTest, path: Path, content: RosterContent) -> None:
    from runtime.forecast import forecast, load_workload

    with test.step(f"forecast {_label(path)}") as details:
        stem = path.name.split(".")[0]
        workload_file = path.with_name(f"{stem}.workload.yaml")
        workload = load_workload(workload_file, content) if workload_file.is_file() else None
        result = forecast(content, workload, tasks=FORECAST_TASKS)
        origin = workload_file.name if workload is not None else "default workload"
        details.append(f"{origin}: ${result.cost_mean.value:.4f}/task over "
                       f"{result.tasks} tasks")


def _windows(test: SelfTest, rosters: list[Path]) -> None:
    """Open every roster in a real main window with throwaway settings, then close it."""
    if not (os.environ.get("QT_QPA_PLATFORM") or os.environ.get("DISPLAY")
            or os.environ.get("WAYLAND_DISPLAY") or sys.platform in ("win32", "darwin")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    with test.step("designer start") as details:
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        from designer.identity import apply_identity
        from designer.main_window import MainWindow

        existing = QApplication.instance()
        app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
        details.append(f"Qt platform {QApplication.platformName()}")
        apply_identity(app)
        if app.windowIcon().isNull() or app.windowIcon().pixmap(64, 64).isNull():
            details.append("FAILED to load the application icon (SVG image plugin missing?)")
        with tempfile.TemporaryDirectory(prefix="roster-selftest-") as folder:
            settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
            window = MainWindow(settings)
            window.maybe_save = lambda: True  # type: ignore[method-assign]
            window.show()
            app.processEvents()
            opened = 0
            for path in rosters:
                window.open_template(str(path))  # an unsaved copy: no lock, no recent entry
                app.processEvents()
                nodes = len(window.controller.document.content().nodes)
                if window.stack.currentWidget() is not window.view or nodes == 0:
                    details.append(f"FAILED to show {path.name}")
                else:
                    opened += 1
            details.append(f"opened {opened}/{len(rosters)} roster(s) in the window")
            window.close()
            app.processEvents()
            window.deleteLater()
            app.processEvents()


def run_self_test(out: TextIO | None = None, *, window: bool = True) -> int:
    """Run every step, print a line per step and a summary; 0 when all passed, else 1."""
    from runtime import __version__
    from runtime.resources import resources_dir

    test = SelfTest(out or sys.stdout)
    print(f"roster-designer {__version__} self-test (Python {sys.version.split()[0]}, "
          f"resources {resources_dir()})", file=test.out)
    rosters = shipped_rosters()
    if not rosters:
        test.failures.append("no samples or templates found")
        print(f"FAIL no samples or templates in {resources_dir()}", file=test.out)
    steps: list[Callable[[SelfTest, Path, RosterContent], None]] = [_simulate, _forecast]
    loaded: list[Path] = []
    for path in rosters:
        content = _check_roster(test, path)
        if content is not None:
            loaded.append(path)
            for run in steps:
                run(test, path, content)
    if window:
        _windows(test, loaded)  # a roster that failed to load would stop on an error dialog
    verdict = "FAILED" if test.failures else "passed"
    print(f"self-test {verdict}: {test.steps - len(test.failures)}/{test.steps} step(s) "
          f"passed", file=test.out)
    for failure in test.failures:
        print(f"  - {failure}", file=test.out)
    return 1 if test.failures else 0
