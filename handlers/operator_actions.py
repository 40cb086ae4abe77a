"""Buttons under an appeal's card, and the texts some of them ask for."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from html import escape

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.keyboards.callbacks import StaffCb
from bot.keyboards.staff import outcome_keyboard
from bot.middlewares.staff import StaffMiddleware
from bot.services.casework import OUTCOMES, CaseWork, Staff
from bot.services.staff import StaffDirectory
from bot.services.topics import TopicService
from bot.services.workflow import allowed
from models import Appeal, AppealStatus
from states import StaffInput

S = AppealStatus
# Actions that need a text from the staff member before the change is made.
NEEDS_TEXT = {S.NEEDS_INFO.value, S.REDIRECTED.value, S.NOT_CONSIDERED.value}
EXTENSION = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(.{3,})$", re.DOTALL)


async def _refuse(query: CallbackQuery, t: Translator, appeal: Appeal, target: str) -> None:
    await query.answer(
        t(
            "staff.refused_transition",
            from_status=t(f"status.{appeal.status}"),
            to_status=t(f"status.{target}"),
        ),
        show_alert=True,
    )


async def on_card_button(
    query: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    bot: Bot,
    state: FSMContext,
    staff: Staff,
    staff_t: Translator,
    topics: TopicService,
    casework: CaseWork,
    clock: Callable[[], datetime],
) -> None:
    appeal = await session.get(Appeal, callback_data.appeal_id)
    message = query.message
    if appeal is None or not isinstance(message, Message):
        await query.answer(staff_t("my.not_found"), show_alert=True)
        return
    action = callback_data.action
    t = staff_t
    now = clock()
    if action == "take":
        if not allowed(appeal.status, S.IN_REVIEW) or appeal.status != S.REGISTERED:
            await _refuse(query, t, appeal, S.IN_REVIEW)
            return
        await casework.take(session, appeal, staff, now)
        await query.answer(t("staff.taken", name=staff.name))
        await topics.refresh(bot, session, appeal)
        return
    if action == "outcome":
        if callback_data.value not in OUTCOMES or not allowed(appeal.status, S.ANSWERED):
            await _refuse(query, t, appeal, S.ANSWERED)
            return
        await _ask(query, state, t, appeal, S.ANSWERED.value, callback_data.value)
        outcome = t(f"staff.outcome.{callback_data.value}")
        await message.answer(t("staff.ask.answered_text", outcome=outcome))
        return
    if action == "hearing":
        if not allowed(appeal.status, S.HEARING_SCHEDULED):
            await _refuse(query, t, appeal, S.HEARING_SCHEDULED)
            return
        await query.answer()
        await message.answer(t("staff.ask.hearing"))
        return
    if action == "extend":
        if appeal.status not in (S.IN_REVIEW, S.NEEDS_INFO, S.HEARING_SCHEDULED):
            await query.answer(t("staff.extend_not_allowed"), show_alert=True)
            return
        await _ask(query, state, t, appeal, "extend")
        limit = casework.extension_limit(appeal).strftime("%d.%m.%Y")
        await message.answer(t("staff.ask.extend", limit=limit))
        return
    if action not in {s.value for s in S} or not allowed(appeal.status, action):
        await _refuse(query, t, appeal, action if action in {s.value for s in S} else "closed")
        return
    if action == S.ANSWERED:
        await query.answer()
        await message.answer(t("staff.ask.answered"), reply_markup=outcome_keyboard(t, appeal.id))
        return
    if action in NEEDS_TEXT:
        await _ask(query, state, t, appeal, action)
        await message.answer(t(f"staff.ask.{action}"))
        return
    previous = appeal.status
    await casework.change(session, appeal, S(action), staff, now)
    await query.answer(
        t(
            "staff.changed",
            from_status=t(f"status.{previous}"),
            to_status=t(f"status.{action}"),
            name=staff.name,
        )
    )
    await topics.refresh(bot, session, appeal)


async def _ask(
    query: CallbackQuery,
    state: FSMContext,
    t: Translator,
    appeal: Appeal,
    action: str,
    outcome: str = "",
) -> None:
    await state.set_state(StaffInput.text)
    await state.set_data({"appeal_id": appeal.id, "action": action, "outcome": outcome})
    await query.answer()


def _parse_extension(text: str) -> tuple[date, str] | None:
    match = EXTENSION.match(text)
    if match is None:
        return None
    try:
        new_due = date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None
    return new_due, match[4].strip()


async def apply_staff_input(
    message: Message,
    session: AsyncSession,
    bot: Bot,
    state: FSMContext,
    staff: Staff,
    t: Translator,
    topics: TopicService,
    casework: CaseWork,
    now: datetime,
) -> None:
    data = await state.get_data()
    appeal = await session.get(Appeal, int(data.get("appeal_id", 0)))
    text = (message.text or "").strip()
    if appeal is None or not text:
        await state.clear()
        return
    action = str(data.get("action"))
    if action == "extend":
        parsed = _parse_extension(text)
        limit = casework.extension_limit(appeal)
        if parsed is None or not await casework.extend(
            session, appeal, parsed[0], parsed[1], staff, now
        ):
            await message.reply(t("staff.ask.extend_invalid", limit=limit.strftime("%d.%m.%Y")))
            return
        await state.clear()
        await message.reply(
            t("staff.ask.extended", date=parsed[0].strftime("%d.%m.%Y"), reason=escape(parsed[1]))
        )
        await topics.refresh(bot, session, appeal)
        return
    await state.clear()
    outcome = str(data.get("outcome") or "") or None
    previous = appeal.status
    await casework.change(session, appeal, S(action), staff, now, note=text, outcome=outcome)
    await message.reply(
        t(
            "staff.changed",
            from_status=t(f"status.{previous}"),
            to_status=t(f"status.{action}"),
            name=escape(staff.name),
        )
    )
    await topics.refresh(bot, session, appeal)


def make_router(operator_chat_id: int, directory: StaffDirectory) -> Router:
    router = Router(name="operator_actions")
    router.callback_query.filter(F.message.chat.id == operator_chat_id)
    router.callback_query.middleware(StaffMiddleware(directory))
    router.callback_query.register(on_card_button, StaffCb.filter())
    return router
