"""Engine and session factory for the two supported databases.

SQLite (the embedded default) runs one process. An engine has one connection, so its
transactions go one after another (SQLite has one writer; a queue in the pool beats sessions
sleeping in SQLite's busy handler). The driver's own transaction handling is off and each
transaction says BEGIN itself, which SAVEPOINTs need (SQLAlchemy's pysqlite notes). The bot's
engines say BEGIN IMMEDIATE (`immediate`): the bot has two, one for updates and one for the
sender, and a transaction that reads and then writes must not find that the other wrote in
between. Everyone else's (tools, tests) say a deferred BEGIN, so their reads never wait.
PostgreSQL (asyncpg) takes any number of instances.

SQL parameters are never put into logs or exception texts: they carry people's IIN, names
and phones.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool

from models import sqlite_driver

SQLITE_BUSY_TIMEOUT_MS = 15_000
# A session waiting for SQLite's one connection waits behind other units of work, each a few
# milliseconds; this only bounds a stuck one.
SQLITE_POOL_TIMEOUT_S = 120


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver must not open transactions by itself: we say BEGIN (see below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def sqlite_foreign_keys(connection: Connection, *, enforced: bool) -> None:
    """Switch SQLite's foreign key enforcement for this connection (no-op elsewhere).

    Migrations run with it off: SQLite alters a table by copying it, dropping the old one and
    renaming the copy, and with enforcement on the DROP deletes every row that refers to the
    table with ON DELETE CASCADE (an appeal's hearings, events, files...). The pragma does
    nothing inside a transaction, so it goes to the driver's connection, where no BEGIN is
    said for it, before the migrations' transaction begins and after it ends.
    """
    if connection.dialect.name != "sqlite":
        return
    if connection.in_transaction():
        raise RuntimeError("foreign keys can be switched only outside a transaction")
    cursor = connection.connection.cursor()
    cursor.execute(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")
    cursor.close()


def sqlite_foreign_key_violations(connection: Connection) -> list[Any]:
    """Rows that refer to nothing (what enforcement would have refused); [] elsewhere."""
    if connection.dialect.name != "sqlite":
        return []
    return list(connection.exec_driver_sql("PRAGMA foreign_key_check").all())


def _say(connection: Connection, sql: str) -> None:
    # On the driver's cursor: SQLAlchemy's own execution path (an execution context, events,
    # a result) is most of what a BEGIN would cost, once per transaction.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    _say(connection, "BEGIN")


def _sqlite_begin_immediate(connection: Connection) -> None:
    _say(connection, "BEGIN IMMEDIATE")


def is_sqlite_url(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path | None:
    path = url.split(":///", 1)[-1].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def make_engine(url: str, *, pool_size: int = 10, immediate: bool = False) -> AsyncEngine:
    if is_sqlite_url(url):
        path = sqlite_path(url)
        extra: dict[str, Any] = {}
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Statements on the loop's thread, writers in turn (models/sqlite_driver.py).
            timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
            extra["async_creator"] = partial(sqlite_driver.connector, path, timeout=timeout)
        engine = create_async_engine(
            url,
            **extra,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            poolclass=AsyncAdaptedQueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=SQLITE_POOL_TIMEOUT_S,
            hide_parameters=True,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        begin = _sqlite_begin_immediate if immediate else _sqlite_begin
        event.listen(engine.sync_engine, "begin", begin)
        return engine
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        hide_parameters=True,
    )


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def insert_of(dialect: str) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite 3.24+ and PostgreSQL)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def insert_for(session: AsyncSession) -> Any:
    return insert_of(dialect_of(session))


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
