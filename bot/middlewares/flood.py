"""Flood control: past N messages a minute from one person, one polite notice, then a pause.

Counted from the inbox (bot/telegram/flood.py), so it holds across instances and restarts;
an album counts once, so ten files sent together never trip it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.telegram import flood
from bot.telegram.uow import Head


class FloodMiddleware(BaseMiddleware):
    def __init__(self, limit: int) -> None:
        self.limit = limit

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        head: Head | None = data.get("inbox")
        session: AsyncSession | None = data.get("session")
        if head is None or session is None or head.flood_key is None:
            return await handler(event, data)
        if not await flood.over_limit(session, head, self.limit):
            return await handler(event, data)
        warn = not await flood.warned_lately(session, head)
        await flood.mark(session, head, warned=warn)
        t: Translator = data["t"]
        if warn:
            if isinstance(event, Message):
                await event.answer(t("hint.flood"))
            elif isinstance(event, CallbackQuery):
                await event.answer(t("hint.flood"), show_alert=True)
        elif isinstance(event, CallbackQuery):
            await event.answer()
        return None
