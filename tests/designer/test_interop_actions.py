"""File → Import / Export for Claude Code and CrewAI, the handbook, and the diff view."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.roster import model as m

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interop"


def _menu_texts(menu) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.text().replace("&", "") for a in menu.actions()]


def _file_menu(window):  # type: ignore[no-untyped-def]
    return next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")


def _submenu(menu, title: str):  # type: ignore[no-untyped-def]
    return next(a.menu() for a in menu.actions() if a.menu() and a.text() == title)


@pytest.fixture
def quiet(window, monkeypatch):  # type: ignore[no-untyped-def]
    """The window's interop actions with every message box answered silently."""
    interop = window.interop
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(interop, "show_report",
                        lambda title, text, report: shown.append((title, text)))
    monkeypatch.setattr(interop, "show_error", lambda title, text: shown.append((title, text)))
    monkeypatch.setattr(interop, "confirm", lambda title, text: True)
    interop.shown = shown
    return interop


def test_file_menu_has_import_and_export_entries_for_every_format(window) -> None:  # type: ignore[no-untyped-def]
    file_menu = _file_menu(window)
    assert _menu_texts(_submenu(file_menu, "&Import")) == [
        "Claude Code Subagents Folder…", "CrewAI Project…"]
    exports = _menu_texts(_submenu(file_menu, "&Export"))
    for text in ("Claude Code Subagents…", "CrewAI Project…", "Handbook (Markdown)…"):
        assert text in exports
    assert "Compare with Saved" in _menu_texts(file_menu)
    assert "Compare with File…" in _menu_texts(file_menu)


def test_import_claude_code_opens_an_unsaved_roster(window, quiet) -> None:  # type: ignore[no-untyped-def]
    assert quiet.import_folder("claude-code", FIXTURES / "claude_code" / "project")
    document = window.controller.document
    assert isinstance(document.nodes["code-reviewer"], m.Agent)
    assert window.controller.path is None
    assert quiet.shown[-1][0] == "Imported Claude Code"


def test_the_import_menu_action_uses_the_folder_the_user_picks(window, quiet, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(quiet, "choose_directory",
                        lambda title: FIXTURES / "crewai" / "classic_hierarchical_llm")
    quiet.act_import_crewai.trigger()
    assert "crew-manager" in window.controller.document.nodes
    assert window.controller.document.meta.entry == ("crew-manager",)


def test_a_broken_project_shows_a_located_error_and_keeps_the_roster(window, quiet) -> None:  # type: ignore[no-untyped-def]
    before = set(window.controller.document.nodes)
    assert not quiet.import_folder("crewai", FIXTURES / "crewai" / "bad" / "jsonc_error")
    assert set(window.controller.document.nodes) == before
    assert "crew.jsonc:4:3" in quiet.shown[-1][1]


def test_export_claude_code_crewai_and_handbook(window, quiet, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert quiet.export_folder("claude-code", tmp_path / "cc")
    assert (tmp_path / "cc" / ".claude" / "agents" / "refunds.md").exists()
    assert quiet.export_folder("crewai", tmp_path / "crew")
    assert (tmp_path / "crew" / "config" / "agents.yaml").exists()
    assert quiet.export_handbook(tmp_path / "handbook.md")
    assert "```mermaid" in (tmp_path / "handbook.md").read_text()


def test_compare_with_saved_shows_risky_changes_first(window, quiet) -> None:  # type: ignore[no-untyped-def]
    controller = window.controller
    grant = controller.document.edges[m.edge_id(m.EdgeKind.TOOL_ACCESS, "refunds", "payments")]
    from runtime.roster import edits as e

    controller.push(e.SetProperty(grant.id, "approval", "allow"), "approve")
    quiet.act_diff_saved.trigger()
    dialog = quiet.diff_dialog
    assert dialog is not None and dialog.isVisible()
    rows = dialog.view.rows()
    assert rows[0][0] == "HIGH"
    assert "refunds now uses payments (write) without approval" in rows[0][2]


def test_compare_with_a_file_that_is_the_same_says_so(window, quiet, roster_copy) -> None:  # type: ignore[no-untyped-def]
    dialog = quiet.show_diff(roster_copy)
    assert dialog is not None
    assert dialog.view.rows() == []
    assert "No semantic changes" in dialog.view.summary.text()
