"""What no other handler took: a button nobody knows (old, forged) gets a short answer so the
client stops waiting; a free message in private gets directions instead of silence."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator
from bot.keyboards.common import main_menu


async def unknown_button(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t("errors.stale_button"))


async def free_message(message: Message, t: Translator) -> None:
    await message.answer(t("hint.outside"), reply_markup=main_menu(t))


def make_router() -> Router:
    router = Router(name="fallback")
    router.callback_query.register(unknown_button)
    router.message.register(free_message, F.chat.type == ChatType.PRIVATE)
    return router
