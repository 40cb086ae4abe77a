"""Sessions (заседания) of the office: several appeals on one agenda, officials invited.

Each agenda item is a Hearing row (session_id, position) with its session's time and place.
What an item's owner is sent for one time of the session carries the session's revision in
its dedupe key (hearings.item_key): a move bumps the revision, cancels what the old time
queued and queues the new time's messages, each exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from html import escape
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import agenda, workflow
from bot.domain.agenda import SessionRequest
from bot.domain.hearings import Hearings, cancel_reminders, current_hearing, ics, item_key
from bot.domain.notify import hearing_answer_buttons, notify_owner
from bot.domain.workflow import Staff, allowed
from models import (
    ActorKind,
    Appeal,
    AppealStatus,
    EventKind,
    Hearing,
    HearingState,
    OfficeSession,
    OutboxMessage,
    SessionState,
)

DECISION_MAX = 3000
OWNER, OFFICIAL = "owner", "official"


@dataclass(frozen=True)
class SessionRefused(Exception):
    """What staff are told instead (a catalog key and its values)."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Agenda:
    office: OfficeSession
    items: list[Hearing]
    appeals: dict[int, Appeal]


async def load(session: AsyncSession, session_id: int) -> Agenda | None:
    office = await session.get(OfficeSession, session_id)
    if office is None:
        return None
    rows = list(await session.scalars(select(Hearing).where(Hearing.session_id == office.id)))
    items = agenda.on_agenda(rows)
    appeals = {
        appeal.id: appeal
        for appeal in await session.scalars(
            select(Appeal).where(Appeal.id.in_([item.appeal_id for item in rows]))
        )
    }
    return Agenda(office, items, appeals)


async def upcoming(session: AsyncSession, now: datetime, limit: int = 8) -> list[OfficeSession]:
    return list(
        await session.scalars(
            select(OfficeSession)
            .where(
                OfficeSession.state == SessionState.SCHEDULED.value,
                OfficeSession.starts_at > now,
            )
            .order_by(OfficeSession.starts_at, OfficeSession.id)
            .limit(limit)
        )
    )


async def _invited(session: AsyncSession, item: Hearing) -> bool:
    """Whether its owner was ever sent (or queued) an invitation to this item."""
    found = await session.scalar(
        select(OutboxMessage.id)
        .where(OutboxMessage.dedupe_key.like(f"hearing:{item.id}:r%:invite"))
        .limit(1)
    )
    return found is not None


