"""The daily digest for staff: what is new, due soon, overdue, heard soon, undelivered."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.services.calendar import WorkCalendar
from models import OPEN_STATUSES, Appeal, Hearing, HearingState, OutboxMessage, OutboxState

DUE_SOON_WORKING_DAYS = 3


LIST_LIMIT = 40  # keeps the digest inside one Telegram message


def _items(t: Translator, values: list[str]) -> str:
    if not values:
        return t("digest.none")
    shown = ", ".join(values[:LIST_LIMIT])
    return shown + (f" … (+{len(values) - LIST_LIMIT})" if len(values) > LIST_LIMIT else "")


async def build_digest(
    session: AsyncSession,
    t: Translator,
    calendar: WorkCalendar,
    now: datetime,
    since: datetime,
) -> str:
    today = calendar.local(now).date()
    open_values = [status.value for status in OPEN_STATUSES]
    new = await session.scalars(
        select(Appeal.number).where(Appeal.created_at > since).order_by(Appeal.id)
    )
    horizon = calendar.add_working_days(today, DUE_SOON_WORKING_DAYS)
    horizon_end = datetime.combine(horizon, time(23, 59, 59), tzinfo=calendar.tz)
    due_soon = await session.scalars(
        select(Appeal.number)
        .where(Appeal.status.in_(open_values), Appeal.due_at >= now, Appeal.due_at <= horizon_end)
        .order_by(Appeal.due_at)
    )
    overdue = await session.scalars(
        select(Appeal.number)
        .where(Appeal.status.in_(open_values), Appeal.due_at < now)
        .order_by(Appeal.due_at)
    )
    day_start = datetime.combine(today, time(0, 0), tzinfo=calendar.tz)
    hearings = await session.execute(
        select(Appeal.number, Hearing.starts_at)
        .join(Hearing, Hearing.appeal_id == Appeal.id)
        .where(
            Hearing.state == HearingState.SCHEDULED.value,
            Hearing.starts_at >= day_start,
            Hearing.starts_at < day_start + timedelta(days=2),
        )
        .order_by(Hearing.starts_at)
    )
    failed = await session.execute(
        select(OutboxMessage.id, Appeal.number)
        .outerjoin(Appeal, Appeal.id == OutboxMessage.appeal_id)
        .where(OutboxMessage.state == OutboxState.FAILED.value)
        .order_by(OutboxMessage.id)
    )
    new_list, soon_list, overdue_list = list(new), list(due_soon), list(overdue)
    hearing_list = [
        f"{number} {calendar.local(starts).strftime('%d.%m %H:%M')}" for number, starts in hearings
    ]
    failed_list = [f"#{row_id}" + (f" ({number})" if number else "") for row_id, number in failed]
    return "\n".join(
        [
            t("digest.title", date=today.strftime("%d.%m.%Y")),
            "",
            t("digest.new", count=len(new_list), items=_items(t, new_list)),
            t("digest.due_soon", count=len(soon_list), items=_items(t, soon_list)),
            t("digest.overdue", count=len(overdue_list), items=_items(t, overdue_list)),
            t("digest.hearings", count=len(hearing_list), items=_items(t, hearing_list)),
            t("digest.failed", count=len(failed_list), items=_items(t, failed_list)),
        ]
    )
