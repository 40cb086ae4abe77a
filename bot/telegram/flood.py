"""Flood control's counting, from the inbox: so it holds across instances and restarts.

What counts is the person's private messages and button presses of the last minute that were
let through; an album counts once (Telegram sends each part as its own message).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import distinct, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.telegram.uow import Head
from models import InboxUpdate

WINDOW = timedelta(seconds=60)
WARNED, DROPPED = "warned", "dropped"


async def over_limit(session: AsyncSession, head: Head, limit: int) -> bool:
    since = head.received_at - WINDOW
    recent = (
        InboxUpdate.lane == head.lane,
        InboxUpdate.received_at > since,
        InboxUpdate.update_id < head.update_id,
    )
    if head.flood_key is not None and head.flood_key.startswith("album:"):
        # The album's first part was counted already.
        earlier_part = await session.scalar(
            select(InboxUpdate.update_id)
            .where(*recent, InboxUpdate.flood_key == head.flood_key)
            .limit(1)
        )
        if earlier_part is not None:
            return False
    counted = await session.scalar(
        select(func.count(distinct(InboxUpdate.flood_key))).where(
            *recent, InboxUpdate.flood_key.is_not(None), InboxUpdate.flood.is_(None)
        )
    )
    return (counted or 0) >= limit


async def warned_lately(session: AsyncSession, head: Head) -> bool:
    found = await session.scalar(
        select(InboxUpdate.update_id)
        .where(
            InboxUpdate.lane == head.lane,
            InboxUpdate.received_at > head.received_at - WINDOW,
            InboxUpdate.flood == WARNED,
        )
        .limit(1)
    )
    return found is not None


async def mark(session: AsyncSession, head: Head, *, warned: bool) -> None:
    """The update was held back: warned (the one notice) or dropped (silently)."""
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == head.update_id)
        .values(flood=WARNED if warned else DROPPED)
        .execution_options(synchronize_session=False)
    )
