"""What an owner sees and does with their own appeals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import workflow
from bot.domain.hearings import current_hearing
from models import (
    ActorKind,
    Appeal,
    AppealEvent,
    AppealStatus,
    Attachment,
    EventKind,
    Hearing,
)

PAGE_SIZE = 5


@dataclass
class Page:
    appeals: list[Appeal]
    page: int
    pages: int


@dataclass
class CardData:
    appeal: Appeal
    events: list[AppealEvent]
    attachments: int
    hearing: Hearing | None


def can_add(appeal: Appeal) -> bool:
    """Information can be added until the appeal reaches a final status."""
    return bool(workflow.TRANSITIONS[AppealStatus(appeal.status)])


async def owner_page(session: AsyncSession, user_id: int, page: int) -> Page:
    total = await session.scalar(
        select(func.count()).select_from(Appeal).where(Appeal.user_id == user_id)
    )
    pages = max(1, -(-(total or 0) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = await session.scalars(
        select(Appeal)
        .where(Appeal.user_id == user_id)
        .order_by(Appeal.created_at.desc(), Appeal.id.desc())
        .limit(PAGE_SIZE)
        .offset(page * PAGE_SIZE)
    )
    return Page(list(rows), page, pages)


async def get_appeal(session: AsyncSession, appeal_id: int) -> Appeal | None:
    return await session.get(Appeal, appeal_id)


async def owner_appeal(session: AsyncSession, user_id: int, appeal_id: int) -> Appeal | None:
    """The appeal only if it belongs to this owner: anyone else's id is 'not found'."""
    appeal = await session.get(Appeal, appeal_id)
    return appeal if appeal is not None and appeal.user_id == user_id else None


async def card_data(session: AsyncSession, appeal: Appeal) -> CardData:
    events = await session.scalars(
        select(AppealEvent)
        .where(AppealEvent.appeal_id == appeal.id, AppealEvent.kind == EventKind.STATUS.value)
        .order_by(AppealEvent.id)
    )
    attachments = await session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.appeal_id == appeal.id)
    )
    hearing = await current_hearing(session, appeal.id)
    return CardData(appeal, list(events), attachments or 0, hearing)


async def add_information(
    session: AsyncSession,
    appeal: Appeal,
    user_id: int,
    *,
    now: datetime,
    text: str | None = None,
    file: dict[str, Any] | None = None,
) -> AppealEvent:
    event = workflow.record_event(
        session,
        appeal,
        EventKind.INFO_ADDED,
        actor_kind=ActorKind.OWNER,
        actor_id=user_id,
        note=text,
        now=now,
    )
    await session.flush()
    if file is not None:
        position = await session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.appeal_id == appeal.id)
        )
        session.add(Attachment(appeal_id=appeal.id, event_id=event.id, position=position, **file))
    appeal.updated_at = now
    await session.flush()
    return event


async def withdraw(session: AsyncSession, appeal: Appeal, user_id: int, now: datetime) -> bool:
    if not workflow.allowed(appeal.status, AppealStatus.WITHDRAWN):
        return False
    await workflow.transition(
        session,
        appeal,
        AppealStatus.WITHDRAWN,
        actor_kind=ActorKind.OWNER,
        actor_id=user_id,
        now=now,
    )
    return True
