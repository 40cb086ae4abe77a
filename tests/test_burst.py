"""Telegram's limits on every path: a burst of 1,000 follow-ups from 50 owners reaches the 50
topics, each owner's in the order sent, while the emulator enforces Telegram's limits (1 a
second per private chat, 20 a minute per group, 30 a second in all), and the bot answers
each owner too. Every limit is scaled by the same factor on both sides so that the test
takes a minute, not an hour (the group's 20 a minute is the bottleneck).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.app import Application
from bot.domain.calendar import calendar_from_settings
from bot.domain.intake import submit_appeal
from bot.sandbox.emulator import BotAPIEmulator
from models import User
from states import AddInfo
from tests.support import database
from tests.support.live import live_app, settled
from tests.test_races import ANSWERS  # the same appeal the race tests file

OWNERS = 50
EACH = 20
SCALE = 60


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    emulator = BotAPIEmulator(seed=21)
    await emulator.start()
    yield emulator
    await emulator.stop()


async def appeals_with_open_additions(app: Application, owners: list[int]) -> dict[int, int]:
    """Each owner has a filed appeal (with its topic queued) and is adding information."""
    calendar = calendar_from_settings(app.settings)
    threads: dict[int, int] = {}
    async with app.sessionmaker.begin() as session:
        for owner in owners:
            session.add(User(id=owner, language="ru"))
        await session.flush()
        for owner in owners:
            appeal = await submit_appeal(
                session, calendar, owner, dict(ANSWERS), now=datetime.now(UTC), term_days=15
            )
            await app.topics.publish(session, appeal)
            threads[owner] = appeal.id
        await app.bell.commit(session)
    for owner, appeal_id in threads.items():
        key = StorageKey(bot_id=app.bot.id, chat_id=owner, user_id=owner)
        await app.dispatcher.storage.set_state(key, AddInfo.collecting)
        await app.dispatcher.storage.set_data(key, {"appeal_id": appeal_id})
    return threads


@pytest.mark.skipif(
    not database.is_sqlite(), reason="Telegram's limits do not depend on the database: SQLite run"
)
async def test_a_burst_of_1000_follow_ups_reaches_every_topic_in_order(
    emu: BotAPIEmulator, tmp_path: Path
) -> None:
    staff = emu.add_user("Дина", language_code="ru")
    group = emu.add_group("Операторы", forum=True, members=[staff], admins=[staff])
    owners = [emu.add_user(f"Owner {n}", language_code="ru") for n in range(OWNERS)]
    emu.set_rate_limits(scale=SCALE, enforce=True)
    limits: dict[str, Any] = {
        "RATE_TOTAL_PER_SECOND": 30 * SCALE,
        "RATE_PRIVATE_PER_SECOND": 1 * SCALE,
        "RATE_GROUP_PER_MINUTE": 20 * SCALE,
    }
    async with live_app(emu, tmp_path, group, **limits) as app:
        await appeals_with_open_additions(app, owners)
        await settled(emu, app, timeout=120)  # the 50 topics and cards are there
        for n in range(EACH):
            for owner in owners:
                emu.send_text(owner, f"Дополнение {n + 1} от {owner}")
        await settled(emu, app, timeout=600)

    topics = {t["name"]: t["thread_id"] for t in emu.topics(group)}
    assert len(topics) == OWNERS
    for owner in owners:
        relayed = [
            entry["text"].split("\n")[-1]
            for entry in emu.transcript(group)
            if entry["from_bot"] and f"от {owner}" in (entry["text"] or "")
        ]
        assert relayed == [f"Дополнение {n + 1} от {owner}" for n in range(EACH)], owner
        threads = {
            entry["message_thread_id"]
            for entry in emu.transcript(group)
            if entry["from_bot"] and f"от {owner}" in (entry["text"] or "")
        }
        assert len(threads) == 1 and None not in threads
        answers = [e for e in emu.transcript(owner) if e["from_bot"]]
        assert len(answers) == EACH
    # The emulator refused nothing: the bot kept under every limit, on every path.
    assert emu.rate_limit_violations == []
    assert [c for c in emu.calls if c.get("error_code") == 429] == []
