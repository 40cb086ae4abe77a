"""Notifications to an appeal's owner, in the owner's language, through the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import I18n, Translator
from bot.keyboards.callbacks import ReplyCb
from bot.services.outbox import enqueue
from models import Appeal, OutboxMessage, User


async def owner_translator(session: AsyncSession, i18n: I18n, appeal: Appeal) -> Translator:
    owner = await session.get(User, appeal.user_id)
    return i18n.translator(owner.language if owner else None)


def reply_button(t: Translator, appeal_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t("notify.reply"), callback_data=ReplyCb(appeal_id=appeal_id))
    return builder.as_markup()


async def notify_owner(
    session: AsyncSession,
    i18n: I18n,
    appeal: Appeal,
    key: str,
    *,
    now: datetime,
    kind: str = "status",
    reply_markup: InlineKeyboardMarkup | Callable[[Translator], InlineKeyboardMarkup] | None = None,
    document: tuple[str, bytes, str] | None = None,
    dedupe_key: str | None = None,
    due_at: datetime | None = None,
    **values: Any,
) -> OutboxMessage | None:
    """Queue `key` of the catalog for the owner; `values` fill its placeholders."""
    t = await owner_translator(session, i18n, appeal)
    rendered = {k: (v(t) if callable(v) else v) for k, v in values.items()}
    text = t(key, number=appeal.number, **rendered)
    if callable(reply_markup):
        reply_markup = reply_markup(t)
    return await enqueue(
        session,
        chat_id=appeal.user_id,
        kind=kind,
        text=text,
        now=now,
        appeal_id=appeal.id,
        reply_markup=reply_markup,
        document=document,
        dedupe_key=dedupe_key,
        due_at=due_at,
    )
