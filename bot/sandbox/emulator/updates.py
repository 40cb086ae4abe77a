"""The update queue: long polling, offsets, allowed_updates, redelivery, the hand-out log.

Both ways out read the same queue: getUpdates (one consumer, confirmed by offset) and the
webhook sender in ``delivery.py`` (one hand-out per 2xx answer). An update stays queued
until it is confirmed or acknowledged, so switching between the two loses nothing.
"""

from __future__ import annotations

import asyncio
import bisect
import random
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .errors import ApiError
from .webhook import WebhookConfig

# Telegram leaves these out unless asked for explicitly.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
MAX_LIMIT = 100
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
Update = dict[str, Any]


class Pulse:
    """Wakes every current waiter; waiters grab ``current`` before checking their condition."""

    def __init__(self) -> None:
        self.current = asyncio.Event()

    def fire(self) -> None:
        self.current.set()
        self.current = asyncio.Event()


Key = tuple[str, int]


def update_key(update: Update) -> Key:
    """The chat an update belongs to; the user when it has no chat; else the update itself."""
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return ("chat", chat["id"])
        sender = payload.get("from") or payload.get("user")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return ("user", sender["id"])
    return ("update", int(update["update_id"]))


@dataclass(eq=False)
class Queued:
    """One hand-out the bot is still owed: an update, or a replay of one handed out before.

    Compared by identity: the webhook sender holds the very item it is delivering.
    """

    update: Update
    replay: bool = False
    # Returned by getUpdates at least once. A replay carries an update_id below the bot's
    # offset, so only an offset sent after it was seen may confirm it.
    handed: bool = False
    # Further hand-outs owed once this one is done (redeliver() of an update still queued).
    again: int = 0

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @cached_property
    def key(self) -> Key:
        """Webhook delivery keeps order per key; cached, the sender looks it up often."""
        return update_key(self.update)


def is_success(status: int | str | None) -> bool:
    return status == "ok" or (isinstance(status, int) and 200 <= status < 300)


