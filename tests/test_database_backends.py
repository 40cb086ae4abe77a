"""What the bot relies on from its database, checked on the one this run uses (SQLite by
default, PostgreSQL with TEST_DATABASE_URL): aware UTC timestamps, 64-bit Telegram ids, JSON
with Kazakh and Russian text, constraints that raise IntegrityError, INSERT ... ON CONFLICT."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from models import FsmRecord, Hearing, OutboxMessage, ReceiptCounter, User

ALMATY = timezone(timedelta(hours=5))
# Telegram user ids need more than 32 bits ("at most 52 significant bits", Bot API).
USER_IDS = [2**31, 7_912_345_678, 2**52 - 1]
SUPERGROUP = -1001234567890
KAZAKH = "әғқңөұүһі ӘҒҚҢӨҰҮҺІ"
PAYLOAD: dict[str, Any] = {
    "text": f"Сәлеметсіз бе! Өтінішіңіз тіркелді: {KAZAKH}",
    "ru": "Обращение № 2026-000123 зарегистрировано «вовремя»",
    "nested": {"кілт": ["ә", 1, 2**40, None, True, 1.5], "emoji": "✅"},
}


def insert_for(dialect: str) -> Any:
    """The dialect's INSERT, the one that has on_conflict_do_nothing / _do_update."""
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]


async def test_aware_datetimes_come_back_utc_and_compare_in_sql(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    consent = datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=ALMATY)
    async with sessionmaker.begin() as session:
        session.add(User(id=1, consent_at=consent))
        session.add(User(id=2, consent_at=consent + timedelta(hours=1)))

    async with sessionmaker() as session:
        user = await session.get(User, 1)
        assert user is not None and user.consent_at is not None
        assert user.consent_at.tzinfo is UTC
        assert user.consent_at == consent
        assert (user.consent_at.hour, user.consent_at.microsecond) == (5, 123456)
        assert user.created_at.tzinfo is UTC

        # Bounds given in another zone select by the instant, not by the wall clock.
        window = (User.consent_at > consent.astimezone(UTC) - timedelta(microseconds=1)) & (
            User.consent_at < consent + timedelta(minutes=1)
        )
        assert (await session.scalars(select(User.id).where(window))).all() == [1]
        latest = await session.scalar(select(func.max(User.consent_at)))
        assert latest == consent + timedelta(hours=1) and latest.tzinfo is UTC
        ordered = await session.scalars(select(User.id).order_by(User.consent_at.desc()))
        assert ordered.all() == [2, 1]


async def test_naive_datetimes_are_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        session.add(User(id=3, consent_at=datetime(2026, 11, 26, 10, 0)))
        with pytest.raises(StatementError, match="naive datetime"):
            await session.flush()


