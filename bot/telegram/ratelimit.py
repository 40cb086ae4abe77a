"""Pace outgoing messages under Telegram's flood limits, all at once.

Telegram counts about 30 messages a second in total, 1 a second per private chat (with short
bursts tolerated: three in any three seconds here, so a reply of two messages is not held
back) and 20 a minute per group, over sliding windows; an album of five photos is five
messages. Each limit here is a sliding-window log. A send is stamped when it is let through
and stamped again when its request ends: Telegram counts it somewhere in between, so
counting it until the end (plus a small margin) keeps us under the limit whatever the
network latency was.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

PRIVATE_WINDOW_S = 3.0
# How often a waiter looks again when the window is full of sends still in flight.
IN_FLIGHT_RECHECK_S = 0.01
# A ticket never given back counts as ended after this long (beyond any request timeout),
# so one forgotten release cannot stall every send for good.
IN_FLIGHT_MAX_S = 300.0
# Drop the windows of chats gone quiet after this many sends, so memory stays flat.
FORGET_IDLE_EVERY = 1000


@dataclass(frozen=True)
class Limits:
    total_per_s: float = 30.0
    private_per_s: float = 1.0
    group_per_min: float = 20.0
    # Added to every window. A send counts from when its request ended, which is after
    # Telegram counted it, so only clock rates differing is left to cover (microseconds a
    # second): 10 ms. It was 50 ms, 5 % of the 1 s window, which held the total rate under
    # 0.95 of Telegram's (B2).
    margin_s: float = 0.01
    # When this share of a second's total budget, in different chats, answered 429 within a
    # second, the bot as a whole is over the limit (at 30/s: three chats).
    global_429_share: float = 0.1

    def scaled(self, scale: float) -> Limits:
        """Every rate times ``scale`` (the emulator's ``set_rate_limits(scale=...)``)."""
        return Limits(
            total_per_s=self.total_per_s * scale,
            private_per_s=self.private_per_s * scale,
            group_per_min=self.group_per_min * scale,
            margin_s=self.margin_s,
            global_429_share=self.global_429_share,
        )

    @property
    def global_429_chats(self) -> int:
        return max(2, math.ceil(self.total_per_s * self.global_429_share))


@dataclass
class Ticket:
    """One send let through; ``done()`` when its request has ended, however it ended."""

    at: float
    waited: bool = False
    in_flight: bool = True

    def done(self, at: float) -> None:
        if self.in_flight:
            self.at = max(self.at, at)
            self.in_flight = False


@dataclass
class Window:
    """At most ``capacity`` sends in any ``seconds``."""

    capacity: int
    seconds: float
    tickets: deque[Ticket] = field(default_factory=deque)

    @classmethod
    def for_rate(cls, per_second: float, margin: float) -> Window:
        if per_second <= 0:
            raise ValueError("a rate limit must be positive")
        # Below one a second the window shrinks to one send per 1/rate seconds.
        if per_second < 1:
            return cls(1, 1 / per_second + margin)
        return cls(math.floor(per_second), 1.0 + margin)

    @classmethod
    def over(cls, per_second: float, seconds: float, margin: float) -> Window:
        """``per_second`` on average over ``seconds``: bursts up to rate x seconds."""
        if per_second <= 0:
            raise ValueError("a rate limit must be positive")
        capacity = math.floor(per_second * seconds)
        if capacity < 1:
            return cls(1, 1 / per_second + margin)
        return cls(capacity, seconds + margin)

    @classmethod
    def per_minute(cls, per_minute: float, margin: float) -> Window:
        if per_minute <= 0:
            raise ValueError("a rate limit must be positive")
        if per_minute < 1:
            return cls(1, 60 / per_minute + margin)
        return cls(math.floor(per_minute), 60.0 + margin)

    def wait(self, now: float, count: int = 1) -> float:
        """Seconds until ``count`` more sends fit (0: now). More than the window holds (an
        album of ten in a private chat's three) go when it is empty: they cannot do better."""
        self._trim(now)
        over = len(self.tickets) + min(count, self.capacity) - self.capacity
        if over <= 0:
            return 0.0
        # An estimate: tickets are roughly in time order; the trim decides what is gone.
        blocker = self.tickets[over - 1]
        return max(blocker.at + self.seconds - now, IN_FLIGHT_RECHECK_S)

    def idle(self, now: float) -> bool:
        self._trim(now)
        return not self.tickets

    def add(self, ticket: Ticket, count: int = 1) -> None:
        self.tickets.extend([ticket] * count)

    def _trim(self, now: float) -> None:
        # Tickets are in the order they were let through; one in flight stops the trim,
        # which can only overcount, never undercount.
        while self.tickets:
            oldest = self.tickets[0]
            in_flight = oldest.in_flight and now - oldest.at < IN_FLIGHT_MAX_S
            if in_flight or oldest.at + self.seconds > now:
                return
            self.tickets.popleft()


class RateLimiter:
    """``async with limiter.sending(chat_id): await bot.send_...`` paces every send."""

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = limits or Limits()
        self._clock = clock
        self._sleep = sleep
        self._total = Window.for_rate(self.limits.total_per_s, self.limits.margin_s)
        self._chats: dict[int, Window] = {}
        self._paused_until: dict[int, float] = {}
        self._all_paused_until = 0.0
        self._recent_429: deque[tuple[float, int]] = deque()
        self._sends = 0

    async def acquire(self, chat_id: int, *, messages: int = 1) -> Ticket:
        """Wait until a call to ``chat_id`` that makes ``messages`` messages is allowed and
        count it as sent from now.

        Telegram's per-chat limits count messages; other calls (edits, reactions, topic
        changes: ``messages=0``) are counted once in the bot's total only.
        """
        waited = False
        while True:
            now = self._clock()
            wait = self.wait(chat_id, now, messages=messages)
            if wait <= 0:
                return self._let_through(chat_id, now, waited, messages=messages)
            await self._sleep(wait)
            waited = True

    def seed(self, chat_id: int, seconds_ago: float, *, messages: int = 1) -> None:
        """Count a call made before this limiter existed (by the instance that sent before
        this one took over): Telegram still counts it. A negative ``seconds_ago`` counts it
        as made that long from now (a call whose moment is not known).

        Seed in the order the calls were made: a window drops tickets from its front only.
        The bot's total counts it only if it falls in that one-second window, and at most as
        made now: a stamp ahead of now there would hold every chat up, not just its own."""
        now = self._clock()
        ticket = Ticket(now - seconds_ago, in_flight=False)
        if messages:
            self._chat_window(chat_id).add(ticket, messages)
        if seconds_ago < self._total.seconds:
            self._total.add(Ticket(min(ticket.at, now), in_flight=False), max(messages, 1))

    def release(self, ticket: Ticket) -> None:
        ticket.done(self._clock())

    @asynccontextmanager
    async def sending(self, chat_id: int) -> AsyncIterator[Ticket]:
        ticket = await self.acquire(chat_id)
        try:
            yield ticket
        finally:
            self.release(ticket)

    def wait(self, chat_id: int, now: float, *, messages: int = 1) -> float:
        """Seconds until a call making ``messages`` messages in ``chat_id`` is allowed."""
        paused = max(self._all_paused_until, self._paused_until.get(chat_id, 0.0)) - now
        chat = self._chat_window(chat_id).wait(now, messages) if messages else 0.0
        return max(paused, chat, self._total.wait(now, max(messages, 1)))

    def pause(self, seconds: float, chat_id: int | None = None) -> None:
        """Let nothing through to ``chat_id`` (None: to any chat) for ``seconds`` from now."""
        until = self._clock() + seconds
        if chat_id is None:
            self._all_paused_until = max(self._all_paused_until, until)
        else:
            self._paused_until[chat_id] = max(self._paused_until.get(chat_id, 0.0), until)

    def retry_after(self, chat_id: int, seconds: float) -> bool:
        """Honour a 429 for ``chat_id``; True when it looks bot-wide and paused every chat.

        Telegram does not say which limit was hit. One chat answering 429 is that chat's
        limit; several chats at once means the bot as a whole went over.
        """
        now = self._clock()
        self.pause(seconds, chat_id)
        self._recent_429.append((now, chat_id))
        while self._recent_429 and self._recent_429[0][0] <= now - 1.0:
            self._recent_429.popleft()
        chats = {chat for _, chat in self._recent_429}
        if len(chats) < self.limits.global_429_chats:
            return False
        self.pause(seconds)
        self._recent_429.clear()
        return True

    def _let_through(self, chat_id: int, now: float, waited: bool, *, messages: int) -> Ticket:
        self._sends += 1
        if self._sends % FORGET_IDLE_EVERY == 0:
            self._forget_idle(now)
        ticket = Ticket(now, waited)
        self._count(chat_id, ticket, messages)
        return ticket

    def _count(self, chat_id: int, ticket: Ticket, messages: int) -> None:
        self._total.add(ticket, max(messages, 1))
        if messages:
            self._chat_window(chat_id).add(ticket, messages)

    def _forget_idle(self, now: float) -> None:
        for chat_id, window in list(self._chats.items()):
            if window.idle(now) and self._paused_until.get(chat_id, 0.0) <= now:
                del self._chats[chat_id]
                self._paused_until.pop(chat_id, None)

    def _chat_window(self, chat_id: int) -> Window:
        window = self._chats.get(chat_id)
        if window is None:
            window = self._new_chat_window(chat_id)
            self._chats[chat_id] = window
        return window

    def _new_chat_window(self, chat_id: int) -> Window:
        limits = self.limits
        # Telegram's ids: users (and so private chats) are positive, groups negative.
        if chat_id > 0:
            return Window.over(limits.private_per_s, PRIVATE_WINDOW_S, limits.margin_s)
        return Window.per_minute(limits.group_per_min, limits.margin_s)
