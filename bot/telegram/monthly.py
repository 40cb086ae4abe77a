"""The monthly report: on the first working day of a month, from DIGEST_TIME (local), the
previous month's figures, press paragraphs, charts and register arrive in the operator group
by themselves.

Once: every part has a dedupe key (monthly:YYYY-MM:...), all are queued in one transaction of
the scheduled check, which runs on the leader only and under an advisory lock on PostgreSQL.
After a downtime over that day, the report comes at the first run later in the month.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.calendar import WorkCalendar
from bot.domain.figures import office_figures
from bot.domain.periods import Period, previous_month
from bot.domain.register import MAX_BYTES, RegisterTooLarge, queue_register
from bot.i18n import I18n, Translator
from bot.telegram.figures_report import queue_figures
from bot.telegram.outbox import enqueue
from bot.views.numbers import decimal, whole
from bot.views.register import build_register
from models import OutboxMessage

KIND = "monthly_report"


def report_due(calendar: WorkCalendar, now: datetime, at: time) -> Period | None:
    """The month a report is due for now, or None before its day and time."""
    local = calendar.local(now)
    today: date = local.date()
    first = calendar.first_working_day(today)
    if today < first or (today == first and local.time() < at):
        return None
    return previous_month(today)


def prefix_of(period: Period) -> str:
    return f"monthly:{period.start:%Y-%m}"


async def queue_monthly_report(
    session: AsyncSession,
    *,
    chat_id: int,
    calendar: WorkCalendar,
    i18n: I18n,
    staff_t: Translator,
    term_days: int,
    now: datetime,
    at: time,
) -> bool:
    """Queue the report if it is due and not queued yet; True when it was queued now."""
    period = report_due(calendar, now, at)
    if period is None:
        return False
    prefix = prefix_of(period)
    queued = await session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == f"{prefix}:text")
    )
    if queued is not None:
        return False
    figures = await office_figures(session, period, calendar, term_days=term_days)
    if figures.empty:
        # One line instead of an empty table, two paragraphs of zeros and no charts.
        await enqueue(
            session,
            chat_id=chat_id,
            now=now,
            kind=KIND,
            text=staff_t("monthly.empty", period=period.label()),
            dedupe_key=f"{prefix}:text",
        )
        return True
    await queue_figures(
        session,
        chat_id=chat_id,
        thread_id=None,
        figures=figures,
        i18n=i18n,
        staff_t=staff_t,
        now=now,
        dedupe_prefix=prefix,
    )
    await _queue_register(session, chat_id, calendar, staff_t, period, prefix, now)
    return True


async def _queue_register(
    session: AsyncSession,
    chat_id: int,
    calendar: WorkCalendar,
    t: Translator,
    period: Period,
    prefix: str,
    now: datetime,
) -> None:
    """The masked register of the month (a full one is only ever taken by a person)."""
    key = f"{prefix}:register"
    try:
        built = await build_register(session, period, calendar, t, full=False, now=now)
    except RegisterTooLarge as exc:
        megabyte = 1024 * 1024
        text = t(
            "registers.too_large",
            period=period.label(),
            size=decimal(exc.args[0] / megabyte),
            limit=MAX_BYTES // megabyte,
        )
        await enqueue(session, chat_id=chat_id, now=now, kind=KIND, text=text, dedupe_key=key)
        return
    caption = t(
        "registers.caption",
        period=period.label(),
        appeals=whole(built.appeals),
        projects=whole(built.projects),
    )
    await queue_register(
        session,
        chat_id=chat_id,
        thread_id=None,
        file_name=built.name,
        content=built.content,
        caption=caption,
        now=now,
        dedupe_key=key,
    )
