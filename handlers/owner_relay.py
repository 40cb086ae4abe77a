"""The owner's side of the conversation with staff: replies to office messages, the
"Reply" button, and answers to a hearing invitation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.keyboards.callbacks import HearingAnswerCb, RateCb, ReplyCb
from bot.keyboards.my_appeals import add_keyboard
from bot.services import appeals as service
from bot.services.casework import CaseWork
from bot.services.hearings import Hearings
from bot.services.relay import Relay, appeal_for_owner_reply
from bot.services.topics import TopicService
from models import Appeal, Hearing, HearingState
from states import AddInfo


async def share_with_staff(
    message: Message,
    appeal: Appeal,
    header_key: str,
    session: AsyncSession,
    bot: Bot,
    relay: Relay,
    topics: TopicService,
    casework: CaseWork,
    staff_t: Translator,
    now: datetime,
) -> None:
    """Post the owner's message in the appeal's topic; an answer to a question resumes review."""
    await relay.to_staff(bot, session, appeal, message, staff_t(header_key), now)
    if await casework.owner_answered(session, appeal, now):
        await topics.post(bot, session, appeal, staff_t("staff.owner_answered_question"))
        await topics.refresh(bot, session, appeal)


async def on_reply_button(
    query: CallbackQuery,
    callback_data: ReplyCb,
    session: AsyncSession,
    state: FSMContext,
    t: Translator,
) -> None:
    appeal = await service.owner_appeal(session, query.from_user.id, callback_data.appeal_id)
    if appeal is None or not service.can_add(appeal):
        await query.answer(t("my.not_found"), show_alert=True)
        return
    await query.answer()
    await state.set_state(AddInfo.collecting)
    await state.set_data({"appeal_id": appeal.id})
    if isinstance(query.message, Message):
        await query.message.answer(
            t("my.add.prompt", number=appeal.number), reply_markup=add_keyboard(t, appeal.id)
        )


async def on_reply_to_office(
    message: Message,
    session: AsyncSession,
    bot: Bot,
    t: Translator,
    relay: Relay,
    topics: TopicService,
    casework: CaseWork,
    staff_t: Translator,
    clock: Callable[[], datetime],
) -> None:
    appeal = await appeal_for_owner_reply(session, message)
    if appeal is None or not service.can_add(appeal):
        await message.answer(t("help.text"))
        return
    now = clock()
    if message.text:
        await service.add_information(session, appeal, appeal.user_id, now=now, text=message.text)
    await share_with_staff(
        message, appeal, "staff.owner_message", session, bot, relay, topics, casework, staff_t, now
    )
    await message.answer(t("my.add.finished", number=appeal.number))


async def on_hearing_answer(
    query: CallbackQuery,
    callback_data: HearingAnswerCb,
    session: AsyncSession,
    bot: Bot,
    t: Translator,
    topics: TopicService,
    hearings: Hearings,
    staff_t: Translator,
) -> None:
    hearing = await session.get(Hearing, callback_data.hearing_id)
    appeal = (
        await service.owner_appeal(session, query.from_user.id, hearing.appeal_id)
        if hearing is not None
        else None
    )
    if hearing is None or appeal is None or callback_data.answer not in ("yes", "no"):
        await query.answer(t("my.not_found"), show_alert=True)
        return
    if hearing.state != HearingState.SCHEDULED:
        await query.answer(t("hint.stale"), show_alert=True)
        return
    hearing.owner_answer = "will_come" if callback_data.answer == "yes" else "another_date"
    date_text, time_text = hearings.when(hearing)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        key = (
            "notify.hearing_thanks_yes"
            if callback_data.answer == "yes"
            else "notify.hearing_thanks_no"
        )
        await query.message.answer(t(key, date=date_text, time=time_text))
    staff_key = (
        "staff.ask.hearing_owner_yes"
        if callback_data.answer == "yes"
        else "staff.ask.hearing_owner_no"
    )
    await topics.post(bot, session, appeal, staff_t(staff_key, date=date_text, time=time_text))


async def on_rating(
    query: CallbackQuery,
    callback_data: RateCb,
    session: AsyncSession,
    bot: Bot,
    t: Translator,
    topics: TopicService,
    casework: CaseWork,
    staff_t: Translator,
    clock: Callable[[], datetime],
) -> None:
    appeal = await service.owner_appeal(session, query.from_user.id, callback_data.appeal_id)
    if appeal is None:
        await query.answer(t("my.not_found"), show_alert=True)
        return
    now = clock()
    if callback_data.value == "dispute":
        done = await casework.dispute(session, appeal, now)
        staff_text, owner_text = (
            staff_t("jobs.owner_disputed"),
            t("rate.disputed", number=appeal.number),
        )
    else:
        stars = int(callback_data.value) if callback_data.value.isdigit() else 0
        done = await casework.rate(session, appeal, stars, now)
        staff_text = staff_t("jobs.owner_rated", stars="⭐" * stars)
        owner_text = t("rate.thanks", stars="⭐" * stars)
    if not done:
        await query.answer(t("hint.stale"), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(owner_text)
    await topics.post(bot, session, appeal, staff_text)
    if callback_data.value == "dispute":
        await topics.refresh(bot, session, appeal)


def make_router() -> Router:
    router = Router(name="owner_relay")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.register(on_reply_button, ReplyCb.filter())
    router.callback_query.register(on_hearing_answer, HearingAnswerCb.filter())
    router.callback_query.register(on_rating, RateCb.filter())
    router.message.register(
        on_reply_to_office,
        F.reply_to_message.from_user.is_bot,
        (F.text & ~F.text.startswith("/")) | F.photo | F.document,
    )
    return router
