from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import build_dispatcher
from bot.config import Settings
from bot.i18n import I18n
from bot.middlewares.commit import install_request_middlewares
from bot.migrate import upgrade_to_head
from models.db import make_engine, make_sessionmaker
from tests.support.recording import RecordingSession

TEST_TOKEN = "123456:TEST-token-for-the-local-emulator"
OPERATOR_CHAT = -1001234567890


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "BOT_TOKEN": TEST_TOKEN,
        "OPERATOR_CHAT_ID": OPERATOR_CHAT,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'test.db'}",
        "DEFAULT_LANGUAGE": "kk",
        # Tests type faster than people; flood control has its own tests.
        "FLOOD_MESSAGES_PER_MINUTE": 10_000,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(settings.DATABASE_URL)
    await upgrade_to_head(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


class Harness:
    """A fresh Dispatcher with a recording bot: feed updates, read what the bot sent."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, session: RecordingSession) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.session = session

    async def feed(self, update: Update) -> list[Any]:
        await self.dispatcher.feed_update(self.bot, update)
        return self.session.take()

    def texts(self, calls: list[Any]) -> list[str]:
        return [getattr(c, "text", None) or getattr(c, "caption", None) or "" for c in calls]


@pytest.fixture
def harness(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> Harness:
    session = RecordingSession()
    bot = Bot(TEST_TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    dispatcher = build_dispatcher(settings, sessionmaker, I18n(settings.DEFAULT_LANGUAGE))
    install_request_middlewares(bot, dispatcher["outbox_bell"])
    return Harness(dispatcher, bot, session)
