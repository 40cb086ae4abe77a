"""One database session per update; the only place that commits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.bell import OutboxBell
from bot.storage import update_session


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], bell: OutboxBell) -> None:
        self.sessionmaker = sessionmaker
        self.bell = bell

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.sessionmaker() as session:
            data["session"] = session
            token = update_session.set(session)
            try:
                result = await handler(event, data)
                await session.commit()
                self.bell.after_commit(session)
            finally:
                update_session.reset(token)
            return result
