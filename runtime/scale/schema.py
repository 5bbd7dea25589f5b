"""Opening a run database that several processes may be creating at the same moment.

The journal and the executors table are created on first use (`CREATE TABLE` when
missing). On PostgreSQL two processes starting together on a fresh database (a
pool's first workers, a submit racing a worker) would both see the tables missing
and one would fail on the duplicate; a transaction-level advisory lock makes the
first one create them while the others wait, then find them. Schema versions and
migrations of an existing journal happen inside `Journal(url)` itself
(runtime/engine/journal_migrations.py), under their own advisory lock
(`MIGRATION_LOCK`, a different key, so holding this lock never waits on itself).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from runtime.engine.journal import engine_url

if TYPE_CHECKING:
    from runtime.engine.journal import Journal

SCHEMA_LOCK = 0x526F73746572  # "Roster": any constant shared by every process


def open_journal(url: str) -> Journal:
    """The journal at `url`, its tables (and the executors table) created exactly once."""
    from runtime.engine.journal import Journal
    from runtime.scale.registry import Registry

    if not engine_url(url).startswith("postgresql"):
        journal = Journal(url)
        Registry(journal.engine)
        return journal
    guard = sa.create_engine(engine_url(url), poolclass=sa.pool.NullPool)
    try:
        with guard.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
            journal = Journal(url)
            Registry(journal.engine)
    finally:
        guard.dispose()
    return journal


__all__ = ["open_journal"]
