"""The daily digest for staff: what is new, due soon, overdue, heard soon, undelivered."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.calendar import WorkCalendar
from bot.domain.lifecycle import OPEN_STATUSES
from bot.i18n import Translator
from models import Appeal, Hearing, HearingState, OutboxMessage, OutboxState

DUE_SOON_WORKING_DAYS = 3
LIST_LIMIT = 40  # keeps the digest inside one Telegram message


async def _listed(session: AsyncSession, query: Any) -> tuple[int, list[Any]]:
    """How many rows the query has, and the first LIST_LIMIT of them (never all of them)."""
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = (await session.execute(query.limit(LIST_LIMIT))).all()
    return total or 0, list(rows)


def _line(t: Translator, key: str, total: int, values: list[str]) -> str:
    if not values:
        return t(key, count=0, items=t("digest.none"))
    items = ", ".join(values)
    if total > len(values):
        items += f" … (+{total - len(values)})"
    return t(key, count=total, items=items)


async def build_digest(
    session: AsyncSession,
    t: Translator,
    calendar: WorkCalendar,
    now: datetime,
    since: datetime,
) -> str:
    today = calendar.local(now).date()
    open_values = [status.value for status in OPEN_STATUSES]
    horizon = calendar.add_working_days(today, DUE_SOON_WORKING_DAYS)
    horizon_end = datetime.combine(horizon, time(23, 59, 59), tzinfo=calendar.tz)
    day_start = datetime.combine(today, time(0, 0), tzinfo=calendar.tz)
    new = await _listed(
        session, select(Appeal.number).where(Appeal.created_at > since).order_by(Appeal.created_at)
    )
    due_soon = await _listed(
        session,
        select(Appeal.number)
        .where(Appeal.status.in_(open_values), Appeal.due_at >= now, Appeal.due_at <= horizon_end)
        .order_by(Appeal.due_at),
    )
    overdue = await _listed(
        session,
        select(Appeal.number)
        .where(Appeal.status.in_(open_values), Appeal.due_at < now)
        .order_by(Appeal.due_at),
    )
    hearings = await _listed(
        session,
        select(Appeal.number, Hearing.starts_at)
        .join(Hearing, Hearing.appeal_id == Appeal.id)
        .where(
            Hearing.state == HearingState.SCHEDULED.value,
            Hearing.starts_at >= day_start,
            Hearing.starts_at < day_start + timedelta(days=2),
        )
        .order_by(Hearing.starts_at),
    )
    failed = await _listed(
        session,
        select(OutboxMessage.id, Appeal.number)
        .outerjoin(Appeal, Appeal.id == OutboxMessage.appeal_id)
        .where(OutboxMessage.state == OutboxState.FAILED.value)
        .order_by(OutboxMessage.id),
    )
    hearing_items = [
        f"{number} {calendar.local(starts).strftime('%d.%m %H:%M')}"
        for number, starts in hearings[1]
    ]
    failed_items = [
        f"#{row_id}" + (f" ({number})" if number else "") for row_id, number in failed[1]
    ]
    return "\n".join(
        [
            t("digest.title", date=today.strftime("%d.%m.%Y")),
            "",
            _line(t, "digest.new", new[0], [row[0] for row in new[1]]),
            _line(t, "digest.due_soon", due_soon[0], [row[0] for row in due_soon[1]]),
            _line(t, "digest.overdue", overdue[0], [row[0] for row in overdue[1]]),
            _line(t, "digest.hearings", hearings[0], hearing_items),
            _line(t, "digest.failed", failed[0], failed_items),
        ]
    )
