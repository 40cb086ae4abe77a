"""A private message or button press from someone marked as having blocked the bot means
they are back (Telegram may not say so otherwise: a bot blocked and unblocked on another
device, an update missed while the bot was down)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.services import Services
from bot.telegram.reachability import welcome_back


class ComingBack(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = data.get("user")  # the sender's row, loaded by LocaleMiddleware
        message = event.message if isinstance(event, CallbackQuery) else event
        private = isinstance(message, Message) and message.chat.type == ChatType.PRIVATE
        if user is not None and user.blocked and private:
            services: Services = data["services"]
            await welcome_back(
                data["session"], services.topics, services.staff_t, user.id, services.clock()
            )
        return await handler(event, data)
