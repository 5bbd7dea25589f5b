"""Run-journal schema versions: an old journal opens with every row, a newer one is refused.

The golden journal `tests/golden/journal/v1-bcc0fea.sqlite` was written by the code of
commit bcc0fea (schema version 1, no `journal_meta`) with `make_v1_journal.py` beside
it: two completed runs and one whose process died mid-run. Every test works on a copy.
"Unchanged" is checked byte for byte (sha256 of the database file). The PostgreSQL
tests need `ROSTER_TEST_PG_URL` (.ci/run starts a server with .ci/postgres.sh).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from runtime.cli.main import main
from runtime.engine import journal as jn
from runtime.engine import journal_migrations as jm

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "journal" / "v1-bcc0fea.sqlite"
V1_RUN_STATUS = 4  # the position of `status` in a version-1 `runs` row
V1_TABLES = ("runs", "steps", "model_calls", "tool_calls", "approvals", "audit", "events",
             "signals")


def dead_run() -> str:
    """The golden run whose process died on its third turn (left `running`)."""
    return next(r[0] for r in dump(GOLDEN)["runs"] if r[V1_RUN_STATUS] == "running")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every version-1 table, sorted, read with plain sqlite3."""
    with sqlite3.connect(path) as conn:
        out = {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
               for t in V1_TABLES}
    conn.close()
    return out


def sqlite_exec(path: Path, *statements: str) -> None:
    """Change a database behind the journal's back (then fold the WAL into the file)."""
    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def tables_and_columns(url: str) -> dict[str, set[str]]:
    engine = sa.create_engine(jn.engine_url(url))
    try:
        inspector = sa.inspect(engine)
        return {t: {c["name"] for c in inspector.get_columns(t)}
                for t in inspector.get_table_names()}
    finally:
        engine.dispose()


def meta(url: str) -> dict[str, str]:
    engine = sa.create_engine(jn.engine_url(url))
    try:
        with engine.connect() as conn:
            return {k: v for k, v in conn.execute(sa.select(jm.journal_meta)).all()}
    finally:
        engine.dispose()


@pytest.fixture
def golden(tmp_path: Path) -> Path:
    """A private copy of the version-1 golden journal."""
    path = tmp_path / "runs.db"
    shutil.copyfile(GOLDEN, path)
    return path


def open_journal(path: Path) -> jn.Journal:
    return jn.Journal(url_of(path))


def newer_journal(tmp_path: Path) -> Path:
    """A journal stamped with a version this build does not know."""
    path = tmp_path / "newer.db"
    open_journal(path).close()
    sqlite_exec(path, f"UPDATE journal_meta SET value = '{jm.CURRENT_VERSION + 1}' "
                      "WHERE key = 'schema_version'")
    return path


# ------------------------------------------------------------------ the golden v1 journal

def test_the_golden_journal_is_a_version_1_journal_with_runs_in_every_table() -> None:
    rows = dump(GOLDEN)
    assert "journal_meta" not in tables_and_columns(url_of(GOLDEN))
    assert {t for t, found in rows.items() if not found} == {"signals"}  # never used by v1
    assert len(rows["runs"]) == 3


def test_a_v1_journal_is_migrated_on_open_and_keeps_every_row(golden: Path) -> None:
    before = dump(golden)
    journal = open_journal(golden)
    try:
        assert journal.schema.found == 1 and journal.schema.version == jm.CURRENT_VERSION
        assert journal.schema.applied == (2,)
        assert [r.id for r in journal.list_runs()] and len(journal.list_runs()) == 3
    finally:
        journal.close()
    assert dump(golden) == before
    info = meta(url_of(golden))
    assert info["schema_version"] == str(jm.CURRENT_VERSION)
    assert "from v1" in info["migrated_to_v2"]
    assert "roster_executors" in tables_and_columns(url_of(golden))


