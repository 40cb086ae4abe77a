"""What staff do to an appeal. Each change writes its event and queues the owner's notice in
the same transaction (the caller's session; the update middleware commits)."""

from __future__ import annotations

from datetime import date, datetime, time
from html import escape
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import lifecycle, workflow
from bot.domain.calendar import WorkCalendar
from bot.domain.notify import notify_owner, owner_translator, rating_buttons, reply_buttons
from bot.domain.outbox import message_params
from bot.domain.workflow import Staff
from bot.i18n import I18n
from models import ActorKind, Appeal, AppealEvent, AppealStatus, EventKind

__all__ = ["MAX_EXTENSION_MONTHS", "OUTCOMES", "CaseWork", "Staff", "find_appeals", "open_appeals"]

S = AppealStatus
OUTCOMES = ("satisfied", "partly", "refused")
MAX_EXTENSION_MONTHS = 2


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
        """A new appeal into review, assigned to whoever took it."""
        return await self.change(session, appeal, S.IN_REVIEW, staff, now)

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
        """Any staff transition (Take included); `note` is the question, answer, body or
        reason. The owner's notice is the lifecycle table's."""
        previous = appeal.status
        event = await workflow.transition_by(session, appeal, target, staff, now=now, note=note)
        if appeal.assigned_staff_id is None:
            appeal.assigned_staff_id, appeal.assigned_staff_name = staff.id, staff.name
        if target == S.ANSWERED:
            appeal.outcome = outcome
        key = lifecycle.notice_for(previous, target)
        if key is not None:
            values = await self._notice_values(session, appeal, target, note, outcome)
            await notify_owner(session, self.i18n, appeal, key, now=now, **values)
        return event

    async def _notice_values(
        self,
        session: AsyncSession,
        appeal: Appeal,
        target: AppealStatus,
        note: str | None,
        outcome: str | None,
    ) -> dict[str, Any]:
        """What the notice of a change says besides the appeal's number (a catalog text
        leaves out the values it does not name)."""
        spec = lifecycle.STATUS[target]
        values: dict[str, Any] = {"due": self._due(appeal)}
        if spec.note_as is not None:
            values[spec.note_as] = escape(note or "")
        if spec.reply:
            values["buttons"] = lambda t: reply_buttons(t, appeal.id)
        if target == S.ANSWERED:
            values["outcome"] = lambda t: t(f"staff.outcome.{outcome}")
            # Asked only once the answer arrived: never "rate the answer" without one.
            values["after"] = {"then": await self._rating_request(session, appeal)}
        return values

    async def _rating_request(self, session: AsyncSession, appeal: Appeal) -> dict[str, Any]:
        """The rating request as a call the outbox queues once the answer is delivered."""
        t = await owner_translator(session, self.i18n, appeal)
        text = t("rate.ask", number=appeal.number, days=self.auto_close_days)
        method, params = message_params(text, buttons=rating_buttons(t, appeal.id))
        return {
            "chat_id": appeal.user_id,
            "method": method,
            "params": params,
            "kind": "rating",
            "appeal_id": appeal.id,
        }

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
        if not lifecycle.extendable(appeal.status):
            return False
        if not current < new_due <= self.extension_limit(appeal):
            return False
        local_end = datetime.combine(new_due, time(23, 59, 59), tzinfo=self.calendar.tz)
        appeal.due_at = local_end.astimezone(appeal.due_at.tzinfo)
        appeal.updated_at = now
        workflow.record_event(
            session,
            appeal,
            EventKind.EXTENSION,
            actor_kind=ActorKind.STAFF,
            actor_id=staff.id,
            actor_name=staff.name,
            note=f"{new_due.isoformat()}: {reason}",
            now=now,
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
        workflow.record_event(
            session,
            appeal,
            EventKind.RATING,
            actor_kind=ActorKind.OWNER,
            actor_id=appeal.user_id,
            note=str(stars),
            now=now,
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
        .where(Appeal.status.in_([s.value for s in lifecycle.OPEN_STATUSES]))
        .order_by((Appeal.due_at >= now).asc(), Appeal.due_at.asc())
        .limit(50)
    )
    return list(rows)


async def find_appeals(session: AsyncSession, query: str) -> list[Appeal]:
    """By number, name, company, IIN/BIN, body or description, whatever the letters' case
    (Cyrillic and Kazakh included: search_text is stored casefolded)."""
    escaped = query.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = await session.scalars(
        select(Appeal)
        .where(Appeal.search_text.like(f"%{escaped}%", escape="\\"))
        .order_by(Appeal.id.desc())
        .limit(20)
    )
    return list(rows)
