"""Flood control: one notice past the limit, albums count once, a normal pace never trips it."""

from __future__ import annotations

from pathlib import Path

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_dispatcher
from bot.i18n import I18n
from bot.middlewares.flood import FloodMiddleware
from tests.conftest import TEST_TOKEN, Harness, make_settings
from tests.support import updates as up
from tests.support.recording import RecordingSession
from tests.test_appeal_form import Owner


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def flood_harness(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], limit: int, clock: FakeClock
) -> Harness:
    settings = make_settings(tmp_path, FLOOD_MESSAGES_PER_MINUTE=limit)
    session = RecordingSession()
    bot = Bot(TEST_TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    dispatcher = build_dispatcher(settings, sessionmaker, I18n("kk"))
    middleware: FloodMiddleware = dispatcher["flood"]
    middleware.clock = clock
    return Harness(dispatcher, bot, session)


async def test_over_the_limit_one_notice_then_recovers(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    clock = FakeClock()
    harness = flood_harness(tmp_path, sessionmaker, 5, clock)
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


async def test_album_of_ten_and_normal_dialogue_never_trip(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    clock = FakeClock()
    harness = flood_harness(tmp_path, sessionmaker, 20, clock)
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