def test_an_unstamped_journal_of_a_later_build_is_stamped_and_keeps_its_rows(
        golden: Path) -> None:
    """Builds between bcc0fea and versioning also created `roster_executors`."""
    open_journal(golden).close()
    sqlite_exec(golden, "DROP TABLE journal_meta",
                "INSERT INTO roster_executors (id, kind, status) VALUES ('w1', 'worker', 'alive')")
    before = dump(golden)
    journal = open_journal(golden)
    journal.close()
    assert (journal.schema.found, journal.schema.applied) == (1, (2,))
    assert dump(golden) == before
    with sqlite3.connect(golden) as conn:
        assert conn.execute("SELECT id FROM roster_executors").fetchall() == [("w1",)]
    conn.close()


def test_the_backup_is_the_journal_as_it_was_before_migrating(golden: Path) -> None:
    before = dump(golden)
    journal = open_journal(golden)
    journal.close()
    backup = golden.with_name("runs.db.bak-v1")
    assert journal.schema.backup == backup and backup.is_file()
    assert dump(backup) == before
    assert "journal_meta" not in tables_and_columns(url_of(backup))
    assert not list(golden.parent.glob("*.partial"))


def test_a_migrated_journal_reads_like_the_old_one(golden: Path) -> None:
    """Totals, costs per agent and the stored event stream survive the migration."""
    journal = open_journal(golden)
    try:
        done = [r for r in journal.list_runs() if r.status == "completed"]
        assert len(done) == 2 and all(r.cost_usd > 0 and r.model_calls for r in done)
        for run in done:
            assert journal.costs(run.id, "agent")[0][0] == "worker"
            kinds = [kind for _, kind, _, _ in journal.stored_events(run.id)]
            assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished"
        steps = journal.load_steps(dead_run())
        assert steps["worker/model/3"].status == "started"  # what `runs resume` continues
    finally:
        journal.close()


def test_reopening_a_migrated_journal_changes_nothing(golden: Path) -> None:
    open_journal(golden).close()
    backup = golden.with_name("runs.db.bak-v1")
    stamp = backup.stat().st_mtime_ns
    journal = open_journal(golden)
    journal.close()
    assert (journal.schema.found, journal.schema.applied) == (jm.CURRENT_VERSION, ())
    assert journal.schema.backup is None and backup.stat().st_mtime_ns == stamp


def test_roster_runs_list_and_show_print_the_old_runs(
        golden: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "list", "--db", str(golden)]) == 0
    listing = capsys.readouterr().out
    old = dump(GOLDEN)["runs"]
    for row in old:
        assert row[0] in listing
    assert "write two notes" in listing and "write one approved note" in listing
    for row in old:
        assert main(["runs", "show", row[0][:6], "--db", str(golden)]) == 0
        shown = capsys.readouterr().out
        assert f"run {row[0]}" in shown and "costs per agent:" in shown
        assert "worker → notes" in shown  # the trace comes from the old event stream


def test_the_designers_history_reads_the_migrated_journal(golden: Path) -> None:
    pytest.importorskip("PySide6")
    from designer.oversight.presenter import stored_run_events
    from designer.oversight.stats import journal_stats
    from runtime.engine import events as ev

    journal = open_journal(golden)
    try:
        stats = journal_stats(journal)
        history = journal.list_runs(1000)
        replay = {r.id: stored_run_events(journal, r.id) for r in history}
    finally:
        journal.close()
    assert len(history) == 3 and stats is not None
    assert all(isinstance(events[0], ev.RunStarted) for events in replay.values())
    assert sum(isinstance(e, ev.ToolFinished) for e in replay[dead_run()]) == 2


# ------------------------------------------------------------------ versions and the chain

def test_a_fresh_journal_is_created_at_the_current_version(tmp_path: Path) -> None:
    journal = open_journal(tmp_path / "fresh.db")
    journal.close()
    assert journal.schema.created and journal.schema.found == 0
    assert journal.schema.backup is None and not list(tmp_path.glob("*.bak-*"))
    assert meta(url_of(tmp_path / "fresh.db")) == {"schema_version": str(jm.CURRENT_VERSION)}


def test_an_in_memory_journal_gets_its_tables_on_its_own_connection() -> None:
    journal = jn.Journal("sqlite://")
    try:
        assert journal.schema.created and journal.list_runs() == []
    finally:
        journal.close()


