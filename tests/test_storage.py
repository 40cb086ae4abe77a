"""FSM state lives in the database: a new storage over the same file sees it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage import SQLAlchemyStorage
from models import FsmRecord, User
from models.db import make_engine, make_sessionmaker
from states import Onboarding

KEY = StorageKey(bot_id=42, chat_id=7, user_id=7)


async def test_state_and_data_survive_a_new_engine(
    sessionmaker: async_sessionmaker[AsyncSession], settings
) -> None:
    storage = SQLAlchemyStorage(sessionmaker)
    await storage.set_state(KEY, Onboarding.language)
    await storage.update_data(KEY, {"full_name": "Айгүл", "files": [1, 2]})

    engine = make_engine(settings.DATABASE_URL)
    fresh = SQLAlchemyStorage(make_sessionmaker(engine))
    assert await fresh.get_state(KEY) == "Onboarding:language"
    assert await fresh.get_data(KEY) == {"full_name": "Айгүл", "files": [1, 2]}
    other = StorageKey(bot_id=42, chat_id=8, user_id=8)
    assert await fresh.get_state(other) is None
    assert await fresh.get_data(other) == {}
    await engine.dispose()


async def test_cleared_dialogue_leaves_no_row(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    storage = SQLAlchemyStorage(sessionmaker)
    await storage.set_state(KEY, "A:b")
    await storage.set_data(KEY, {"x": 1})
    await storage.set_state(KEY, None)
    await storage.set_data(KEY, {})
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(FsmRecord)) == 0


async def test_sqlite_is_in_wal_mode_with_busy_timeout(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        timeout = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
        assert timeout is not None and timeout >= 5000
        assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1


async def test_timestamps_come_back_aware_utc(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    almaty = timezone(timedelta(hours=5))
    consent = datetime(2026, 11, 26, 10, 0, tzinfo=almaty)
    async with sessionmaker.begin() as session:
        session.add(User(id=5, consent_at=consent))
    async with sessionmaker() as session:
        user = await session.get(User, 5)
        assert user is not None and user.consent_at is not None
        assert user.consent_at.tzinfo is UTC
        assert user.consent_at == consent
        assert user.consent_at.hour == 5
        assert user.created_at.tzinfo is UTC
