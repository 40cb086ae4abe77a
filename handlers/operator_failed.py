"""/failed: messages the bot could not deliver, each with a retry button."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.keyboards.callbacks import FailedCb
from bot.middlewares.staff import StaffMiddleware
from bot.services.delivery import DeliveryWorker
from bot.services.staff import StaffDirectory
from models import Appeal, OutboxMessage, OutboxState

SHOWN = 20


async def list_failed(message: Message, session: AsyncSession, staff_t: Translator) -> None:
    rows = (
        await session.execute(
            select(OutboxMessage, Appeal.number)
            .outerjoin(Appeal, Appeal.id == OutboxMessage.appeal_id)
            .where(OutboxMessage.state == OutboxState.FAILED.value)
            .order_by(OutboxMessage.id.desc())
            .limit(SHOWN)
        )
    ).all()
    if not rows:
        await message.reply(staff_t("failed.empty"))
        return
    lines = [staff_t("failed.title", count=len(rows))]
    builder = InlineKeyboardBuilder()
    for row, number in rows:
        lines.append(
            staff_t(
                "failed.line",
                id=row.id,
                target=number or row.chat_id,
                kind=row.kind,
                attempts=row.attempts,
                error=escape((row.last_error or "")[:120]),
            )
        )
        builder.button(
            text=staff_t("failed.retry", id=row.id), callback_data=FailedCb(row_id=row.id)
        )
    builder.adjust(2)
    await message.reply("\n".join(lines), reply_markup=builder.as_markup())


async def retry(
    query: CallbackQuery,
    callback_data: FailedCb,
    session: AsyncSession,
    staff_t: Translator,
    delivery: DeliveryWorker,
) -> None:
    if not await delivery.retry(session, callback_data.row_id):
        await query.answer(staff_t("failed.not_found", id=callback_data.row_id), show_alert=True)
        return
    await session.commit()
    delivery.wake()
    await query.answer(staff_t("failed.retried", id=callback_data.row_id))


def make_router(operator_chat_id: int, directory: StaffDirectory) -> Router:
    router = Router(name="operator_failed")
    router.message.filter(F.chat.id == operator_chat_id)
    router.callback_query.filter(F.message.chat.id == operator_chat_id)
    router.message.middleware(StaffMiddleware(directory))
    router.callback_query.middleware(StaffMiddleware(directory))
    router.message.register(list_failed, Command("failed"))
    router.callback_query.register(retry, FailedCb.filter())
    return router
