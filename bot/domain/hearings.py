"""Hearings: schedule, move, cancel; the owner's notice with an .ics calendar file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from html import escape
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import workflow
from bot.domain.calendar import WorkCalendar
from bot.domain.lifecycle import STATUS
from bot.domain.notify import hearing_answer_buttons, notify_owner
from bot.domain.outbox import BLOCKED
from bot.domain.workflow import Staff
from bot.i18n import I18n, Translator
from models import (
    Appeal,
    AppealStatus,
    Hearing,
    HearingState,
    OfficeSession,
    OutboxMessage,
    OutboxState,
    SessionState,
)

COMMAND = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})\s+(?P<time>\d{1,2}:\d{2})\s+(?P<rest>.+)$", re.DOTALL
)
HEARING_LENGTH = timedelta(hours=1)


@dataclass(frozen=True)
class HearingRequest:
    starts_at: datetime
    place: str
    bring: str | None


def parse_hearing(text: str, calendar: WorkCalendar) -> HearingRequest | None:
    """'2026-12-03 15:00 Place, room 12; bring: lease contract' (local time)."""
    match = COMMAND.match(text.strip())
    if match is None:
        return None
    try:
        local = datetime.strptime(f"{match['date']} {match['time']}", "%Y-%m-%d %H:%M")
    except ValueError:
        return None
    rest = match["rest"].strip()
    bring = None
    parts = re.split(r";?\s*bring:\s*", rest, maxsplit=1, flags=re.IGNORECASE)
    if len(parts) == 2:
        rest, bring = parts[0].strip(" ;"), parts[1].strip() or None
    if not rest:
        return None
    starts = local.replace(tzinfo=calendar.tz).astimezone(UTC)
    return HearingRequest(starts, rest[:500], bring[:1000] if bring else None)


def ics(
    hearing: Hearing, number: str, summary: str, *, sequence: int = 0, location: str = ""
) -> bytes:
    """One event; `sequence` (the session's revision) lets a calendar replace a moved one."""

    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    def text(value: str) -> str:
        return (
            value.replace("\\", "\\\\").replace(";", r"\;").replace(",", r"\,").replace("\n", r"\n")
        )

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Shygys adaldyq alany//appeals bot//KK",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:hearing-{hearing.id}-{number}@adal-bot",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{stamp(hearing.updated_at)}",
        f"DTSTART:{stamp(hearing.starts_at)}",
        f"DTEND:{stamp(hearing.starts_at + HEARING_LENGTH)}",
        f"SUMMARY:{text(summary)}",
        f"LOCATION:{text(location or hearing.place)}",
        f"DESCRIPTION:{text(hearing.notes or '')}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


async def current_hearing(session: AsyncSession, appeal_id: int) -> Hearing | None:
    """The appeal's scheduled hearing (the latest set, should there be more than one)."""
    return await session.scalar(
        select(Hearing)
        .where(Hearing.appeal_id == appeal_id, Hearing.state == HearingState.SCHEDULED.value)
        .order_by(Hearing.id.desc())
        .limit(1)
    )


def item_key(hearing_id: int, revision: int, what: str) -> str:
    """Dedupe key of what an agenda item's owner is sent for one time of its session: a move
    bumps the revision, so the new time's messages are new rows and the old ones (cancelled
    by cancel_reminders) are never sent."""
    return f"hearing:{hearing_id}:r{revision}:{what}"


async def revision_of(session: AsyncSession, hearing: Hearing) -> int:
    if hearing.session_id is None:
        return 1
    office = await session.get(OfficeSession, hearing.session_id)
    return office.revision if office is not None else 1


def _in_time(t: Translator, hours: int) -> str:
    if hours % 24 == 0:
        return t("remind.in_days", days=hours // 24)
    return t("remind.in_hours", hours=hours)


async def cancel_reminders(session: AsyncSession, hearing: Hearing) -> None:
    """A moved or cancelled hearing's invitation and reminders are never sent, not even
    those a block of the bot cancelled once the owner comes back (Sender.chat_back)."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.dedupe_key.like(f"hearing:{hearing.id}:%"),
            or_(
                OutboxMessage.state == OutboxState.PENDING.value,
                OutboxMessage.last_error.startswith(BLOCKED),
            ),
        )
        .values(state=OutboxState.CANCELLED.value, last_error="hearing moved or cancelled")
    )


class Hearings:
    def __init__(
        self, i18n: I18n, calendar: WorkCalendar, reminder_hours: list[int] | None = None
    ) -> None:
        self.i18n = i18n
        self.calendar = calendar
        self.reminder_hours = reminder_hours if reminder_hours is not None else [72, 24, 2]

    async def confirm_attendance(
        self, session: AsyncSession, appeal: Appeal, hearing: Hearing, now: datetime
    ) -> None:
        """The owner said they will come: the reminders still to come say "we expect you"
        instead of asking again, with no buttons."""
        await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.dedupe_key.like(f"hearing:{hearing.id}:%h"),
                OutboxMessage.kind == "reminder",
                OutboxMessage.state == OutboxState.PENDING.value,
            )
            .values(state=OutboxState.CANCELLED.value, last_error="replaced: attendance confirmed")
        )
        revision = await revision_of(session, hearing)
        await self.queue_reminders(session, appeal, hearing, now, revision=revision, expected=True)

    async def queue_reminders(
        self,
        session: AsyncSession,
        appeal: Appeal,
        hearing: Hearing,
        now: datetime,
        *,
        revision: int,
        expected: bool = False,
        place: str | None = None,
    ) -> None:
        """One outbox row per offset, due at its time; an offset already past is skipped.

        Each goes stale when the next one falls due (the last when the hearing starts): after
        a downtime, "in 3 days" is not sent the day before, nor anything after the hearing.
        `expected`: the owner has said they will come; nothing is asked.
        """
        date_text, time_text = self.when(hearing)
        offsets = sorted(set(self.reminder_hours), reverse=True)
        for index, hours in enumerate(offsets):
            due = hearing.starts_at - timedelta(hours=hours)
            if due <= now:
                continue
            later = offsets[index + 1] if index + 1 < len(offsets) else 0
            await notify_owner(
                session,
                self.i18n,
                appeal,
                "remind.hearing_expected" if expected else "remind.hearing",
                now=now,
                kind="reminder",
                # Not sent once the appeal is no longer waiting for it (withdrawn, answered).
                while_status=AppealStatus.HEARING_SCHEDULED.value,
                due_at=due,
                stale_at=hearing.starts_at - timedelta(hours=later),
                dedupe_key=item_key(hearing.id, revision, f"remind:{hours}h")
                + (":expected" if expected else ""),
                buttons=(
                    None if expected else partial(hearing_answer_buttons, hearing_id=hearing.id)
                ),
                when=partial(_in_time, hours=hours),
                date=date_text,
                time=time_text,
                place=escape(place or hearing.place),
                bring=lambda t: (
                    escape(hearing.notes) if hearing.notes else t("notify.bring_nothing")
                ),
            )

    def when(self, hearing: Hearing) -> tuple[str, str]:
        local = self.calendar.local(hearing.starts_at)
        return local.strftime("%d.%m.%Y"), local.strftime("%H:%M")

    async def schedule(
        self,
        session: AsyncSession,
        appeal: Appeal,
        request: HearingRequest,
        staff: Staff,
        now: datetime,
    ) -> Hearing:
        """Schedule, or move when one is already scheduled (the old one is cancelled)."""
        previous = await current_hearing(session, appeal.id)
        if previous is not None:
            await self._call_off(session, previous, now)
        # A hearing of one appeal is a session with that one item.
        office = OfficeSession(
            starts_at=request.starts_at,
            place=request.place,
            notes=request.bring,
            state=SessionState.SCHEDULED.value,
            revision=1,
            created_by=staff.id,
            created_at=now,
            updated_at=now,
        )
        session.add(office)
        await session.flush()
        hearing = Hearing(
            appeal_id=appeal.id,
            session_id=office.id,
            position=1,
            starts_at=request.starts_at,
            place=request.place,
            notes=request.bring,
            state=HearingState.SCHEDULED.value,
            created_at=now,
            updated_at=now,
        )
        session.add(hearing)
        await session.flush()
        date_text, time_text = self.when(hearing)
        await workflow.transition_by(
            session,
            appeal,
            AppealStatus.HEARING_SCHEDULED,
            staff,
            now=now,
            note=f"{date_text} {time_text}, {request.place}",
        )
        t_owner_values: dict[str, Any] = {
            "date": date_text,
            "time": time_text,
            "place": escape(request.place),
            "bring": (
                lambda t: escape(request.bring) if request.bring else t("notify.bring_nothing")
            ),
        }
        if previous is not None:
            await notify_owner(
                session, self.i18n, appeal, "notify.hearing_moved", now=now, kind="hearing"
            )
        invitation = STATUS[AppealStatus.HEARING_SCHEDULED].notice
        assert invitation is not None
        await notify_owner(
            session,
            self.i18n,
            appeal,
            invitation,
            now=now,
            kind="hearing",
            stale_at=hearing.starts_at,
            dedupe_key=item_key(hearing.id, 1, "invite"),  # cancelled with the reminders
            buttons=lambda t: hearing_answer_buttons(t, hearing.id),
            **t_owner_values,
        )
        calendar_file = ics(hearing, appeal.number, f"{appeal.number}: {request.place}")
        await notify_owner(
            session,
            self.i18n,
            appeal,
            "notify.ics_caption",
            now=now,
            kind="hearing",
            document=(f"hearing-{appeal.number}.ics", calendar_file, "text/calendar"),
        )
        await self.queue_reminders(session, appeal, hearing, now, revision=1)
        return hearing

    async def _call_off(self, session: AsyncSession, hearing: Hearing, now: datetime) -> None:
        """The hearing, and its session when it is its only item, are off."""
        hearing.state = HearingState.CANCELLED.value
        hearing.updated_at = now
        await cancel_reminders(session, hearing)
        if hearing.session_id is None:
            return
        office = await session.get(OfficeSession, hearing.session_id)
        others = await session.scalar(
            select(Hearing.id).where(
                Hearing.session_id == hearing.session_id,
                Hearing.id != hearing.id,
                Hearing.state != HearingState.CANCELLED.value,
            )
        )
        if office is not None and others is None and office.state == SessionState.SCHEDULED:
            office.state = SessionState.CANCELLED.value
            office.updated_at = now

    async def cancel(
        self, session: AsyncSession, appeal: Appeal, staff: Staff, now: datetime
    ) -> Hearing | None:
        hearing = await current_hearing(session, appeal.id)
        if hearing is None:
            return None
        await self._call_off(session, hearing, now)
        date_text, time_text = self.when(hearing)
        if appeal.status == AppealStatus.HEARING_SCHEDULED:
            await workflow.transition_by(
                session, appeal, AppealStatus.IN_REVIEW, staff, now=now, note="hearing cancelled"
            )
        await notify_owner(
            session,
            self.i18n,
            appeal,
            "notify.hearing_cancelled",
            now=now,
            kind="hearing",
            date=date_text,
            time=time_text,
        )
        return hearing
