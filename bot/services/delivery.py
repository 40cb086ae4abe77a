"""Deliver the outbox: in order per chat, paced by the rate limiter, retried with backoff.

Exactly once while nothing crashes: a row is marked sent in its own short transaction right
after Telegram accepted it, so a crash in between repeats at most that one message of a chat.
One worker per database: two would send the same rows.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import random
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from pydantic import ValidationError
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.ratelimit import RateLimiter, Ticket
from models import OutboxMessage, OutboxState, User, utcnow

log = logging.getLogger(__name__)

# Called once per block, in the transaction that marks the row failed, while the worker holds
# its writers' lock: it should only write (queue a note), not call Telegram.
OnBlocked = Callable[[AsyncSession, OutboxMessage], Awaitable[None]]
# Returns the thread to post into instead (e.g. a recreated forum topic), or None to give up.
OnThreadMissing = Callable[[AsyncSession, OutboxMessage], Awaitable[int | None]]

PENDING = OutboxState.PENDING.value
LAST_ERROR_MAX = 500
# Answers that the same request will get again however often it is repeated.
FINAL_ERRORS: tuple[type[Exception], ...] = (
    TelegramBadRequest,
    TelegramNotFound,
    TelegramEntityTooLarge,
    TelegramMigrateToChat,
)


class Next(Enum):
    """What a chat's lane does after one row."""

    CONTINUE = "continue"  # the chat's next row may go
    HOLD = "hold"  # the chat waits: this row is to be retried, or the chat is gone
    NOTHING_SENT = "nothing sent"  # the row went away meanwhile, or the worker is stopping


class InvalidPayload(Exception):
    """The row's payload cannot become a message; sending it again would not help."""


@dataclass(frozen=True)
class Job:
    """What the worker needs of a row, read once, outside any session."""

    id: int
    chat_id: int
    thread_id: int | None
    payload: dict[str, Any]
    attempts: int

    @classmethod
    def of(cls, row: OutboxMessage) -> Job:
        return cls(
            id=row.id,
            chat_id=row.chat_id,
            thread_id=row.thread_id,
            payload=row.payload,
            attempts=row.attempts,
        )


@dataclass(frozen=True)
class Outgoing:
    text: str
    reply_markup: InlineKeyboardMarkup | None
    document: BufferedInputFile | None

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> Outgoing:
        try:
            return cls(str(payload["text"]), _markup(payload), _document(payload))
        except (KeyError, TypeError, ValueError, ValidationError, binascii.Error) as error:
            raise InvalidPayload(f"unusable payload: {error!r}") from error


