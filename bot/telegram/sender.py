"""The one path to Telegram: the outbox, sent in order per chat, within Telegram's limits.

Only one instance sends at a time (bot/telegram/cluster.py), so the rate limiter here keeps
Telegram's limits for the bot as a whole. Rows due now are claimed in batches (state
"claimed", this sender's token); a chat's rows go out one after another in (due_at, id)
order; each success is marked in its own short transaction right after Telegram accepted
it, with what it produced (the topic or card it made, the copy of a relayed message).

Exactly once while nothing crashes. A kill while a call is on the wire leaves its row
claimed and unmarked: the next sender sends it again, because a lost notice is worse than
a repeated one and Telegram offers no way to ask whether a message arrived. That window is
one request long per chat.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import cache
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
from aiogram.methods import TelegramMethod
from pydantic import ValidationError
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.outbox import BLOCKED as BLOCKED
from bot.keyboards.callbacks import render_buttons
from bot.telegram import methods
from bot.telegram.bell import OutboxBell, mark_queued
from bot.telegram.capture import sending_directly
from bot.telegram.effects import Claimed, Places, record_success, result_id
from bot.telegram.outbox import PROJECT, TOPIC
from bot.telegram.ratelimit import RateLimiter, Ticket
from bot.telegram.wire import Wire
from models import Appeal, InvestmentProject, OutboxMessage, OutboxState, User, table_of, utcnow
from models.db import dialect_of

log = logging.getLogger(__name__)

PENDING = OutboxState.PENDING.value
CLAIMED = OutboxState.CLAIMED.value
LAST_ERROR_MAX = 500
# last_error of a row cancelled because it went out of date (/failed lists them).
STALE = "out of date"
# Answers that the same request will get again however often it is repeated.
FINAL_ERRORS: tuple[type[Exception], ...] = (
    TelegramBadRequest,
    TelegramNotFound,
    TelegramEntityTooLarge,
    TelegramMigrateToChat,
)
# Calls that need no order with the rest of their chat: a reaction on a message that is there
# already. They go in a lane of their own, so they do not wait behind a message held back by
# the chat's limit (Telegram counts them in neither a chat's limit nor a group's).
UNORDERED_METHODS = frozenset({"setMessageReaction"})
# A chat's lane: (chat id, unordered?).
LaneKey = tuple[int, bool]


def lane_of(job: Job) -> LaneKey:
    return (job.chat_id, job.method in UNORDERED_METHODS)


# How many claim batches may be held in memory, claimed and not yet sent (see Sender._held).
HELD_BATCHES = 2
# Calls that are messages for Telegram's per-chat limits; the rest count in the total only.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendAnimation",
        "sendSticker",
        "sendContact",
        "sendLocation",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)
# Of those, the ones that are a message per item (the album's media, the batch's ids).
PER_ITEM_METHODS = frozenset({"sendMediaGroup", "copyMessages", "forwardMessages"})


def messages_of(method: str, params: dict[str, Any] | None) -> int:
    """How many messages a call makes for Telegram's limits: an album or a batch copy is one
    per item (so the emulator counts them too); an edit, a reaction or a topic change none."""
    if method not in MESSAGE_METHODS:
        return 0
    if method in PER_ITEM_METHODS:
        items = (params or {}).get("media" if method == "sendMediaGroup" else "message_ids")
        if isinstance(items, list) and items:
            return len(items)
    return 1


# Telegram's longest window (20 a minute per group), and a little more.
RECENT_SENDS = timedelta(seconds=61)
# A call a killed sender had on the wire reaches Telegram at some moment we cannot know,
# possibly a little after this sender took over (its request was still being read): it is
# counted as sent this much after the takeover. Holding one slot a few seconds longer costs
# little; counting it too early let a group go over its limit in a crash test (one message,
# 0.4 s early).
ORPHAN_GRACE_S = 5.0
EDITS = frozenset({"editMessageText", "editMessageReplyMarkup", "editMessageCaption"})
TOPIC_CALLS = frozenset({"editForumTopic", "closeForumTopic", "reopenForumTopic"})

# Called once per block, in the transaction that marks the row failed.
OnBlocked = Callable[[AsyncSession, "Job"], Awaitable[None]]
# Makes a new topic (and card) for the job's appeal with `send`; returns the new thread id.
Send = Callable[[TelegramMethod[Any]], Awaitable[Any]]
OnThreadMissing = Callable[["Job", Send], Awaitable[int | None]]
# The same for an investment project's topic: given the project's id.
OnProjectThreadMissing = Callable[[int, Send], Awaitable[int | None]]
# Called when a row failed for good, in the transaction that marks it.
OnFailed = Callable[[AsyncSession, "Job", str], Awaitable[None]]


class Next(Enum):
    DONE = "done"  # the row is finished (sent, failed for good, or gone): the next may go
    LATER = "later"  # the row waits to be tried again: the chat waits with it
    CHAT_GONE = "chat gone"  # the chat blocked the bot: its other rows were cancelled
    STOP = "stop"  # this sender lost its claim (another instance sends now)


class Unsendable(Exception):
    """The row cannot become a call; trying again would not help."""


@dataclass
class Job:
    """What the sender needs of a row, read once at the claim."""

    id: int
    chat_id: int
    thread_id: int | None
    appeal_id: int | None
    kind: str
    method: str
    payload: dict[str, Any]
    place: str | None
    after: dict[str, Any] | None
    attempts: int
    due_at: datetime
    stale_at: datetime | None = None
    while_status: str | None = None

    @property
    def is_message(self) -> bool:
        return self.method in MESSAGE_METHODS

    @property
    def messages(self) -> int:
        return messages_of(self.method, self.payload)


COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.chat_id,
    OutboxMessage.thread_id,
    OutboxMessage.appeal_id,
    OutboxMessage.kind,
    OutboxMessage.method,
    OutboxMessage.payload,
    OutboxMessage.place,
    OutboxMessage.after,
    OutboxMessage.attempts,
    OutboxMessage.due_at,
    OutboxMessage.stale_at,
    OutboxMessage.while_status,
)


OUTBOX = table_of(OutboxMessage)
# Built once: the statement of every sent row (and claim_statements, of every claim).
MARK_SENT = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"), OUTBOX.c.claimed_by == bindparam("token"))
    .values(
        state=OutboxState.SENT.value,
        sent_at=bindparam("sent"),
        attempts=bindparam("tries"),
        result_message_id=bindparam("made"),
        last_error=None,
    )
)


@cache
def claim_statements(dialect: str, batch: int) -> tuple[Any, Any]:
    """Claim up to ``batch`` due rows for ``:token`` (returning them); and when the next
    pending row falls due after ``:now``. Built once per dialect and batch size (hot path:
    building and hashing a statement costs more than SQLite running it)."""
    now = bindparam("now", type_=OUTBOX.c.due_at.type)
    pending = OUTBOX.c.state == PENDING
    # A row waiting to be tried again holds back everything its chat queued after it.
    held_back = select(OUTBOX.c.chat_id).where(
        pending, OUTBOX.c.last_error.is_not(None), OUTBOX.c.due_at > now
    )
    due = (
        select(OUTBOX.c.id)
        .where(pending, OUTBOX.c.due_at <= now, OUTBOX.c.chat_id.not_in(held_back))
        .order_by(OUTBOX.c.due_at, OUTBOX.c.id)
        .limit(batch)
    )
    if dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claim = (
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(due.scalar_subquery()))
        .values(state=CLAIMED, claimed_by=bindparam("token"))
        .returning(*(OUTBOX.c[column.key] for column in COLUMNS))
    )
    next_due = select(func.min(OUTBOX.c.due_at)).where(pending, OUTBOX.c.due_at > now)
    return claim, next_due


def describe(error: Exception) -> str:
    if isinstance(error, TelegramRetryAfter):
        return f"429: retry after {error.retry_after} s"
    return f"{type(error).__name__}: {error}"[:LAST_ERROR_MAX]


def problems(error: Exception) -> str:
    """What is wrong with a payload, without the values (a pydantic error quotes its input:
    someone's message, name or phone), as the log line and /failed show it."""
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['type']}"
            for item in error.errors(include_url=False, include_input=False)
        )
    return f"{type(error).__name__}: {error}"


