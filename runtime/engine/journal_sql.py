"""The journal's hot statements, compiled once and run on the database driver directly.

Every journaled step and event writes a few rows. Through SQLAlchemy Core each
`Connection.execute` of an already compiled, cached statement still costs
about 40–60 µs of Python (execution context, parameter processing, result
set-up) against a few µs for the driver's own `execute`. `DriverStatements`
compiles a Core statement once per set of parameter names, in the engine's
dialect (so the SQL is SQLite's or PostgreSQL's, quoting and casts included),
and runs it with the driver's `execute` on the connection's DBAPI connection,
inside the transaction SQLAlchemy began: commit and rollback stay
SQLAlchemy's. Only plain values are passed (str, int, float, bool, None),
which both drivers take as they are, so no SQLAlchemy type processing is
skipped that would matter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler

_Compiled = tuple[sa.Executable, str, tuple[str, ...] | None, dict[str, Any]]


class DriverStatements:
    def __init__(self, dialect: sa.Dialect) -> None:
        self._dialect = dialect
        # (statement id, parameter names) -> (statement, SQL, positional names or None,
        # values of the statement's own literal parameters)
        self._compiled: dict[tuple[int, tuple[str, ...]], _Compiled] = {}

    def execute(self, conn: sa.Connection, statement: sa.Executable,
                params: Mapping[str, Any]) -> None:
        """Run `statement` (an INSERT/UPDATE/DELETE) with `params` in `conn`'s transaction."""
        key = (id(statement), tuple(params))
        found = self._compiled.get(key)
        if found is None or found[0] is not statement:
            found = self._compiled[key] = self._compile(statement, key[1])
        _, sql, order, literals = found
        if literals:
            params = {**literals, **params}
        args: Any = params if order is None else tuple([params[name] for name in order])
        if not conn.in_transaction():  # as Connection.execute would (autobegin)
            conn.begin()
        driver = conn.connection.driver_connection
        assert driver is not None, "the connection is closed"
        driver.execute(sql, args)

    def _compile(self, statement: sa.Executable, names: tuple[str, ...]) -> _Compiled:
        assert isinstance(statement, sa.ClauseElement)
        compiled = statement.compile(dialect=self._dialect, column_keys=list(names))
        assert isinstance(compiled, SQLCompiler)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        literals = {name: bind.effective_value for name, bind in compiled.binds.items()
                    if not bind.required and name not in names}
        return statement, compiled.string, order, literals


__all__ = ["DriverStatements"]
