"""Intake: consent, profile reuse, and registering a submitted appeal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.calendar import WorkCalendar
from bot.services.catalog import CONSENT_VERSION
from bot.services.users import ensure_user
from models import (
    ActorKind,
    Appeal,
    AppealEvent,
    AppealStatus,
    ApplicantKind,
    Attachment,
    EventKind,
    ReceiptCounter,
    User,
)


async def record_consent(session: AsyncSession, user_id: int, now: datetime) -> None:
    user = await ensure_user(session, user_id)
    user.consent_at = now
    user.consent_version = CONSENT_VERSION


def has_current_consent(user: User | None) -> bool:
    return bool(user and user.consent_at and user.consent_version == CONSENT_VERSION)


def profile_answers(user: User) -> dict[str, Any]:
    return {
        "full_name": user.full_name,
        "applicant_kind": user.applicant_kind,
        "iin_bin": user.iin_bin,
        "company": user.company if user.applicant_kind == ApplicantKind.LEGAL_ENTITY else None,
        "phone": user.phone,
    }


async def next_receipt_number(session: AsyncSession, year: int) -> str:
    counter = await session.scalar(
        select(ReceiptCounter).where(ReceiptCounter.year == year).with_for_update()
    )
    if counter is None:
        counter = ReceiptCounter(year=year, last=0)
        session.add(counter)
    counter.last += 1
    await session.flush()
    return f"{year}-{counter.last:06d}"


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
    legal = answers["applicant_kind"] == ApplicantKind.LEGAL_ENTITY.value
    user.full_name = answers["full_name"]
    user.applicant_kind = answers["applicant_kind"]
    user.iin_bin = answers["iin_bin"]
    user.company = answers.get("company") if legal else None
    user.phone = answers["phone"]

    registered_at = calendar.registration_time(now)
    number = await next_receipt_number(session, calendar.local(registered_at).year)
    appeal = Appeal(
        number=number,
        user_id=user_id,
        applicant_name=answers["full_name"],
        applicant_kind=answers["applicant_kind"],
        applicant_iin_bin=answers["iin_bin"],
        applicant_company=answers.get("company") if legal else None,
        applicant_phone=answers["phone"],
        appeal_type=answers["appeal_type"],
        category=answers["category"],
        locality=answers["locality"],
        body=answers["body"],
        description=answers["description"],
        confidential=bool(answers.get("confidential")),
        status=AppealStatus.REGISTERED.value,
        registered_at=registered_at,
        due_at=calendar.due_at(registered_at, term_days),
        created_at=now,
        updated_at=now,
    )
    session.add(appeal)
    await session.flush()
    for position, item in enumerate(answers.get("files", [])):
        session.add(Attachment(appeal_id=appeal.id, position=position, **item))
    session.add(
        AppealEvent(
            appeal_id=appeal.id,
            kind=EventKind.STATUS.value,
            actor_kind=ActorKind.OWNER.value,
            actor_id=user_id,
            to_status=AppealStatus.REGISTERED.value,
            created_at=now,
        )
    )
    await session.flush()
    return appeal