def is_thread_missing(error: Exception) -> bool:
    if not isinstance(error, TelegramBadRequest):
        return False
    text = error.message.lower()
    return "thread not found" in text or "topic_deleted" in text or "topic deleted" in text


ALREADY_DONE = {
    **dict.fromkeys(EDITS, "message is not modified"),
    "editForumTopic": "topic_not_modified",
    "closeForumTopic": "topic_closed",
    "reopenForumTopic": "topic_not_closed",
}


def already_done(job: Job, error: Exception) -> bool:
    """A change that changes nothing (pressed twice, replayed after a restart, a topic
    already closed) has reached what it wanted."""
    needle = ALREADY_DONE.get(job.method)
    return (
        needle is not None
        and isinstance(error, TelegramBadRequest)
        and needle in error.message.lower()
    )


@dataclass(frozen=True)
class Mark:
    """A row Telegram accepted, waiting to be recorded as sent."""

    job: Job
    result: Any
    made: int | None  # the message id it made
    sent_at: datetime  # when Telegram accepted it, not when the mark is written (may be later)
    written: asyncio.Future[Next]


class Sender:
    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        bell: OutboxBell,
        limiter: RateLimiter,
        forum: Callable[[], Awaitable[bool]],
        token: str,
        clock: Callable[[], datetime] = utcnow,
        max_attempts: int = 8,
        base_backoff: float = 2.0,
        max_backoff: float = 300.0,
        poll_interval: float = 1.0,
        batch: int = 200,
        concurrency: int = 20,
        on_blocked: OnBlocked | None = None,
        on_thread_missing: OnThreadMissing | None = None,
        on_project_thread_missing: OnProjectThreadMissing | None = None,
        on_failed: OnFailed | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._bot = bot
        self._wire = Wire(bot)
        self._sessionmaker = sessionmaker
        self._bell = bell
        self._limiter = limiter
        self._forum = forum
        self.token = token
        self._clock = clock
        self._max_attempts = max_attempts
        self._base_backoff = base_backoff
        self._max_backoff = max_backoff
        self._poll_interval = poll_interval
        self._batch = batch
        # Bounds calls on the wire, not chats: a chat waiting out its own limit must not keep
        # a slot from the others.
        self._sending = asyncio.Semaphore(concurrency)
        self._on_blocked = on_blocked
        self._on_thread_missing = on_thread_missing
        self._on_project_thread_missing = on_project_thread_missing
        self._on_failed = on_failed
        self._jitter = jitter
        self.places = Places()
        self._results: dict[int, int] = {}  # row id -> message id, for $outbox references
        self._queues: dict[LaneKey, deque[Job]] = {}
        # Set when the loop skipped a claim because HELD_BATCHES batches are held (_held).
        self._claim_deferred = False
        self._lanes: dict[LaneKey, asyncio.Task[int]] = {}
        self._in_flight: set[asyncio.Task[Next]] = set()
        self._marks: list[Mark] = []
        self._next_due: datetime | None = None
        self._marking: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.lost_claim = asyncio.Event()
        self._reported_blocked: set[int] = set()

    # ---- running --------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("the sender is already running")
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Stop claiming; calls on the wire finish and are recorded; the rest is released."""
        self._stopping = True
        # The claiming loop is told, not cancelled: cancelled in the middle of a statement it
        # could leave its connection in a transaction. Lanes only wait (for a due time or the
        # limiter) outside their shielded calls, so they are cancelled.
        main, self._task = self._task, None
        self._wake.set()
        lanes = list(self._lanes.values())
        for lane in lanes:
            lane.cancel()
        await asyncio.gather(*lanes, return_exceptions=True)
        if main is not None:
            await asyncio.gather(main, return_exceptions=True)
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        with suppress(Exception):
            await self.release()

    def wake(self) -> None:
        """Look at the outbox now instead of at the end of the poll interval."""
        self._wake.set()

    async def _run(self) -> None:
        with sending_directly():
            await self.take_over()
            while not self._stopping:
                self._wake.clear()
                try:
                    if self._held() >= HELD_BATCHES * self._batch:
                        self._claim_deferred = True  # a lane wakes the loop as they drain
                        wait = self._poll_interval
                    else:
                        self._enqueue(await self._claim())
                        wait = self._until_next_due()
                except Exception:
                    log.exception("claiming due outbox rows failed")
                    wait = self._poll_interval
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)

    async def run_once(self) -> int:
        """Send everything due now and wait for it (tests, benchmarks): rows finished."""
        handled = 0
        with sending_directly():
            while True:
                self._wake.clear()
                jobs = await self._claim()
                self._enqueue(jobs, start=False)
                # Pass over the lanes until one sends nothing: a sent row may have queued a
                # row for this sender itself (a reaction), in a lane of its own.
                progress = step = await self._drain_all()
                while step:
                    step = await self._drain_all()
                    progress += step
                handled += progress
                # Claim again only if something may have been queued since: the bell rang
                # (a sent row queued another) or the batch was full.
                if progress == 0 or not self._wake.is_set():
                    return handled

    async def _drain_all(self) -> int:
        sent = 0
        for key in list(self._queues):
            sent += await self._drain(key, wait_for_retry=False)
        return sent

    async def take_over(self) -> None:
        """Rows claimed by a sender that is gone (killed, or this one before a restart) are
        pending again; what was sent in the last minute still counts for Telegram's limits.

        So may the call the gone sender had on the wire when it died: in each chat, its
        first claimed message (a chat's rows go one at a time, in order; only a reaction
        may be on the wire beside it, and it counts in no chat's limit). No row says whether
        or when it left, so that row gets sent_at ORPHAN_GRACE_S from now and one more
        attempt. A row's sent_at and attempts are what the next takeover counts: if this
        sender dies too, the next one still counts that call, and a row sent again after a
        kill counts once per attempt (early attempts at the time of the last: an overcount,
        never an undercount)."""
        now = self._clock()
        async with self._sessionmaker() as session:
            orphans = await session.execute(
                select(OutboxMessage.id, OutboxMessage.chat_id, OutboxMessage.method)
                .where(OutboxMessage.state == CLAIMED, OutboxMessage.claimed_by != self.token)
                .order_by(OutboxMessage.due_at, OutboxMessage.id)
            )
            on_the_wire: dict[int, int] = {}
            for row_id, chat_id, method in orphans.all():
                if method in MESSAGE_METHODS:
                    on_the_wire.setdefault(chat_id, row_id)
            if on_the_wire:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(list(on_the_wire.values())))
                    .values(
                        sent_at=now + timedelta(seconds=ORPHAN_GRACE_S),
                        attempts=OutboxMessage.attempts + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.state == CLAIMED, OutboxMessage.claimed_by != self.token)
                .values(state=PENDING, claimed_by=None)
                .execution_options(synchronize_session=False)
            )
            recent = await session.execute(
                select(
                    OutboxMessage.chat_id,
                    OutboxMessage.method,
                    OutboxMessage.payload,
                    OutboxMessage.attempts,
                    OutboxMessage.sent_at,
                )
                .where(OutboxMessage.sent_at > now - RECENT_SENDS)
                .order_by(OutboxMessage.sent_at)  # the limiter's windows keep time order
            )
            await session.commit()
        for chat_id, method, payload, attempts, sent_at in recent.all():
            ago = (now - sent_at).total_seconds()
            messages = messages_of(method, payload) * max(attempts, 1)
            self._limiter.seed(chat_id, ago, messages=messages)

    async def release(self) -> None:
        async with self._sessionmaker() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.state == CLAIMED, OutboxMessage.claimed_by == self.token)
                .values(state=PENDING, claimed_by=None)
                .execution_options(synchronize_session=False)
            )
            await session.commit()

    # ---- claiming -------------------------------------------------------------------------

    async def _claim(self) -> list[Job]:
        if self._stopping:
            return []
        now = self._clock()
        async with self._sessionmaker() as session:
            claim, next_due = claim_statements(dialect_of(session), self._batch)
            rows = (await session.execute(claim, {"now": now, "token": self.token})).all()
            # When the next row falls due, in the same transaction (the loop's wait). Rows due
            # now that were not claimed wait behind a retry, which is itself in the future (a
            # full batch wakes the loop at once).
            self._next_due = await session.scalar(next_due, {"now": now})
            await session.commit()
        jobs = [Job(*row) for row in rows]
        # A chat's rows go in the order they were queued. Not by due time: after a restart, a
        # row waiting to be retried falls due after the rows its chat queued behind it.
        jobs.sort(key=lambda job: job.id)
        return jobs

    def _until_next_due(self) -> float:
        """Seconds until the next pending row falls due (at most the poll interval), as the
        last claim saw it."""
        if len(self._queues) and not self._lanes:
            return 0.0
        if self._next_due is None:
            return self._poll_interval
        seconds = (self._next_due - self._clock()).total_seconds()
        return min(max(seconds, 0.0), self._poll_interval)

    def _enqueue(self, jobs: list[Job], *, start: bool = True) -> None:
        for job in jobs:
            self._queues.setdefault(lane_of(job), deque()).append(job)
        if start and not self._stopping:
            for key in self._queues:
                if key not in self._lanes:
                    self._open_lane(key)
        if len(jobs) >= self._batch:
            self.wake()  # there is more to claim

    def _open_lane(self, key: LaneKey) -> None:
        chat_id, unordered = key
        name = f"outbox-chat-{chat_id}" + ("-unordered" if unordered else "")
        lane = asyncio.create_task(self._drain(key), name=name)
        self._lanes[key] = lane

        def closed(task: asyncio.Task[Any]) -> None:
            if self._lanes.get(key) is task:
                del self._lanes[key]
            if not task.cancelled() and task.exception() is not None:
                log.error("outbox lane of chat %s failed", chat_id, exc_info=task.exception())
            if self._queues.get(key) and not self._stopping:
                self._open_lane(key)  # rows arrived while it was closing

        lane.add_done_callback(closed)

    # ---- one chat -------------------------------------------------------------------------

    async def _drain(self, key: LaneKey, *, wait_for_retry: bool = True) -> int:
        chat_id = key[0]
        handled = 0
        queue = self._queues.get(key)
        while queue and not self._stopping:
            job = queue[0]
            delay = (job.due_at - self._clock()).total_seconds()
            if delay > 0:
                if not wait_for_retry:
                    break
                # In steps: the clock may be moved (tests, the sandbox's clock).
                await asyncio.sleep(min(delay, self._poll_interval))
                continue
            ticket = await self._limiter.acquire(chat_id, messages=job.messages)
            outcome = await self._shielded(self._deliver(job, ticket))
            handled += 1
            if outcome is Next.DONE:
                queue.popleft()
            elif outcome is Next.CHAT_GONE:
                queue.clear()
            elif outcome is Next.STOP:
                queue.clear()
                self.lost_claim.set()
                self._stopping = True
            self._claim_if_room()
        if not queue:
            self._queues.pop(key, None)
        return handled

    def _held(self) -> int:
        """Claimed rows not yet finished. Claiming stops at HELD_BATCHES batches: every held
        row is a lane waiting on the limiter, and a backlog of thousands claimed at once made
        each send wake thousands of waiters (B2 at 30,000: CPU per message 2.3 -> 5.3 ms)."""
        return sum(len(queue) for queue in self._queues.values())

    def _claim_if_room(self) -> None:
        if self._claim_deferred and self._held() <= self._batch:
            self._claim_deferred = False
            self.wake()

    async def _shielded(self, delivery: Awaitable[Next]) -> Next:
        # stop() cancels the lanes; a call under way must still finish and be recorded, and
        # the limiter's ticket be given back.
        task = asyncio.ensure_future(delivery)
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return await asyncio.shield(task)

    async def _deliver(self, job: Job, ticket: Ticket) -> Next:
        try:
            async with self._sending:
                stale = await self._stale(job)
                if stale is not None:
                    return await self._cancel(job, stale)
                try:
                    call = await self._call_for(job)
                except Unsendable as error:
                    return await self._fail(job, error)
                if call is None:
                    return await self._mark_sent(job, None)
                outcome: Exception | None = None
                try:
                    result = await self._make(job, *call)
                except Unsendable as error:
                    return await self._fail(job, error)
                except Exception as error:
                    outcome = error
        finally:
            self._limiter.release(ticket)
        if outcome is None:
            return await self._mark_sent(job, result)
        return await self._on_error(job, outcome)

    # ---- the call -------------------------------------------------------------------------

    async def _make(self, job: Job, name: str, params: dict[str, Any]) -> Any:
        """Make the call: as JSON straight from the row (bot/telegram/wire.py) or, with files
        in it, through aiogram."""
        if self._wire.takes(params):
            return await self._wire.call(name, params)
        try:
            call = methods.load(name, params)
        except (ValueError, TypeError, ValidationError) as error:
            raise Unsendable(f"unusable payload: {problems(error)}"[:LAST_ERROR_MAX]) from error
        return await self._bot(call)

    async def _call_for(self, job: Job) -> tuple[str, dict[str, Any]] | None:
        """The row as a call (method, parameters), its place and references resolved; None:
        nothing to do."""
        params = dict(job.payload)
        if job.method == "createForumTopic" and job.appeal_id is not None:
            await self._load_place(job.appeal_id)
            if not await self._forum() or self.places.topic(job.appeal_id) is not None:
                return None  # no topics in this group, or the topic is there already
        if job.method == "createForumTopic" and job.after and "project_topic" in job.after:
            made = await self._project_place(int(job.after["project_topic"]))
            if not await self._forum() or made[0] is not None:
                return None  # no topics in this group, or the project's topic is there already
        if job.thread_id is not None and "message_thread_id" not in params:
            params["message_thread_id"] = job.thread_id
        placed = job.place != TOPIC or job.appeal_id is None or await self._place(job, params)
        if job.place == PROJECT:
            placed = await self._place_project(job, params)
        if not placed:
            return None
        known = await self._references(params)
        try:
            resolved = methods.resolve(params, known)
        except KeyError as missing:
            raise Unsendable(f"refers to {missing} which was never sent") from None
        try:
            resolved = render_buttons(resolved)
        except (ValueError, TypeError, ValidationError) as error:
            raise Unsendable(f"unusable payload: {problems(error)}"[:LAST_ERROR_MAX]) from error
        return job.method, {"chat_id": job.chat_id, **resolved}

    async def _place(self, job: Job, params: dict[str, Any]) -> bool:
        """Put the call in its appeal's topic (or under its card); False: nothing to do."""
        assert job.appeal_id is not None
        await self._load_place(job.appeal_id)
        if await self._forum():
            params.setdefault("message_thread_id", {"$topic": job.appeal_id})
            return True
        if job.method in TOPIC_CALLS:
            return False  # a group without topics has no topic to rename or close
        card = self.places.card(job.appeal_id)
        if card is not None and job.is_message and "reply_parameters" not in params:
            params["reply_parameters"] = {"message_id": card}
        return True

    async def _place_project(self, job: Job, params: dict[str, Any]) -> bool:
        """A project's call in its topic; without topics, under its card (False: nothing to
        do, a topic call in a group without topics)."""
        found = methods.ref_of(params.get("message_thread_id"))
        if found is None or await self._forum():
            return True
        del params["message_thread_id"]
        if job.method in TOPIC_CALLS:
            return False
        is_card = bool(job.after and "project_card" in job.after)
        if job.is_message and not is_card and "reply_parameters" not in params:
            params["reply_parameters"] = {"message_id": {"$project_card": found[1]}}
        return True

    async def _project_place(self, project_id: int) -> tuple[int | None, int | None]:
        """A project's topic and card ids (few calls are about projects: read each time)."""
        async with self._sessionmaker() as session:
            row = (
                await session.execute(
                    select(InvestmentProject.topic_id, InvestmentProject.card_message_id).where(
                        InvestmentProject.id == project_id
                    )
                )
            ).first()
        return (row[0], row[1]) if row is not None else (None, None)

    async def _load_place(self, appeal_id: int) -> None:
        if self.places.known(appeal_id):
            return
        async with self._sessionmaker() as session:
            row = (
                await session.execute(
                    select(Appeal.topic_id, Appeal.card_message_id).where(Appeal.id == appeal_id)
                )
            ).first()
        self.places.remember(appeal_id, *(row if row is not None else (None, None)))

    async def _references(self, params: dict[str, Any]) -> dict[tuple[str, int], int]:
        known: dict[tuple[str, int], int] = {}
        wanted = methods.find_refs(params)
        rows = [ref for kind, ref in wanted if kind == "$outbox" and ref not in self._results]
        if rows:
            async with self._sessionmaker() as session:
                found = await session.execute(
                    select(OutboxMessage.id, OutboxMessage.result_message_id).where(
                        OutboxMessage.id.in_(rows), OutboxMessage.result_message_id.is_not(None)
                    )
                )
                self._results.update({row_id: made for row_id, made in found.all() if made})
        for kind, ref in wanted:
            if kind == "$outbox" and ref in self._results:
                known[(kind, ref)] = self._results[ref]
            elif kind in ("$project_topic", "$project_card"):
                topic, card = await self._project_place(ref)
                made = topic if kind == "$project_topic" else card
                if made is not None:
                    known[(kind, ref)] = made
            elif kind in ("$topic", "$card"):
                await self._load_place(ref)
                made = self.places.topic(ref) if kind == "$topic" else self.places.card(ref)
                if made is not None:
                    known[(kind, ref)] = made
        return known

    # ---- recording what happened -----------------------------------------------------------

    async def _mark_sent(self, job: Job, result: Any) -> Next:
        """Record the row as sent. Rows sent while earlier marks are being written are
        written together in one transaction (group commit): an idle sender does not wait, a
        busy one commits once per batch instead of once per row."""
        made = result_id(result)
        if made is not None:
            self._results[job.id] = made
            if len(self._results) > 50_000:
                self._results.clear()
        written: asyncio.Future[Next] = asyncio.get_running_loop().create_future()
        self._marks.append(Mark(job, result, made, self._clock(), written))
        if self._marking is None:
            self._marking = asyncio.create_task(self._write_marks(), name="outbox-marks")
        return await written

    async def _write_marks(self) -> None:
        try:
            while self._marks:
                batch, self._marks = self._marks, []
                try:
                    outcomes = await self._mark_batch(batch)
                except Exception as error:
                    if len(batch) == 1:
                        batch[0].written.set_exception(error)
                        continue
                    # One row's bookkeeping failed: each on its own, so the rest is recorded.
                    for mark in batch:
                        try:
                            mark.written.set_result((await self._mark_batch([mark]))[0])
                        except Exception as alone:
                            mark.written.set_exception(alone)
                    continue
                for mark, outcome in zip(batch, outcomes, strict=True):
                    mark.written.set_result(outcome)
        finally:
            self._marking = None

    async def _mark_batch(self, batch: list[Mark]) -> list[Next]:
        outcomes: list[Next] = []
        claimed: list[Claimed] = []
        async with self._sessionmaker() as session:
            for mark in batch:
                job = mark.job
                marked = await session.execute(
                    MARK_SENT,
                    {
                        "row_id": job.id,
                        "token": self.token,
                        "sent": mark.sent_at,
                        "tries": job.attempts + 1,
                        "made": mark.made,
                    },
                )
                if marked.rowcount == 0:  # type: ignore[attr-defined]
                    log.warning("outbox row %s is no longer ours: another sender took over", job.id)
                    outcomes.append(Next.STOP)
                    continue
                claimed += await record_success(
                    session, job.after, mark.result, self.places, mark.sent_at, self.token
                )
                outcomes.append(Next.DONE)
            await self._bell.commit(session)
        # Only once committed: a batch rolled back claimed nothing. Lanes are started only
        # by a running sender; run_once drains them itself.
        if claimed:
            now = self._clock()
            jobs = [self._claimed_job(row, now) for row in claimed]
            self._enqueue(jobs, start=self._task is not None)
        return outcomes

    def _claimed_job(self, row: Claimed, now: datetime) -> Job:
        return Job(
            id=row.id,
            chat_id=row.chat_id,
            thread_id=None,
            appeal_id=None,
            kind=row.kind,
            method=row.method,
            payload=row.params,
            place=None,
            after=None,
            attempts=0,
            due_at=now,
        )

    async def _update(self, job: Job, **values: Any) -> bool:
        async with self._sessionmaker() as session:
            changed = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == job.id, OutboxMessage.claimed_by == self.token)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        return bool(changed.rowcount)  # type: ignore[attr-defined]

    async def _stale(self, job: Job) -> str | None:
        """Why the row must not be sent any more (a downtime let it fall behind), or None."""
        if job.stale_at is not None and self._clock() >= job.stale_at:
            return f"{STALE}: time"
        if job.while_status is not None and job.appeal_id is not None:
            async with self._sessionmaker() as session:
                status = await session.scalar(
                    select(Appeal.status).where(Appeal.id == job.appeal_id)
                )
            if status != job.while_status:
                return f"{STALE}: status {job.while_status}"
        return None

    async def _cancel(self, job: Job, reason: str) -> Next:
        log.info("outbox row %s not sent: %s", job.id, reason)
        await self._update(job, state=OutboxState.CANCELLED.value, last_error=reason)
        return Next.DONE

    async def _fail(self, job: Job, error: Exception) -> Next:
        log.warning("outbox row %s to chat %s failed: %s", job.id, job.chat_id, describe(error))
        async with self._sessionmaker() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == job.id, OutboxMessage.claimed_by == self.token)
                .values(
                    state=OutboxState.FAILED.value,
                    attempts=job.attempts + 1,
                    last_error=describe(error),
                )
                .execution_options(synchronize_session=False)
            )
            if self._on_failed is not None:
                try:
                    await self._on_failed(session, job, describe(error))
                except Exception:
                    log.exception("reporting the failure of outbox row %s failed", job.id)
            await self._bell.commit(session)
        return Next.DONE

    async def _on_error(self, job: Job, error: Exception) -> Next:
        if already_done(job, error):
            return await self._mark_sent(job, None)
        if isinstance(error, TelegramRetryAfter):
            return await self._put_off(job, error)
        if isinstance(error, TelegramForbiddenError) and job.chat_id > 0:
            return await self._chat_blocked(job, error)
        if is_thread_missing(error) and job.place == TOPIC and self._on_thread_missing:
            return await self._thread_missing(job, error)
        if is_thread_missing(error) and job.place == PROJECT and self._on_project_thread_missing:
            return await self._project_thread_missing(job, error)
        if isinstance(error, FINAL_ERRORS):
            return await self._fail(job, error)
        return await self._retry_later(job, error)

    async def _put_off(self, job: Job, error: TelegramRetryAfter) -> Next:
        """A 429 is Telegram's pace, not the row's fault: no attempt is counted."""
        bot_wide = self._limiter.retry_after(job.chat_id, error.retry_after)
        log.info(
            "429 for chat %s, retry after %s s%s",
            job.chat_id,
            error.retry_after,
            " (pausing every chat)" if bot_wide else "",
        )
        job.due_at = self._clock() + timedelta(seconds=error.retry_after)
        if not await self._update(job, due_at=job.due_at, last_error=describe(error)):
            return Next.STOP
        return Next.LATER

    async def _retry_later(self, job: Job, error: Exception) -> Next:
        job.attempts += 1
        if job.attempts >= self._max_attempts:
            job.attempts -= 1  # _fail counts this attempt
            log.warning("outbox row %s gave up after %s attempts", job.id, job.attempts + 1)
            return await self._fail(job, error)
        job.due_at = self._clock() + timedelta(seconds=self.backoff(job.attempts))
        if not await self._update(
            job, attempts=job.attempts, due_at=job.due_at, last_error=describe(error)
        ):
            return Next.STOP
        return Next.LATER

    def backoff(self, attempts: int) -> float:
        """Seconds before try ``attempts + 1``: doubling, capped, the upper half jittered."""
        ceiling = min(self._max_backoff, self._base_backoff * 2 ** (attempts - 1))
        return ceiling / 2 + ceiling / 2 * self._jitter()

    async def _chat_blocked(self, job: Job, error: Exception) -> Next:
        """403 from a person is final for the chat: fail this row, drop the rest, mark them."""
        async with self._sessionmaker() as session:
            user = await session.get(User, job.chat_id)
            if user is not None:
                news = not user.blocked
            else:
                news = job.chat_id not in self._reported_blocked
            self._reported_blocked.add(job.chat_id)
            if news and self._on_blocked is not None:
                try:
                    await self._on_blocked(session, job)
                except Exception:
                    log.exception("reporting the blocked chat %s failed", job.chat_id)
            if user is not None:
                user.blocked = True
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == job.id)
                .values(
                    state=OutboxState.FAILED.value,
                    attempts=job.attempts + 1,
                    last_error=describe(error),
                )
                .execution_options(synchronize_session=False)
            )
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.chat_id == job.chat_id,
                    OutboxMessage.state.in_([PENDING, CLAIMED]),
                    OutboxMessage.id != job.id,
                )
                .values(
                    state=OutboxState.CANCELLED.value,
                    last_error=f"{BLOCKED} (row {job.id})",
                )
                .execution_options(synchronize_session=False)
            )
            await self._bell.commit(session)
        log.info("chat %s blocked the bot; its queued messages are cancelled", job.chat_id)
        return Next.CHAT_GONE

    async def _thread_missing(self, job: Job, error: Exception) -> Next:
        """Staff deleted the topic: make a new one (with the card), then try the row again.

        Counted as an attempt, so a hook that keeps answering a dead thread cannot loop.
        """
        assert self._on_thread_missing is not None and job.appeal_id is not None
        old = self.places.topic(job.appeal_id)
        try:
            new = await self._on_thread_missing(job, self._send_now)
        except Exception:
            log.exception("replacing the missing topic of appeal %s failed", job.appeal_id)
            new = None
        if new is None or new == old:
            return await self._retry_later(job, error)
        self.places.forget(job.appeal_id)  # the hook stored the new topic and card
        job.attempts += 1
        if not await self._update(job, attempts=job.attempts, last_error=describe(error)):
            return Next.STOP
        return Next.LATER

    async def _project_thread_missing(self, job: Job, error: Exception) -> Next:
        """Staff deleted a project's topic: a new one with the card, then the row again."""
        assert self._on_project_thread_missing is not None
        found = methods.ref_of(job.payload.get("message_thread_id"))
        if found is None:
            return await self._fail(job, error)
        old, _ = await self._project_place(found[1])
        try:
            new = await self._on_project_thread_missing(found[1], self._send_now)
        except Exception:
            log.exception("replacing the missing topic of project %s failed", found[1])
            new = None
        if new is None or new == old:
            return await self._retry_later(job, error)
        job.attempts += 1
        if not await self._update(job, attempts=job.attempts, last_error=describe(error)):
            return Next.STOP
        return Next.LATER

    async def _send_now(self, call: TelegramMethod[Any]) -> Any:
        """A call made inside a delivery (the topic replacing a deleted one), paced too."""
        chat_id = int(getattr(call, "chat_id", 0) or 0)
        messages = messages_of(call.__api_method__, dict(call))
        ticket = await self._limiter.acquire(chat_id, messages=messages)
        try:
            return await self._bot(call)
        finally:
            self._limiter.release(ticket)

    @staticmethod
    async def chat_back(session: AsyncSession, chat_id: int, now: datetime) -> int:
        """The person unblocked the bot: what the block cancelled and still holds is queued
        again, in the caller's transaction: what falls due later (a hearing reminder), and
        what was due already but says until when it holds (a hearing invitation until the
        hearing, a reminder until the next one, a question while it is asked; the sender
        checks these again). Plain news that was due already is not: it would arrive out of
        its moment, and /my shows the appeal as it is. The one message the block refused is
        in /failed for staff to send again."""
        requeued = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.state == OutboxState.CANCELLED.value,
                OutboxMessage.last_error.startswith(BLOCKED),
                or_(OutboxMessage.stale_at.is_(None), OutboxMessage.stale_at > now),
                or_(
                    OutboxMessage.due_at > now,
                    OutboxMessage.stale_at.is_not(None),
                    OutboxMessage.while_status.is_not(None),
                ),
            )
            .values(state=PENDING, claimed_by=None, attempts=0, last_error=None)
            .execution_options(synchronize_session=False)
        )
        count = int(requeued.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            mark_queued(session)
        return count

    # ---- staff ----------------------------------------------------------------------------

    @staticmethod
    async def retry(session: AsyncSession, row_id: int, now: datetime) -> bool:
        """Queue a failed row again from scratch, in the caller's transaction."""
        row = await session.get(OutboxMessage, row_id)
        if row is None or row.state != OutboxState.FAILED.value:
            return False
        row.state = PENDING
        row.attempts = 0
        row.last_error = None
        row.claimed_by = None
        row.due_at = now
        mark_queued(session)
        return True
