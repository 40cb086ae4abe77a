"""One unit of work per update: the one place that opens and commits an update's transaction.

For the oldest pending update of a lane (one person), in one transaction:
  lock the lane (PostgreSQL: an advisory lock, so instances take turns; SQLite has one
  connection, which already serialises) -> handle the update through the dispatcher inside a
  SAVEPOINT (FSM, rows and the calls handlers make, which capture.py queues in the outbox)
  -> mark the update handled -> commit. Callback answers are made after the commit.

A change made from a stale read (Appeal.version) or a serialisation conflict is redone from
the start, so the one who lost a race gets the answer that the winner's change calls for.
Any other error rolls the handling back; the update is tried again a bounded number of
times, then parked as failed with its error (staff see it in /failed) and the person is told.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from bot.storage import forget_records, update_session
from bot.telegram.bell import OutboxBell
from bot.telegram.capture import Scope, unit_of_work
from models import InboxState, InboxUpdate, utcnow
from models.db import dialect_of

log = logging.getLogger(__name__)

PENDING = InboxState.PENDING.value
LANE_LOCKS = 0x0ADA1  # advisory lock namespace of the lanes
CONFLICT_RETRIES = 5
ERROR_MAX = 500
# SQLSTATEs PostgreSQL answers when a transaction lost a race: redo it.
CONFLICT_STATES = frozenset({"40001", "40P01", "23505"})


@dataclass(frozen=True)
class Head:
    """The update being handled, as plain data (never an ORM object: see _attempt)."""

    update_id: int
    lane: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    received_at: datetime
    flood_key: str | None


# Queues what the person should be told when their update failed for good.
OnFailure = Callable[[AsyncSession, Head, Update | None, Scope], Awaitable[None]]


def sqlstate(error: BaseException) -> str | None:
    current: BaseException | None = error
    while current is not None:
        code = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(code, str):
            return code
        current = getattr(current, "orig", None) or current.__cause__
    return None


def is_conflict(error: BaseException) -> bool:
    if isinstance(error, StaleDataError | IntegrityError):
        return True
    return isinstance(error, DBAPIError) and sqlstate(error) in CONFLICT_STATES


def describe(error: BaseException) -> str:
    # Exception texts from the database carry no parameters (hide_parameters), so no
    # personal data; the first line is enough for staff.
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first}"[:ERROR_MAX]


class UnitOfWork:
    def __init__(
        self,
        *,
        dispatcher: Dispatcher,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        bell: OutboxBell,
        clock: Callable[[], datetime] = utcnow,
        max_attempts: int = 3,
        retry_delays: tuple[float, ...] = (0.5, 2.0, 5.0),
        on_failure: OnFailure | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.bell = bell
        self.clock = clock
        self.max_attempts = max_attempts
        self.retry_delays = retry_delays
        self.on_failure = on_failure

    async def handle_next(self, lane: int) -> bool | datetime:
        """Handle the lane's oldest pending update: True if one was handled; False if none;
        the time it waits for when it is to be tried again later."""
        after_commit: list[TelegramMethod[Any]] = []
        async with self.sessionmaker() as session:
            if dialect_of(session) == "postgresql":
                await session.execute(select(func.pg_advisory_xact_lock(LANE_LOCKS, _key(lane))))
            head = await self._head(session, lane)
            if head is None:
                await session.rollback()
                return False
            waits_until = await self._waits_until(session, head)
            if waits_until is not None:
                await session.rollback()
                return waits_until
            after_commit = await self._handle(session, head)
            await self.bell.commit(session)
        await self._answer(after_commit)
        return True

    async def _head(self, session: AsyncSession, lane: int) -> Head | None:
        row = (
            await session.execute(
                select(
                    InboxUpdate.update_id,
                    InboxUpdate.lane,
                    InboxUpdate.kind,
                    InboxUpdate.payload,
                    InboxUpdate.attempts,
                    InboxUpdate.received_at,
                    InboxUpdate.flood_key,
                )
                .where(InboxUpdate.lane == lane, InboxUpdate.state == PENDING)
                .order_by(InboxUpdate.update_id)
                .limit(1)
            )
        ).first()
        return Head(*row) if row is not None else None

    async def _waits_until(self, session: AsyncSession, head: Head) -> datetime | None:
        if head.attempts == 0:
            return None
        next_try = await session.scalar(
            select(InboxUpdate.next_try_at).where(InboxUpdate.update_id == head.update_id)
        )
        return next_try if next_try is not None and next_try > utcnow() else None

    async def _handle(self, session: AsyncSession, head: Head) -> list[TelegramMethod[Any]]:
        """Handle the update and record the outcome, in the session's transaction."""
        try:
            event: Update | None = Update.model_validate(head.payload, context={"bot": self.bot})
        except ValidationError as error:
            # Not an update aiogram can read; trying again would not help. Logged without
            # its content: it may carry anyone's personal data.
            log.error(
                "update %s (%s) is unreadable: %d problem(s)",
                head.update_id,
                head.kind,
                error.error_count(),
            )
            return await self._failed(session, head, None, error, final=True)
        assert event is not None
        if not _known_kind(event):
            # aiogram would log such an update whole (a warning with its JSON): only its kind
            # and whose it is, never its content.
            log.info(
                "update %s is of a kind this bot does not know (%s, from %s): skipped",
                head.update_id,
                head.kind,
                head.lane,
            )
            await self._mark(session, head, state=InboxState.DONE.value, handled_at=utcnow())
            return []
        outcome = await self._attempt(session, head, event)
        if isinstance(outcome, Scope):
            await self._mark(session, head, state=InboxState.DONE.value, handled_at=utcnow())
            return outcome.after_commit
        return await self._failed(session, head, event, outcome, final=False)

    async def _attempt(
        self, session: AsyncSession, head: Head, event: Update
    ) -> Scope | BaseException:
        """Run the handlers in a SAVEPOINT: their changes, or none of them."""
        for _ in range(CONFLICT_RETRIES):
            scope = Scope(session=session, now=self.clock())
            token = update_session.set(session)
            try:
                async with session.begin_nested():
                    with unit_of_work(scope):
                        await self.dispatcher.feed_update(
                            self.bot, event, session=session, inbox=head
                        )
                return scope
            except Exception as error:
                # What was read before is stale now; objects must be read again.
                session.expunge_all()
                forget_records(session)
                if not is_conflict(error):
                    return error
                log.info(
                    "update %s lost a race (%s); handling it again",
                    head.update_id,
                    type(error).__name__,
                )
            finally:
                update_session.reset(token)
        return RuntimeError(f"still conflicting after {CONFLICT_RETRIES} tries")

    async def _failed(
        self,
        session: AsyncSession,
        head: Head,
        event: Update | None,
        error: BaseException,
        *,
        final: bool,
    ) -> list[TelegramMethod[Any]]:
        attempts = head.attempts + 1
        give_up = final or attempts >= self.max_attempts
        log.error(
            "update %s failed (attempt %d of %d%s): %s",
            head.update_id,
            attempts,
            self.max_attempts,
            ", parked as failed" if give_up else "",
            describe(error),
            exc_info=error if not isinstance(error, ValidationError) else None,
        )
        if not give_up:
            delay = self.retry_delays[min(attempts, len(self.retry_delays)) - 1]
            await self._mark(
                session,
                head,
                attempts=attempts,
                last_error=describe(error),
                next_try_at=utcnow() + timedelta(seconds=delay),
            )
            return []
        await self._mark(
            session,
            head,
            state=InboxState.FAILED.value,
            attempts=attempts,
            last_error=describe(error),
            handled_at=utcnow(),
        )
        scope = Scope(session=session, now=self.clock())
        if self.on_failure is not None:
            try:
                async with session.begin_nested():
                    with unit_of_work(scope):
                        await self.on_failure(session, head, event, scope)
            except Exception:
                log.exception("telling the sender of update %s failed", head.update_id)
        return scope.after_commit

    async def _mark(self, session: AsyncSession, head: Head, **values: Any) -> None:
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id == head.update_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def _answer(self, calls: list[TelegramMethod[Any]]) -> None:
        """Callback answers, right after the commit. Best effort: a press answered late
        (after a restart) is refused by Telegram as too old, and that is fine."""
        for call in calls:
            with suppress(Exception):
                if isinstance(call, AnswerCallbackQuery):
                    await self.bot(call)


def _known_kind(event: Update) -> bool:
    try:
        event.event_type  # noqa: B018 (the property raises for a kind aiogram does not know)
    except UpdateTypeLookupError:
        return False
    return True


def _key(lane: int) -> int:
    """A lane as the int4 of a two-key advisory lock (lanes sharing a key only take turns)."""
    return lane % 2_147_483_647
