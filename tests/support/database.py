"""Test databases: a fresh, migrated database for each test, on SQLite or on PostgreSQL.

The environment variable TEST_DATABASE_URL chooses the backend of a whole run:

* unset (the default): SQLite. The migrations run once per session into a template file; a
  test's database is a copy of it, `<directory>/test.db` (a file in the test's tmp_path).
* a PostgreSQL URL, e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``: that database
  only serves as the maintenance connection. The migrations run once per session into
  ``adal_tpl_<pid>``; a test's database is ``CREATE DATABASE adal_t_<pid>_<n> TEMPLATE
  adal_tpl_<pid>``, dropped (WITH (FORCE)) when the test ends. The next test's database is
  made while a test runs, and drops are not waited for, so a test rarely waits for either.

API:

* ``await fresh_database_url(directory)`` / ``fresh_database_url_sync(directory)``: the URL of
  a migrated, empty database that belongs to that directory (a test's tmp_path, a subprocess'
  workdir). The first call makes it; later calls with the same directory and file name return
  the same URL and leave its contents alone.
* ``drop_databases()``: drops what the calls above made (PostgreSQL; on SQLite the files stay
  in their directory). conftest calls it after every test, so a database belongs to one test
  (one made in a module- or session-scoped fixture is gone after the first test, too).
* ``drop_template()``: drops the session's template (and waits for the drops still under way);
  conftest calls it at the end of the run.
* ``backend()``: "sqlite" or "postgresql"; ``is_sqlite()``.
* ``fetch_all(url, statement)``: a select against any DATABASE_URL over a short-lived engine,
  from sync code (an `eventually` check) as well as async; it takes no lock. ``await
  execute(url, *statements)``: writes in one committed transaction. For tests that look into
  the database of an application they share no engine with.

Every function but ``fresh_database_url`` and ``execute`` is synchronous and may be called
inside a running event loop (the work then runs on a helper thread with a loop of its own).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Executable, Row
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.migrate import upgrade_to_head
from models.db import SQLITE_BUSY_TIMEOUT_MS, make_engine

ENV = "TEST_DATABASE_URL"
PREFIX = "adal_"
DEFAULT_FILE = "test.db"

T = TypeVar("T")


def server_url() -> str | None:
    """TEST_DATABASE_URL, or None for SQLite."""
    return os.environ.get(ENV) or None


def backend() -> str:
    """The backend of this run: "sqlite" or "postgresql"."""
    url = server_url()
    return "sqlite" if url is None else make_url(url).get_backend_name()


def is_sqlite() -> bool:
    return backend() == "sqlite"


def _run(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, inside a running event loop or not."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with ThreadPoolExecutor(1, thread_name_prefix="test-database") as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- SQLite: a template file, copied -----------------------------------------------------------


class _Sqlite:
    def __init__(self) -> None:
        self._remove_stale()
        self.directory = Path(tempfile.mkdtemp(prefix=f"{PREFIX}tpl_{os.getpid()}_"))
        self.template = self.directory / "template.db"
        _run(lambda: _migrate(f"sqlite+aiosqlite:///{self.template}"))
        # The engine put the file in WAL mode. Going back to a rollback journal checkpoints the
        # WAL into the file and removes it, so the one file is the whole database; make_engine's
        # first connection puts each copy back in WAL mode.
        connection = sqlite3.connect(self.template)
        try:
            mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        finally:
            connection.close()
        leftovers = [p for p in self.directory.iterdir() if p != self.template]
        if mode != "delete" or leftovers:
            raise RuntimeError(f"template {self.template} is not one file: {mode}, {leftovers}")

    @staticmethod
    def _remove_stale() -> None:
        """Templates of earlier runs that were killed before their clean-up."""
        for directory in Path(tempfile.gettempdir()).glob(f"{PREFIX}tpl_*_*"):
            pid = directory.name.split("_")[2]
            if directory.is_dir() and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(directory, ignore_errors=True)

    def make(self, path: Path) -> str:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.template, path)
        return f"sqlite+aiosqlite:///{path}"

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


# --- PostgreSQL: a template database, cloned -------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _dsn(url: str | URL) -> str:
    """asyncpg's own form of a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class _Postgres:
    """The session's template, the spare database made ahead, and the drops behind.

    Every statement runs on one worker thread (its own event loop, one maintenance connection),
    one after another: a test takes the spare made while the previous test ran and the next is
    started at once; a drop is queued and the test goes on.
    """

    def __init__(self, server: str) -> None:
        self.server = server
        self.pid = os.getpid()
        self.template = f"{PREFIX}tpl_{self.pid}"
        self.counter = itertools.count(1)
        self.worker = ThreadPoolExecutor(1, thread_name_prefix="test-postgres")
        self.loop: asyncio.AbstractEventLoop | None = None  # the worker's
        self.connection: Any = None  # asyncpg.Connection, used by the worker only
        self.spare: Future[str] | None = None
        self.drops: list[Future[None]] = []
        try:
            self._call(self._make_template).result()
        except BaseException:
            self.worker.shutdown()
            raise

    def url(self, database: str) -> str:
        return make_url(self.server).set(database=database).render_as_string(hide_password=False)

    # Runs on the worker thread.
    def _in_worker(self, factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
        if self.loop is None:
            self.loop = asyncio.new_event_loop()
        return self.loop.run_until_complete(factory())

    def _call(self, factory: Callable[[], Coroutine[Any, Any, T]]) -> Future[T]:
        return self.worker.submit(self._in_worker, factory)

    async def _execute(self, statement: str, *args: Any) -> Any:
        import asyncpg  # only a PostgreSQL run needs it

        if self.connection is None or self.connection.is_closed():
            self.connection = await asyncpg.connect(_dsn(self.server))
        if args:
            return await self.connection.fetch(statement, *args)
        return await self.connection.execute(statement)  # simple protocol: CREATE DATABASE

    async def _drop(self, name: str) -> None:
        await self._execute("SELECT 1")  # connected: the server version is known
        if self.connection.get_server_version().major >= 13:
            await self._execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")
            return
        await self._execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await self._execute(f"DROP DATABASE IF EXISTS {_quote(name)}")

    async def _drop_stale(self) -> None:
        """Databases of earlier runs on this machine that died before their clean-up."""
        rows = await self._execute(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{PREFIX}t%"
        )
        for (name,) in rows:
            parts = name.split("_")  # adal_tpl_<pid>, adal_t_<pid>_<n>
            if len(parts) >= 3 and parts[2].isdigit():
                pid = int(parts[2])
                if pid != self.pid and not _alive(pid):
                    await self._drop(name)

    async def _make_template(self) -> None:
        await self._drop_stale()
        await self._drop(self.template)
        await self._execute(f"CREATE DATABASE {_quote(self.template)}")
        await _migrate(self.url(self.template))

    async def _create(self) -> str:
        name = f"{PREFIX}t_{self.pid}_{next(self.counter)}"
        await self._execute(f"CREATE DATABASE {_quote(name)} TEMPLATE {_quote(self.template)}")
        return name

    async def _close_connection(self) -> None:
        if self.connection is not None:
            await self.connection.close()

    # Called from the tests' side.
    def make(self) -> str:
        taken = self.spare if self.spare is not None else self._call(self._create)
        self.spare = self._call(self._create)
        return self.url(taken.result())

    def drop(self, names: Sequence[str]) -> None:
        self.drops = [done for done in self.drops if not done.done() or done.exception()]
        self.drops += [self._call(partial(self._drop, name)) for name in names]

    def close(self) -> None:
        """Drop the spare and the template once the queued drops are done; stop the worker."""
        try:
            if self.spare is not None:
                self.drop([self.spare.result()])
            self.drop([self.template])
            for done in self.drops:
                done.result()  # a failed drop is reported here, at the end of the run
        finally:
            self._call(self._close_connection).result()
            if self.loop is not None:
                self.worker.submit(self.loop.close).result()
            self.worker.shutdown()


# --- the session's state ----------------------------------------------------------------------


@dataclass
class _Made:
    url: str
    database: str | None  # the PostgreSQL database to drop; None for a SQLite file


class _State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.server: str | None = None
        self.backend: _Sqlite | _Postgres | None = None
        self.made: dict[tuple[str, str], _Made] = {}

    def current(self) -> _Sqlite | _Postgres:
        """The session's backend with its template (made on first use); hold the lock."""
        server = server_url()
        if self.backend is not None and self.server != server:
            raise RuntimeError(f"{ENV} changed during the run; the template is for {self.server}")
        if self.backend is None:
            self.backend = _Sqlite() if server is None else _Postgres(server)
            self.server = server
        return self.backend


_state = _State()


def fresh_database_url_sync(directory: Path, filename: str = DEFAULT_FILE) -> str:
    """The URL of a migrated database belonging to `directory` (made on the first call).

    SQLite: `directory/filename`, a copy of the template (an existing file is kept as it is).
    PostgreSQL: a new database from the template; `filename` only tells databases of one
    directory apart.
    """
    key = (str(Path(directory).resolve()), filename)
    with _state.lock:
        made = _state.made.get(key)
        if made is None:
            backend = _state.current()
            if isinstance(backend, _Sqlite):
                made = _Made(backend.make(Path(directory) / filename), None)
            else:
                url = backend.make()
                made = _Made(url, make_url(url).database)
            _state.made[key] = made
        return made.url


async def fresh_database_url(directory: Path, filename: str = DEFAULT_FILE) -> str:
    """fresh_database_url_sync for async code (the work runs off the event loop)."""
    return await asyncio.to_thread(fresh_database_url_sync, directory, filename)


def drop_databases() -> None:
    """Forget the databases made so far; drop those on PostgreSQL (even if still in use).

    The drops are queued, not waited for: drop_template() waits for them.
    """
    with _state.lock:
        made, _state.made = list(_state.made.values()), {}
        names = [m.database for m in made if m.database is not None]
        if names and isinstance(_state.backend, _Postgres):
            _state.backend.drop(names)


def drop_template() -> None:
    """Drop everything the session made, the template last; a later use makes a new one."""
    drop_databases()
    with _state.lock:
        backend, _state.backend, _state.server = _state.backend, None, None
        if backend is not None:
            backend.close()


# --- looking into a database ------------------------------------------------------------------


async def _fetch_all(url: str, statement: Executable) -> list[Row[Any]]:
    # Not make_engine: its SQLite transactions begin IMMEDIATE, i.e. take the write lock. This
    # engine's reads take none (WAL readers never wait), so a read made while the caller's
    # event loop is blocked cannot wait for a transaction of an application on that loop.
    sqlite = make_url(url).get_backend_name() == "sqlite"
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000} if sqlite else {}
    engine = create_async_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(statement)).all())
    finally:
        await engine.dispose()


def fetch_all(url: str, statement: Executable) -> Sequence[Row[Any]]:
    """The rows of a select (e.g. `select(Appeal.status).where(...)`) on the database at url.

    Synchronous, for checks such as `eventually(lambda: ...)`: it blocks the event loop for the
    few milliseconds of its own connection, and never waits for a lock.
    """
    return _run(lambda: _fetch_all(url, statement))


async def execute(url: str, *statements: Executable) -> None:
    """Run write statements (e.g. `update(Appeal).values(...)`) in one transaction, committed.

    Async: a write waits for the database's write lock, which an application on the same event
    loop may hold; awaiting lets that application finish its transaction meanwhile.
    """
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(statement)
    finally:
        await engine.dispose()
