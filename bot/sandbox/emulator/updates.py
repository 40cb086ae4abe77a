"""The getUpdates queue: long polling, offsets, allowed_updates, one consumer."""

from __future__ import annotations

import asyncio
from typing import Any

from .errors import ApiError

# Telegram leaves these out unless asked for explicitly.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
MAX_LIMIT = 100


class Pulse:
    """Wakes every current waiter; waiters grab ``current`` before checking their condition."""

    def __init__(self) -> None:
        self.current = asyncio.Event()

    def fire(self) -> None:
        self.current.set()
        self.current = asyncio.Event()


class UpdateQueue:
    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.allowed: frozenset[str] | None = None
        self.closing = False
        self._last_id = 0
        self._generation = 0
        self._pulse = Pulse()

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        if "update_id" not in update:
            self._last_id += 1
            update = {"update_id": self._last_id, **update}
        else:
            self._last_id = max(self._last_id, int(update["update_id"]))
        self.pending.append(update)
        self._pulse.fire()
        return update

    def close(self) -> None:
        self.closing = True
        self._pulse.fire()

    def drop_pending(self) -> None:
        self.pending.clear()

    def confirm(self, offset: int) -> None:
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        elif offset < 0:
            self.pending = self.pending[offset:]

    def set_allowed(self, allowed: list[str] | None) -> None:
        if allowed is not None:
            self.allowed = frozenset(allowed) or None

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kinds = set(update) - {"update_id"}
        if self.allowed is None:
            return not kinds & OPT_IN_UPDATES
        return bool(kinds & self.allowed)

    def deliverable(self, limit: int) -> list[dict[str, Any]]:
        # Telegram never creates updates of types the bot didn't ask for.
        self.pending = [u for u in self.pending if self._is_allowed(u)]
        return self.pending[:limit]

    async def get(
        self, offset: int | None, limit: int | None, timeout: int | None, allowed: list[str] | None
    ) -> list[dict[str, Any]]:
        self.set_allowed(allowed)
        if offset:
            self.confirm(offset)
        limit = min(max(limit or MAX_LIMIT, 1), MAX_LIMIT)
        self._generation += 1
        generation = self._generation
        self._pulse.fire()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout or 0, 0)
        while True:
            wakeup = self._pulse.current
            batch = self.deliverable(limit)
            if batch or self.closing:
                return batch
            if generation != self._generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            try:
                await asyncio.wait_for(wakeup.wait(), remaining)
            except TimeoutError:
                return self.deliverable(limit)
