"""/stats in the operator group (staff): the figures of this month, quarter, year or two
dates, the press paragraphs and the charts; /results in a private chat (anyone): this year's
public figures in the person's language, aggregates only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.domain.figures import office_figures, public_results
from bot.domain.periods import Period, parse_period
from bot.i18n import Translator
from bot.keyboards.callbacks import StatsCb
from bot.keyboards.stats import PERIODS, stats_keyboard
from bot.services import Services
from bot.telegram.figures_report import queue_figures
from bot.views.figures import results_text

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


async def _is_staff(bot: Bot, user_id: int | None, services: Services) -> bool:
    return user_id is not None and await services.staff_directory.is_staff(bot, user_id)


async def _send(
    session: AsyncSession,
    services: Services,
    period: Period,
    chat_id: int,
    thread_id: int | None,
) -> None:
    figures = await office_figures(session, period, services.calendar, term_days=services.term_days)
    await queue_figures(
        session,
        chat_id=chat_id,
        thread_id=thread_id,
        figures=figures,
        i18n=services.i18n,
        staff_t=services.staff_t,
        now=services.clock(),
        reply_markup=stats_keyboard(services.staff_t),
    )


async def stats(
    message: Message, command: CommandObject, session: AsyncSession, bot: Bot, services: Services
) -> None:
    sender = message.from_user
    if sender is None or sender.is_bot or not await _is_staff(bot, sender.id, services):
        return  # a non-member in the group: not ours to answer (as every staff command)
    today = services.calendar.local(services.clock()).date()
    period = parse_period(command.args or "", today)
    if period is None:
        await message.reply(services.staff_t("figures.bad_period"))
        return
    thread = message.message_thread_id if message.is_topic_message else None
    await _send(session, services, period, message.chat.id, thread)


async def stats_button(
    query: CallbackQuery,
    callback_data: StatsCb,
    session: AsyncSession,
    bot: Bot,
    services: Services,
) -> None:
    t = services.staff_t
    if not await _is_staff(bot, query.from_user.id, services):
        await query.answer(t("staff.not_member"), show_alert=True)
        return
    message = query.message
    if callback_data.period not in PERIODS or not isinstance(message, Message):
        await query.answer(t("errors.stale_button"))
        return
    await query.answer()
    today = services.calendar.local(services.clock()).date()
    period = parse_period(callback_data.period, today)
    assert period is not None  # every word of PERIODS is a period
    thread = message.message_thread_id if message.is_topic_message else None
    await _send(session, services, period, message.chat.id, thread)


async def results(
    message: Message, session: AsyncSession, t: Translator, services: Services
) -> None:
    today = services.calendar.local(services.clock()).date()
    figures = await public_results(
        session, today.year, services.calendar, term_days=services.term_days
    )
    await message.answer(results_text(t, figures, today))


def make_router(operator_chat_id: int) -> Router:
    router = Router(name="stats")
    router.message.register(stats, F.chat.id == operator_chat_id, Command("stats"))
    router.callback_query.register(
        stats_button, StatsCb.filter(), F.message.chat.id == operator_chat_id
    )
    router.message.register(results, F.chat.type == ChatType.PRIVATE, Command("results"))
    return router
