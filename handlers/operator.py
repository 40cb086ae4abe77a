"""The operator group: staff messages in an appeal's topic reach its owner; notes stay
internal; /open, /find, /hearing, /note, /help; texts a card action asked for."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from html import escape

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReactionTypeEmoji
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.middlewares.staff import StaffMiddleware
from bot.services import casework as cw
from bot.services.calendar import WorkCalendar
from bot.services.casework import CaseWork, Staff
from bot.services.hearings import Hearings, parse_hearing
from bot.services.relay import Relay, appeal_for_operator_message
from bot.services.staff import StaffDirectory
from bot.services.topics import TopicService
from bot.services.users import get_user
from bot.services.workflow import TransitionRefused, allowed, is_overdue
from handlers.operator_actions import apply_staff_input
from models import Appeal, AppealStatus
from states import StaffInput

log = logging.getLogger(__name__)
DELIVERED = "👍"
NOTED = "✍"


async def _appeal(
    message: Message, session: AsyncSession, bot: Bot, topics: TopicService
) -> Appeal | None:
    return await appeal_for_operator_message(session, message, await topics.is_forum(bot))


async def react(bot: Bot, message: Message, emoji: str) -> None:
    try:
        await bot.set_message_reaction(
            message.chat.id, message.message_id, [ReactionTypeEmoji(emoji=emoji)]
        )
    except TelegramAPIError as error:
        log.info("reaction not set: %s", error)


async def staff_help(message: Message, staff_t: Translator) -> None:
    await message.reply(staff_t("staff.help"))


def _line(t: Translator, appeal: Appeal, now: datetime, calendar: WorkCalendar) -> str:
    return t(
        "staff.open_line",
        mark=t("staff.overdue_mark") if is_overdue(appeal, now) else "",
        number=appeal.number,
        category=t(f"category.{appeal.category}"),
        status=t(f"status.{appeal.status}"),
        due=calendar.local(appeal.due_at).strftime("%d.%m.%Y"),
    )


async def list_open(
    message: Message,
    session: AsyncSession,
    staff_t: Translator,
    clock: Callable[[], datetime],
    calendar: WorkCalendar,
) -> None:
    now = clock()
    appeals = await cw.open_appeals(session, now)
    if not appeals:
        await message.reply(staff_t("staff.open_empty"))
        return
    lines = [staff_t("staff.open_title", count=len(appeals))]
    lines += [_line(staff_t, appeal, now, calendar) for appeal in appeals]
    await message.reply("\n".join(lines))


async def find(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    staff_t: Translator,
    clock: Callable[[], datetime],
    calendar: WorkCalendar,
) -> None:
    query = (command.args or "").strip()
    if len(query) < 2:
        await message.reply(staff_t("staff.find_usage"))
        return
    appeals = await cw.find_appeals(session, query)
    if not appeals:
        await message.reply(staff_t("staff.find_empty"))
        return
    now = clock()
    lines = [staff_t("staff.find_title", count=len(appeals))]
    lines += [_line(staff_t, appeal, now, calendar) for appeal in appeals]
    await message.reply("\n".join(lines))


async def note(
    message: Message,
    session: AsyncSession,
    bot: Bot,
    topics: TopicService,
    relay: Relay,
    clock: Callable[[], datetime],
    staff_t: Translator,
) -> None:
    appeal = await _appeal(message, session, bot, topics)
    if appeal is None:
        await message.reply(staff_t("staff.unknown_topic"))
        return
    text = (message.text or message.caption or "").removeprefix("/note").lstrip("!").strip()
    await relay.note(session, appeal, message, text, clock())
    await react(bot, message, NOTED)


async def hearing_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    bot: Bot,
    topics: TopicService,
    hearings: Hearings,
    staff: Staff,
    staff_t: Translator,
    clock: Callable[[], datetime],
    calendar: WorkCalendar,
) -> None:
    appeal = await _appeal(message, session, bot, topics)
    if appeal is None:
        await message.reply(staff_t("staff.unknown_topic"))
        return
    args = (command.args or "").strip()
    now = clock()
    if args.lower() in ("cancel", "отмена", "болдырмау"):
        if await hearings.cancel(session, appeal, staff, now) is None:
            await message.reply(staff_t("staff.ask.hearing_none"))
            return
        await message.reply(staff_t("staff.ask.hearing_cancelled"))
        await topics.refresh(bot, session, appeal)
        return
    request = parse_hearing(args, calendar)
    if request is None:
        await message.reply(staff_t("staff.ask.hearing_invalid"))
        return
    if request.starts_at <= now:
        await message.reply(staff_t("staff.ask.hearing_past"))
        return
    if not allowed(appeal.status, AppealStatus.HEARING_SCHEDULED):
        status = staff_t(f"status.{appeal.status}")
        await message.reply(staff_t("staff.ask.hearing_not_allowed", status=status))
        return
    hearing = await hearings.schedule(session, appeal, request, staff, now)
    date_text, time_text = hearings.when(hearing)
    await message.reply(
        staff_t(
            "staff.ask.hearing_set", date=date_text, time=time_text, place=escape(hearing.place)
        )
    )
    await topics.refresh(bot, session, appeal)


async def cancel_input(message: Message, state: FSMContext, staff_t: Translator) -> None:
    await state.clear()
    await message.reply(staff_t("staff.input_cancelled"))


async def staff_message(
    message: Message,
    session: AsyncSession,
    bot: Bot,
    topics: TopicService,
    relay: Relay,
    staff: Staff,
    staff_t: Translator,
    clock: Callable[[], datetime],
) -> None:
    appeal = await _appeal(message, session, bot, topics)
    if appeal is None:
        return  # chatter outside any appeal's topic stays in the group
    if (message.text or message.caption or "").startswith("!"):
        await note(message, session, bot, topics, relay, clock, staff_t)
        return
    try:
        await relay.to_owner(bot, session, appeal, message, staff.id, clock())
    except TelegramForbiddenError:
        owner = await get_user(session, appeal.user_id)
        if owner is not None:
            owner.blocked = True
        await message.reply(staff_t("staff.relay_failed_blocked"))
        return
    except TelegramAPIError as error:
        await message.reply(staff_t("staff.relay_failed", error=escape(error.message)))
        return
    await react(bot, message, DELIVERED)


async def staff_input(
    message: Message,
    session: AsyncSession,
    bot: Bot,
    state: FSMContext,
    staff: Staff,
    staff_t: Translator,
    topics: TopicService,
    casework: CaseWork,
    clock: Callable[[], datetime],
) -> None:
    try:
        await apply_staff_input(
            message, session, bot, state, staff, staff_t, topics, casework, clock()
        )
    except TransitionRefused as refused:
        await state.clear()
        await message.reply(
            staff_t(
                "staff.refused_transition",
                from_status=staff_t(f"status.{refused.current}"),
                to_status=staff_t(f"status.{refused.target}"),
            )
        )


def make_router(operator_chat_id: int, directory: StaffDirectory) -> Router:
    router = Router(name="operator")
    router.message.filter(F.chat.id == operator_chat_id)
    router.message.middleware(StaffMiddleware(directory))
    router.message.register(staff_help, Command("help", "start"))
    router.message.register(list_open, Command("open"))
    router.message.register(find, Command("find"))
    router.message.register(cancel_input, Command("cancel"))
    router.message.register(note, Command("note"))
    router.message.register(hearing_command, Command("hearing"))
    router.message.register(staff_input, StateFilter(StaffInput.text), F.text)
    router.message.register(
        staff_message, (F.text & ~F.text.startswith("/")) | F.photo | F.document
    )
    return router
