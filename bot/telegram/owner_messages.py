"""An owner's message about an appeal, shared with staff in the appeal's topic."""

from __future__ import annotations

from datetime import datetime

from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import Services
from models import Appeal


async def share_with_staff(
    message: Message,
    appeal: Appeal,
    *,
    header_key: str,
    session: AsyncSession,
    services: Services,
    now: datetime,
) -> None:
    """Post the owner's message in the appeal's topic; an answer to a question resumes review."""
    staff_t, topics = services.staff_t, services.topics
    await services.relay.to_staff(session, appeal, message, staff_t(header_key), now)
    if await services.casework.owner_answered(session, appeal, now):
        await topics.post(session, appeal, staff_t("staff.owner_answered_question"))
        await topics.refresh(session, appeal)
