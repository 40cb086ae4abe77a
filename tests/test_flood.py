"""Flood control: one notice past the limit, albums count once, a normal pace never trips it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties

from bot.app import create_application
from tests.support import updates as up
from tests.support.harness import TEST_TOKEN, Harness, make_settings
from tests.support.recording import RecordingSession
from tests.test_appeal_form import Owner


class FakeClock:
    """The application's clock: updates are stamped with it when stored."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> datetime:
        return datetime(2026, 3, 2, 5, 0, tzinfo=UTC) + timedelta(seconds=self.now)


FloodHarness = Callable[[int, FakeClock], Awaitable[Harness]]


@pytest.fixture
async def flood_harness(tmp_path: Path) -> AsyncIterator[FloodHarness]:
    made: list[Harness] = []

    async def make(limit: int, clock: FakeClock) -> Harness:
        settings = make_settings(tmp_path, FLOOD_MESSAGES_PER_MINUTE=limit)
        session = RecordingSession()
        bot = Bot(TEST_TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
        app = await create_application(settings, clock=clock, migrate=False, bot=bot)
        made.append(Harness(app, session))
        return made[-1]

    yield make
    for harness in made:
        await harness.app.close()


async def test_over_the_limit_one_notice_then_recovers(flood_harness: FloodHarness) -> None:
    clock = FakeClock()
    harness = await flood_harness(5, clock)
    owner = Owner(harness, 700)
    await owner.say("/start")
    await owner.press("lang:ru")
    replies = [await owner.say("/help") for _ in range(3)]
    assert all(r for r in replies)
    notice = await owner.say("/help")
    assert len(notice) == 1 and "слишком часто" in notice[0].text
    assert await owner.say("/help") == []  # dropped, the notice already told them
    assert await owner.say("/help") == []
    clock.now += 61
    calls = await owner.say("/help")
    assert "Что умеет бот" in calls[0].text


async def test_album_of_ten_and_normal_dialogue_never_trip(flood_harness: FloodHarness) -> None:
    clock = FakeClock()
    harness = await flood_harness(20, clock)
    owner = Owner(harness, 701)
    await owner.fill_until_summary()  # about 18 updates
    clock.now += 61
    await owner.press("f:summary:edit-attachments")
    texts = []
    for _ in range(10):
        calls = await harness.feed(up.photo(701, media_group_id="album-1"))
        texts += [getattr(c, "text", "") or "" for c in calls]
    assert not any("слишком часто" in text for text in texts)
    calls = await owner.press("f:attachments:done")
    assert "10 шт." in calls[-1].text