class UpdateQueue:
    def __init__(self, seed: int | None = None) -> None:
        self.items: list[Queued] = []
        self.history: dict[int, Update] = {}
        self.handed_out: list[dict[str, Any]] = []
        self.allowed: frozenset[str] | None = None
        self.webhook: WebhookConfig | None = None
        self.duplicate_probability = 0.0
        self.random = random.Random(seed)
        self.closing = False
        # pulse: any change (long polls, waits); arrived: something new to hand out.
        self.pulse = Pulse()
        self.arrived = Pulse()
        self._delivered: set[int] = set()
        self._last_id = 0
        self._generation = 0

    @property
    def pending(self) -> list[Update]:
        return [item.update for item in self.items]

    def push(self, update: Update) -> Update:
        if "update_id" not in update:
            self._last_id += 1
            update = {"update_id": self._last_id, **update}
        else:
            self._last_id = max(self._last_id, int(update["update_id"]))
        self.history[int(update["update_id"])] = update
        self._insert(Queued(update))
        self.pulse.fire()
        return update

    def _insert(self, item: Queued) -> None:
        """Keep the queue in update_id order; replays slot in before newer updates."""
        if not self.items or self.items[-1].update_id <= item.update_id:
            self.items.append(item)
        else:
            bisect.insort_right(self.items, item, key=lambda queued: queued.update_id)
        self.arrived.fire()

    def close(self) -> None:
        self.closing = True
        self.pulse.fire()
        self.arrived.fire()

    def set_webhook(self, config: WebhookConfig | None) -> None:
        self.webhook = config
        self.pulse.fire()
        self.arrived.fire()

    def drop_pending(self) -> None:
        self.items.clear()
        self.pulse.fire()

    # ---- done with an item ------------------------------------------------------------------

    def confirm(self, offset: int) -> None:
        if offset > 0:
            done = [
                item
                for item in self.items
                if item.update_id < offset and (item.handed or not item.replay)
            ]
        elif offset < 0:
            done = self.items[:offset]
        else:
            return
        self._retire(done)

    def acknowledge(self, item: Queued) -> None:
        """The webhook answered 2xx: this hand-out is done."""
        self._count_delivery(item)
        self._retire([item])
        self.pulse.fire()

    def owes(self, item: Queued) -> bool:
        """False once the item was acknowledged or dropped (drop_pending_updates)."""
        return any(queued is item for queued in self.items)

    def _retire(self, done: list[Queued]) -> None:
        if not done:
            return
        gone = set(done)
        self.items = [item for item in self.items if item not in gone]
        for item in done:
            if item.again:
                self._insert(Queued(item.update, replay=True, again=item.again - 1))

    # ---- redelivery -------------------------------------------------------------------------

    def redeliver(self, update_id: int) -> Update:
        """Hand the update out once more, with the same update_id and body.

        An update still queued (not yet confirmed or acknowledged) goes out again after that:
        a copy alongside the original would reach a poller twice in one batch.
        """
        update = self.history.get(update_id)
        if update is None:
            raise ValueError(f"no update {update_id} was ever queued")
        queued = [item for item in self.items if item.update is update]
        if queued:
            queued[-1].again += 1
        else:
            self._insert(Queued(update, replay=True))
        self.pulse.fire()
        return update

    def _count_delivery(self, item: Queued) -> None:
        """First successful hand-out of an update: maybe owe a duplicate (duplicate_updates)."""
        if item.update_id in self._delivered:
            return
        self._delivered.add(item.update_id)
        if self.duplicate_probability and self.random.random() < self.duplicate_probability:
            item.again += 1

    # ---- the hand-out log -------------------------------------------------------------------

    def record(self, update_id: int, via: str, status: int | str | None = None) -> dict[str, Any]:
        """Log an update leaving the emulator; a webhook attempt fills in status when known."""
        entry: dict[str, Any] = {
            "update_id": update_id,
            "via": via,
            "time": time.time(),
            "status": status,
        }
        self.handed_out.append(entry)
        return entry

    def settle(self, entry: dict[str, Any], status: int | str) -> None:
        entry["status"] = status
        self.pulse.fire()

    def delivered_ids(self) -> set[int]:
        return {e["update_id"] for e in self.handed_out if is_success(e["status"])}

    # ---- allowed_updates --------------------------------------------------------------------

    def set_allowed(self, allowed: list[str] | None) -> None:
        if allowed is not None:
            self.allowed = frozenset(allowed) or None

    def _is_allowed(self, update: Update) -> bool:
        kinds = set(update) - {"update_id"}
        if self.allowed is None:
            return not kinds & OPT_IN_UPDATES
        return bool(kinds & self.allowed)

    def deliverable(self) -> list[Queued]:
        # Telegram never creates updates of types the bot didn't ask for.
        self.items = [item for item in self.items if self._is_allowed(item.update)]
        return self.items

    # ---- getUpdates -------------------------------------------------------------------------

    def _hand_out(self, batch: list[Queued]) -> list[Update]:
        for item in batch:
            item.handed = True
            self.record(item.update_id, "poll", "ok")
            self._count_delivery(item)
        if batch:
            self.pulse.fire()
        return [item.update for item in batch]

    async def get(
        self, offset: int | None, limit: int | None, timeout: int | None, allowed: list[str] | None
    ) -> list[Update]:
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        self.set_allowed(allowed)
        if offset:
            self.confirm(offset)
        limit = min(max(limit or MAX_LIMIT, 1), MAX_LIMIT)
        self._generation += 1
        generation = self._generation
        self.pulse.fire()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout or 0, 0)
        while True:
            wakeup = self.pulse.current
            if self.webhook is not None:
                raise ApiError(409, WEBHOOK_CONFLICT)
            batch = self.deliverable()[:limit]
            if batch or self.closing:
                return self._hand_out(batch)
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
                return self._hand_out(self.deliverable()[:limit])
