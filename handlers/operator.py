"""The operator group: staff messages in an appeal's topic reach its owner; notes stay
internal; /open, /find, /hearing, /note, /help; texts a card action asked for."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import datetime
from functools import partial
from html import escape
from typing import TYPE_CHECKING, Protocol

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReactionTypeEmoji

from bot.domain import casework as cw
from bot.domain.hearings import parse_hearing
from bot.domain.workflow import Staff, TransitionRefused, allowed, is_overdue
from bot.middlewares.staff import StaffMiddleware
from bot.services import Services
from bot.telegram.relay import NOT_RELAYED_KINDS, RELAYED_MEDIA, appeal_for_operator_message
from bot.telegram.staff import StaffDirectory
from models import Appeal, AppealStatus
from states import StaffInput

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)
NOTED = "✍"


# Applies the text a card action asked for: handlers/operator_actions.py's apply_staff_input,
# handed over by handlers/__init__.py (this module imports no other handler module). The text
# is taken here, in the operator router's turn: after notes and commands, before relaying.
class ApplyStaffInput(Protocol):
    def __call__(
        self,
        message: Message,
        *,
        session: AsyncSession,
        state: FSMContext,
        staff: Staff,
        services: Services,
    ) -> Awaitable[None]: ...


async def _appeal(
    message: Message, session: AsyncSession, bot: Bot, services: Services
) -> Appeal | None:
    is_forum = await services.topics.is_forum(bot)
    return await appeal_for_operator_message(session, message, is_forum)


async def react(bot: Bot, message: Message, emoji: str) -> None:
    # Queued like every call; a reaction that fails is only logged by the sender.
    await bot.set_message_reaction(
        message.chat.id, message.message_id, [ReactionTypeEmoji(emoji=emoji)]
    )


async def staff_help(message: Message, services: Services) -> None:
    await message.reply(services.staff_t("staff.help"))


def _line(appeal: Appeal, *, now: datetime, services: Services) -> str:
    t = services.staff_t
    return t(
        "staff.open_line",
        mark=t("staff.overdue_mark") if is_overdue(appeal, now) else "",
        number=appeal.number,
        category=t(f"category.{appeal.category}"),
        status=t(f"status.{appeal.status}"),
        due=services.calendar.local(appeal.due_at).strftime("%d.%m.%Y"),
    )


async def list_open(message: Message, session: AsyncSession, services: Services) -> None:
    t = services.staff_t
    now = services.clock()
    appeals = await cw.open_appeals(session, now)
    if not appeals:
        await message.reply(t("staff.open_empty"))
        return
    lines = [t("staff.open_title", count=len(appeals))]
    lines += [_line(appeal, now=now, services=services) for appeal in appeals]
    await message.reply("\n".join(lines))


async def find(
    message: Message, command: CommandObject, session: AsyncSession, services: Services
) -> None:
    t = services.staff_t
    query = (command.args or "").strip()
    if len(query) < 2:
        await message.reply(t("staff.find_usage"))
        return
    appeals = await cw.find_appeals(session, query)
    if not appeals:
        await message.reply(t("staff.find_empty"))
        return
    now = services.clock()
    lines = [t("staff.find_title", count=len(appeals))]
    lines += [_line(appeal, now=now, services=services) for appeal in appeals]
    await message.reply("\n".join(lines))


async def note(message: Message, session: AsyncSession, bot: Bot, services: Services) -> None:
    appeal = await _appeal(message, session, bot, services)
    if appeal is None:
        await message.reply(services.staff_t("staff.unknown_topic"))
        return
    text = (message.text or message.caption or "").removeprefix("/note").lstrip("!").strip()
    await services.relay.note(session, appeal, message, text, services.clock())
    await react(bot, message, NOTED)


async def bang_note(message: Message, session: AsyncSession, bot: Bot, services: Services) -> None:
    """A "!" message is an internal note whatever the staff member is doing: a question or an
    answer being asked for waits for the next message that is not a note."""
    if await _appeal(message, session, bot, services) is None:
        return  # chatter outside any appeal's topic stays in the group
    await note(message, session, bot, services)


async def hearing_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    bot: Bot,
    staff: Staff,
    services: Services,
) -> None:
    t, hearings, topics = services.staff_t, services.hearings, services.topics
    appeal = await _appeal(message, session, bot, services)
    if appeal is None:
        await message.reply(t("staff.unknown_topic"))
        return
    args = (command.args or "").strip()
    now = services.clock()
    if args.lower() in ("cancel", "отмена", "болдырмау"):
        if await hearings.cancel(session, appeal, staff, now) is None:
            await message.reply(t("staff.ask.hearing_none"))
            return
        await message.reply(t("staff.ask.hearing_cancelled"))
        await topics.refresh(session, appeal)
        return
    request = parse_hearing(args, services.calendar)
    if request is None:
        await message.reply(t("staff.ask.hearing_invalid"))
        return
    if request.starts_at <= now:
        await message.reply(t("staff.ask.hearing_past"))
        return
    if not allowed(appeal.status, AppealStatus.HEARING_SCHEDULED):
        status = t(f"status.{appeal.status}")
        await message.reply(t("staff.ask.hearing_not_allowed", status=status))
        return
    hearing = await hearings.schedule(session, appeal, request, staff, now)
    date_text, time_text = hearings.when(hearing)
    await message.reply(
        t("staff.ask.hearing_set", date=date_text, time=time_text, place=escape(hearing.place))
    )
    await topics.refresh(session, appeal)


async def cancel_input(message: Message, state: FSMContext, services: Services) -> None:
    await state.clear()
    await message.reply(services.staff_t("staff.input_cancelled"))


async def staff_message(
    message: Message, session: AsyncSession, bot: Bot, staff: Staff, services: Services
) -> None:
    appeal = await _appeal(message, session, bot, services)
    if appeal is None:
        return  # chatter outside any appeal's topic stays in the group
    # Queued: once delivered the message gets 👍; if it cannot be, staff are told here.
    await services.relay.to_owner(session, appeal, message, staff.id, services.clock())


async def staff_not_relayed(
    message: Message, session: AsyncSession, bot: Bot, services: Services
) -> None:
    """A poll, a dice, a game…: nothing the owner could use; staff hear what does go."""
    if await _appeal(message, session, bot, services) is None:
        return
    await message.reply(services.staff_t("staff.not_relayed"))


async def staff_input(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    staff: Staff,
    services: Services,
    *,
    apply_input: ApplyStaffInput,
) -> None:
    t = services.staff_t
    try:
        await apply_input(message, session=session, state=state, staff=staff, services=services)
    except TransitionRefused as refused:
        await state.clear()
        await message.reply(
            t(
                "staff.refused_transition",
                from_status=t(f"status.{refused.current}"),
                to_status=t(f"status.{refused.target}"),
            )
        )


def make_router(
    operator_chat_id: int, directory: StaffDirectory, *, apply_input: ApplyStaffInput
) -> Router:
    router = Router(name="operator")
    router.message.filter(F.chat.id == operator_chat_id)
    router.message.middleware(StaffMiddleware(directory))
    router.message.register(staff_help, Command("help", "start"))
    router.message.register(list_open, Command("open"))
    router.message.register(find, Command("find"))
    router.message.register(cancel_input, Command("cancel"))
    router.message.register(note, Command("note"))
    router.message.register(hearing_command, Command("hearing"))
    router.message.register(bang_note, F.text.startswith("!") | F.caption.startswith("!"))
    router.message.register(
        partial(staff_input, apply_input=apply_input), StateFilter(StaffInput.text), F.text
    )
    router.message.register(
        staff_message,
        (F.text & ~F.text.startswith("/")) | F.content_type.in_(RELAYED_MEDIA),
    )
    router.message.register(staff_not_relayed, F.content_type.in_(NOT_RELAYED_KINDS))
    return router