def test_the_migration_chain_ends_at_the_tables_todays_code_creates(
        tmp_path: Path, golden: Path) -> None:
    """A column added to a table without a migration step fails here."""
    open_journal(golden).close()
    open_journal(tmp_path / "fresh.db").close()
    assert tables_and_columns(url_of(golden)) == tables_and_columns(url_of(tmp_path / "fresh.db"))


def test_the_chain_leads_one_version_at_a_time_to_the_current_version() -> None:
    jm.check_chain(jm.MIGRATIONS, jm.CURRENT_VERSION)
    assert jm.MIGRATIONS[-1].version == jm.CURRENT_VERSION
    with pytest.raises(ValueError, match="does not lead from 1 to 3"):
        jm.check_chain(jm.MIGRATIONS, 3)


def test_a_journal_written_by_a_newer_build_is_refused_and_left_unchanged(
        tmp_path: Path) -> None:
    path = newer_journal(tmp_path)
    before, files = sha256(path), sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(jm.JournalTooNewError) as caught:
        open_journal(path)
    message = str(caught.value)
    assert f"schema version {jm.CURRENT_VERSION + 1}" in message
    assert f"supports versions up to {jm.CURRENT_VERSION}" in message
    assert "upgrade roster" in message and str(path) in message
    assert sha256(path) == before and sorted(p.name for p in tmp_path.iterdir()) == files


