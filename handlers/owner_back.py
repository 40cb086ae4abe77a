"""The bot unblocked in a private chat (Telegram's my_chat_member: the bot is a member again)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.types import ChatMemberUpdated

from bot.services import Services
from bot.telegram.reachability import welcome_back

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


async def on_unblocked(event: ChatMemberUpdated, session: AsyncSession, services: Services) -> None:
    await welcome_back(
        session, services.topics, services.staff_t, event.from_user.id, services.clock()
    )


def make_router() -> Router:
    router = Router(name="owner_back")
    router.my_chat_member.filter(F.chat.type == ChatType.PRIVATE)
    router.my_chat_member.register(
        on_unblocked, F.new_chat_member.status == ChatMemberStatus.MEMBER
    )
    return router
