"""One unit of work per update: the one place that opens and commits an update's transaction.

For the oldest pending update of a lane (one person), in one transaction:
  lock the lane (PostgreSQL: an advisory lock, so instances take turns; SQLite has one
  writer, which already serialises) -> handle the update through the dispatcher (FSM, rows and
  the calls handlers make, which capture.py queues in the outbox) -> mark the update handled
  -> commit. Callback answers are made after the commit.

A change made from a stale read (Appeal.version) or a serialisation conflict is rolled back
and redone from the start in a new transaction, so the one who lost a race gets the answer
that the winner's change calls for. Any other error rolls the whole transaction back; the
failed attempt is counted in a transaction of its own, the update is tried again a bounded
number of times, then parked as failed with its error (staff see it in /failed) and the
person is told.
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
from sqlalchemy import Integer, bindparam, func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from bot.storage import forget_records, update_session
from bot.telegram.bell import OutboxBell
from bot.telegram.capture import Scope, unit_of_work
from bot.telegram.inbox import Lane
from models import InboxState, InboxUpdate, table_of, utcnow
from models.db import dialect_of

log = logging.getLogger(__name__)

PENDING = InboxState.PENDING.value
LANE_LOCKS = 0x0ADA1  # advisory lock namespace of the lanes
CONFLICT_RETRIES = 5
ERROR_MAX = 500
# SQLSTATEs PostgreSQL answers when a transaction lost a race: redo it.
CONFLICT_STATES = frozenset({"40001", "40P01", "23505"})


INBOX = table_of(InboxUpdate)
# The statements of every update, built once (building and hashing a statement costs more
# than SQLite running it).
HEAD = (
    select(
        INBOX.c.update_id,
        INBOX.c.lane,
        INBOX.c.kind,
        INBOX.c.payload,
        INBOX.c.attempts,
        INBOX.c.received_at,
        INBOX.c.flood_key,
    )
    .where(INBOX.c.lane == bindparam("lane"), INBOX.c.state == PENDING)
    .order_by(INBOX.c.update_id)
    .limit(2)
)
MARK_DONE = (
    update(INBOX)
    .where(INBOX.c.update_id == bindparam("update"))
    .values(state=InboxState.DONE.value, handled_at=bindparam("handled"))
)
LOCK_LANE = select(func.pg_advisory_xact_lock(LANE_LOCKS, bindparam("key", type_=Integer)))


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

    async def handle_next(self, lane: int) -> Lane | datetime:
        """Handle the lane's oldest pending update; or the time it waits for when it is to be
        tried again later. The head is read with the one after it, so that a drained lane
        needs no further transaction to learn it is empty.

        The handlers run in the transaction itself (no SAVEPOINT: two statements less per
        update). When they fail, the transaction is rolled back whole and the failure is
        recorded in a new one; when they lost a race, the update is handled again from the
        start, in a new transaction."""
        failed: BaseException | None
        for attempt in range(1, CONFLICT_RETRIES + 1):
            async with self.sessionmaker() as session:
                head, more = await self._lock_head(session, lane)
                if head is None:
                    await session.rollback()
                    return Lane.EMPTY
                waits_until = await self._waits_until(session, head)
                if waits_until is not None:
                    await session.rollback()
                    return waits_until
                event = self._read(head)
                if isinstance(event, ValidationError) or not _known_kind(event):
                    after_commit = await self._unhandled(session, head, event)
                    await self.bell.commit(session)
                    await self._answer(after_commit)
                    return Lane.MORE if more else Lane.HANDLED
                try:
                    scope = await self._run_handlers(session, head, event)
                    await session.execute(
                        MARK_DONE, {"update": head.update_id, "handled": utcnow()}
                    )
                    await self.bell.commit(session)
                except Exception as error:
                    await session.rollback()
                    forget_records(session)
                    if is_conflict(error) and attempt < CONFLICT_RETRIES:
                        log.info(
                            "update %s lost a race (%s); handling it again",
                            head.update_id,
                            type(error).__name__,
                        )
                        continue
                    if is_conflict(error):
                        error = RuntimeError(f"still conflicting after {CONFLICT_RETRIES} tries")
                    failed = error
                else:
                    failed = None
            if failed is not None:
                # Recorded once this session is closed, in a transaction of its own.
                await self._record_failure(lane, head, event, failed)
                # Looked at again: the update waits for its next try, or it was parked.
                return Lane.MORE
            await self._answer(scope.after_commit)
            return Lane.MORE if more else Lane.HANDLED
        raise AssertionError("unreachable: the last attempt returns")

    async def _lock_head(self, session: AsyncSession, lane: int) -> tuple[Head | None, bool]:
        if dialect_of(session) == "postgresql":
            await session.execute(LOCK_LANE, {"key": _key(lane)})
        return await self._head(session, lane)

    async def _record_failure(
        self, lane: int, head: Head, event: Update, error: BaseException
    ) -> None:
        """Count the failed attempt (or park the update) in a transaction of its own, unless
        the update was handled meanwhile (another instance took the lane after the rollback)."""
        async with self.sessionmaker() as session:
            current, _ = await self._lock_head(session, lane)
            if current is None or current.update_id != head.update_id:
                await session.rollback()
                return
            after_commit = await self._failed(session, current, event, error, final=False)
            await self.bell.commit(session)
        await self._answer(after_commit)

    async def _head(self, session: AsyncSession, lane: int) -> tuple[Head | None, bool]:
        """The lane's oldest pending update, and whether another one is pending after it."""
        rows = (await session.execute(HEAD, {"lane": lane})).all()
        return (Head(*rows[0]) if rows else None), len(rows) > 1

    async def _waits_until(self, session: AsyncSession, head: Head) -> datetime | None:
        if head.attempts == 0:
            return None
        next_try = await session.scalar(
            select(InboxUpdate.next_try_at).where(InboxUpdate.update_id == head.update_id)
        )
        return next_try if next_try is not None and next_try > utcnow() else None

    def _read(self, head: Head) -> Update | ValidationError:
        try:
            return Update.model_validate(head.payload, context={"bot": self.bot})
        except ValidationError as error:
            # Not an update aiogram can read; trying again would not help. Logged without
            # its content: it may carry anyone's personal data.
            log.error(
                "update %s (%s) is unreadable: %d problem(s)",
                head.update_id,
                head.kind,
                error.error_count(),
            )
            return error

    async def _unhandled(
        self, session: AsyncSession, head: Head, event: Update | ValidationError
    ) -> list[TelegramMethod[Any]]:
        """An update no handler will ever read: unreadable (parked as failed) or of a kind
        this bot does not know (skipped)."""
        if isinstance(event, ValidationError):
            return await self._failed(session, head, None, event, final=True)
        # aiogram would log such an update whole (a warning with its JSON): only its kind and
        # whose it is, never its content.
        log.info(
            "update %s is of a kind this bot does not know (%s, from %s): skipped",
            head.update_id,
            head.kind,
            head.lane,
        )
        await self._mark(session, head, state=InboxState.DONE.value, handled_at=utcnow())
        return []

    async def _run_handlers(self, session: AsyncSession, head: Head, event: Update) -> Scope:
        scope = Scope(session=session, now=self.clock())
        token = update_session.set(session)
        try:
            with unit_of_work(scope):
                await self.dispatcher.feed_update(self.bot, event, session=session, inbox=head)
        finally:
            update_session.reset(token)
        return scope

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
