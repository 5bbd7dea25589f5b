"""Schema versions of the run journal and the ordered migrations between them.

The journal is the user's record of every run and what it cost, so a journal
written by an older build must open in a newer one with every row intact, and
one written by a newer build must be refused rather than misread. The version
lives in a small key/value table, `journal_meta` (`schema_version`, plus one
`migrated_to_v<N>` row per migration applied: when, and from which version).

Versions:
  1  the journal as of commit bcc0fea: runs, steps, model_calls, tool_calls,
     approvals, audit, events, signals. It had no `journal_meta`, so a database
     with journal tables and no `journal_meta` is version 1.
  2  today's: version 1 plus `roster_executors` (the scale-out registry of
     executors and their heartbeats) and `journal_meta` itself.

`prepare_journal(url)` runs before anything else touches the database (the
`Journal` constructor calls it). A fresh database gets today's tables and is
stamped with `CURRENT_VERSION`; an older journal is migrated step by step inside
one transaction, then checked against today's tables before the new version is
stamped, so a failed or incomplete migration rolls back and changes nothing.
On SQLite the transaction holds the write lock (BEGIN IMMEDIATE) and a copy of
the database is taken first, `<db>.bak-v<N>` (SQLite's online backup, so rows
still in the WAL are included). On PostgreSQL the migration runs under a
transaction-level advisory lock, so workers starting together migrate once:
the first migrates, the others wait and then find the journal current.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

CURRENT_VERSION = 2
MIGRATION_LOCK = 0x526F73746572 + 1  # not the table-creation lock of runtime/scale/schema.py
UPGRADE_HINT = "upgrade roster (pip install --upgrade agent-roster) to open it"
_log = logging.getLogger(__name__)

_meta_md = sa.MetaData()
journal_meta = sa.Table("journal_meta", _meta_md,
                        sa.Column("key", sa.String(100), primary_key=True),
                        sa.Column("value", sa.Text(), nullable=False))


class JournalSchemaError(RuntimeError):
    """The journal cannot be opened by this build; it was left as it was."""


class JournalTooNewError(JournalSchemaError):
    """The journal was written by a newer build (a schema version this code does not know)."""


class JournalMigrationError(JournalSchemaError):
    """Migrating the journal failed; the transaction was rolled back."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the chain: `apply` turns version `version - 1` into `version`. It runs
    inside the migration's transaction and must not commit."""

    version: int
    summary: str
    apply: Callable[[sa.Connection], None]


@dataclass(frozen=True, slots=True)
class MigrationResult:
    """What opening the journal did to its schema."""

    found: int  # the version found: 0 for a fresh database
    version: int  # the version it is at now
    applied: tuple[int, ...] = ()  # the versions migrated to, in order (empty: nothing done)
    backup: Path | None = None  # the SQLite copy taken before migrating
    created: bool = field(default=False)  # a fresh journal was created and stamped


def _to_v2(conn: sa.Connection) -> None:
    """v1 -> v2: the executors registry table (scale-out), as runtime/scale/registry.py
    declared it when version 2 was defined. Frozen here: later changes need a new step."""
    md = sa.MetaData()
    text, number = sa.String(200), sa.Float()
    sa.Table("roster_executors", md, sa.Column("id", text, primary_key=True),
             sa.Column("kind", sa.String(20)), sa.Column("host", text),
             sa.Column("pid", sa.Integer), sa.Column("status", sa.String(20)),
             sa.Column("started_at", number), sa.Column("heartbeat_at", number),
             sa.Column("recovered_by", text), sa.Column("recovered_at", number))
    md.create_all(conn, checkfirst=True)  # builds between v1 and v2 created it unstamped


MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, "add roster_executors (scale-out executor registry)", _to_v2),
)


def current_tables() -> sa.MetaData:
    """Every table today's code reads and writes in a run database (journal, registry, meta)."""
    from runtime.engine import journal
    from runtime.scale import registry

    md = sa.MetaData()
    for source in (journal._md, registry._md, _meta_md):
        for table in source.tables.values():
            table.to_metadata(md)
    return md


def schema_problems(conn: sa.Connection) -> list[str]:
    """What the database lacks compared with today's tables (empty: it matches)."""
    inspector = sa.inspect(conn)
    have = set(inspector.get_table_names())
    problems = []
    for name, table in sorted(current_tables().tables.items()):
        if name not in have:
            problems.append(f"table {name!r} is missing")
            continue
        columns = {c["name"] for c in inspector.get_columns(name)}
        missing = [c.name for c in table.columns if c.name not in columns]
        if missing:
            problems.append(f"table {name!r} lacks column(s) {', '.join(missing)}")
    return problems


