"""Scheduled work. One APScheduler interval job reads what fell due from the database (the
source of truth), so nothing is lost or repeated across a restart, and what fell due while the
bot was down is handled at the first run after start. Every push goes through the outbox with
a dedupe key, which makes running a check twice harmless.

Hearing reminders need no job: they are outbox rows queued with a future due time when the
hearing is set (bot/services/hearings.py); the delivery worker sends them when due.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from functools import partial

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.i18n import I18n, Translator
from bot.services import workflow
from bot.services.bell import OutboxBell
from bot.services.calendar import WorkCalendar
from bot.services.digest import build_digest
from bot.services.notify import notify_owner, reply_button
from bot.services.outbox import enqueue
from models import (
    OPEN_STATUSES,
    ActorKind,
    Appeal,
    AppealEvent,
    AppealStatus,
    OutboxMessage,
)

log = logging.getLogger(__name__)
S = AppealStatus
DEADLINE_SHARE = 0.8


class Jobs:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        i18n: I18n,
        calendar: WorkCalendar,
        clock: Callable[[], datetime],
        bell: OutboxBell,
        refresh_card: Callable[[AsyncSession, Appeal], Awaitable[None]],
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.i18n = i18n
        self.staff_t: Translator = i18n.translator(settings.STAFF_LANGUAGE)
        self.calendar = calendar
        self.clock = clock
        self.bell = bell
        self.refresh_card = refresh_card
        self._busy = asyncio.Lock()

    async def wait_idle(self) -> None:
        """Until a run in progress has finished (shutdown waits for it)."""
        async with self._busy:
            return

    async def tick(self) -> None:
        async with self._busy:
            await self._run_checks()

    async def _run_checks(self) -> None:
        """Every check, each in its own transaction so one failing does not stop the rest."""
        for check in (self.deadlines, self.needs_info, self.auto_close, self.digest):
            try:
                async with self.sessionmaker() as session:
                    await check(session, self.clock())
                    await session.commit()
                    self.bell.after_commit(session)
            except Exception:
                log.exception("scheduled check %s failed", check.__name__)

    async def _staff_note(
        self, session: AsyncSession, appeal: Appeal, text: str, key: str, now: datetime
    ) -> bool:
        row = await enqueue(
            session,
            chat_id=self.settings.OPERATOR_CHAT_ID,
            thread_id=appeal.topic_id,
            appeal_id=appeal.id,
            kind="staff_alert",
            text=text,
            now=now,
            dedupe_key=key,
        )
        return row is not None

    async def deadlines(self, session: AsyncSession, now: datetime) -> None:
        """Staff alerts at 80 % of the working days and on the due day; overdue marks."""
        today = self.calendar.local(now).date()
        appeals = await session.scalars(
            select(Appeal).where(Appeal.status.in_([s.value for s in OPEN_STATUSES]))
        )
        for appeal in appeals:
            registered = self.calendar.local(appeal.registered_at).date()
            due = self.calendar.local(appeal.due_at).date()
            due_text = due.strftime("%d.%m.%Y")
            total = self.calendar.working_days_between(registered, due)
            used = self.calendar.working_days_between(registered, today)
            stamp = f"{appeal.id}:{due.isoformat()}"
            if now > appeal.due_at:
                text = self.staff_t("jobs.overdue", number=appeal.number, due=due_text)
                if await self._staff_note(session, appeal, text, f"overdue:{stamp}", now):
                    await self.refresh_card(session, appeal)
            elif today == due:
                text = self.staff_t("jobs.due_today", number=appeal.number)
                await self._staff_note(session, appeal, text, f"due-day:{stamp}", now)
            elif total and used >= math.ceil(total * DEADLINE_SHARE):
                text = self.staff_t("jobs.deadline_80", number=appeal.number, due=due_text)
                await self._staff_note(session, appeal, text, f"deadline-80:{stamp}", now)

    async def needs_info(self, session: AsyncSession, now: datetime) -> None:
        """Remind an owner who has not answered a question; tell staff when it lapsed."""
        appeals = await session.scalars(select(Appeal).where(Appeal.status == S.NEEDS_INFO.value))
        days = sorted(self.settings.NEEDS_INFO_REMINDER_DAYS)
        for appeal in appeals:
            asked = await session.scalar(
                select(AppealEvent)
                .where(
                    AppealEvent.appeal_id == appeal.id,
                    AppealEvent.to_status == S.NEEDS_INFO.value,
                )
                .order_by(AppealEvent.id.desc())
                .limit(1)
            )
            if asked is None:
                continue
            waited = now - asked.created_at
            for day in days:
                if waited < timedelta(days=day):
                    continue
                await notify_owner(
                    session,
                    self.i18n,
                    appeal,
                    "remind.needs_info",
                    now=now,
                    kind="reminder",
                    dedupe_key=f"needs-info:{asked.id}:{day}",
                    question=asked.note or "",
                    reply_markup=partial(reply_button, appeal_id=appeal.id),
                )
            if waited >= timedelta(days=days[-1]):
                text = self.staff_t("jobs.needs_info_lapsed", number=appeal.number, days=days[-1])
                await self._staff_note(session, appeal, text, f"needs-info-lapsed:{asked.id}", now)

    async def auto_close(self, session: AsyncSession, now: datetime) -> None:
        """An answer not disputed within AUTO_CLOSE_DAYS closes the appeal."""
        days = self.settings.AUTO_CLOSE_DAYS
        answered_at = (
            select(AppealEvent.appeal_id, func.max(AppealEvent.created_at).label("at"))
            .where(AppealEvent.to_status == S.ANSWERED.value)
            .group_by(AppealEvent.appeal_id)
            .subquery()
        )
        appeals = await session.scalars(
            select(Appeal)
            .join(answered_at, answered_at.c.appeal_id == Appeal.id)
            .where(
                Appeal.status == S.ANSWERED.value, answered_at.c.at <= now - timedelta(days=days)
            )
        )
        for appeal in list(appeals):
            await workflow.transition(
                session,
                appeal,
                S.CLOSED,
                actor_kind=ActorKind.SYSTEM,
                actor_id=None,
                now=now,
                note="closed automatically",
            )
            await notify_owner(session, self.i18n, appeal, "rate.auto_closed", now=now, days=days)
            text = self.staff_t("jobs.auto_closed", days=days)
            await self._staff_note(session, appeal, text, f"auto-closed:{appeal.id}", now)
            await self.refresh_card(session, appeal)

    async def digest(self, session: AsyncSession, now: datetime) -> None:
        """Once a day at DIGEST_TIME (local), a summary for staff."""
        local = self.calendar.local(now)
        hour, minute = (int(part) for part in self.settings.DIGEST_TIME.split(":"))
        if local.time() < time(hour, minute):
            return
        key = f"digest:{local.date().isoformat()}"
        if await session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
            return
        previous = await session.scalar(
            select(func.max(OutboxMessage.created_at)).where(OutboxMessage.kind == "digest")
        )
        since = previous or now - timedelta(days=1)
        text = await build_digest(session, self.staff_t, self.calendar, now, since)
        await enqueue(
            session,
            chat_id=self.settings.OPERATOR_CHAT_ID,
            kind="digest",
            text=text,
            now=now,
            dedupe_key=key,
        )


def build_scheduler(jobs: Jobs, interval_seconds: int) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    # misfire_grace_time=None and coalesce: a run missed while busy is run once, late, not
    # dropped (APScheduler's default grace is one second).
    scheduler.add_job(
        jobs.tick,
        "interval",
        seconds=interval_seconds,
        next_run_time=datetime.now(UTC),  # at start: catch up on what fell due while down
        id="due-work",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    return scheduler
