"""What staff do to an appeal. Each change writes its event and queues the owner's notice in
the same transaction (the caller's session; the update middleware commits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from html import escape

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import I18n
from bot.keyboards.staff import rating_keyboard
from bot.services import workflow
from bot.services.calendar import WorkCalendar
from bot.services.notify import notify_owner, reply_button
from models import (
    OPEN_STATUSES,
    ActorKind,
    Appeal,
    AppealEvent,
    AppealStatus,
    EventKind,
)

S = AppealStatus
OUTCOMES = ("satisfied", "partly", "refused")
MAX_EXTENSION_MONTHS = 2


@dataclass(frozen=True)
class Staff:
    id: int
    name: str


class CaseWork:
    def __init__(self, i18n: I18n, calendar: WorkCalendar, auto_close_days: int = 10) -> None:
        self.i18n = i18n
        self.calendar = calendar
        self.auto_close_days = auto_close_days

    def _due(self, appeal: Appeal) -> str:
        return self.calendar.local(appeal.due_at).strftime("%d.%m.%Y")

    async def take(
        self, session: AsyncSession, appeal: Appeal, staff: Staff, now: datetime
    ) -> AppealEvent:
        event = await workflow.transition(
            session,
            appeal,
            S.IN_REVIEW,
            actor_kind=ActorKind.STAFF,
            actor_id=staff.id,
            actor_name=staff.name,
            now=now,
        )
        appeal.assigned_staff_id = staff.id
        appeal.assigned_staff_name = staff.name
        await notify_owner(
            session, self.i18n, appeal, "notify.in_review", now=now, due=self._due(appeal)
        )
        return event

    async def change(
        self,
        session: AsyncSession,
        appeal: Appeal,
        target: AppealStatus,
        staff: Staff,
        now: datetime,
        *,
        note: str | None = None,
        outcome: str | None = None,
    ) -> AppealEvent:
        """Any staff transition but Take; `note` is the question, answer, body or reason."""
        previous = appeal.status
        event = await workflow.transition(
            session,
            appeal,
            target,
            actor_kind=ActorKind.STAFF,
            actor_id=staff.id,
            actor_name=staff.name,
            now=now,
            note=note,
        )
        if appeal.assigned_staff_id is None:
            appeal.assigned_staff_id, appeal.assigned_staff_name = staff.id, staff.name
        text = escape(note or "")
        if target == S.NEEDS_INFO:
            await notify_owner(
                session,
                self.i18n,
                appeal,
                "notify.needs_info",
                now=now,
                question=text,
                reply_markup=lambda t: reply_button(t, appeal.id),
            )
        elif target == S.ANSWERED:
            appeal.outcome = outcome
            await notify_owner(
                session,
                self.i18n,
                appeal,
                "notify.answered",
                now=now,
                text=text,
                outcome=lambda t: t(f"staff.outcome.{outcome}"),
            )
            await notify_owner(
                session,
                self.i18n,
                appeal,
                "rate.ask",
                now=now,
                kind="rating",
                days=self.auto_close_days,
                reply_markup=lambda t: rating_keyboard(t, appeal.id),
            )
        elif target == S.REDIRECTED:
            await notify_owner(session, self.i18n, appeal, "notify.redirected", now=now, body=text)
        elif target == S.NOT_CONSIDERED:
            await notify_owner(
                session, self.i18n, appeal, "notify.not_considered", now=now, reason=text
            )
        elif target == S.CLOSED:
            await notify_owner(session, self.i18n, appeal, "notify.closed", now=now)
        elif target == S.IN_REVIEW and previous != S.REGISTERED:
            await notify_owner(session, self.i18n, appeal, "notify.back_in_review", now=now)
        return event

    def extension_limit(self, appeal: Appeal) -> date:
        registered = self.calendar.local(appeal.registered_at).date()
        month = registered.month - 1 + MAX_EXTENSION_MONTHS
        year, month = registered.year + month // 12, month % 12 + 1
        day = min(registered.day, 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)
        return date(year, month, day)

    async def extend(
        self,
        session: AsyncSession,
        appeal: Appeal,
        new_due: date,
        reason: str,
        staff: Staff,
        now: datetime,
    ) -> bool:
        """Move the deadline (at most two months from registration); False if not allowed."""
        current = self.calendar.local(appeal.due_at).date()
        if appeal.status not in OPEN_STATUSES or not current < new_due <= self.extension_limit(
            appeal
        ):
            return False
        local_end = datetime.combine(new_due, time(23, 59, 59), tzinfo=self.calendar.tz)
        appeal.due_at = local_end.astimezone(appeal.due_at.tzinfo)
        appeal.updated_at = now
        session.add(
            AppealEvent(
                appeal_id=appeal.id,
                kind=EventKind.EXTENSION.value,
                actor_kind=ActorKind.STAFF.value,
                actor_id=staff.id,
                actor_name=staff.name,
                note=f"{new_due.isoformat()}: {reason}",
                created_at=now,
            )
        )
        await notify_owner(
            session,
            self.i18n,
            appeal,
            "notify.extended",
            now=now,
            due=self._due(appeal),
            reason=escape(reason),
        )
        return True

    async def rate(self, session: AsyncSession, appeal: Appeal, stars: int, now: datetime) -> bool:
        """The owner's 1-5 for an answer; only an answered or closed appeal can be rated."""
        if appeal.status not in (S.ANSWERED, S.CLOSED) or not 1 <= stars <= 5:
            return False
        appeal.rating, appeal.rated_at = stars, now
        session.add(
            AppealEvent(
                appeal_id=appeal.id,
                kind=EventKind.RATING.value,
                actor_kind=ActorKind.OWNER.value,
                actor_id=appeal.user_id,
                note=str(stars),
                created_at=now,
            )
        )
        return True

    async def dispute(self, session: AsyncSession, appeal: Appeal, now: datetime) -> bool:
        """The owner disagrees with the answer: back to review (and no automatic closing)."""
        return await self._owner_reopens(session, appeal, S.ANSWERED, now, "disputed")

    async def owner_answered(self, session: AsyncSession, appeal: Appeal, now: datetime) -> bool:
        """An owner's reply to a question puts the appeal back in review."""
        return await self._owner_reopens(session, appeal, S.NEEDS_INFO, now, None)

    async def _owner_reopens(
        self,
        session: AsyncSession,
        appeal: Appeal,
        expected: AppealStatus,
        now: datetime,
        note: str | None,
    ) -> bool:
        if appeal.status != expected:
            return False
        await workflow.transition(
            session,
            appeal,
            S.IN_REVIEW,
            actor_kind=ActorKind.OWNER,
            actor_id=appeal.user_id,
            now=now,
            note=note,
        )
        return True


async def open_appeals(session: AsyncSession, now: datetime) -> list[Appeal]:
    """Overdue first, then by due date."""
    rows = await session.scalars(
        select(Appeal)
        .where(Appeal.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by((Appeal.due_at >= now).asc(), Appeal.due_at.asc())
        .limit(50)
    )
    return list(rows)


async def find_appeals(session: AsyncSession, query: str) -> list[Appeal]:
    pattern = f"%{query}%"
    rows = await session.scalars(
        select(Appeal)
        .where(
            or_(
                Appeal.number.like(pattern),
                Appeal.applicant_name.like(pattern),
                Appeal.applicant_company.like(pattern),
                Appeal.applicant_iin_bin == query,
                Appeal.body.like(pattern),
                Appeal.description.like(pattern),
            )
        )
        .order_by(Appeal.id.desc())
        .limit(20)
    )
    return list(rows)