def read_version(conn: sa.Connection) -> int:
    """The schema version of the database: 0 when it holds no journal at all."""
    have = set(sa.inspect(conn).get_table_names())
    if "journal_meta" not in have:
        from runtime.engine import journal

        return 1 if have & set(journal._md.tables) else 0
    raw = conn.execute(sa.select(journal_meta.c.value)
                       .where(journal_meta.c.key == "schema_version")).scalar()
    try:
        return int(str(raw))
    except ValueError:
        raise JournalSchemaError(
            f"journal_meta.schema_version is {raw!r}, not a version number") from None


def prepare_journal(url: str, migrations: Sequence[Migration] = MIGRATIONS,
                    target: int = CURRENT_VERSION, *,
                    owner: sa.Engine | None = None) -> MigrationResult:
    """Bring the database at `url` (a SQLAlchemy URL) to version `target`, or refuse.

    Raises `JournalTooNewError` for a journal newer than `target` and
    `JournalMigrationError` when a step or the final check fails; in both cases the
    database is unchanged and the message says what to do. `migrations` and `target`
    default to this build's chain (tests pass their own to exercise failures). The
    work is done on a private engine, except for an in-memory SQLite database, which
    exists only on the connection of the engine that owns it: pass it as `owner`."""
    check_chain(migrations, target)
    in_memory = _sqlite_path(url) is None and url.startswith("sqlite")
    if in_memory and owner is not None:
        with owner.connect() as conn:
            found = _peek(conn, url, target)
            with conn.begin():
                applied = () if found == target else _apply(conn, url, found, migrations,
                                                            target, None)
        return MigrationResult(found, target, applied, created=found == 0)
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            found = _peek(conn, url, target)
            if found == target:
                return MigrationResult(found, found)
            if engine.dialect.name == "sqlite":
                return _migrate_sqlite(conn, url, migrations, target)
            return _migrate_locked(conn, url, migrations, target)
    finally:
        engine.dispose()


def check_chain(migrations: Sequence[Migration], target: int) -> None:
    """The chain must lead from version 1 to `target` one version at a time."""
    versions = [m.version for m in migrations]
    if versions != list(range(2, target + 1)):
        raise ValueError(f"migration chain {versions} does not lead from 1 to {target}")


def _engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def manual_transactions(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN IMMEDIATE ourselves
            dbapi_conn.execute("PRAGMA busy_timeout=30000")
    return engine


def _peek(conn: sa.Connection, url: str, target: int) -> int:
    """The version, read without taking any lock; refuses a journal that is too new."""
    with conn.begin():
        found = _checked_version(conn, url, target)
    return found


def _checked_version(conn: sa.Connection, url: str, target: int) -> int:
    try:
        found = read_version(conn)
    except (JournalSchemaError, sa.exc.DatabaseError) as exc:
        if isinstance(exc, sa.exc.OperationalError):  # locked, unreachable: not the file's fault
            raise
        cause = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
        raise JournalSchemaError(
            f"cannot read the schema version of the run journal {_where(url)}: {cause}. "
            f"Nothing was changed. Check that --db names a run journal; if it does, it is "
            f"damaged. {_recovery(url, None)}") from exc
    if found > target:
        raise JournalTooNewError(
            f"the run journal {_where(url)} has schema version {found}, but this build of "
            f"roster supports versions up to {target}: it was written by a newer roster. "
            f"To fix: {UPGRADE_HINT}. The journal was not changed.")
    return found


def _migrate_sqlite(conn: sa.Connection, url: str, migrations: Sequence[Migration],
                    target: int) -> MigrationResult:
    path = _sqlite_path(url)
    backup: Path | None = None
    with conn.begin():
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, held until commit
        found = _checked_version(conn, url, target)  # another process may have migrated
        if found == target:
            return MigrationResult(found, found)
        if found > 0 and path is not None:
            try:
                backup = _backup(path, found)
            except (OSError, sqlite3.Error) as exc:
                raise JournalMigrationError(
                    f"cannot back up the run journal {path} before migrating it from schema "
                    f"version {found} to {target} ({exc}); nothing was changed. To fix: "
                    f"free disk space or make {path.parent} writable, then open it "
                    f"again.") from exc
        applied = _apply(conn, url, found, migrations, target, backup)
    return _done(url, found, target, applied, backup)


def _migrate_locked(conn: sa.Connection, url: str, migrations: Sequence[Migration],
                    target: int) -> MigrationResult:
    with conn.begin():
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        found = _checked_version(conn, url, target)  # the first worker may have migrated
        if found == target:
            return MigrationResult(found, found)
        applied = _apply(conn, url, found, migrations, target, None)
    return _done(url, found, target, applied, None)


def _done(url: str, found: int, target: int, applied: tuple[int, ...],
          backup: Path | None) -> MigrationResult:
    if found:
        _log.info("migrated the run journal %s from schema version %d to %d%s", _where(url),
                  found, target, f" (backup: {backup})" if backup else "")
    return MigrationResult(found, target, applied, backup, created=found == 0)


def _apply(conn: sa.Connection, url: str, found: int, migrations: Sequence[Migration],
           target: int, backup: Path | None) -> tuple[int, ...]:
    """Inside the open transaction: the steps, the check, the stamp. Raises on any failure
    (the caller's transaction then rolls back)."""
    step: Migration | None = None
    try:
        if found == 0:  # a fresh database: today's tables directly
            current_tables().create_all(conn, checkfirst=True)
            applied: tuple[int, ...] = ()
        else:
            _meta_md.create_all(conn, checkfirst=True)
            todo = [m for m in migrations if m.version > found]
            for step in todo:
                step.apply(conn)
                conn.execute(journal_meta.insert().values(
                    key=f"migrated_to_v{step.version}",
                    value=f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} from "
                          f"v{step.version - 1}: {step.summary}"))
            step = None
            applied = tuple(m.version for m in todo)
            problems = schema_problems(conn)
            if problems:
                raise JournalSchemaError("after migrating, " + "; ".join(problems))
        conn.execute(journal_meta.delete().where(journal_meta.c.key == "schema_version"))
        conn.execute(journal_meta.insert().values(key="schema_version", value=str(target)))
        return applied
    except JournalSchemaError as exc:
        raise JournalMigrationError(_failed(url, found, target, step, exc, backup)) from exc
    except (sa.exc.SQLAlchemyError, sqlite3.Error, OSError) as exc:
        raise JournalMigrationError(_failed(url, found, target, step, exc, backup)) from exc


