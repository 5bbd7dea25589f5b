"""sqlite: named and bound queries, read-only by grant, no ATTACH/VACUUM INTO/PRAGMA writes."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from runtime.engine.tools._common import Refused, Roots
from runtime.engine.tools.sqlite import SqliteTool
from tests.runtime.engine.tools import Ctx, call, node

QUERIES = {"by_name": "SELECT id, name FROM people WHERE name = :name",
           "count": "SELECT count(*) AS n FROM people",
           "add": "INSERT INTO people(name) VALUES (:name)"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    with sqlite3.connect(folder / "app.db") as conn:
        conn.execute("CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT, photo BLOB)")
        conn.executemany("INSERT INTO people(name, photo) VALUES (?, ?)",
                         [(f"p{i}", b"\x00\x01") for i in range(1000)])
    conn.close()
    return folder


def tool(root: Path, writers: frozenset[str] | None = frozenset(), modes: tuple[str, ...] = (),
         **config: Any) -> SqliteTool:
    config = {"database": "app.db", "queries": QUERIES, **config}
    return SqliteTool(node("sqlite", fs_roots=(str(root),), modes=modes, config=config),
                      Roots([str(root)]), writers=writers)


def count(root: Path) -> int:
    with sqlite3.connect(root / "app.db") as conn:
        value: int = conn.execute("SELECT count(*) FROM people").fetchone()[0]
    conn.close()
    return value


def test_named_queries_bind_their_parameters(root: Path) -> None:
    t = tool(root)
    assert '"rows": [[2, "p1"]]' in call(t, {"query": "by_name", "params": {"name": "p1"}}).content
    injected = call(t, {"query": "by_name", "params": {"name": "x' OR '1'='1"}})
    assert '"rows": []' in injected.content
    assert "unknown query" in call(t, {"query": "drop_all"}).content
    assert call(t, {"sql": "SELECT 1"}).is_error  # raw SQL is off
    assert call(t, {"query": "by_name", "params": {"name": {"$ne": 1}}}).is_error
    assert t.spec.input_schema["properties"]["query"]["enum"] == sorted(QUERIES)


def test_readers_cannot_write_even_through_a_named_write_query(root: Path) -> None:
    result = call(tool(root), {"query": "add", "params": {"name": "mallory"}}, Ctx("reader"))
    assert result.is_error and "read-only" in result.content
    writer = tool(root, writers=frozenset({"clerk"}))
    assert call(writer, {"query": "add", "params": {"name": "ok"}}, Ctx("clerk")).content \
        == "ok: 1 rows changed"
    assert call(writer, {"query": "add", "params": {"name": "no"}}, Ctx("other")).is_error
    assert count(root) == 1001
    # outside a roster (writers=None) the declared modes decide
    read_only = tool(root, writers=None, modes=("read",))
    assert call(read_only, {"query": "add", "params": {"name": "no"}}).is_error
    assert count(root) == 1001


@pytest.mark.parametrize("sql", [
    "SELECT 1; DROP TABLE people",
    "ATTACH DATABASE '/tmp/agent-roster-attached.db' AS x",
    "PRAGMA writable_schema = ON",
    "PRAGMA journal_mode = DELETE",
    "SELECT load_extension('/tmp/evil.so')",
    "BEGIN",
])
def test_hostile_raw_sql_is_refused_even_to_writers(root: Path, sql: str) -> None:
    result = call(tool(root, writers=frozenset({"a"}), raw_sql=True), {"sql": sql}, Ctx("a"))
    assert result.is_error, sql
    assert count(root) == 1000
    assert not Path("/tmp/agent-roster-attached.db").exists()


@pytest.mark.parametrize("sql", [
    "DROP TABLE people", "DELETE FROM people", "UPDATE people SET name = 'x'",
    "CREATE TABLE evil(x)", "INSERT INTO people(name) SELECT name FROM people",
    "WITH d AS (SELECT 1) DELETE FROM people", "REPLACE INTO people(id, name) VALUES (1, 'x')",
])
def test_readers_cannot_change_anything(root: Path, sql: str) -> None:
    result = call(tool(root, raw_sql=True), {"sql": sql}, Ctx("reader"))
    assert result.is_error and "read-only" in result.content, sql
    assert count(root) == 1000


def test_vacuum_into_cannot_write_a_file_anywhere(root: Path, tmp_path: Path) -> None:
    target = tmp_path / "copy.db"
    for writers in (frozenset(), frozenset({"a"})):
        result = call(tool(root, writers=writers, raw_sql=True),
                      {"sql": f"VACUUM INTO '{target}'"}, Ctx("a"))
        assert result.is_error and not target.exists()


def test_schema_pragmas_and_raw_selects_work(root: Path) -> None:
    t = tool(root, raw_sql=True)
    assert '"name"' in call(t, {"sql": "PRAGMA table_info(people)"}).content
    blob = call(t, {"sql": "SELECT photo FROM people WHERE id = ?", "params": [1]})
    assert "<blob: 2 bytes>" in blob.content


def test_rows_and_bytes_are_capped(root: Path) -> None:
    rows = call(tool(root, raw_sql=True, max_rows=50), {"sql": "SELECT id FROM people"})
    assert "first 50" in rows.content
    assert len(json.loads(rows.content.split("\n")[0])["rows"]) == 50
    size = call(tool(root, raw_sql=True, max_bytes=2000), {"sql": "SELECT * FROM people"})
    assert "2000 bytes" in size.content and len(size.content) < 2300


def test_a_runaway_query_is_interrupted(root: Path) -> None:
    sql = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
           "SELECT count(*) FROM n")
    started = time.monotonic()
    result = call(tool(root, raw_sql=True, timeout_s=0.5), {"sql": sql})
    assert result.is_error and "timed out after 0.5 s" in result.content
    assert time.monotonic() - started < 3


def test_a_database_outside_the_roots_is_refused(root: Path, tmp_path: Path) -> None:
    for database in ("../elsewhere.db", "/etc/passwd", str(tmp_path / "x.db")):
        with pytest.raises(Refused):
            tool(root, database=database)
    with pytest.raises(Refused):
        SqliteTool(node("sqlite", config={"database": "app.db"}), Roots([str(root)]))
