"""Queue messages for the delivery worker, in the caller's transaction.

A row's payload is plain JSON:
  text          HTML text (or the caption when a document is attached, at most 1024 chars)
  reply_markup  inline keyboard as Telegram's JSON, or absent
  document      {"name": "hearing.ics", "data_b64": "...", "mime": "text/calendar"}, or absent
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.bell import mark_queued
from models import OutboxMessage, OutboxState


def make_payload(
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    document: tuple[str, bytes, str] | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {"text": text}
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup.model_dump(mode="json", exclude_none=True)
    if document is not None:
        name, data, mime = document
        payload["document"] = {
            "name": name,
            "data_b64": base64.b64encode(data).decode("ascii"),
            "mime": mime,
        }
    return payload


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    kind: str,
    text: str,
    now: datetime,
    appeal_id: int | None = None,
    thread_id: int | None = None,
    reply_markup: InlineKeyboardMarkup | None = None,
    document: tuple[str, bytes, str] | None = None,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Add a row; with a dedupe_key already queued, add nothing and return None."""
    if dedupe_key is not None:
        exists = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
        )
        if exists is not None:
            return None
    row = OutboxMessage(
        chat_id=chat_id,
        thread_id=thread_id,
        appeal_id=appeal_id,
        kind=kind,
        dedupe_key=dedupe_key,
        payload=make_payload(text, reply_markup, document),
        due_at=due_at or now,
        state=OutboxState.PENDING.value,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    mark_queued(session)
    return row
