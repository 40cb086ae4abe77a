"""What /failed shows and retries: messages the sender gave up on, updates the unit of work
parked, and pushes cancelled as out of date (the delivery machinery's rows, read for staff)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.telegram.sender import STALE
from models import Appeal, InboxState, InboxUpdate, OutboxMessage, OutboxState

SHOWN = 20
STALE_SHOWN_DAYS = 7  # pushes cancelled as out of date: the last week's


@dataclass(frozen=True)
class FailedMessage:
    row: OutboxMessage
    # The appeal's number, when the row was about one.
    number: str | None


@dataclass(frozen=True)
class Failures:
    messages: list[FailedMessage]
    updates: list[InboxUpdate]
    stale: list[FailedMessage]

    def __bool__(self) -> bool:
        return bool(self.messages or self.updates or self.stale)


def stale_reason(row: OutboxMessage) -> str | None:
    """The status that made a push out of date; None when it was its time."""
    reason = row.last_error or ""
    if reason == f"{STALE}: time":
        return None
    return reason.removeprefix(f"{STALE}: status ").strip()


async def _messages(session: AsyncSession, *conditions: ColumnElement[bool]) -> list[FailedMessage]:
    rows = await session.execute(
        select(OutboxMessage, Appeal.number)
        .outerjoin(Appeal, Appeal.id == OutboxMessage.appeal_id)
        .where(*conditions)
        .order_by(OutboxMessage.id.desc())
        .limit(SHOWN)
    )
    return [FailedMessage(row, number) for row, number in rows.all()]


async def failures(session: AsyncSession, now: datetime) -> Failures:
    """The latest of each kind, newest first."""
    messages = await _messages(session, OutboxMessage.state == OutboxState.FAILED.value)
    updates = await session.scalars(
        select(InboxUpdate)
        .where(InboxUpdate.state == InboxState.FAILED.value)
        .order_by(InboxUpdate.update_id.desc())
        .limit(SHOWN)
    )
    stale = await _messages(
        session,
        OutboxMessage.state == OutboxState.CANCELLED.value,
        OutboxMessage.last_error.startswith(STALE),
        OutboxMessage.due_at >= now - timedelta(days=STALE_SHOWN_DAYS),
    )
    return Failures(messages=messages, updates=list(updates.all()), stale=stale)


async def retry_update(session: AsyncSession, update_id: int) -> bool:
    """A parked update back to pending from scratch (the inbox's sweep hands it to its lane);
    False if there is no such parked update."""
    changed = await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == update_id, InboxUpdate.state == InboxState.FAILED.value)
        .values(state=InboxState.PENDING.value, attempts=0, next_try_at=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return bool(changed.rowcount)  # type: ignore[attr-defined]
