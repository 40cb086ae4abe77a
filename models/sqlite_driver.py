"""aiosqlite with one thread hand-off per statement instead of four.

aiosqlite runs every call on the sqlite3 connection in its own thread. SQLAlchemy's adapter
makes four such calls per statement: create a cursor, execute, fetch all rows, close. Each
hand-off wakes the thread and the event loop and passes the GIL back and forth; in the bot's
profile (B1, py-spy) that was about a third of its busy time. Here a statement is one call in
that thread: execute, fetch every row, close, and hand back the rows with the description,
rowcount and lastrowid, which is all SQLAlchemy reads of a cursor (it always buffers a
cursor's rows itself; nothing here streams results).

Everything else (the thread, the queue, commit, rollback, close) is aiosqlite's own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite

Row = tuple[Any, ...]


class OneCallCursor:
    """The part of aiosqlite's Cursor SQLAlchemy uses; rows are read when it executes."""

    def __init__(self, connection: OneCallConnection) -> None:
        self._connection = connection
        self._rows: list[Row] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> OneCallCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = ()) -> OneCallCursor:
        raw = self._connection.raw
        self._take(await self._connection.run(partial(_execute, raw, sql, parameters)))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneCallCursor:
        raw = self._connection.raw
        self._take(await self._connection.run(partial(_execute_many, raw, sql, parameters)))
        return self

    def _take(self, outcome: tuple[Any, int, int | None, list[Row]]) -> None:
        self.description, self.rowcount, self.lastrowid, self._rows = outcome

    async def fetchone(self) -> Row | None:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Row]:
        count = self.arraysize if size is None else size
        taken, self._rows = self._rows[:count], self._rows[count:]
        return taken

    async def fetchall(self) -> list[Row]:
        taken, self._rows = self._rows, []
        return taken

    async def close(self) -> None:
        self._rows = []


def _outcome(cursor: sqlite3.Cursor) -> tuple[Any, int, int | None, list[Row]]:
    try:
        # Rows first: sqlite3 knows an INSERT ... RETURNING's rowcount only after them.
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _execute(
    raw: sqlite3.Connection, sql: str, parameters: Any
) -> tuple[Any, int, int | None, list[Row]]:
    return _outcome(raw.execute(sql, parameters))


def _execute_many(
    raw: sqlite3.Connection, sql: str, parameters: Iterable[Any]
) -> tuple[Any, int, int | None, list[Row]]:
    return _outcome(raw.executemany(sql, parameters))


class OneCallConnection(aiosqlite.Connection):
    @property
    def raw(self) -> sqlite3.Connection:
        return self._conn

    async def run(self, function: partial[Any]) -> Any:
        return await self._execute(function)

    def cursor(self) -> OneCallCursor:  # type: ignore[override]
        return OneCallCursor(self)


def connector(path: Path, **kwargs: Any) -> Any:
    """For ``create_async_engine(async_creator=...)``: a new connection, awaitable."""

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(str(path), **kwargs)

    connection = OneCallConnection(connect, iter_chunk_size=64)
    # As SQLAlchemy's own dialect does: the thread must not keep the process alive.
    connection._thread.daemon = True
    return connection


__all__: Sequence[str] = ("OneCallConnection", "OneCallCursor", "connector")
