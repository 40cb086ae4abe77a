"""A staff message in the topic of a closed (final) appeal is not relayed at once: staff are
asked whether to send it anyway. Registered before the operator router, which relays the rest.

No status leads out of a final one (bot/domain/workflow.py), so there is no reopening to
offer: the two choices are sending the kept message anyway and not sending it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain import lifecycle
from bot.domain.workflow import Staff
from bot.i18n import Translator
from bot.keyboards.callbacks import ClosedSendCb
from bot.middlewares.staff import StaffMiddleware
from bot.services import Services
from bot.telegram.relay import RELAYED_MEDIA, appeal_for_operator_message
from bot.telegram.staff import StaffDirectory
from models import Appeal

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

# FSM data (the staff member's, in this topic): the messages waiting for an answer, by id.
KEPT = "closed_kept"


def _relayable(message: Message) -> bool:
    """What the operator router would relay: a text or a medium it copies, not a command or
    a "!" note."""
    if message.text is not None:
        return not message.text.startswith(("/", "!"))
    if message.content_type in RELAYED_MEDIA:
        return not (message.caption or "").startswith("!")
    return False


async def closed_appeal(
    message: Message, session: AsyncSession, bot: Bot, services: Services
) -> dict[str, Any] | bool:
    if not _relayable(message):
        return False
    is_forum = await services.topics.is_forum(bot)
    appeal = await appeal_for_operator_message(session, message, is_forum)
    if appeal is None or not lifecycle.is_final(appeal.status):
        return False
    return {"appeal": appeal}


def _question(t: Translator, message_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for action in ("send", "drop"):
        builder.button(
            text=t(f"staff.closed_{action}"),
            callback_data=ClosedSendCb(action=action, message_id=message_id),
        )
    return builder.as_markup()


async def keep_and_ask(
    message: Message, appeal: Appeal, state: FSMContext, services: Services
) -> None:
    staff_t = services.staff_t
    data = await state.get_data()
    kept = dict(data.get(KEPT) or {})
    kept[str(message.message_id)] = message.model_dump(mode="json", exclude_none=True)
    await state.update_data({KEPT: kept})
    status = staff_t(f"status.{appeal.status}")
    await message.reply(
        staff_t("staff.closed_ask", number=appeal.number, status=status),
        reply_markup=_question(staff_t, message.message_id),
    )


async def on_choice(
    query: CallbackQuery,
    callback_data: ClosedSendCb,
    session: AsyncSession,
    bot: Bot,
    state: FSMContext,
    staff: Staff,
    services: Services,
) -> None:
    staff_t = services.staff_t
    data = await state.get_data()
    kept = dict(data.get(KEPT) or {})
    raw = kept.pop(str(callback_data.message_id), None)
    if not isinstance(raw, dict) or callback_data.action not in ("send", "drop"):
        await query.answer(staff_t("staff.closed_gone"), show_alert=True)
        return
    await state.update_data({KEPT: kept})
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    if callback_data.action == "drop":
        await query.answer(staff_t("staff.closed_dropped"))
        return
    message = Message.model_validate(raw).as_(bot)
    is_forum = await services.topics.is_forum(bot)
    appeal = await appeal_for_operator_message(session, message, is_forum)
    if appeal is None:
        await query.answer(staff_t("staff.unknown_topic"), show_alert=True)
        return
    # Queued like any staff message: 👍 once delivered, a note in the topic if it cannot be.
    await services.relay.to_owner(session, appeal, message, staff.id, services.clock())
    await query.answer(staff_t("staff.closed_sending"))


def make_router(operator_chat_id: int, directory: StaffDirectory) -> Router:
    router = Router(name="operator_closed")
    router.message.filter(F.chat.id == operator_chat_id)
    router.callback_query.filter(F.message.chat.id == operator_chat_id)
    router.message.middleware(StaffMiddleware(directory))
    router.callback_query.middleware(StaffMiddleware(directory))
    # A text asked for by a card button is the operator router's (staff_input).
    router.message.register(keep_and_ask, StateFilter(None), closed_appeal)
    router.callback_query.register(on_choice, ClosedSendCb.filter())
    return router
