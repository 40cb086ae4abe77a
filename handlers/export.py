"""/export in the operator group (staff): the register of appeals and of investment projects
of a period as an .xlsx, IIN/BIN and phones masked; `/export полный|толық|full [period]` with
them, recorded (who and when) and said in the group."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.domain.periods import parse_period
from bot.domain.register import MAX_BYTES, RegisterTooLarge, Staff, queue_register, split_args
from bot.services import Services
from bot.views.numbers import decimal, whole
from bot.views.register import build_register

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

MB = 1024 * 1024


async def export(
    message: Message, command: CommandObject, session: AsyncSession, bot: Bot, services: Services
) -> None:
    sender = message.from_user
    if (
        sender is None
        or sender.is_bot
        or not await services.staff_directory.is_staff(bot, sender.id)
    ):
        return  # a non-member in the group: not ours to answer (as every staff command)
    t = services.staff_t
    now = services.clock()
    full, words = split_args(command.args or "")
    period = parse_period(words, services.calendar.local(now).date())
    if period is None:
        await message.reply(t("registers.bad_period"))
        return
    staff = Staff(sender.id, sender.full_name)
    try:
        built = await build_register(
            session, period, services.calendar, t, full=full, now=now, staff=staff
        )
    except RegisterTooLarge as exc:
        size = decimal(exc.args[0] / MB)
        await message.reply(
            t("registers.too_large", period=period.label(), size=size, limit=MAX_BYTES // MB)
        )
        return
    caption = t(
        "registers.caption_full" if full else "registers.caption",
        period=period.label(),
        appeals=whole(built.appeals),
        projects=whole(built.projects),
    )
    thread = message.message_thread_id if message.is_topic_message else None
    await queue_register(
        session,
        chat_id=message.chat.id,
        thread_id=thread,
        file_name=built.name,
        content=built.content,
        caption=caption,
        now=now,
    )
    if full:
        # In the group's main thread, where every member sees who took personal data out.
        taken = t(
            "registers.full_taken",
            name=escape(staff.name),
            period=period.label(),
            time=f"{services.calendar.local(now):%d.%m.%Y %H:%M}",
        )
        await bot.send_message(message.chat.id, taken)


def make_router(operator_chat_id: int) -> Router:
    router = Router(name="export")
    router.message.register(export, F.chat.id == operator_chat_id, Command("export"))
    return router
