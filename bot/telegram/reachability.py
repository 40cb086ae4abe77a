"""A person who blocked the bot and came back (unblocked it, or simply wrote again)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.lifecycle import FINAL_STATUSES
from bot.i18n import Translator
from bot.telegram.sender import Sender
from models import Appeal, AppealStatus, User

if TYPE_CHECKING:
    from bot.telegram.topics import TopicService

NOT_FINAL = [status.value for status in AppealStatus if status not in FINAL_STATUSES]


async def welcome_back(
    session: AsyncSession,
    topics: TopicService,
    staff_t: Translator,
    user_id: int,
    now: datetime,
) -> bool:
    """Mark the person reachable again (so a later block is reported to staff again), queue
    again the reminders the block cancelled that are still ahead, and tell staff in the topic
    of each appeal still in progress. False if they were not marked as blocking the bot."""
    user = await session.get(User, user_id)
    if user is None or not user.blocked:
        return False
    user.blocked = False
    await Sender.chat_back(session, user_id, now)
    appeals = await session.scalars(
        select(Appeal)
        .where(Appeal.user_id == user_id, Appeal.status.in_(NOT_FINAL))
        .order_by(Appeal.id)
    )
    for appeal in appeals:
        await topics.post(session, appeal, staff_t("staff.owner_unblocked", number=appeal.number))
    return True
