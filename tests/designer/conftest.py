"""Designer fixtures: real widgets offscreen, a main window with private settings."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings

from tests.designer.oversight_support import desk  # noqa: F401  (run and oversight tests, #7)

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples"


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def roster_copy(tmp_path: Path) -> Path:
    """A writable copy of the support-triage sample."""
    target = tmp_path / "support-triage.roster.yaml"
    shutil.copy(SAMPLES / "support-triage.roster.yaml", target)
    return target


@pytest.fixture
def window(qtbot, settings: QSettings, roster_copy: Path, monkeypatch) -> Iterator[object]:
    from designer.main_window import MainWindow

    win = MainWindow(settings)
    qtbot.addWidget(win)
    # Never block a test on a modal "save changes?" question.
    monkeypatch.setattr(win, "maybe_save", lambda: True)
    win.resize(1400, 900)
    win.show()
    assert win.open_path(roster_copy)
    yield win
    win.controller.undo_stack.setClean()
