"""The inbox: every update is stored and committed before Telegram is told it arrived.

Updates are then handled from here, lane by lane: a lane is one person (the sender of the
update), so one person's updates are handled one at a time and in order, whichever instance
received them. A redelivered update (same update_id) is not stored twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime, timedelta
from enum import Enum
from functools import cache
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import InboxState, InboxUpdate, table_of, utcnow
from models.db import dialect_of, insert_of

log = logging.getLogger(__name__)
PENDING = InboxState.PENDING.value


def kind_of(raw: dict[str, Any]) -> str:
    return next((key for key in raw if key != "update_id"), "unknown")[:40]


def lane_of(raw: dict[str, Any]) -> int:
    """Who the update is from: the user, else the chat, else 0."""
    event = raw.get(kind_of(raw))
    if not isinstance(event, dict):
        return 0
    for key in ("from", "user", "sender_chat", "actor_chat"):
        who = event.get(key)
        if isinstance(who, dict) and isinstance(who.get("id"), int):
            return int(who["id"])
    chat = event.get("chat") or (event.get("message") or {}).get("chat")
    if isinstance(chat, dict) and isinstance(chat.get("id"), int):
        return int(chat["id"])
    return 0


def flood_key_of(raw: dict[str, Any]) -> str | None:
    """Private messages and button presses count for flood control; an album once."""
    kind = kind_of(raw)
    event = raw.get(kind)
    if not isinstance(event, dict):
        return None
    if kind == "message":
        if (event.get("chat") or {}).get("type") != "private":
            return None
        group = event.get("media_group_id")
        return f"album:{group}" if group else f"update:{raw['update_id']}"
    if kind == "callback_query":
        message = event.get("message") or {}
        if (message.get("chat") or {}).get("type") != "private":
            return None
        return f"update:{raw['update_id']}"
    return None


def readable(raw: Any) -> bool:
    return isinstance(raw, dict) and isinstance(raw.get("update_id"), int)


@cache
def _store_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING, built once per dialect (executed with the
    rows: SQLAlchemy sends them as one multi-row INSERT)."""
    table = table_of(InboxUpdate)
    return (
        insert_of(dialect)(table)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(table.c.update_id, table.c.lane)
    )


async def store(
    sessionmaker: async_sessionmaker[AsyncSession],
    raws: list[dict[str, Any]],
    now: datetime,
) -> list[int]:
    """Store and commit new updates; the lanes of those that were new (repeats are ignored)."""
    rows = [
        {
            "update_id": int(raw["update_id"]),
            "lane": lane_of(raw),
            "kind": kind_of(raw),
            "flood_key": flood_key_of(raw),
            "payload": raw,
            "received_at": now,
            "state": PENDING,
            "attempts": 0,
        }
        for raw in raws
        if readable(raw)
    ]
    if not rows:
        return []
    async with sessionmaker() as session:
        statement = _store_statement(dialect_of(session))
        stored = (await session.execute(statement, rows)).all()
        await session.commit()
    if len(stored) < len(rows):
        log.info("ignored %d update(s) received before", len(rows) - len(stored))
    return [lane for _, lane in stored]


class Lane(Enum):
    """What a lane's handler found in a lane (besides a time its head waits for)."""

    EMPTY = "nothing pending"
    HANDLED = "handled the only pending update"
    MORE = "handled one; another is pending"


HandleLane = Callable[[int], Awaitable[Lane | datetime]]


