"""Which instance sends the outbox and runs the scheduler: the leader, one at a time.

Every instance takes updates and handles them. Sending is the leader's alone, so Telegram's
limits (per bot, not per instance) are kept by one rate limiter, and each scheduler tick
runs once in the cluster.

SQLite: one process per database file, held by a file lock (a second process on the same
file stops at start with one clear line). PostgreSQL: the leader holds a session advisory
lock on a connection of its own; when it dies the server drops the connection and the lock,
and another instance takes over within a few seconds. The leader also LISTENs for the
NOTIFY each commit that queued outbox rows sends.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import make_url

from bot.telegram.bell import CHANNEL

log = logging.getLogger(__name__)

LEADER_LOCKS = 0x0ADA0  # advisory lock namespace: one key per bot
Hook = Callable[[], Awaitable[None]]


class AlreadyRunning(Exception):
    """Another process holds this SQLite database."""


class DatabaseLock:
    """An SQLite file belongs to one process: a lock file next to it, held while it runs
    (the kernel drops it when the process dies, however it dies)."""

    def __init__(self, database: Path | None) -> None:
        self._path = database.with_name(database.name + ".lock") if database else None
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning. Before anything touches the database."""
        if self._path is None or self._file is not None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle = self._path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            database = self._path.with_name(self._path.name.removesuffix(".lock"))
            raise AlreadyRunning(f"another bot process already runs on {database}") from None
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            with suppress(OSError):
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class SoloLeadership:
    """The one process on an SQLite file is the leader for as long as it runs."""

    def __init__(self, lock: DatabaseLock, on_lead: Hook, on_step_down: Hook) -> None:
        self._lock = lock
        self._on_lead = on_lead
        self._on_step_down = on_step_down
        self.is_leader = False

    async def start(self) -> None:
        self._lock.acquire()
        self.is_leader = True
        await self._on_lead()

    async def stop(self) -> None:
        if self.is_leader:
            self.is_leader = False
            await self._on_step_down()
        self._lock.release()


def asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresLeadership:
    def __init__(
        self,
        database_url: str,
        bot_id: int,
        *,
        on_lead: Hook,
        on_step_down: Hook,
        wake: Callable[[], None],
        lost: asyncio.Event | None = None,
        interval: float = 2.0,
    ) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._key = bot_id % 2_147_483_647
        self._on_lead = on_lead
        self._on_step_down = on_step_down
        self._wake = wake
        self._lost = lost
        self._interval = interval
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.is_leader = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        import asyncpg

        while not self._stopping.is_set():
            connection: Any = None
            try:
                connection = await asyncpg.connect(self._dsn)
                if await self._wait_for_lock(connection):
                    await connection.add_listener(CHANNEL, self._notified)
                    self.is_leader = True
                    log.info("this instance sends the outbox and runs the scheduler")
                    await self._on_lead()
                    await self._hold(connection)
            except Exception as error:
                log.warning("leadership connection failed: %s", error)
            finally:
                if self.is_leader:
                    self.is_leader = False
                    log.info("this instance no longer sends the outbox")
                    with suppress(Exception):
                        await self._on_step_down()
                if connection is not None:
                    with suppress(Exception):
                        await connection.close(timeout=2)
            await self._pause()

    async def _wait_for_lock(self, connection: Any) -> bool:
        while not self._stopping.is_set():
            if await connection.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", LEADER_LOCKS, self._key
            ):
                return True
            await self._pause()
        return False

    async def _hold(self, connection: Any) -> None:
        """Lead until stopped, until the connection fails or the sender lost its claim."""
        while not self._stopping.is_set():
            await self._pause()
            if self._lost is not None and self._lost.is_set():
                self._lost.clear()
                return
            await connection.fetchval("SELECT 1", timeout=self._interval * 2)

    def _notified(self, *_args: Any) -> None:
        self._wake()

    async def _pause(self) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self._interval)
