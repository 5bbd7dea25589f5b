"""File → Connect to a Run Database: a pending approval of a run is listed and answered.

The database here is a SQLite journal file (the window treats it exactly like a
pool's postgresql:// URL): a running run with one unanswered approval is
recorded, the window connects, lists the run and the approval, and Approve
leaves the answer in the run's mailbox, where the executor would take it.
"""

from __future__ import annotations

import time
from pathlib import Path

from runtime.engine.journal import Journal, approvals


def _waiting_run(db: Path) -> None:
    journal = Journal(f"sqlite:///{db}")
    journal.create_run("run000000001", roster_name="Refunds", content_hash="h", task="refund",
                       roster_path=None, roster_text=None, entry=None, max_usd=None,
                       unattended=0)
    journal.begin_attempt("run000000001", "worker-a", "elsewhere", 1)
    with journal.engine.begin() as conn:
        conn.execute(approvals.insert().values(
            run_id="run000000001", request_id="toolu_1:approval", agent="refunds",
            human="lead", tool="payments", risk="high", reason="a refund of 40 EUR",
            arguments_json="{}", timeout_s=600.0, asked_at=time.time()))
    journal.close()


def test_the_window_lists_a_waiting_approval_and_sends_the_answer(qtbot, tmp_path: Path,
                                                                   window: object) -> None:
    from designer.run_database import RunDatabaseDialog

    db = tmp_path / "runs.db"
    _waiting_run(db)
    action = next(a for a in window.menuBar().actions()[0].menu().actions()  # type: ignore[attr-defined]
                  if "Run &Database" in a.text())
    action.trigger()
    dialog = window._run_database_dialog  # type: ignore[attr-defined]
    assert isinstance(dialog, RunDatabaseDialog)
    dialog.url.setText(str(db))
    dialog.connect_database()
    assert dialog.runs.rowCount() == 1 and dialog.runs.item(0, 0).text() == "run000000001"
    assert dialog.approvals.rowCount() == 1
    assert dialog.approvals.item(0, 1).text() == "toolu_1:approval"
    assert not dialog.approve_button.isEnabled()
    dialog.approvals.selectRow(0)
    assert dialog.approve_button.isEnabled()
    dialog.note.setText("ok, refund it")
    dialog.approve_button.click()
    journal = Journal(f"sqlite:///{db}")
    try:
        answer = journal.take_signal("run000000001", "toolu_1:approval")
    finally:
        journal.close()
    assert answer is not None and answer["approved"] is True
    assert answer["note"] == "ok, refund it"
    dialog.done(0)
    assert dialog.submitter is None


def test_a_database_that_cannot_be_opened_is_reported_in_the_window(qtbot,
                                                                     tmp_path: Path) -> None:
    from designer.run_database import RunDatabaseDialog

    dialog = RunDatabaseDialog()
    qtbot.addWidget(dialog)
    dialog.url.setText("postgresql://nobody:secret-pw@127.0.0.1:1/none")
    dialog.connect_database()
    text = dialog.status.text()
    assert dialog.submitter is None or "Refresh failed" in text
    assert "secret-pw" not in text
