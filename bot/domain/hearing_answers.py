"""An owner's answer to a hearing invitation ("I will come" / "another date, please")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.appeals import owner_appeal
from bot.domain.hearings import current_hearing
from models import Appeal, Hearing, HearingState

WILL_COME = "will_come"
ANOTHER_DATE = "another_date"


@dataclass(frozen=True)
class Invitation:
    hearing: Hearing
    appeal: Appeal


@dataclass(frozen=True)
class Outdated:
    """Why an answer came too late: a notice key, and the hearing whose date and time it
    gives (None: it gives none)."""

    key: str
    hearing: Hearing | None = None


async def owner_invitation(
    session: AsyncSession, owner_id: int, hearing_id: int
) -> Invitation | None:
    """The hearing, only if its appeal belongs to this owner: anyone else's is 'not found'."""
    hearing = await session.get(Hearing, hearing_id)
    if hearing is None:
        return None
    appeal = await owner_appeal(session, owner_id, hearing.appeal_id)
    return Invitation(hearing, appeal) if appeal is not None else None


async def outdated(session: AsyncSession, hearing: Hearing, now: datetime) -> Outdated | None:
    """What to say to an answer about a hearing that has passed, moved or been called off;
    None while the answer still counts."""
    if hearing.state == HearingState.SCHEDULED:
        if hearing.starts_at > now:
            return None
        return Outdated("notify.hearing_past", hearing)
    if hearing.state == HearingState.HELD:  # its session took place
        return Outdated("notify.hearing_past", hearing)
    current = await current_hearing(session, hearing.appeal_id)
    if current is not None and current.id != hearing.id and current.starts_at > now:
        return Outdated("notify.hearing_moved_to", current)
    return Outdated("notify.hearing_called_off")


def record_answer(hearing: Hearing, *, coming: bool) -> bool:
    """Keep the owner's answer; True when it is a new "I will come" (the reminders to come
    then change: Hearings.confirm_attendance)."""
    before = hearing.owner_answer
    hearing.owner_answer = WILL_COME if coming else ANOTHER_DATE
    return coming and before != WILL_COME
