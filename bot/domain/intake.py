"""Intake: consent, profile reuse, and registering a submitted appeal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import form
from bot.domain.calendar import WorkCalendar
from bot.domain.catalog import CONSENT_VERSION
from bot.domain.invest import link_obstacle
from bot.domain.privacy import consent_is_current
from bot.domain.users import ensure_user
from bot.domain.workflow import record_event
from models import (
    ActorKind,
    Appeal,
    AppealStatus,
    Attachment,
    EventKind,
    ReceiptCounter,
    User,
    search_text,
)
from models.db import insert_for


async def record_consent(session: AsyncSession, user_id: int, now: datetime) -> None:
    user = await ensure_user(session, user_id)
    user.consent_at = now
    user.consent_version = CONSENT_VERSION


def has_current_consent(user: User | None) -> bool:
    """Consent of the current text version, not withdrawn since (then /new asks again)."""
    return consent_is_current(user)


def profile_answers(user: User) -> dict[str, Any]:
    """The saved profile as the answers of the steps that fill it (the company only of a
    legal entity)."""
    columns = {s.field: s.profile for s in form.STEPS if s.field and s.profile}
    saved = {field: getattr(user, column) for field, column in columns.items()}
    facts = form.Facts(answers=saved)
    return {
        s.field: saved[s.field] if s.applies(facts) else None
        for s in form.STEPS
        if s.field in columns and s.field
    }


async def next_receipt_number(session: AsyncSession, year: int) -> str:
    """The year's next number, in one upsert: two submissions at the same moment (on any
    instance) get two numbers; the counter row is locked until this transaction ends."""
    insert = insert_for(session)
    statement = insert(ReceiptCounter).values(year=year, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=["year"], set_={"last": ReceiptCounter.last + 1}
    ).returning(ReceiptCounter.last)
    last = await session.scalar(statement)
    return f"{year}-{last:06d}"


async def submit_appeal(
    session: AsyncSession,
    calendar: WorkCalendar,
    user_id: int,
    answers: dict[str, Any],
    *,
    now: datetime,
    term_days: int,
) -> Appeal:
    """Store the appeal, its files and its first event; remember the profile. No commit."""
    user = await ensure_user(session, user_id)
    for column, value in form.profile_values(answers).items():
        setattr(user, column, value)

    registered_at = calendar.registration_time(now)
    number = await next_receipt_number(session, calendar.local(registered_at).year)
    appeal = Appeal(
        number=number,
        user_id=user_id,
        **form.appeal_values(answers),
        search_text=search_text(number, *form.searchable(answers)),
        status=AppealStatus.REGISTERED.value,
        registered_at=registered_at,
        due_at=calendar.due_at(registered_at, term_days),
        project_id=answers.get("project_id"),
        created_at=now,
        updated_at=now,
    )
    session.add(appeal)
    await session.flush()
    await link_obstacle(session, appeal, now)
    for position, item in enumerate(answers.get("files", [])):
        session.add(Attachment(appeal_id=appeal.id, position=position, **item))
    record_event(
        session,
        appeal,
        EventKind.STATUS,
        actor_kind=ActorKind.OWNER,
        actor_id=user_id,
        to_status=AppealStatus.REGISTERED.value,
        now=now,
    )
    await session.flush()
    return appeal
