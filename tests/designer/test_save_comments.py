"""The designer's Save and Save As keep the comments of the roster file (docs/format.md)."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from designer.controller import RosterController

TEXT = """\
format: agent-roster
version: 1
# who owns this team
name: demo
agents:
  triage:  # the entry point
    role: routes tickets
"""


def test_save_and_save_as_keep_the_comments_of_the_opened_file(
    qtbot: QtBot, tmp_path: Path
) -> None:
    source = tmp_path / "team.roster.yaml"
    source.write_text(TEXT, encoding="utf-8")
    controller = RosterController()
    controller.open(source)
    controller.save()
    saved = source.read_text(encoding="utf-8")
    assert "# who owns this team\nname: demo\n" in saved
    assert "  triage:  # the entry point\n" in saved
    copy = tmp_path / "copy.roster.yaml"
    controller.save(copy)
    assert copy.read_text(encoding="utf-8") == saved