class InboxWorker:
    """Handles stored updates: one task per lane, a bounded number of lanes at once.

    ``handle(lane)`` handles the lane's oldest pending update and says whether another is
    pending (Lane.MORE) or not (Lane.HANDLED), or finds none (Lane.EMPTY), or returns the time
    its head waits for before being tried again. A lane without MORE is left unless it was
    kicked meanwhile: an update stored after the lane's last look kicks it.
    """

    def __init__(
        self,
        handle: HandleLane,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        concurrency: int = 8,
        sweep_interval: float = 2.0,
        stale_after: float = 3.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._clock = clock
        self._handle = handle
        self._sessionmaker = sessionmaker
        self._slots = asyncio.Semaphore(concurrency)
        self._sweep_interval = sweep_interval
        self._stale_after = stale_after
        self._lanes: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._accepting = True
        self._stopping = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self.handled = 0
        self._handled_changed = asyncio.Event()

    # ---- lanes ----------------------------------------------------------------------------

    def kick(self, lane: int) -> None:
        """There may be work in this lane (a new update, a retry that fell due)."""
        if not self._accepting:
            return
        if lane in self._lanes:
            self._again.add(lane)
            return
        self._idle.clear()
        task = asyncio.create_task(self._run_lane(lane), name=f"inbox-lane-{lane}")
        self._lanes[lane] = task
        # A task cancelled before its first step never runs _run_lane's finally.
        task.add_done_callback(lambda done: self._lane_done(lane, done))

    def _lane_done(self, lane: int, task: asyncio.Task[None]) -> None:
        if self._lanes.get(lane) is task:
            del self._lanes[lane]
        if not self._lanes:
            self._idle.set()

    async def _run_lane(self, lane: int) -> None:
        try:
            await self._drain_lane(lane)
        finally:
            # Leave the lane here, in the same step as the last look at _again, not in the
            # done callback: a kick between the task's end and its callback would find the
            # lane still busy, mark it "again", and nobody would ever run it.
            task = asyncio.current_task()
            if task is not None:
                self._lane_done(lane, task)

    async def _drain_lane(self, lane: int) -> None:
        while True:
            self._again.discard(lane)
            try:
                async with self._slots:
                    outcome = await self._handle(lane)
            except Exception:
                # The unit of work records failures itself; this is the database being away.
                log.exception("handling lane %s failed; trying again later", lane)
                self._later(lane, self._sweep_interval)
                return
            if outcome is Lane.HANDLED or outcome is Lane.MORE:
                self.handled += 1
                self._handled_changed.set()
                if outcome is Lane.MORE:
                    continue
            if isinstance(outcome, datetime):
                self._later(lane, (outcome - utcnow()).total_seconds())
            if lane not in self._again or not self._accepting:
                return

    def _later(self, lane: int, seconds: float) -> None:
        if not self._accepting:
            return
        old = self._timers.pop(lane, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        self._timers[lane] = loop.call_later(max(seconds, 0.0), self._timer_fired, lane)

    def _timer_fired(self, lane: int) -> None:
        self._timers.pop(lane, None)
        self.kick(lane)

    # ---- sweeping -------------------------------------------------------------------------

    def start(self) -> None:
        self._accepting = True
        self._stopping.clear()
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="inbox-sweeper")

    async def _sweep_forever(self) -> None:
        first = True
        while self._accepting:
            try:
                # At start every pending lane (what a crash left); then those nobody took.
                await self.sweep(everything=first)
                first = False
            except Exception:
                log.exception("looking for unhandled updates failed")
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._sweep_interval)

    async def sweep(self, *, everything: bool = False) -> int:
        """Kick lanes with pending updates that no task here is working on."""
        query = select(InboxUpdate.lane).where(InboxUpdate.state == PENDING).distinct()
        if not everything:
            # Stamps of arrival follow the application's clock; retry times are real time.
            stale = self._clock() - timedelta(seconds=self._stale_after)
            query = query.where(
                or_(InboxUpdate.received_at <= stale, InboxUpdate.next_try_at <= utcnow())
            )
        async with self._sessionmaker() as session:
            lanes = list(await session.scalars(query.limit(500)))
        kicked = 0
        for lane in lanes:
            if lane not in self._lanes and lane not in self._timers:
                self.kick(lane)
                kicked += 1
        return kicked

    # ---- stopping and waiting --------------------------------------------------------------

    async def stop(self, grace: float) -> bool:
        """Take no new work; let updates in progress finish. False if some did not in time."""
        self._accepting = False
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        # Told, not cancelled: a task cancelled in the middle of a statement can leave its
        # connection in a transaction (SQLite's write lock held until the pool notices).
        self._stopping.set()
        if self._sweeper is not None:
            await asyncio.gather(self._sweeper, return_exceptions=True)
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            return False
        return True

    @property
    def busy(self) -> int:
        return len(self._lanes)

    async def wait_idle(self, timeout: float = 30.0) -> None:
        await asyncio.wait_for(self._idle.wait(), timeout)
