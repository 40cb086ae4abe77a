"""aiosqlite, with every statement run on the event loop's own thread.

aiosqlite runs each call on the sqlite3 connection in a thread of its own, and SQLAlchemy's
adapter makes four such calls per statement (cursor, execute, fetch, close). Each hand-off
wakes that thread and then the loop, and passes the GIL back and forth: in the bot's profile
(B1, py-spy) a statement's hand-off cost several times what SQLite spent running it. The
bot's statements take microseconds on a local file, so here they run inline: a statement is
executed, its rows fetched and its cursor closed in one go (SQLAlchemy buffers a cursor's
rows anyway; nothing here streams), and commit and rollback run inline too. aiosqlite's
thread is used only to open the connection and set it up.

Run inline, a statement that waits for SQLite's write lock would stop the whole loop, and
with it the transaction that holds the lock: a deadlock until the busy timeout. So within a
process, writers take turns on an asyncio lock per database file first (``WriteTurns``): a
transaction takes its turn at BEGIN IMMEDIATE or at its first write and gives it back when it
ends. Readers need no turn (WAL: readers never wait for the writer). Another process holding
the file's write lock (a tool, a test) can still make a statement wait, for at most the busy
timeout, as any SQLite program would.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

Row = tuple[Any, ...]
# Statements that never write, and a plain BEGIN (deferred: it writes nothing yet).
READS = ("SELECT", "PRAGMA", "EXPLAIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


def writes(sql: str) -> bool:
    head = sql.lstrip()[:16].upper()
    if head.startswith("BEGIN"):
        return "IMMEDIATE" in head or "EXCLUSIVE" in head
    return not head.startswith(READS)


class WriteTurns:
    """One asyncio lock per database file and event loop: the process's writers in turn."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()

    def lock(self, path: str) -> asyncio.Lock:
        per_loop = self._locks.setdefault(asyncio.get_running_loop(), {})
        return per_loop.setdefault(path, asyncio.Lock())


TURNS = WriteTurns()


class OneCallCursor:
    """The part of aiosqlite's Cursor SQLAlchemy uses; rows are read when it executes."""

    def __init__(self, connection: InlineConnection) -> None:
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
        connection = self._connection
        if writes(sql):
            await connection.take_turn()
        try:
            self._take(_execute(connection.raw, sql, parameters))
        finally:
            connection.end_turn_if_done()
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneCallCursor:
        connection = self._connection
        await connection.take_turn()
        try:
            self._take(_execute_many(connection.raw, sql, parameters))
        finally:
            connection.end_turn_if_done()
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


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection with every call made on the caller's thread (see above)."""

    def __init__(self, connector: Any, *, path: str, turn_timeout: float) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._path = path
        self._turn_timeout = turn_timeout
        self._turn: asyncio.Lock | None = None

    @property
    def raw(self) -> sqlite3.Connection:
        return self._conn

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    def cursor(self) -> OneCallCursor:  # type: ignore[override]
        return OneCallCursor(self)

    async def take_turn(self) -> None:
        if self._turn is not None:
            return
        lock = TURNS.lock(self._path)
        if not lock.locked():  # the common case: no task (wait_for makes one) when free
            await lock.acquire()
            self._turn = lock
            return
        try:
            await asyncio.wait_for(lock.acquire(), self._turn_timeout)
        except TimeoutError:
            # What SQLite itself says when its busy timeout runs out.
            raise sqlite3.OperationalError("database is locked") from None
        self._turn = lock

    def end_turn_if_done(self) -> None:
        lock = self._turn
        if lock is not None and not (self._connection and self._conn.in_transaction):
            self._turn = None
            lock.release()

    async def commit(self) -> None:
        try:
            await super().commit()
        finally:
            self.end_turn_if_done()

    async def rollback(self) -> None:
        try:
            await super().rollback()
        finally:
            self.end_turn_if_done()

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            self.end_turn_if_done()


def connector(path: Path, **kwargs: Any) -> Any:
    """For ``create_async_engine(async_creator=...)``: a new connection, awaitable."""

    def connect() -> sqlite3.Connection:
        # Opened in aiosqlite's thread, used on the loop's.
        return sqlite3.connect(str(path), check_same_thread=False, **kwargs)

    connection = InlineConnection(
        connect, path=str(path.resolve()), turn_timeout=float(kwargs.get("timeout", 5.0))
    )
    # As SQLAlchemy's own dialect does: the thread must not keep the process alive.
    connection._thread.daemon = True
    return connection


__all__: Sequence[str] = ("InlineConnection", "OneCallCursor", "connector", "writes")
