"""(b) Pushes while the Bot API answers 10 % 5xx, 5 % 429 and 2 % timeouts: every
notification arrives, none twice, each chat's in order, and no flood limit is broken."""

from __future__ import annotations

import asyncio
from collections import Counter

from aiogram.client.default import DefaultBotProperties
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.emulator import BotAPIEmulator
from bot.telegram.outbox import enqueue
from bot.telegram.ratelimit import Limits, RateLimiter
from models import OutboxMessage, OutboxState, User, utcnow
from tests.emulator import make_bot
from tests.test_delivery import sender

OWNERS = 100
PER_OWNER = 3
SCALE = 10


async def test_every_push_arrives_once_through_faults(
    emu: BotAPIEmulator, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    db = sessionmaker
    owners = [emu.add_user(f"Owner {n}", language_code="ru") for n in range(OWNERS)]
    expected = {
        owner: [f"Обращение {owner}: уведомление #{n}" for n in range(PER_OWNER)]
        for owner in owners
    }
    async with db.begin() as session:
        session.add_all(User(id=owner, language="ru") for owner in owners)
        await session.flush()
        for n in range(PER_OWNER):
            for owner in owners:
                await enqueue(
                    session, chat_id=owner, kind="status", text=expected[owner][n], now=utcnow()
                )

    emu.set_rate_limits(scale=SCALE, enforce=True)
    emu.inject_fault("5xx", count=None, probability=0.10)
    emu.inject_fault("429", count=None, probability=0.05, retry_after=1)
    # Hangs, then drops the connection with nothing sent: aiogram's request times out.
    emu.inject_fault("timeout", count=None, probability=0.02, delay=0.3)
    bot = make_bot(emu, default=DefaultBotProperties(parse_mode="HTML"))
    worker = sender(
        bot,
        db,
        limiter=RateLimiter(Limits().scaled(SCALE)),
        base_backoff=0.05,
        max_backoff=0.5,
        poll_interval=0.05,
    )
    worker.start()
    try:
        await asyncio.wait_for(settled(db), timeout=90)
    finally:
        await worker.stop()
        await bot.session.close()

    delivered = {
        owner: [e["text"] for e in emu.transcript(owner) if e["from_bot"]] for owner in owners
    }
    assert delivered == expected
    counts = Counter(text for texts in delivered.values() for text in texts)
    assert max(counts.values()) == 1
    async with db() as session:
        states = Counter((await session.scalars(select(OutboxMessage.state))).all())
    assert states == {OutboxState.SENT.value: OWNERS * PER_OWNER}
    assert [v for v in emu.rate_limit_violations if v["enforced"]] == []
    faults = Counter(c.get("fault") for c in emu.calls)
    assert faults["5xx"] and faults["429"] and faults["timeout"], faults


async def settled(db: async_sessionmaker[AsyncSession]) -> None:
    """Until no row waits (sent, or failed for good: the assertions tell which)."""
    while True:
        async with db() as session:
            left = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state.in_([OutboxState.PENDING.value, "claimed"]))
            )
        if left == 0:
            return
        await asyncio.sleep(0.1)
