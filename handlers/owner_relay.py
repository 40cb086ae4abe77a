"""The owner's side of the conversation with staff: replies to office messages, the
"Reply" button, and answers to a hearing invitation."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.enums import ChatType
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain import appeals as service
from bot.domain import hearing_answers
from bot.i18n import Translator
from bot.keyboards.callbacks import HearingAnswerCb, MessageForCb, RateCb, ReplyCb
from bot.keyboards.common import main_menu
from bot.keyboards.my_appeals import add_keyboard
from bot.services import Services
from bot.telegram import owner_messages
from bot.telegram.relay import RELAYED_MEDIA, appeal_replied_to, appeals_for_owner_message
from models import Appeal, Hearing
from states import AddInfo

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


async def on_reply_button(
    query: CallbackQuery,
    callback_data: ReplyCb,
    session: AsyncSession,
    state: FSMContext,
    t: Translator,
) -> None:
    appeal = await service.owner_appeal(session, query.from_user.id, callback_data.appeal_id)
    if appeal is None:
        await query.answer(t("my.not_found"), show_alert=True)
        return
    if not service.can_add(appeal):
        await query.answer(t("my.add.closed", number=appeal.number), show_alert=True)
        return
    await query.answer()
    await state.set_state(AddInfo.collecting)
    await state.set_data({"appeal_id": appeal.id})
    if isinstance(query.message, Message):
        await query.message.answer(
            t("my.add.prompt", number=appeal.number), reply_markup=add_keyboard(t, appeal.id)
        )


KEPT = "kept_message"  # FSM data: an owner's message waiting for "which appeal?"


async def send_to_office(
    message: Message,
    appeal: Appeal,
    *,
    session: AsyncSession,
    t: Translator,
    services: Services,
) -> None:
    now = services.clock()
    if message.text:
        await service.add_information(session, appeal, appeal.user_id, now=now, text=message.text)
    await owner_messages.share_with_staff(
        message,
        appeal,
        header_key="staff.owner_message",
        session=session,
        services=services,
        now=now,
    )
    await message.answer(t("owner_message.sent", number=appeal.number))


async def on_owner_message(
    message: Message,
    session: AsyncSession,
    t: Translator,
    services: Services,
    state: FSMContext,
    raw_state: str | None,
) -> None:
    """A text, photo or document outside a dialogue (or a reply to an office message in one)
    reaches the appeal it is about; with several candidates the owner is asked which."""
    if raw_state is not None:
        # In a dialogue only a reply to the office's message about an appeal is relayed; the
        # rest is the dialogue's answer.
        replied = await appeal_replied_to(session, message)
        if replied is None or not service.can_add(replied):
            raise SkipHandler()
        candidates = [replied]
    else:
        candidates = await appeals_for_owner_message(session, message, services.clock())
    if not candidates:
        await message.answer(t("hint.outside"), reply_markup=main_menu(t))
        return
    if len(candidates) == 1:
        await send_to_office(message, candidates[0], session=session, t=t, services=services)
        return
    await state.update_data({KEPT: message.model_dump(mode="json", exclude_none=True)})
    builder = InlineKeyboardBuilder()
    for appeal in candidates:
        builder.button(text=appeal.number, callback_data=MessageForCb(appeal_id=appeal.id))
    builder.adjust(2)
    await message.reply(t("owner_message.which"), reply_markup=builder.as_markup())


async def on_message_for(
    query: CallbackQuery,
    callback_data: MessageForCb,
    session: AsyncSession,
    bot: Bot,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    kept = data.get(KEPT)
    if not isinstance(kept, dict):
        await query.answer(t("hint.stale"), show_alert=True)
        return
    appeal = await service.owner_appeal(session, query.from_user.id, callback_data.appeal_id)
    if appeal is None:
        await query.answer(t("my.not_found"), show_alert=True)
        return
    if not service.can_add(appeal):
        await query.answer(t("my.add.closed", number=appeal.number), show_alert=True)
        return
    await query.answer()
    await state.set_data({key: value for key, value in data.items() if key != KEPT})
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    message = Message.model_validate(kept).as_(bot)
    await send_to_office(message, appeal, session=session, t=t, services=services)


async def on_hearing_answer(
    query: CallbackQuery,
    callback_data: HearingAnswerCb,
    session: AsyncSession,
    t: Translator,
    services: Services,
) -> None:
    hearings = services.hearings
    invitation = await hearing_answers.owner_invitation(
        session, query.from_user.id, callback_data.hearing_id
    )
    if invitation is None or callback_data.answer not in ("yes", "no"):
        await query.answer(t("my.not_found"), show_alert=True)
        return
    hearing, appeal = invitation.hearing, invitation.appeal
    now = services.clock()
    if not service.can_add(appeal):
        outdated: str | None = t("notify.hearing_appeal_closed", number=appeal.number)
    else:
        outdated = await outdated_hearing_text(
            session, hearing=hearing, t=t, services=services, now=now
        )
    if outdated is not None:
        await query.answer(outdated, show_alert=True)
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
        return
    coming = callback_data.answer == "yes"
    if hearing_answers.record_answer(hearing, coming=coming):
        await hearings.confirm_attendance(session, appeal, hearing, now)
    date_text, time_text = hearings.when(hearing)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        key = "notify.hearing_thanks_yes" if coming else "notify.hearing_thanks_no"
        await query.message.answer(t(key, date=date_text, time=time_text))
    staff_key = "staff.ask.hearing_owner_yes" if coming else "staff.ask.hearing_owner_no"
    text = services.staff_t(staff_key, date=date_text, time=time_text)
    await services.topics.post(session, appeal, text)


async def outdated_hearing_text(
    session: AsyncSession, *, hearing: Hearing, t: Translator, services: Services, now: datetime
) -> str | None:
    """What to say to an answer about a hearing that has passed, moved or been called off."""
    why = await hearing_answers.outdated(session, hearing, now)
    if why is None:
        return None
    if why.hearing is None:
        return t(why.key)
    date_text, time_text = services.hearings.when(why.hearing)
    return t(why.key, date=date_text, time=time_text)


async def on_rating(
    query: CallbackQuery,
    callback_data: RateCb,
    session: AsyncSession,
    t: Translator,
    services: Services,
) -> None:
    appeal = await service.owner_appeal(session, query.from_user.id, callback_data.appeal_id)
    if appeal is None:
        await query.answer(t("my.not_found"), show_alert=True)
        return
    casework, staff_t = services.casework, services.staff_t
    now = services.clock()
    if callback_data.value == "dispute" and not service.can_add(appeal):
        await query.answer(t("rate.dispute_closed", number=appeal.number), show_alert=True)
        return
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
    await services.topics.post(session, appeal, staff_text)
    if callback_data.value == "dispute":
        await services.topics.refresh(session, appeal)


def make_router() -> Router:
    router = Router(name="owner_relay")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    router.callback_query.register(on_reply_button, ReplyCb.filter())
    router.callback_query.register(on_hearing_answer, HearingAnswerCb.filter())
    router.callback_query.register(on_rating, RateCb.filter())
    router.callback_query.register(on_message_for, MessageForCb.filter())
    # What the relay can carry: text, photos, documents, voice, video, stickers, locations ...
    typed = (F.text & ~F.text.startswith("/")) | F.content_type.in_(RELAYED_MEDIA)
    router.message.register(on_owner_message, F.reply_to_message.from_user.is_bot, typed)
    router.message.register(on_owner_message, StateFilter(None), typed)
    return router