class Sessions:
    def __init__(self, hearings: Hearings) -> None:
        self.hearings = hearings
        self.i18n = hearings.i18n
        self.calendar = hearings.calendar

    def when(self, office: OfficeSession) -> tuple[str, str]:
        local = self.calendar.local(office.starts_at)
        return local.strftime("%d.%m.%Y"), local.strftime("%H:%M")

    @staticmethod
    def where(office: OfficeSession) -> str:
        if office.online_link and office.online_link != office.place:
            return f"{office.place}, {office.online_link}"
        return office.place

    async def create(
        self, session: AsyncSession, request: SessionRequest, staff: Staff, now: datetime
    ) -> OfficeSession:
        if request.starts_at <= now:
            raise SessionRefused("session.past")
        office = OfficeSession(
            starts_at=request.starts_at,
            place=request.place,
            online_link=request.online_link,
            invited=request.invited,
            notes=request.bring,
            state=SessionState.SCHEDULED.value,
            revision=1,
            created_by=staff.id,
            created_at=now,
            updated_at=now,
        )
        session.add(office)
        await session.flush()
        return office

    @staticmethod
    def ensure_open(office: OfficeSession, now: datetime) -> None:
        if office.state != SessionState.SCHEDULED:
            raise SessionRefused("session.not_scheduled", {"state": office.state})
        if office.starts_at <= now:
            raise SessionRefused("session.started")

    async def add(
        self,
        session: AsyncSession,
        office: OfficeSession,
        appeal: Appeal,
        staff: Staff,
        now: datetime,
    ) -> Hearing:
        """Put the appeal on the agenda (its owner is invited with the others: invite)."""
        self.ensure_open(office, now)
        current = await current_hearing(session, appeal.id)
        if current is not None:
            raise SessionRefused("session.already_on", {"number": appeal.number})
        if not allowed(appeal.status, AppealStatus.HEARING_SCHEDULED):
            raise SessionRefused("session.appeal_status", {"number": appeal.number})
        rows = list(await session.scalars(select(Hearing).where(Hearing.session_id == office.id)))
        item = Hearing(
            appeal_id=appeal.id,
            session_id=office.id,
            position=agenda.next_position(rows),
            starts_at=office.starts_at,
            place=office.place,
            notes=office.notes,
            state=HearingState.SCHEDULED.value,
            created_at=now,
            updated_at=now,
        )
        session.add(item)
        await session.flush()
        date_text, time_text = self.when(office)
        await workflow.transition_by(
            session,
            appeal,
            AppealStatus.HEARING_SCHEDULED,
            staff,
            now=now,
            note=f"{date_text} {time_text}, {self.where(office)}",
        )
        return item

    async def invite(self, session: AsyncSession, office: OfficeSession, now: datetime) -> int:
        """Invite every owner on the agenda not invited yet; how many were."""
        self.ensure_open(office, now)
        loaded = await load(session, office.id)
        assert loaded is not None
        count = 0
        total = len(loaded.items)
        for position, item in enumerate(loaded.items, start=1):
            appeal = loaded.appeals[item.appeal_id]
            # Already invited, or no longer waiting for it (withdrawn meanwhile).
            if appeal.status != AppealStatus.HEARING_SCHEDULED or await _invited(session, item):
                continue
            await self._tell_time(session, office, item, appeal, now, "invite", position, total)
            count += 1
        return count

    async def _tell_time(
        self,
        session: AsyncSession,
        office: OfficeSession,
        item: Hearing,
        appeal: Appeal,
        now: datetime,
        what: str,
        position: int,
        total: int,
    ) -> None:
        """The invitation (or the move notice), its .ics file and the reminders."""
        date_text, time_text = self.when(office)
        revision = office.revision
        await notify_owner(
            session,
            self.i18n,
            appeal,
            "session.invitation" if what == "invite" else "session.moved",
            now=now,
            kind="hearing",
            stale_at=office.starts_at,
            dedupe_key=item_key(item.id, revision, what),
            while_status=AppealStatus.HEARING_SCHEDULED.value,
            buttons=partial(hearing_answer_buttons, hearing_id=item.id),
            date=date_text,
            time=time_text,
            place=escape(self.where(office)),
            invited=lambda t: (
                escape(", ".join((office.invited or "").splitlines())) or t("session.invited_none")
            ),
            agenda_place=lambda t: t("session.position", position=position, total=total),
            bring=lambda t: escape(office.notes) if office.notes else t("notify.bring_nothing"),
        )
        summary = f"{appeal.number}: {office.place}"
        calendar_file = ics(
            item, appeal.number, summary, sequence=revision - 1, location=self.where(office)
        )
        await notify_owner(
            session,
            self.i18n,
            appeal,
            "notify.ics_caption",
            now=now,
            kind="hearing",
            stale_at=office.starts_at,
            dedupe_key=item_key(item.id, revision, "ics"),
            document=(f"session-{appeal.number}.ics", calendar_file, "text/calendar"),
        )
        await self.hearings.queue_reminders(
            session, appeal, item, now, revision=revision, place=self.where(office)
        )

    async def move(
        self,
        session: AsyncSession,
        office: OfficeSession,
        starts_at: datetime,
        place: str | None,
        staff: Staff,
        now: datetime,
    ) -> None:
        """A new time (and place): every invited owner is told once, the old reminders go."""
        self.ensure_open(office, now)
        if starts_at <= now:
            raise SessionRefused("session.past")
        if place is not None and len(place) > agenda.PLACE_MAX:
            raise SessionRefused("session.ask.move_invalid")
        loaded = await load(session, office.id)
        assert loaded is not None
        office.starts_at = starts_at
        office.place = place or office.place
        office.revision += 1
        office.updated_at = now
        total = len(loaded.items)
        for position, item in enumerate(loaded.items, start=1):
            invited = await _invited(session, item)
            await cancel_reminders(session, item)
            item.starts_at, item.place = office.starts_at, office.place
            item.owner_answer = None  # asked again for the new time
            item.updated_at = now
            if invited:
                appeal = loaded.appeals[item.appeal_id]
                await self._tell_time(session, office, item, appeal, now, "moved", position, total)

    async def _call_off_item(
        self, session: AsyncSession, item: Hearing, appeal: Appeal, staff: Staff, now: datetime
    ) -> None:
        # Told only if invited and still waiting for it (not once withdrawn, say).
        waiting = appeal.status == AppealStatus.HEARING_SCHEDULED
        invited = await _invited(session, item)
        item.state = HearingState.CANCELLED.value
        item.updated_at = now
        await cancel_reminders(session, item)
        if waiting:
            await workflow.transition_by(
                session, appeal, AppealStatus.IN_REVIEW, staff, now=now, note="session called off"
            )
        if invited and waiting:
            date_text, time_text = self.hearings.when(item)
            await notify_owner(
                session,
                self.i18n,
                appeal,
                "notify.hearing_cancelled",
                now=now,
                kind="hearing",
                dedupe_key=f"called-off:{item.id}",
                date=date_text,
                time=time_text,
            )

    async def remove(
        self,
        session: AsyncSession,
        office: OfficeSession,
        item: Hearing,
        staff: Staff,
        now: datetime,
    ) -> None:
        self.ensure_open(office, now)
        loaded = await load(session, office.id)
        assert loaded is not None
        await self._call_off_item(session, item, loaded.appeals[item.appeal_id], staff, now)
        agenda.renumber(loaded.items)

    async def cancel(
        self, session: AsyncSession, office: OfficeSession, staff: Staff, now: datetime
    ) -> None:
        self.ensure_open(office, now)
        loaded = await load(session, office.id)
        assert loaded is not None
        office.state = SessionState.CANCELLED.value
        office.updated_at = now
        for item in loaded.items:
            await self._call_off_item(session, item, loaded.appeals[item.appeal_id], staff, now)

    async def hold(self, session: AsyncSession, office: OfficeSession, now: datetime) -> None:
        """The session took place (from its start on); attendance and decisions follow."""
        if office.state != SessionState.SCHEDULED:
            raise SessionRefused("session.not_scheduled", {"state": office.state})
        if office.starts_at > now:
            raise SessionRefused("session.not_yet")
        loaded = await load(session, office.id)
        assert loaded is not None
        if not loaded.items:
            raise SessionRefused("session.empty")
        office.state = SessionState.HELD.value
        office.held_at = now
        office.updated_at = now
        for item in loaded.items:
            item.state = HearingState.HELD.value
            item.updated_at = now
            await cancel_reminders(session, item)

    @staticmethod
    def _held_item(office: OfficeSession, item: Hearing) -> None:
        if item.session_id != office.id or item.state != HearingState.HELD:
            raise SessionRefused("session.unknown_item")
        if office.state != SessionState.HELD:
            raise SessionRefused("session.not_held")

    def mark(
        self, office: OfficeSession, item: Hearing, who: str, attended: bool, now: datetime
    ) -> None:
        """Who came: the owner or the official of the body concerned (staff may correct it)."""
        self._held_item(office, item)
        if who == OWNER:
            item.owner_attended = attended
        elif who == OFFICIAL:
            item.official_attended = attended
        else:
            raise SessionRefused("session.unknown_item")
        item.updated_at = now

    async def decide(
        self,
        session: AsyncSession,
        office: OfficeSession,
        item: Hearing,
        text: str,
        staff: Staff,
        now: datetime,
    ) -> Appeal:
        """The session's decision on the item reaches its owner; the appeal goes back to
        "in review", where staff give the formal answer with its outcome."""
        self._held_item(office, item)
        if item.decided_at is not None:
            raise SessionRefused("session.decided")
        text = text.strip()
        if not text or len(text) > DECISION_MAX:
            raise SessionRefused("session.decision_length", {"limit": DECISION_MAX})
        appeal = await session.get(Appeal, item.appeal_id)
        assert appeal is not None
        item.decision, item.decided_at, item.updated_at = text, now, now
        date_text, _ = self.when(office)
        # In the appeal's history whatever its status (staff may have answered already).
        workflow.record_event(
            session,
            appeal,
            EventKind.HEARING,
            actor_kind=ActorKind.STAFF,
            actor_id=staff.id,
            actor_name=staff.name,
            now=now,
            note=f"session {office.id} {date_text}: {text}",
        )
        if appeal.status == AppealStatus.HEARING_SCHEDULED:
            await workflow.transition_by(
                session, appeal, AppealStatus.IN_REVIEW, staff, now=now, note="session decision"
            )
        await notify_owner(
            session,
            self.i18n,
            appeal,
            "session.decision",
            now=now,
            kind="status",
            dedupe_key=f"decision:{item.id}",
            date=date_text,
            text=escape(text),
        )
        return appeal


def items_of(loaded: Agenda) -> Sequence[tuple[int, Hearing, Appeal]]:
    return [
        (position, item, loaded.appeals[item.appeal_id])
        for position, item in enumerate(loaded.items, start=1)
    ]


async def appeal_by_number(session: AsyncSession, number: str) -> Appeal | None:
    return await session.scalar(select(Appeal).where(Appeal.number == number.strip()))


async def item_of(session: AsyncSession, item_id: int) -> tuple[OfficeSession, Hearing] | None:
    """An agenda item and its session; None for a hearing that is on none (or no such id)."""
    item = await session.get(Hearing, item_id)
    if item is None or item.session_id is None:
        return None
    office = await session.get(OfficeSession, item.session_id)
    return (office, item) if office is not None else None