async def test_telegram_ids_beyond_32_bits(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker.begin() as session:
        session.add_all(User(id=user_id, language="kk") for user_id in USER_IDS)
        session.add(OutboxMessage(chat_id=SUPERGROUP, kind="digest", payload={}))
        session.add(OutboxMessage(chat_id=USER_IDS[-1], kind="status", payload={}))

    async with sessionmaker() as session:
        found = await session.scalars(select(User.id).where(User.id >= 2**31).order_by(User.id))
        assert found.all() == USER_IDS
        assert await session.get(User, 2**52 - 1) is not None
        chats = await session.scalars(select(OutboxMessage.chat_id).order_by(OutboxMessage.chat_id))
        assert chats.all() == [SUPERGROUP, 2**52 - 1]
        group = await session.scalar(
            select(OutboxMessage.chat_id).where(OutboxMessage.chat_id < -(10**12))
        )
        assert group == SUPERGROUP


async def test_json_and_text_in_kazakh_and_russian_round_trip(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    name = "Сейткали Айгерім Нұрланқызы"
    async with sessionmaker.begin() as session:
        session.add(FsmRecord(key="fsm:7:7:default", state="Form:body", data=PAYLOAD))
        session.add(OutboxMessage(chat_id=7, kind="status", payload=PAYLOAD))
        session.add(User(id=7, full_name=name, company="ә" * 300))  # String(300): letters

    async with sessionmaker() as session:
        record = await session.get(FsmRecord, "fsm:7:7:default")
        assert record is not None and record.data == PAYLOAD
        assert record.data["nested"]["кілт"][2] == 2**40
        payload = await session.scalar(select(OutboxMessage.payload))
        assert payload == PAYLOAD
        user = await session.get(User, 7)
        assert user is not None and (user.full_name, user.company) == (name, "ә" * 300)
        assert await session.scalar(select(User.id).where(User.full_name == name)) == 7


async def test_constraints_raise_integrity_error(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker.begin() as session:
        session.add(User(id=USER_IDS[0]))
        session.add(OutboxMessage(chat_id=1, kind="reminder", dedupe_key="r:1:72", payload={}))

    cases: list[Any] = [
        User(id=USER_IDS[0]),  # primary key
        OutboxMessage(chat_id=2, kind="reminder", dedupe_key="r:1:72", payload={}),  # unique
        Hearing(  # foreign key (SQLite enforces it through PRAGMA foreign_keys)
            appeal_id=999, starts_at=datetime(2026, 12, 7, 10, tzinfo=UTC), place="x", state="s"
        ),
    ]
    for row in cases:
        async with sessionmaker() as session:
            session.add(row)
            with pytest.raises(IntegrityError):
                await session.commit()
            await session.rollback()

    # A failed statement inside a SAVEPOINT leaves the outer transaction usable.
    async with sessionmaker.begin() as session:
        session.add(User(id=10))
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                session.add(User(id=USER_IDS[0]))
        session.add(User(id=11))

    async with sessionmaker() as session:
        ids = await session.scalars(select(User.id).order_by(User.id))
        assert ids.all() == [10, 11, USER_IDS[0]]
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


async def test_on_conflict_do_nothing_and_do_update_returning(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    insert = insert_for(engine.dialect.name)

    async def queue_once(text: str) -> int | None:
        statement = (
            insert(OutboxMessage)
            .values(chat_id=SUPERGROUP, kind="reminder", dedupe_key="r:5:24", payload={"t": text})
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(OutboxMessage.id)
        )
        async with sessionmaker.begin() as session:
            return await session.scalar(statement)

    first = await queue_once("бірінші")
    assert isinstance(first, int)
    assert await queue_once("второй") is None

    async def next_receipt(year: int) -> int | None:
        statement = insert(ReceiptCounter).values(year=year, last=1)
        statement = statement.on_conflict_do_update(
            index_elements=[ReceiptCounter.year], set_={"last": ReceiptCounter.last + 1}
        ).returning(ReceiptCounter.last)
        async with sessionmaker.begin() as session:
            return await session.scalar(statement)

    assert [await next_receipt(2026) for _ in range(3)] == [1, 2, 3]
    assert await next_receipt(2027) == 1

    async def save_state(state: str, data: dict[str, Any], at: datetime) -> Any:
        statement = insert(FsmRecord).values(key="fsm:1:1", state=state, data=data, updated_at=at)
        statement = statement.on_conflict_do_update(
            index_elements=[FsmRecord.key],
            set_={
                "state": statement.excluded.state,
                "data": statement.excluded.data,
                "updated_at": statement.excluded.updated_at,
            },
        ).returning(FsmRecord.state, FsmRecord.data, FsmRecord.updated_at)
        async with sessionmaker.begin() as session:
            return (await session.execute(statement)).one()

    at = datetime(2026, 12, 1, 15, 30, tzinfo=ALMATY)
    assert tuple(await save_state("A:a", {"ә": 1}, at)) == ("A:a", {"ә": 1}, at)
    state, data, updated = await save_state("B:b", PAYLOAD, at + timedelta(seconds=1))
    assert (state, data, updated) == ("B:b", PAYLOAD, at + timedelta(seconds=1))
    assert updated.tzinfo is UTC

    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        assert await session.scalar(select(OutboxMessage.payload)) == {"t": "бірінші"}
        assert await session.scalar(select(func.count()).select_from(FsmRecord)) == 1
