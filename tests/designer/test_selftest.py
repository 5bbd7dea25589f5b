"""`roster-designer --self-test` and `--version`, and the newcomer's first minutes.

The self-test is what support asks a user to run: it must really load, check,
simulate and forecast every shipped roster and open each in a window, say what
it did, and fail loudly (exit 1) when any of that breaks.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from designer.panels.welcome import PATH_ROLE
from designer.selftest import run_self_test, shipped_rosters
from runtime import __version__

ROOT = Path(__file__).resolve().parents[2]


def test_self_test_covers_every_shipped_roster_and_passes(qtbot) -> None:
    out = io.StringIO()
    assert run_self_test(out) == 0, out.getvalue()
    text = out.getvalue()
    rosters = shipped_rosters()
    assert {p.name for p in rosters} >= {"content-studio.roster.yaml", "blank.roster.yaml"}
    for path in rosters:
        label = f"{path.parent.name}/{path.name}"
        for step in ("load", "check", "simulate", "forecast"):
            assert f"ok   {step:8} {label}" in text, f"{step} {label} missing:\n{text}"
    assert f"opened {len(rosters)}/{len(rosters)} roster(s) in the window" in text
    assert "self-test passed" in text
    assert "54 blocking" in text, "governance-vacuum's findings are reported, not failures"


def test_self_test_fails_and_says_why_when_a_shipped_roster_is_broken(
        tmp_path, monkeypatch, qtbot) -> None:
    resources = tmp_path / "resources"
    shutil.copytree(ROOT / "resources", resources)
    broken = resources / "samples" / "support-triage.roster.yaml"
    broken.write_text("roster: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("AGENT_ROSTER_RESOURCES", str(resources))
    out = io.StringIO()
    assert run_self_test(out) == 1  # with the window: no error dialog may block it
    text = out.getvalue()
    assert "FAIL load     samples/support-triage.roster.yaml" in text
    assert "opened 5/5 roster(s) in the window" in text, "the broken one is not opened"
    assert "support-triage.roster.yaml:2:1: invalid YAML" in text, "the located error is shown"
    assert "ok   simulate samples/content-studio.roster.yaml" in text, "the rest still runs"
    assert "self-test FAILED" in text


def test_self_test_fails_when_the_application_icon_is_missing(tmp_path, monkeypatch,
                                                               qtbot) -> None:
    """A bundle that lost its icons (or Qt's SVG plugin) is caught before a user sees it."""
    resources = tmp_path / "resources"
    shutil.copytree(ROOT / "resources", resources, ignore=shutil.ignore_patterns("*.svg"))
    for folder in ("samples", "templates"):  # one roster is enough for the window step
        for extra in sorted((resources / folder).glob("*.roster.yaml"))[1:]:
            extra.unlink()
    monkeypatch.setenv("AGENT_ROSTER_RESOURCES", str(resources))
    out = io.StringIO()
    try:
        assert run_self_test(out) == 1
    finally:
        from PySide6.QtWidgets import QApplication

        from designer.identity import apply_identity

        monkeypatch.undo()
        apply_identity(QApplication.instance())  # the real icon again for later tests
    assert "FAIL designer start" in out.getvalue()
    assert "FAILED to load the application icon" in out.getvalue()


def test_self_test_fails_when_there_is_nothing_to_test(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AGENT_ROSTER_RESOURCES", str(tmp_path))
    out = io.StringIO()
    assert run_self_test(out, window=False) == 1
    assert "no samples or templates" in out.getvalue()


@pytest.mark.parametrize("flag", ["--version", "--self-test"])
def test_designer_command_line_flags(flag: str, tmp_path) -> None:
    """Through the real entry point, in a fresh process, as support would run it."""
    args = [flag] if flag == "--version" else [flag, "--headless"]
    done = subprocess.run([sys.executable, "-m", "designer.app", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    if flag == "--version":
        assert done.stdout.strip() == f"roster-designer {__version__}"
    else:
        assert "self-test passed" in done.stdout
        assert "designer start" not in done.stdout, "--headless skips the window"


def test_the_content_studio_sample_opens_from_the_welcome_page(qtbot, settings) -> None:
    """A newcomer's first click: the welcome page lists the samples; activating one opens it."""
    from designer.main_window import MainWindow

    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    assert win.stack.currentWidget() is win.welcome
    samples = win.welcome.samples
    items = [samples.item(i) for i in range(samples.count())]
    studio = next(i for i in items if i.data(PATH_ROLE).endswith("content-studio.roster.yaml"))
    samples.itemActivated.emit(studio)
    assert win.stack.currentWidget() is win.view
    assert win.controller.document.meta.name
    assert len(win.controller.document.content().nodes) >= 20
    assert win.controller.path is None, "a sample opens as a new roster: saving asks where"
    win.controller.undo_stack.setClean()
