"""FSM state lives in the database: a new storage over the same file sees it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage import SQLAlchemyStorage, update_session
from models import FsmRecord, User
from models.db import make_engine, make_sessionmaker
from states import Onboarding
from tests.support import database

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


@pytest.mark.skipif(not database.is_sqlite(), reason="SQLite's own settings")
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


# ---- aiogram's storage contract -------------------------------------------------------------


@pytest.mark.parametrize("bad", [["a", "b"], "text", 5, None])
async def test_data_that_is_not_a_dict_is_refused_and_changes_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], bad: object
) -> None:
    storage = SQLAlchemyStorage(sessionmaker)
    await storage.set_data(KEY, {"kept": 1})
    with pytest.raises(DataNotDictLikeError):
        await storage.set_data(KEY, bad)  # type: ignore[arg-type]
    assert await storage.get_data(KEY) == {"kept": 1}


async def test_keys_tell_bots_and_business_connections_apart(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    storage = SQLAlchemyStorage(sessionmaker)
    keys = [
        StorageKey(bot_id=42, chat_id=7, user_id=7),
        StorageKey(bot_id=43, chat_id=7, user_id=7),
        StorageKey(bot_id=42, chat_id=7, user_id=7, business_connection_id="biz-1"),
    ]
    for number, key in enumerate(keys):
        await storage.set_state(key, f"S:{number}")
        await storage.set_data(key, {"n": number})
    for number, key in enumerate(keys):
        assert await storage.get_state(key) == f"S:{number}"
        assert await storage.get_data(key) == {"n": number}
    async with sessionmaker() as session:
        assert set(await session.scalars(select(FsmRecord.key))) == {
            "fsm:42:7:7:default",
            "fsm:43:7:7:default",
            "fsm:42:biz-1:7:7:default",
        }


@pytest.mark.skipif(
    database.is_sqlite(), reason="SQLite has one writer: the bot's transactions begin IMMEDIATE"
)
async def test_two_first_writes_to_one_key_at_once_both_succeed(
    settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Each unit of work writes through its own session (update_session), and a dialogue is
    written as its transaction commits. Both find no row; the second has inserted its row
    and not yet committed when the first writes its own: an upsert waits for the second and
    updates its row, where an INSERT would fail on the key. The later commit's state stays."""
    from sqlalchemy import event
    from sqlalchemy.util import await_only

    other_engine = make_engine(settings.DATABASE_URL)
    storage = SQLAlchemyStorage(sessionmaker)
    second_inserted, first_writes = asyncio.Event(), asyncio.Event()

    def inserting(statement: str) -> bool:
        return statement.lstrip().upper().startswith("INSERT INTO FSM_STATES")

    def first_is_writing(_conn, _cursor, statement: str, *_args: object) -> None:
        if inserting(statement):
            first_writes.set()

    def second_holds_its_row(_conn, _cursor, statement: str, *_args: object) -> None:
        if inserting(statement):
            second_inserted.set()
            # Inside SQLAlchemy's greenlet: the commit waits until the first one writes.
            await_only(first_writes.wait())

    event.listen(sessionmaker.kw["bind"].sync_engine, "before_cursor_execute", first_is_writing)
    event.listen(other_engine.sync_engine, "after_cursor_execute", second_holds_its_row)

    async def write(maker: async_sessionmaker[AsyncSession], state: str, first: bool) -> None:
        async with maker.begin() as session:
            token = update_session.set(session)
            try:
                await storage.set_state(KEY, state)
                if first:
                    await second_inserted.wait()  # commit once the other one's row is in
            finally:
                update_session.reset(token)

    try:
        await asyncio.wait_for(
            asyncio.gather(
                write(sessionmaker, "A:first", True),
                write(make_sessionmaker(other_engine), "A:second", False),
            ),
            timeout=30,
        )
    finally:
        event.remove(sessionmaker.kw["bind"].sync_engine, "before_cursor_execute", first_is_writing)
        await other_engine.dispose()
    assert await storage.get_state(KEY) == "A:first"
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(FsmRecord)) == 1


async def test_stored_keys_get_the_bot_id_when_migrated(engine: AsyncEngine) -> None:
    """Dialogues stored before keys carried the bot id continue after the upgrade."""
    from alembic import command
    from sqlalchemy.engine import Connection

    from bot.migrate import alembic_config, upgrade_to_head

    def back_to_0004(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")

    async with engine.begin() as connection:
        await connection.run_sync(back_to_0004)
        await connection.execute(
            text(
                "INSERT INTO fsm_states (key, state, data, updated_at) VALUES "
                "('fsm:7:7:default', 'NewAppeal:phone', '{\"full_name\": \"Айгүл\"}', "
                "'2026-12-01 10:00:00+00'), "
                "('fsm:-1001:55:9:default', 'Staff:question', '{}', '2026-12-01 10:00:00+00')"
            )
        )
    await upgrade_to_head(engine, bot_id=42)
    storage = SQLAlchemyStorage(make_sessionmaker(engine))
    assert await storage.get_state(KEY) == "NewAppeal:phone"
    assert await storage.get_data(KEY) == {"full_name": "Айгүл"}
    in_topic = StorageKey(bot_id=42, chat_id=-1001, user_id=9, thread_id=55)
    assert await storage.get_state(in_topic) == "Staff:question"
