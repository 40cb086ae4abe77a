"""The appeal lifecycle (DESIGN.md): allowed transitions and the event each one writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import OPEN_STATUSES, ActorKind, Appeal, AppealEvent, AppealStatus, EventKind

S = AppealStatus
TRANSITIONS: dict[AppealStatus, frozenset[AppealStatus]] = {
    S.REGISTERED: frozenset({S.IN_REVIEW, S.REDIRECTED, S.NOT_CONSIDERED, S.WITHDRAWN}),
    S.IN_REVIEW: frozenset(
        {S.NEEDS_INFO, S.HEARING_SCHEDULED, S.ANSWERED, S.REDIRECTED, S.WITHDRAWN}
    ),
    S.NEEDS_INFO: frozenset({S.IN_REVIEW, S.NOT_CONSIDERED, S.WITHDRAWN}),
    S.HEARING_SCHEDULED: frozenset({S.IN_REVIEW, S.ANSWERED, S.HEARING_SCHEDULED, S.WITHDRAWN}),
    S.ANSWERED: frozenset({S.CLOSED, S.IN_REVIEW}),
    S.REDIRECTED: frozenset(),
    S.NOT_CONSIDERED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.CLOSED: frozenset(),
}


class TransitionRefused(Exception):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"{current} -> {target} is not allowed")
        self.current = current
        self.target = target


def allowed(current: str, target: str) -> bool:
    return AppealStatus(target) in TRANSITIONS[AppealStatus(current)]


def is_open(appeal: Appeal) -> bool:
    return appeal.status in OPEN_STATUSES


def is_overdue(appeal: Appeal, now: datetime) -> bool:
    """Computed, never stored: past due and the office has not answered yet."""
    return is_open(appeal) and now > appeal.due_at


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
    if not allowed(appeal.status, target):
        raise TransitionRefused(appeal.status, target)
    event = AppealEvent(
        appeal_id=appeal.id,
        kind=EventKind.STATUS.value,
        actor_kind=actor_kind.value,
        actor_id=actor_id,
        actor_name=actor_name,
        from_status=appeal.status,
        to_status=target.value,
        note=note,
        created_at=now,
    )
    appeal.status = target.value
    appeal.updated_at = now
    session.add(event)
    await session.flush()
    return event
