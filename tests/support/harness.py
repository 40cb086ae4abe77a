"""The application for dispatcher-level tests: its settings, and a recording bot to feed
updates to (the ``settings`` and ``harness`` fixtures in tests/conftest.py build these)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiogram.types import Update

from bot.app import Application
from bot.config import Settings
from tests.support import database
from tests.support.recording import RecordingSession

TEST_TOKEN = "123456:TEST-token-for-the-local-emulator"
OPERATOR_CHAT = -1001234567890


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "BOT_TOKEN": TEST_TOKEN,
        "OPERATOR_CHAT_ID": OPERATOR_CHAT,
        "DEFAULT_LANGUAGE": "kk",
        # Tests type faster than people; flood control and Telegram's limits have their own
        # tests (which set these back).
        "FLOOD_MESSAGES_PER_MINUTE": 10_000,
        "RATE_PRIVATE_PER_SECOND": 1_000,
        "RATE_GROUP_PER_MINUTE": 60_000,
        "RATE_TOTAL_PER_SECOND": 3_000,
    }
    values.update(overrides)
    if "DATABASE_URL" not in values:
        # The migrated database of this tmp_path: SQLite, or PostgreSQL with TEST_DATABASE_URL.
        values["DATABASE_URL"] = database.fresh_database_url_sync(tmp_path)
    return Settings(_env_file=None, **values)


class Harness:
    """The application with a recording bot: feed an update the way the inbox does (store,
    handle, commit), let the sender make the calls, read what Telegram would have got."""

    def __init__(self, app: Application, session: RecordingSession) -> None:
        self.app = app
        self.dispatcher = app.dispatcher
        self.bot = app.bot
        self.session = session

    async def feed(self, update: Update) -> list[Any]:
        await self.app.handle_now(update)
        await self.app.sender.run_once()
        return self.session.take()

    def texts(self, calls: list[Any]) -> list[str]:
        return [getattr(c, "text", None) or getattr(c, "caption", None) or "" for c in calls]