def test_roster_runs_refuses_a_newer_journal_with_the_fix_and_no_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = newer_journal(tmp_path)
    before = sha256(path)
    assert main(["runs", "list", "--db", str(path)]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith("error: the run journal")
    assert "upgrade roster" in out.err and "Traceback" not in out.err
    assert sha256(path) == before


def test_an_unreadable_version_is_refused_with_how_to_recover(tmp_path: Path) -> None:
    path = newer_journal(tmp_path)
    sqlite_exec(path, "UPDATE journal_meta SET value = 'two' WHERE key = 'schema_version'")
    before = sha256(path)
    with pytest.raises(jm.JournalSchemaError, match=r"not a version number.*To recover"):
        open_journal(path)
    assert sha256(path) == before


def test_a_file_that_is_not_a_database_is_refused_and_left_unchanged(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a journal\n" * 200, encoding="utf-8")
    assert main(["runs", "list", "--db", str(path)]) == 2
    err = capsys.readouterr().err
    assert "file is not a database" in err and "To recover" in err
    assert path.read_text(encoding="utf-8") == "not a journal\n" * 200


# ------------------------------------------------------------------ failed migrations

def failing_step(conn: sa.Connection) -> None:
    """Changes the schema and the data, then fails: all of it must roll back."""
    conn.execute(sa.text("CREATE TABLE half_done (x INTEGER)"))
    conn.execute(sa.text("UPDATE runs SET status = 'mangled'"))
    conn.execute(sa.text("SELECT * FROM no_such_table"))


def test_a_failing_migration_rolls_back_and_leaves_the_file_unchanged(golden: Path) -> None:
    before = sha256(golden)
    chain = (*jm.MIGRATIONS, jm.Migration(3, "a step that fails", failing_step))
    with pytest.raises(jm.JournalMigrationError) as caught:
        jm.prepare_journal(url_of(golden), chain, target=3)
    message = str(caught.value)
    assert "from schema version 1 to 3 at the step to version 3 (a step that fails)" in message
    assert "rolled back" in message and "To recover" in message
    assert "runs.db.bak-v1" in message  # where the copy taken before the attempt is
    assert sha256(golden) == before
    assert jm.prepare_journal(url_of(golden)).applied == (2,)  # the real chain still works


def test_a_migration_that_leaves_a_table_incomplete_is_rolled_back(golden: Path) -> None:
    """A v1 journal holding an unrelated `roster_executors` table: the step skips it, the
    final check finds its columns missing, and nothing is stamped or changed."""
    sqlite_exec(golden, "CREATE TABLE roster_executors (id TEXT PRIMARY KEY)")
    before = sha256(golden)
    with pytest.raises(jm.JournalMigrationError, match=r"lacks column.*kind"):
        open_journal(golden)
    assert sha256(golden) == before
    assert "journal_meta" not in tables_and_columns(url_of(golden))


def test_an_earlier_backup_is_never_overwritten(golden: Path) -> None:
    earlier = golden.with_name("runs.db.bak-v1")
    earlier.write_bytes(b"an earlier backup")
    journal = open_journal(golden)
    journal.close()
    assert earlier.read_bytes() == b"an earlier backup"
    assert journal.schema.backup == golden.with_name("runs.db.bak-v1.1")


def test_a_journal_that_cannot_be_backed_up_is_not_migrated(golden: Path) -> None:
    blocker = golden.with_name("runs.db.bak-v1.partial")
    blocker.mkdir()  # the backup cannot be written: its temporary name is a directory
    before = sha256(golden)
    with pytest.raises(jm.JournalMigrationError, match=r"cannot back up.*nothing was changed"):
        open_journal(golden)
    assert sha256(golden) == before


# ------------------------------------------------------------------ concurrency

def race(count: int, opener: Callable[[], jm.MigrationResult]) -> list[jm.MigrationResult]:
    """`count` threads open the same journal at the same moment (each its own connection)."""
    start, results, errors = threading.Barrier(count), [], []

    def one() -> None:
        start.wait()
        try:
            results.append(opener())
        except Exception as exc:  # collected: the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and len(results) == count
    return results


def test_sqlite_journals_opened_together_are_migrated_once(golden: Path) -> None:
    results = race(4, lambda: jm.prepare_journal(url_of(golden)))
    assert sorted(r.applied for r in results) == [(), (), (), (2,)]
    assert all(r.version == jm.CURRENT_VERSION for r in results)


def postgres_url() -> str:
    from tests.runtime.scale.support import PG_ENV, fresh_database

    base = os.environ.get(PG_ENV, "")
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PG_ENV} is not set under CI: .ci/run must start PostgreSQL")
        pytest.skip(f"needs PostgreSQL: set {PG_ENV} (eval \"$(bash .ci/postgres.sh)\")")
    return fresh_database(base)


def v1_on_postgres(url: str) -> None:
    """The version-1 schema (the journal tables, nothing else) holding one finished run."""
    engine = sa.create_engine(jn.engine_url(url))
    try:
        jn._md.create_all(engine)
        with engine.begin() as conn:
            conn.execute(jn.runs.insert().values(id="old-run", status="completed", cost_usd=0.5,
                                                 task="from v1"))
    finally:
        engine.dispose()


def test_postgres_workers_starting_together_migrate_once() -> None:
    url = postgres_url()
    v1_on_postgres(url)
    results = race(6, lambda: jm.prepare_journal(jn.engine_url(url)))
    assert sorted(r.applied for r in results) == [()] * 5 + [(2,)]
    info = meta(url)
    assert info["schema_version"] == str(jm.CURRENT_VERSION) and "migrated_to_v2" in info
    journal = jn.Journal(url)
    try:
        assert [(r.id, r.cost_usd) for r in journal.list_runs()] == [("old-run", 0.5)]
    finally:
        journal.close()


def test_a_fresh_postgres_journal_opened_by_many_is_created_once() -> None:
    url = postgres_url()
    results = race(6, lambda: jm.prepare_journal(jn.engine_url(url)))
    assert sum(r.created for r in results) == 1
    assert meta(url) == {"schema_version": str(jm.CURRENT_VERSION)}


def test_a_newer_postgres_journal_is_refused_and_left_unchanged() -> None:
    url = postgres_url()
    jn.Journal(url).close()
    engine = sa.create_engine(jn.engine_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(jm.journal_meta.update().where(jm.journal_meta.c.key == "schema_version")
                         .values(value=str(jm.CURRENT_VERSION + 1)))
    finally:
        engine.dispose()
    with pytest.raises(jm.JournalTooNewError, match="upgrade roster") as caught:
        jn.Journal(url)
    assert "postgresql://" in str(caught.value)  # the URL as the user wrote it
    assert meta(url)["schema_version"] == str(jm.CURRENT_VERSION + 1)
