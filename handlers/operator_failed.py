"""/failed: messages the bot could not deliver and incoming updates it could not handle,
each with a button that tries it again."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import Translator
from bot.keyboards.callbacks import FailedCb, FailedUpdateCb
from bot.middlewares.staff import StaffMiddleware
from bot.services import Services
from bot.telegram import failures as parked
from bot.telegram.sender import Sender
from bot.telegram.staff import StaffDirectory

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def _message_line(t: Translator, item: parked.FailedMessage) -> str:
    row = item.row
    return t(
        "failed.line",
        id=row.id,
        target=item.number or row.chat_id,
        kind=row.kind,
        attempts=row.attempts,
        error=escape((row.last_error or "")[:120]),
    )


def _stale_line(t: Translator, item: parked.FailedMessage) -> str:
    row = item.row
    status = parked.stale_reason(row)
    return t(
        "failed.stale_line",
        id=row.id,
        target=item.number or row.chat_id,
        kind=row.kind,
        reason=(
            t("failed.stale_time")
            if status is None
            else t("failed.stale_status", status=t(f"status.{status}"))
        ),
    )


async def list_failed(message: Message, session: AsyncSession, services: Services) -> None:
    t = services.staff_t
    found = await parked.failures(session, services.clock())
    if not found:
        await message.reply(t("failed.empty"))
        return
    lines: list[str] = []
    builder = InlineKeyboardBuilder()
    if found.messages:
        lines.append(t("failed.title", count=len(found.messages)))
    for item in found.messages:
        lines.append(_message_line(t, item))
        builder.button(
            text=t("failed.retry", id=item.row.id), callback_data=FailedCb(row_id=item.row.id)
        )
    if found.updates:
        lines.append(t("failed.updates_title", count=len(found.updates)))
    for incoming in found.updates:
        lines.append(
            t(
                "failed.update_line",
                id=incoming.update_id,
                who=incoming.lane,
                kind=incoming.kind,
                attempts=incoming.attempts,
                error=escape((incoming.last_error or "")[:120]),
            )
        )
        builder.button(
            text=t("failed.update_retry", id=incoming.update_id),
            callback_data=FailedUpdateCb(update_id=incoming.update_id),
        )
    if found.stale:
        days = parked.STALE_SHOWN_DAYS
        lines.append(t("failed.stale_title", days=days, count=len(found.stale)))
    lines += [_stale_line(t, item) for item in found.stale]
    builder.adjust(2)
    await message.reply("\n".join(lines), reply_markup=builder.as_markup())


async def retry(
    query: CallbackQuery, callback_data: FailedCb, session: AsyncSession, services: Services
) -> None:
    t = services.staff_t
    if not await Sender.retry(session, callback_data.row_id, services.clock()):
        await query.answer(t("failed.not_found", id=callback_data.row_id), show_alert=True)
        return
    await query.answer(t("failed.retried", id=callback_data.row_id))


async def retry_update(
    query: CallbackQuery,
    callback_data: FailedUpdateCb,
    session: AsyncSession,
    services: Services,
) -> None:
    """Back to pending from scratch; the inbox's sweep hands it to its lane."""
    t = services.staff_t
    if not await parked.retry_update(session, callback_data.update_id):
        text = t("failed.update_not_found", id=callback_data.update_id)
        await query.answer(text, show_alert=True)
        return
    await query.answer(t("failed.update_retried", id=callback_data.update_id))


def make_router(operator_chat_id: int, directory: StaffDirectory) -> Router:
    router = Router(name="operator_failed")
    router.message.filter(F.chat.id == operator_chat_id)
    router.callback_query.filter(F.message.chat.id == operator_chat_id)
    router.message.middleware(StaffMiddleware(directory))
    router.callback_query.middleware(StaffMiddleware(directory))
    router.message.register(list_failed, Command("failed"))
    router.callback_query.register(retry, FailedCb.filter())
    router.callback_query.register(retry_update, FailedUpdateCb.filter())
    return router
