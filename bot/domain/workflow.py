"""The appeal lifecycle (DESIGN.md): the moves bot/domain/lifecycle.py allows, and the event
each one writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.lifecycle import ANSWER_STATUSES, OPEN_STATUSES, TRANSITIONS, allowed, may
from models import ActorKind, Appeal, AppealEvent, AppealStatus, EventKind

__all__ = [
    "TRANSITIONS",
    "Staff",
    "TransitionRefused",
    "allowed",
    "is_open",
    "is_overdue",
    "record_event",
    "transition",
    "transition_by",
]


@dataclass(frozen=True)
class Staff:
    id: int
    name: str


class TransitionRefused(Exception):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"{current} -> {target} is not allowed")
        self.current = current
        self.target = target


def is_open(appeal: Appeal) -> bool:
    return appeal.status in OPEN_STATUSES


def is_overdue(appeal: Appeal, now: datetime) -> bool:
    """Computed, never stored: past due and the office has not answered yet."""
    return is_open(appeal) and now > appeal.due_at


def record_event(
    session: AsyncSession,
    appeal: Appeal,
    kind: EventKind,
    *,
    actor_kind: ActorKind,
    actor_id: int | None,
    now: datetime,
    actor_name: str | None = None,
    note: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
) -> AppealEvent:
    """One line of the appeal's history (added to the session, not flushed)."""
    event = AppealEvent(
        appeal_id=appeal.id,
        kind=kind.value,
        actor_kind=actor_kind.value,
        actor_id=actor_id,
        actor_name=actor_name,
        from_status=from_status,
        to_status=to_status,
        note=note,
        created_at=now,
    )
    session.add(event)
    return event


async def transition(
    session: AsyncSession,
    appeal: Appeal,
    target: AppealStatus,
    *,
    actor_kind: ActorKind,
    actor_id: int | None,
    now: datetime,
    actor_name: str | None = None,
    note: str | None = None,
) -> AppealEvent:
    """Move the appeal; TransitionRefused if the lifecycle (or who asks) does not allow it."""
    if not may(actor_kind, appeal.status, target):
        raise TransitionRefused(appeal.status, target)
    event = record_event(
        session,
        appeal,
        EventKind.STATUS,
        actor_kind=actor_kind,
        actor_id=actor_id,
        actor_name=actor_name,
        from_status=appeal.status,
        to_status=target.value,
        note=note,
        now=now,
    )
    appeal.status = target.value
    appeal.updated_at = now
    if target in ANSWER_STATUSES and appeal.answered_at is None:
        appeal.answered_at = now
    await session.flush()
    return event


async def transition_by(
    session: AsyncSession,
    appeal: Appeal,
    target: AppealStatus,
    staff: Staff,
    *,
    now: datetime,
    note: str | None = None,
) -> AppealEvent:
    """A staff member moves the appeal."""
    return await transition(
        session,
        appeal,
        target,
        actor_kind=ActorKind.STAFF,
        actor_id=staff.id,
        actor_name=staff.name,
        now=now,
        note=note,
    )
