"""Staff commands and card buttons used outside the operator group are refused."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator
from bot.keyboards.callbacks import ProjectStaffCb, StaffCb

STAFF_COMMANDS = ("open", "find", "note", "hearing", "session", "failed", "stats", "export")


async def refuse_command(message: Message, t: Translator) -> None:
    await message.answer(t("staff.only_staff"))


async def refuse_button(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t("staff.not_member"), show_alert=True)


def make_router(operator_chat_id: int) -> Router:
    router = Router(name="not_staff")
    router.message.register(
        refuse_command, F.chat.type == ChatType.PRIVATE, Command(*STAFF_COMMANDS)
    )
    router.callback_query.register(
        refuse_button, StaffCb.filter(), F.message.chat.id != operator_chat_id
    )
    router.callback_query.register(
        refuse_button, ProjectStaffCb.filter(), F.message.chat.id != operator_chat_id
    )
    return router
