"""Live event feed of chat changes for subscribers (tests, the browser sandbox)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

Event = dict[str, Any]


class EventHub:
    def __init__(self) -> None:
        self.listeners: list[Callable[[Event], None]] = []
        self._queues: set[asyncio.Queue[Event | None]] = set()

    def publish(self, event: Event) -> None:
        for queue in self._queues:
            queue.put_nowait(event)
        for listener in list(self.listeners):
            listener(event)

    async def subscribe(self) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._queues.add(queue)
        try:
            while (event := await queue.get()) is not None:
                yield event
        finally:
            self._queues.discard(queue)

    def close(self) -> None:
        for queue in self._queues:
            queue.put_nowait(None)
