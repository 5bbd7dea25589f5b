"""The journal's hot statements on the database driver: the same rows as SQLAlchemy's
`Connection.execute`, in the same transaction (a rollback undoes them)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from runtime.engine.journal_sql import DriverStatements

md = sa.MetaData()
notes = sa.Table("notes", md, sa.Column("id", sa.String(20), primary_key=True),
                 sa.Column("status", sa.String(20)), sa.Column("n", sa.Integer),
                 sa.Column("ok", sa.Boolean), sa.Column("at", sa.Float))
RESET = notes.update().where(notes.c.id == sa.bindparam("rid")).values(
    status="reset", n=sa.bindparam("n"))  # a literal value and a parameter


def engine(tmp_path: Path) -> sa.Engine:
    made = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    md.create_all(made)
    return made


def rows(made: sa.Engine) -> list[tuple[object, ...]]:
    with made.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(notes).order_by(notes.c.id))]


def test_inserts_and_updates_match_sqlalchemys(tmp_path: Path) -> None:
    made = engine(tmp_path)
    sql = DriverStatements(made.dialect)
    insert = notes.insert()
    with made.begin() as conn:
        sql.execute(conn, insert, {"id": "a", "status": "new", "n": 1, "ok": True, "at": 1.5})
        sql.execute(conn, insert, {"id": "b", "status": "new", "ok": None})  # fewer columns
        sql.execute(conn, RESET, {"rid": "a", "n": 7})
        conn.execute(notes.insert().values(id="c", status="new", n=3, ok=False, at=2.0))
    assert rows(made) == [("a", "reset", 7, True, 1.5), ("b", "new", None, None, None),
                          ("c", "new", 3, False, 2.0)]


def test_a_rollback_undoes_driver_statements(tmp_path: Path) -> None:
    made = engine(tmp_path)
    sql = DriverStatements(made.dialect)
    with made.connect() as conn:
        with conn.begin() as tx:
            sql.execute(conn, notes.insert(), {"id": "a", "status": "new"})
            tx.rollback()
        sql.execute(conn, notes.insert(), {"id": "b", "status": "new"})  # autobegins
        conn.commit()
    assert [r[0] for r in rows(made)] == ["b"]


def test_each_shape_is_compiled_once(tmp_path: Path) -> None:
    made = engine(tmp_path)
    sql = DriverStatements(made.dialect)
    insert = notes.insert()
    with made.begin() as conn:
        for k in range(20):
            sql.execute(conn, insert, {"id": f"k{k}", "status": "new"})
        sql.execute(conn, insert, {"id": "z", "status": "new", "n": 1})
    assert len(sql._compiled) == 2
