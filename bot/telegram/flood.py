"""Flood control's counting, from the inbox: so it holds across instances and restarts.

What counts is the person's private messages and button presses of the last minute that were
let through; an album counts once (Telegram sends each part as its own message).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, distinct, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.telegram.uow import Head
from models import InboxUpdate, table_of

WINDOW = timedelta(seconds=60)
WARNED, DROPPED = "warned", "dropped"


INBOX = table_of(InboxUpdate)
# Built once: flood control runs on every private update.
# The person's updates since :since, and of those the ones before the update at hand.
_LANE_SINCE = (
    INBOX.c.lane == bindparam("lane"),
    INBOX.c.received_at > bindparam("since", type_=INBOX.c.received_at.type),
)
_RECENT = (*_LANE_SINCE, INBOX.c.update_id < bindparam("update"))
EARLIER_PART = (
    select(INBOX.c.update_id).where(*_RECENT, INBOX.c.flood_key == bindparam("key")).limit(1)
)
COUNTED = select(func.count(distinct(INBOX.c.flood_key))).where(
    *_RECENT, INBOX.c.flood_key.is_not(None), INBOX.c.flood.is_(None)
)
WARNED_LATELY = select(INBOX.c.update_id).where(*_LANE_SINCE, INBOX.c.flood == WARNED).limit(1)


async def over_limit(session: AsyncSession, head: Head, limit: int) -> bool:
    recent = {"lane": head.lane, "since": head.received_at - WINDOW, "update": head.update_id}
    if head.flood_key is not None and head.flood_key.startswith("album:"):
        # The album's first part was counted already.
        earlier_part = await session.scalar(EARLIER_PART, {**recent, "key": head.flood_key})
        if earlier_part is not None:
            return False
    counted = await session.scalar(COUNTED, recent)
    return (counted or 0) >= limit


async def warned_lately(session: AsyncSession, head: Head) -> bool:
    since = head.received_at - WINDOW
    found = await session.scalar(WARNED_LATELY, {"lane": head.lane, "since": since})
    return found is not None


async def mark(session: AsyncSession, head: Head, *, warned: bool) -> None:
    """The update was held back: warned (the one notice) or dropped (silently)."""
    await session.execute(
        update(INBOX)
        .where(INBOX.c.update_id == head.update_id)
        .values(flood=WARNED if warned else DROPPED)
    )
