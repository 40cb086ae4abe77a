"""Queue Bot API calls in the caller's transaction; the sender makes them after the commit.

Nothing a person sees leaves the bot any other way (bot/telegram/capture.py turns handlers'
replies into rows here too), so what Telegram shows is always already stored, and every call
keeps Telegram's limits. The queueing itself is plain data (bot/domain/outbox.py); this edge
adds aiogram's keyboards.
"""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import outbox
from bot.domain.outbox import PIECE_OF, PROJECT, RELAY_KIND, TOPIC, queue_call

__all__ = ["PIECE_OF", "PROJECT", "RELAY_KIND", "TOPIC", "enqueue", "message_params", "queue_call"]


def _json(reply_markup: InlineKeyboardMarkup | None) -> dict[str, Any] | None:
    if reply_markup is None:
        return None
    return reply_markup.model_dump(mode="json", exclude_none=True)


def message_params(
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    document: tuple[str, bytes, str] | None = None,
) -> tuple[str, dict[str, Any]]:
    """sendMessage (or sendDocument with the text as caption) as a method name and params."""
    return outbox.message_params(text, markup=_json(reply_markup), document=document)


async def enqueue(
    session: AsyncSession, *, reply_markup: InlineKeyboardMarkup | None = None, **call: Any
) -> int | None:
    """Queue a text message (or a document with a caption): the row id, or None if deduped.
    `call`: the fields of bot/domain/outbox.py enqueue (chat_id, kind, text, now ...)."""
    return await outbox.enqueue(session, markup=_json(reply_markup), **call)