def _failed(url: str, found: int, target: int, step: Migration | None, exc: BaseException,
            backup: Path | None) -> str:
    at = f" at the step to version {step.version} ({step.summary})" if step else ""
    if not found:
        return (f"cannot create the run journal {_where(url)}: {exc}. Nothing was written. "
                f"To fix: check that the database is writable and is not another "
                f"application's.")
    return (f"cannot migrate the run journal {_where(url)} from schema version {found} to "
            f"{target}{at}: {exc}. The migration was rolled back: the journal was not "
            f"changed. {_recovery(url, backup)}")


def _recovery(url: str, backup: Path | None) -> str:
    path = _sqlite_path(url)
    kept = f" A copy taken before the attempt is at {backup}." if backup else ""
    if path is not None:
        return (f"To recover: keep using the roster build that wrote it, or move it aside "
                f"(mv '{path}' '{path}.old') so a new journal is started; please report "
                f"this error with the file.{kept}")
    return ("To recover: keep using the roster build that wrote it, or point --db at a new "
            "database; back this one up (pg_dump) and please report this error.")


def _backup(path: Path, version: int) -> Path:
    """A consistent copy of the SQLite database (WAL content included), written to a
    temporary name and renamed, so a crash never leaves a half-written backup. An
    existing backup is never replaced: the next free name (`.bak-v1.1`, ...) is used."""
    target, n = path.with_name(f"{path.name}.bak-v{version}"), 0
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.bak-v{version}.{n}")
    partial = target.with_name(target.name + ".partial")
    with contextlib.closing(sqlite3.connect(path)) as source, \
            contextlib.closing(sqlite3.connect(partial)) as copy:
        source.backup(copy)
    os.replace(partial, target)
    return target


def _sqlite_path(url: str) -> Path | None:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database or "")


def _where(url: str) -> str:
    path = _sqlite_path(url)
    if path is not None:
        return str(path)
    shown = sa.engine.make_url(url).render_as_string(hide_password=True)
    return shown.replace("postgresql+psycopg://", "postgresql://", 1)  # as the user wrote it


__all__ = [
    "CURRENT_VERSION",
    "MIGRATIONS",
    "JournalMigrationError",
    "JournalSchemaError",
    "JournalTooNewError",
    "Migration",
    "MigrationResult",
    "check_chain",
    "current_tables",
    "prepare_journal",
    "read_version",
    "schema_problems",
]
