"""The `sqlite` tool: parameterised queries on one SQLite database inside the tool's roots.

The database (config `database`, relative to the first fs root) must resolve
inside the tool's `fs_roots`. The model names a query from config `queries`
(`{name: sql}`) and passes its parameters; free SQL is accepted only when config
`raw_sql` is true, one statement at a time. Values always travel as bound
parameters, never spliced into SQL. The engine does not tell a tool which grant
mode a call came through, so the tool looks at the roster instead: an agent
whose grant is not `write` (or any caller, when the tool's modes lack `write`)
gets a connection opened with `mode=ro` and `PRAGMA query_only`, plus an
authorizer that allows nothing but SELECT, reads, functions and a list of
schema-inspecting pragmas. Writers get an authorizer that still refuses ATTACH,
DETACH (and `VACUUM INTO`, which attaches a new file), transactions, virtual
tables and pragmas that change settings. Results are capped by rows (config
`max_rows`, default 200) and rendered bytes (config `max_bytes`, default 256 KB),
and a query is interrupted after config `timeout_s` (default 10 s) or when the
run is cancelled.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any, Final

from runtime.engine.protocols import ToolContext, ToolResult
from runtime.engine.tools._common import (
    BuiltinTool,
    Refused,
    Roots,
    int_config,
    make_spec,
    number_config,
    text_arg,
)
from runtime.roster import model as m

DEFAULT_MAX_ROWS: Final = 200
DEFAULT_MAX_BYTES: Final = 256 * 1024
DEFAULT_TIMEOUT_S: Final = 10.0
MAX_PARAMS: Final = 100
READ_PRAGMAS: Final = frozenset({
    "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
    "foreign_key_list", "collation_list", "function_list", "pragma_list", "compile_options",
})
VALUE_PRAGMAS: Final = frozenset({"user_version", "schema_version", "page_count",
                                  "freelist_count", "page_size", "encoding"})
READ_ACTIONS: Final = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ,
                                 sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE})
NEVER: Final = frozenset({sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH,
                          sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT,
                          sqlite3.SQLITE_CREATE_VTABLE, sqlite3.SQLITE_DROP_VTABLE})
BAD_FUNCTIONS: Final = frozenset({"load_extension", "fts3_tokenizer", "readfile", "writefile",
                                  "edit"})


def _authorizer(write: bool) -> Any:
    def check(action: int, arg1: str | None, arg2: str | None, _db: str | None,
              _trigger: str | None) -> int:
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            ok = name in READ_PRAGMAS or (name in VALUE_PRAGMAS and arg2 is None)
            return sqlite3.SQLITE_OK if ok else sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in BAD_FUNCTIONS:
            return sqlite3.SQLITE_DENY
        if action in NEVER:
            return sqlite3.SQLITE_DENY
        if not write and action not in READ_ACTIONS:
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    return check


def _cell(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<blob: {len(value)} bytes>"
    return value


def _params(value: Any) -> dict[str, Any] | list[Any]:
    if value is None:
        return {}
    if not isinstance(value, dict | list) or len(value) > MAX_PARAMS:
        raise Refused(f"'params' must be an object or a list of at most {MAX_PARAMS} values")
    values = value.values() if isinstance(value, dict) else value
    for item in values:
        if item is not None and not isinstance(item, str | int | float | bool):
            raise Refused("each parameter must be a string, number, boolean or null")
        if isinstance(item, str) and len(item) > 100_000:
            raise Refused("a parameter is longer than 100000 characters")
    return value


class SqliteTool(BuiltinTool):
    times_itself = True

    def __init__(self, tool: m.Tool, roots: Roots, *,
                 writers: frozenset[str] | None = None) -> None:
        super().__init__(tool, writers)
        self.roots = roots
        database = tool.config.get("database")
        if not isinstance(database, str) or not database:
            raise Refused("config 'database' (the database file's path) is not set")
        self.database = database
        self.roots.resolve(database)  # refuse a database outside the roots at build time
        queries = tool.config.get("queries")
        self.queries: dict[str, str] = ({str(k): str(v) for k, v in queries.items()}
                                        if isinstance(queries, Mapping) else {})
        self.raw_sql = tool.config.get("raw_sql") is True
        if not self.queries and not self.raw_sql:
            raise Refused("it has no named queries (config 'queries') and raw_sql is off")
        self.max_rows = int_config(tool, "max_rows", DEFAULT_MAX_ROWS)
        self.max_bytes = int_config(tool, "max_bytes", DEFAULT_MAX_BYTES)
        self.timeout_s = number_config(tool, "timeout_s", DEFAULT_TIMEOUT_S)
        props: dict[str, Any] = {"params": {
            "type": ["object", "array"], "description": "values for the query's :name or ? "
                                                        "placeholders"}}
        if self.queries:
            props["query"] = {"type": "string", "enum": sorted(self.queries)}
        if self.raw_sql:
            props["sql"] = {"type": "string", "maxLength": 20_000,
                            "description": "one SQL statement; use placeholders for values"}
        names = ", ".join(f"{k}: {v}" for k, v in sorted(self.queries.items()))
        detail = (f"Named queries: {names or 'none'}."
                  + (" Free SQL: one statement per call." if self.raw_sql else "")
                  + f" At most {self.max_rows} rows are returned.")
        self.spec = make_spec(tool, detail, {"type": "object", "properties": props})

    async def run(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        if "query" in arguments:
            name = text_arg(arguments, "query", max_len=200)
            if name not in self.queries:
                raise Refused(f"unknown query {name!r}; use one of: "
                              f"{', '.join(sorted(self.queries)) or 'none'}")
            sql = self.queries[name]
        elif "sql" in arguments and self.raw_sql:
            sql = text_arg(arguments, "sql", max_len=20_000)
        else:
            raise Refused("give 'query' (one of the named queries)"
                          + (" or 'sql'" if self.raw_sql else ""))
        params = _params(arguments.get("params"))
        write = self.may_write(ctx)
        _root, real = self.roots.resolve(self.database)
        stop = threading.Event()
        try:
            limit = self.timeout_s if ctx.timeout_s is None else min(self.timeout_s,
                                                                      ctx.timeout_s)
            return await asyncio.to_thread(self._execute, real, sql, params, write, stop, limit)
        finally:
            stop.set()  # a cancelled call interrupts the query still running in the thread

    def _execute(self, path: str, sql: str, params: dict[str, Any] | list[Any], write: bool,
                 stop: threading.Event, limit: float) -> ToolResult:
        uri = f"file:{urllib.parse.quote(path)}?mode={'rwc' if write else 'ro'}"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=2.0,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            return ToolResult(f"error: cannot open the database: {exc}", is_error=True)
        deadline = time.monotonic() + limit
        try:
            if not write:
                conn.execute("PRAGMA query_only = ON")
            conn.set_authorizer(_authorizer(write))
            conn.set_progress_handler(
                lambda: int(stop.is_set() or time.monotonic() > deadline), 10_000)
            try:
                cursor = conn.execute(sql, params)
                return self._render(cursor)
            except (sqlite3.Error, sqlite3.Warning) as exc:
                text = str(exc)
                if "interrupted" in text:
                    text = f"the query timed out after {limit:g} s and was stopped"
                elif not write and ("not authorized" in text or "readonly" in text):
                    text += " (this call is read-only: the caller's grant is not write)"
                return ToolResult(f"error: {text}", is_error=True)
        finally:
            conn.close()

    def _render(self, cursor: sqlite3.Cursor) -> ToolResult:
        if cursor.description is None:
            return ToolResult(f"ok: {max(cursor.rowcount, 0)} rows changed")
        columns = [d[0] for d in cursor.description]
        rows: list[list[Any]] = []
        size = len(json.dumps(columns))
        cut = ""
        while not cut:
            batch = cursor.fetchmany(100)
            if not batch:
                break
            for row in batch:
                if len(rows) >= self.max_rows:
                    cut = f"rows after the first {self.max_rows} were not returned"
                    break
                cells = [_cell(v) for v in row]
                size += len(json.dumps(cells, default=str)) + 2
                if size > self.max_bytes:
                    cut = f"rows past {self.max_bytes} bytes of output were not returned"
                    break
                rows.append(cells)
        body = json.dumps({"columns": columns, "rows": rows}, default=str, ensure_ascii=False)
        return ToolResult(body + (f"\n[truncated: {cut}]" if cut else ""))
