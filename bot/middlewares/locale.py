"""Loads the sender's row and language; handlers get `user` and `t`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.types import User as TgUser
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.users import get_user
from bot.i18n import I18n


class LocaleMiddleware(BaseMiddleware):
    def __init__(self, i18n: I18n) -> None:
        self.i18n = i18n

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        sender: TgUser | None = data.get("event_from_user")
        session: AsyncSession = data["session"]
        user = await get_user(session, sender.id) if sender else None
        language = user.language if user and user.language else None
        if language is None and sender and sender.language_code in ("kk", "ru"):
            language = sender.language_code
        data["user"] = user
        data["t"] = self.i18n.translator(language)
        return await handler(event, data)
