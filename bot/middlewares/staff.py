"""Only members of the operator group act as staff; anyone else is refused or ignored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import CallbackQuery, TelegramObject

from bot.domain.workflow import Staff
from bot.services import Services
from bot.telegram.staff import StaffDirectory


class StaffMiddleware(BaseMiddleware):
    def __init__(self, directory: StaffDirectory) -> None:
        self.directory = directory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = data.get("event_from_user")
        bot: Bot = data["bot"]
        if user is None or user.is_bot or not await self.directory.is_staff(bot, user.id):
            if isinstance(event, CallbackQuery):
                services: Services = data["services"]
                await event.answer(services.staff_t("staff.not_member"), show_alert=True)
            return None  # a message from a non-member in the group is not ours to relay
        data["staff"] = Staff(id=user.id, name=user.full_name)
        return await handler(event, data)
