from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import create_application
from bot.config import Settings
from models.db import make_engine, make_sessionmaker
from tests.support import database
from tests.support.harness import OPERATOR_CHAT, TEST_TOKEN, Harness, make_settings
from tests.support.recording import RecordingSession

# Kept importable from here for test files not yet moved to tests.support.harness.
__all__ = ["OPERATOR_CHAT", "TEST_TOKEN", "Harness", "make_settings"]


@pytest.fixture(scope="session", autouse=True)
def _database_template() -> Iterator[None]:
    """The migrated template every test's database is copied from (made on first use)."""
    yield
    database.drop_template()


@pytest.fixture(autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """Drop the databases a test made (PostgreSQL), after all its other fixtures ended."""
    yield
    database.drop_databases()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's database, migrated already (see tests/support/database.py)."""
    engine = make_engine(settings.DATABASE_URL)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture
async def harness(settings: Settings) -> AsyncIterator[Harness]:
    session = RecordingSession()
    bot = Bot(TEST_TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    app = await create_application(settings, migrate=False, bot=bot)
    yield Harness(app, session)
    await app.close()


# What does not touch the bot's database (the emulator, the browser sandbox, which runs its
# own SQLite file, catalogs, calendar, limiter) runs in the SQLite run only: the PostgreSQL
# run is there for what does.
NOT_THE_DATABASE = (
    "tests/emulator/",
    "tests/sandbox/",
    "tests/test_calendar.py",
    "tests/test_catalog_wording.py",
    "tests/test_clock.py",
    "tests/test_i18n.py",
    "tests/test_periods.py",
    "tests/test_ratelimit.py",
    "tests/test_timezone.py",
)


# `live`: the application (or a part of it, such as the sender) against the emulator, a
# subprocess, the browser; the reliability suites. `pytest -m "not live"` runs the fast
# tiers. A test is live by its folder, or when it, one of its fixtures or a function of its
# module that it calls starts one of those (by what their source calls).
LIVE_PATHS = ("tests/e2e/", "tests/reliability/", "tests/sandbox/", "tests/test_process_driver.py")
LIVE_CALLS = (
    "live_app(",
    "BotAPIEmulator(",
    "BotProcess(",
    "EmulatedBot(",
    "Process(",
    "subprocess",
    "playwright",
)
# The emulator's own tests run no part of the application.
NOT_LIVE_PATHS = ("tests/emulator/",)


def _source(function: Any) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


def _starts_something_live(function: Any) -> bool:
    source = _source(function)
    if any(call in source for call in LIVE_CALLS):
        return True
    module = inspect.getmodule(function)
    helpers = [
        value
        for name, value in vars(module).items()
        if inspect.isfunction(value)
        and value is not function
        and value.__module__ == getattr(module, "__name__", None)
        and f"{name}(" in source
    ]
    return any(call in _source(helper) for helper in helpers for call in LIVE_CALLS)


def is_live(item: pytest.Item) -> bool:
    if item.nodeid.startswith(LIVE_PATHS):
        return True
    if item.nodeid.startswith(NOT_LIVE_PATHS) or not isinstance(item, pytest.Function):
        return False
    fixtures = item._fixtureinfo.name2fixturedefs.values()
    functions = [item.function, *(d.func for defs in fixtures for d in defs)]
    return any(_starts_something_live(f) for f in functions)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if is_live(item):
            item.add_marker(pytest.mark.live)
    if database.is_sqlite():
        return
    skip = pytest.mark.skip(reason="does not touch the database: the SQLite run covers it")
    for item in items:
        if item.nodeid.startswith(NOT_THE_DATABASE):
            item.add_marker(skip)
