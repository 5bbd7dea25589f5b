"""The oversight dashboard agrees with the journal and draws real charts."""

from __future__ import annotations

import sqlalchemy as sa
from PySide6.QtGui import QImage

from designer.oversight.stats import OversightStats, journal_stats
from runtime.engine import dbos_support
from runtime.engine.journal import Journal, model_calls, runs
from tests.designer.oversight_support import Desk, script_happy_path


def distinct_colours(image: QImage, step: int = 7) -> int:
    return len({image.pixel(x, y) for x in range(0, image.width(), step)
                for y in range(0, image.height(), step)})


def two_runs(desk: Desk) -> None:
    desk.oversight.bridge.approval_requested.connect(
        lambda r: desk.oversight.bridge.answer(r.request_id, True, "t"))
    for note in ("Launch is on Friday", "Retro on Monday"):
        script_happy_path(desk.server, note)
        desk.run(f"Save: {note}")
        desk.wait_finished()


def test_dashboard_totals_match_the_journal(desk: Desk) -> None:
    two_runs(desk)
    dashboard = desk.oversight.dashboard
    desk.oversight.show_dock("dashboard")
    desk.qtbot.waitUntil(lambda: dashboard.stats.runs == 2, timeout=10_000)
    journal = Journal(dbos_support.journal_url())
    try:
        with journal.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.sum(runs.c.cost_usd))).scalar_one()
            per_agent = dict(conn.execute(sa.select(
                model_calls.c.agent, sa.func.sum(model_calls.c.cost_usd))
                .group_by(model_calls.c.agent)).all())
        stats = dashboard.stats
        assert stats.total_usd == total and total > 0
        assert stats.spend_per_agent == per_agent
        assert sum(stats.spend_per_model.values()) == sum(per_agent.values())
        assert sum(stats.spend_per_day.values()) == total
        assert stats.approvals_requested == 2
        assert stats.error_rate == 0.0
        assert stats.most_expensive_agent is not None
        assert stats.most_expensive_agent[0] == "writer"  # sonnet costs more than haiku
        assert stats.runs_per_version[0][1:] == ("Desk", 2)
        assert (stats.humans[0].human, stats.humans[0].answered) == ("editor", 2)
        assert dashboard.headline["runs"].text() == "2"
        assert "writer" in dashboard.expensive.text()
        assert dashboard.per_agent.values == per_agent
        assert dashboard.versions.item(0, 2).text() == "2"
        assert journal_stats(journal) == stats
    finally:
        journal.close()


def test_a_denied_tool_makes_its_agent_the_most_failing(desk: Desk) -> None:
    desk.oversight.bridge.approval_requested.connect(
        lambda r: desk.oversight.bridge.answer(r.request_id, False, "t", "no"))
    script_happy_path(desk.server)
    desk.run()
    desk.wait_finished()
    desk.oversight.show_dock("dashboard")
    desk.qtbot.waitUntil(lambda: desk.oversight.dashboard.stats.runs == 1, timeout=10_000)
    stats = desk.oversight.dashboard.stats
    assert (stats.tool_calls, stats.tool_denied) == (1, 1)
    assert stats.denial_rate == 1.0
    assert stats.most_failing_agent == ("writer", 1)
    assert "writer" in desk.oversight.dashboard.failing.text()


def test_the_dashboard_grabs_to_a_png_that_is_not_blank(desk: Desk, tmp_path) -> None:
    two_runs(desk)
    dashboard = desk.oversight.dashboard
    desk.oversight.show_dock("dashboard")
    desk.qtbot.waitUntil(lambda: dashboard.stats.runs == 2, timeout=10_000)
    dock = desk.oversight.dock("dashboard")
    dock.setFloating(True)
    dock.show()
    dock.resize(1200, 680)
    desk.qtbot.waitUntil(lambda: dashboard.width() >= 1100)
    target = tmp_path / "dashboard.png"
    assert dashboard.grab().save(str(target))
    image = QImage(str(target))
    assert image.width() >= 1100
    assert distinct_colours(image) > 20, "the dashboard looks blank"
    chart = QImage(dashboard.per_agent.grab().toImage())
    orange = {image_colour for image_colour in (
        chart.pixelColor(x, y).name() for x in range(0, chart.width(), 3)
        for y in range(0, chart.height(), 3))}
    assert "#d9822b" in orange, "the per-agent bars are drawn"


def test_an_empty_journal_gives_zeros_not_errors() -> None:
    stats = OversightStats()
    assert (stats.error_rate, stats.denial_rate, stats.most_expensive_agent,
            stats.most_failing_agent) == (0.0, 0.0, None, None)