def _markup(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    markup = payload.get("reply_markup")
    return None if markup is None else InlineKeyboardMarkup.model_validate(markup)


def _document(payload: dict[str, Any]) -> BufferedInputFile | None:
    document = payload.get("document")
    if document is None:
        return None
    data = base64.b64decode(document["data_b64"], validate=True)
    return BufferedInputFile(data, filename=str(document["name"]))


def is_thread_missing(error: Exception) -> bool:
    if not isinstance(error, TelegramBadRequest):
        return False
    text = error.message.lower()
    return "thread not found" in text or "topic_deleted" in text


def describe(error: Exception) -> str:
    if isinstance(error, TelegramRetryAfter):
        return f"429: retry after {error.retry_after} s"
    return f"{type(error).__name__}: {error}"[:LAST_ERROR_MAX]


class DeliveryWorker:
    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        limiter: RateLimiter,
        clock: Callable[[], datetime] = utcnow,
        max_attempts: int = 8,
        base_backoff: float = 2.0,
        max_backoff: float = 300.0,
        poll_interval: float = 1.0,
        concurrency: int = 20,
        max_chats: int = 100,
        on_blocked: OnBlocked | None = None,
        on_thread_missing: OnThreadMissing | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._bot = bot
        self._sessionmaker = sessionmaker
        self._limiter = limiter
        self._clock = clock
        self._max_attempts = max_attempts
        self._base_backoff = base_backoff
        self._max_backoff = max_backoff
        self._poll_interval = poll_interval
        self._max_chats = max_chats
        # Bounds sends on the wire, not chats: a chat waiting out its own limit (1/s) must
        # not keep a slot from the others, or 20 chats would cap the bot at 20 messages/s.
        self._sending = asyncio.Semaphore(concurrency)
        self._on_blocked = on_blocked
        self._on_thread_missing = on_thread_missing
        self._jitter = jitter
        # SQLite has one writer: lanes queueing here beats them sleeping in its busy handler.
        self._writing = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        # One lane per chat at a time is what keeps a chat's messages in order.
        self._lanes: dict[int, asyncio.Task[int]] = {}
        self._in_flight: set[asyncio.Task[Next]] = set()
        # Chats without a users row whose 403 was reported already (this process only).
        self._reported_blocked: set[int] = set()

    # ---- running --------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("the delivery worker is already running")
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name="outbox-delivery")

    async def stop(self) -> None:
        """Stop taking rows; sends already on the wire finish and are recorded."""
        self._stopping = True
        tasks = [task for task in (self._task, *self._lanes.values()) if task is not None]
        self._task = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*self._in_flight, return_exceptions=True)

    def wake(self) -> None:
        """Look at the outbox now instead of at the end of the poll interval."""
        self._wake.set()

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self._open_lanes()
            except Exception:
                log.exception("looking for due outbox rows failed")
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_interval)

    async def run_once(self) -> int:
        """Send everything due now and wait for it: the number of rows tried."""
        handled = 0
        lanes = await self._open_lanes()
        while lanes:
            done, lanes = await asyncio.wait(lanes, return_when=asyncio.FIRST_COMPLETED)
            handled += sum(lane.result() for lane in done)
            lanes |= await self._open_lanes()
        return handled

    async def _open_lanes(self) -> set[asyncio.Task[int]]:
        """A lane for each chat with a row due (oldest first), as many as may run at once."""
        free = self._max_chats - len(self._lanes)
        if free <= 0 or self._stopping:
            return set()
        chats = await self._due_chats(self._clock(), busy=set(self._lanes), limit=free)
        return {self._open_lane(chat_id) for chat_id in chats}

    def _open_lane(self, chat_id: int) -> asyncio.Task[int]:
        lane = asyncio.create_task(self._drain_chat(chat_id), name=f"outbox-chat-{chat_id}")
        self._lanes[chat_id] = lane

        def closed(_: asyncio.Task[int]) -> None:
            if self._lanes.get(chat_id) is lane:
                del self._lanes[chat_id]
            if lane.cancelled():
                return
            if lane.exception() is not None:
                log.error("outbox lane of chat %s failed", chat_id, exc_info=lane.exception())
            elif lane.result():
                # A lane is free for chats that did not fit before.
                self.wake()

        lane.add_done_callback(closed)
        return lane

    async def _due_chats(self, now: datetime, *, busy: set[int], limit: int) -> list[int]:
        pending = OutboxMessage.state == PENDING
        # A row waiting to be retried holds back everything its chat has queued after it.
        held_back = select(OutboxMessage.chat_id).where(
            pending, OutboxMessage.last_error.is_not(None), OutboxMessage.due_at > now
        )
        query = (
            select(OutboxMessage.chat_id)
            .where(
                pending,
                OutboxMessage.due_at <= now,
                OutboxMessage.chat_id.not_in(held_back),
                OutboxMessage.chat_id.not_in(busy),
            )
            .group_by(OutboxMessage.chat_id)
            .order_by(func.min(OutboxMessage.due_at))
            .limit(limit)
        )
        async with self._sessionmaker() as session:
            return list(await session.scalars(query))

    async def _next_job(self, chat_id: int) -> Job | None:
        """The chat's first row in delivery order, when it is due: a retried row, else the
        row due first."""
        now = self._clock()
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.state == PENDING,
                or_(OutboxMessage.last_error.is_not(None), OutboxMessage.due_at <= now),
            )
            .order_by(OutboxMessage.last_error.is_(None), OutboxMessage.due_at, OutboxMessage.id)
            .limit(1)
        )
        async with self._sessionmaker() as session:
            row = await session.scalar(query)
            return Job.of(row) if row is not None and row.due_at <= now else None

    async def _drain_chat(self, chat_id: int) -> int:
        handled = 0
        job = await self._next_job(chat_id)
        while job is not None and not self._stopping:
            ticket = await self._limiter.acquire(chat_id)
            outcome = await self._shielded(self._deliver(job, ticket))
            if outcome is Next.NOTHING_SENT:
                break
            handled += 1
            if outcome is Next.HOLD:
                break
            job = await self._next_job(chat_id)
        return handled

    async def _shielded(self, delivery: Awaitable[Next]) -> Next:
        # stop() cancels the lanes; a send under way must still finish and be recorded, and
        # the limiter's ticket be given back.
        task = asyncio.ensure_future(delivery)
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return await asyncio.shield(task)

    # ---- one row --------------------------------------------------------------------------

    async def _deliver(self, job: Job, ticket: Ticket) -> Next:
        """Send the chat's head row and record what happened."""
        try:
            async with self._sending:
                if ticket.waited:
                    # Read the head again: while we waited it may have been cancelled or moved.
                    head = await self._next_job(job.chat_id)
                    if head is None:
                        return Next.NOTHING_SENT
                    job = head
                if self._stopping:
                    return Next.NOTHING_SENT
                error = await self._attempt(job)
        finally:
            self._limiter.release(ticket)
        if error is None:
            await self._mark_sent(job)
            return Next.CONTINUE
        return await self._record_error(job, error)

    async def _attempt(self, job: Job) -> Exception | None:
        try:
            await self._send(job.chat_id, job.thread_id, Outgoing.parse(job.payload))
        except Exception as error:
            return error
        return None

    async def _send(self, chat_id: int, thread_id: int | None, message: Outgoing) -> None:
        if message.document is None:
            await self._bot.send_message(
                chat_id,
                message.text,
                message_thread_id=thread_id,
                reply_markup=message.reply_markup,
            )
        else:
            await self._bot.send_document(
                chat_id,
                message.document,
                caption=message.text or None,
                message_thread_id=thread_id,
                reply_markup=message.reply_markup,
            )

    async def _record_error(self, job: Job, error: Exception) -> Next:
        if isinstance(error, TelegramRetryAfter):
            await self._put_off(job, error)
        elif isinstance(error, TelegramForbiddenError):
            await self._chat_blocked(job, error)
        elif is_thread_missing(error) and self._on_thread_missing is not None:
            try:
                await self._thread_missing(job, error)
            except Exception:
                log.exception("replacing the missing thread of chat %s failed", job.chat_id)
                await self._retry_later(job, error)
        elif isinstance(error, (*FINAL_ERRORS, InvalidPayload)):
            log.warning("outbox row %s to chat %s failed: %s", job.id, job.chat_id, error)
            await self._mark_failed(job, error)
            return Next.CONTINUE
        else:
            await self._retry_later(job, error)
        return Next.HOLD

    # ---- recording outcomes, each in its own short transaction ----------------------------

    async def _update_row(self, row_id: int, **values: Any) -> None:
        async with self._writing, self._sessionmaker.begin() as session:
            await session.execute(
                update(OutboxMessage)
                # A row cancelled meanwhile stays cancelled.
                .where(OutboxMessage.id == row_id, OutboxMessage.state == PENDING)
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    async def _mark_sent(self, job: Job) -> None:
        await self._update_row(
            job.id,
            state=OutboxState.SENT.value,
            sent_at=self._clock(),
            attempts=job.attempts + 1,
        )

    async def _mark_failed(self, job: Job, error: Exception) -> None:
        await self._update_row(
            job.id,
            state=OutboxState.FAILED.value,
            attempts=job.attempts + 1,
            last_error=describe(error),
        )

    async def _put_off(self, job: Job, error: TelegramRetryAfter) -> None:
        """A 429 is Telegram's pace, not the row's fault: no attempt is counted."""
        bot_wide = self._limiter.retry_after(job.chat_id, error.retry_after)
        log.info(
            "429 for chat %s, retry after %s s%s",
            job.chat_id,
            error.retry_after,
            " (pausing every chat)" if bot_wide else "",
        )
        await self._update_row(
            job.id,
            due_at=self._clock() + timedelta(seconds=error.retry_after),
            last_error=describe(error),
        )

    async def _retry_later(self, job: Job, error: Exception) -> None:
        attempts = job.attempts + 1
        if attempts >= self._max_attempts:
            log.warning("outbox row %s gave up after %s attempts: %s", job.id, attempts, error)
            await self._mark_failed(job, error)
            return
        await self._update_row(
            job.id,
            attempts=attempts,
            due_at=self._clock() + timedelta(seconds=self.backoff(attempts)),
            last_error=describe(error),
        )

    def backoff(self, attempts: int) -> float:
        """Seconds before try ``attempts + 1``: doubling, capped, the upper half jittered."""
        ceiling = min(self._max_backoff, self._base_backoff * 2 ** (attempts - 1))
        return ceiling / 2 + ceiling / 2 * self._jitter()

    async def _chat_blocked(self, job: Job, error: Exception) -> None:
        try:
            await self._mark_blocked(job, error, report=True)
        except Exception:
            # The block itself must stick even when the report cannot be made.
            log.exception("reporting the blocked chat %s failed", job.chat_id)
            await self._mark_blocked(job, error, report=False)

    async def _mark_blocked(self, job: Job, error: Exception, *, report: bool) -> None:
        """403 is final for the chat: fail this row, drop its other rows, mark the user."""
        async with self._sessionmaker() as session:
            row = await session.get(OutboxMessage, job.id)
            if row is None or row.state != PENDING:
                return
            user = await session.get(User, job.chat_id)
            first_time = self._first_block(job.chat_id, user)
            async with self._writing:
                # Inside the writers' lock: the hook writes (e.g. queues a note for staff), and a
                # second writer between its write and ours would wait on SQLite's lock forever.
                if report and first_time and self._on_blocked is not None:
                    await self._on_blocked(session, row)
                if user is not None:
                    user.blocked = True
                row.state = OutboxState.FAILED.value
                row.attempts = job.attempts + 1
                row.last_error = describe(error)
                await self._cancel_rest(session, job)
                await session.commit()
        log.info("chat %s blocked the bot; its queued messages are cancelled", job.chat_id)

    def _first_block(self, chat_id: int, user: User | None) -> bool:
        """True when the block is news: the user was not marked blocked before."""
        if user is not None:
            return not user.blocked
        first_time = chat_id not in self._reported_blocked
        self._reported_blocked.add(chat_id)
        return first_time

    async def _cancel_rest(self, session: AsyncSession, job: Job) -> None:
        await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.chat_id == job.chat_id,
                OutboxMessage.state == PENDING,
                OutboxMessage.id != job.id,
            )
            .values(
                state=OutboxState.CANCELLED.value,
                last_error=f"chat blocked the bot (row {job.id})",
            )
        )

    async def _thread_missing(self, job: Job, error: Exception) -> None:
        """Ask the hook for a thread to use instead; the chat's rows for the old one follow.

        Counted as an attempt, so a hook that keeps answering a dead thread cannot loop.
        """
        assert self._on_thread_missing is not None
        async with self._sessionmaker() as session:
            row = await session.get(OutboxMessage, job.id)
            if row is None or row.state != PENDING:
                return
            # Outside the write lock: the hook may well call Telegram (create a topic).
            new_thread = await self._on_thread_missing(session, row)
            async with self._writing:
                row.attempts = job.attempts + 1
                row.last_error = describe(error)
                if new_thread in (None, job.thread_id) or row.attempts >= self._max_attempts:
                    row.state = OutboxState.FAILED.value
                else:
                    await self._move_thread(session, job, new_thread)
                await session.commit()
        # Due already: the next round sends it into the new thread.
        self.wake()

    async def _move_thread(self, session: AsyncSession, job: Job, thread_id: int | None) -> None:
        await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.chat_id == job.chat_id,
                OutboxMessage.thread_id == job.thread_id,
                OutboxMessage.state == PENDING,
            )
            .values(thread_id=thread_id)
        )

    # ---- staff ----------------------------------------------------------------------------

    async def retry(self, session: AsyncSession, row_id: int) -> bool:
        """Queue a failed row again from scratch, in the caller's transaction.

        False when there is no such failed row. Call ``wake()`` after the commit to send it
        at once.
        """
        row = await session.get(OutboxMessage, row_id)
        if row is None or row.state != OutboxState.FAILED.value:
            return False
        row.state = PENDING
        row.attempts = 0
        row.last_error = None
        row.due_at = self._clock()
        return True
