"""Scheduled work. One APScheduler interval job reads what fell due from the database (the
source of truth), so nothing is lost or repeated across a restart, and what fell due while the
bot was down is handled at the first run after start. Every push goes through the outbox with
a dedupe key, which makes running a check twice harmless.

Hearing reminders need no job: they are outbox rows queued with a future due time when the
hearing is set (bot/domain/hearings.py); the sender sends them when due.

Only the leader ticks (bot/telegram/cluster.py), and each check also takes a transaction-level
advisory lock on PostgreSQL, so a check runs once in the cluster even while leadership moves.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from functools import partial

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.domain import privacy, workflow
from bot.domain.calendar import WorkCalendar
from bot.domain.lifecycle import OPEN_STATUSES
from bot.domain.notify import notify_owner, reply_buttons
from bot.domain.register import forget_sent_registers
from bot.i18n import I18n, Translator
from bot.telegram.bell import OutboxBell
from bot.telegram.monthly import queue_monthly_report
from bot.telegram.outbox import TOPIC, enqueue
from bot.telegram.topics import TopicService
from bot.views.digest import build_digest
from models import (
    ActorKind,
    Appeal,
    AppealEvent,
    AppealStatus,
    InboxState,
    InboxUpdate,
    OutboxMessage,
)
from models.db import dialect_of

log = logging.getLogger(__name__)
S = AppealStatus
DEADLINE_SHARE = 0.8
# Handled updates are kept this long: long enough to recognise one Telegram sends again (it
# keeps them at most a day), short enough that what people typed does not linger. Failed
# ones stay until staff deal with them.
KEEP_UPDATES = timedelta(days=3)
TICK_LOCKS = 0x0ADA2  # advisory lock namespace of the scheduled checks


class Jobs:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        i18n: I18n,
        calendar: WorkCalendar,
        clock: Callable[[], datetime],
        bell: OutboxBell,
        topics: TopicService,
        *,
        is_leader: Callable[[], bool] = lambda: True,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.i18n = i18n
        self.staff_t: Translator = i18n.translator(settings.STAFF_LANGUAGE)
        self.calendar = calendar
        self.clock = clock
        self.bell = bell
        self.topics = topics
        self.is_leader = is_leader
        self._busy = asyncio.Lock()

    async def wait_idle(self) -> None:
        """Until a run in progress has finished (shutdown waits for it)."""
        async with self._busy:
            return

    async def tick(self) -> None:
        if not self.is_leader():
            return
        async with self._busy:
            await self._run_checks()

    async def _run_checks(self) -> None:
        """Every check, each in its own transaction so one failing does not stop the rest."""
        for number, check in enumerate(
            (
                self.deadlines,
                self.needs_info,
                self.auto_close,
                self.digest,
                self.forget_updates,
                self.personal_data,
                # Last: each check's advisory lock is its place in this list.
                self.monthly_report,
            )
        ):
            try:
                async with self.sessionmaker() as session:
                    if not await self._only_one(session, number):
                        continue
                    await check(session, self.clock())
                    await self.bell.commit(session)
            except Exception:
                log.exception("scheduled check %s failed", check.__name__)

    async def _only_one(self, session: AsyncSession, number: int) -> bool:
        """PostgreSQL: False when another instance runs this check right now."""
        if dialect_of(session) != "postgresql":
            return True
        return bool(
            await session.scalar(select(func.pg_try_advisory_xact_lock(TICK_LOCKS, number)))
        )

    async def refresh_card(self, session: AsyncSession, appeal: Appeal) -> None:
        await self.topics.refresh(session, appeal)

    async def _staff_note(
        self, session: AsyncSession, appeal: Appeal, text: str, key: str, now: datetime
    ) -> bool:
        row = await enqueue(
            session,
            chat_id=self.settings.OPERATOR_CHAT_ID,
            place=TOPIC,
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
            reached = [day for day in days if waited >= timedelta(days=day)]
            if reached:
                # Only the latest reminder reached: after a downtime, one, not one per day
                # missed; and none once the owner has answered (while_status).
                await notify_owner(
                    session,
                    self.i18n,
                    appeal,
                    "remind.needs_info",
                    now=now,
                    kind="reminder",
                    dedupe_key=f"needs-info:{asked.id}:{reached[-1]}",
                    while_status=S.NEEDS_INFO.value,
                    question=asked.note or "",
                    buttons=partial(reply_buttons, appeal_id=appeal.id),
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

    async def forget_updates(self, session: AsyncSession, now: datetime) -> None:
        await session.execute(
            delete(InboxUpdate).where(
                InboxUpdate.state == InboxState.DONE.value,
                InboxUpdate.received_at < now - KEEP_UPDATES,
            )
        )

    async def personal_data(self, session: AsyncSession, now: datetime) -> None:
        """Appeals ended PERSONAL_DATA_RETENTION_YEARS ago lose the applicant's personal data
        (once; a few a minute, as each edits its card); a delivered export is not kept."""
        await privacy.forget_sent_exports(session)
        await forget_sent_registers(session)
        years = self.settings.PERSONAL_DATA_RETENTION_YEARS
        for appeal in await privacy.anonymise_expired(session, now, years):
            await self.refresh_card(session, appeal)

    async def digest(self, session: AsyncSession, now: datetime) -> None:
        """Once a working day at DIGEST_TIME (local), a summary for staff; Monday's covers the
        weekend (everything since the previous digest)."""
        local = self.calendar.local(now)
        hour, minute = (int(part) for part in self.settings.DIGEST_TIME.split(":"))
        if local.time() < time(hour, minute) or not self.calendar.is_working_day(local.date()):
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

    async def monthly_report(self, session: AsyncSession, now: datetime) -> None:
        hour, minute = (int(part) for part in self.settings.DIGEST_TIME.split(":"))
        await queue_monthly_report(
            session,
            chat_id=self.settings.OPERATOR_CHAT_ID,
            calendar=self.calendar,
            i18n=self.i18n,
            staff_t=self.staff_t,
            term_days=self.settings.APPEAL_TERM_DAYS,
            now=now,
            at=time(hour, minute),
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
