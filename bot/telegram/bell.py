"""The doorbell of the sender: every commit that queued outbox rows rings it.

In one process the sender is woken directly. On PostgreSQL the instance that sends may be
another one: a NOTIFY in the same transaction reaches it when (and only if) the commit
succeeds.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.outbox import QUEUED_KEY, mark_queued

__all__ = ["CHANNEL", "QUEUED_KEY", "OutboxBell", "mark_queued"]

CHANNEL = "adal_outbox"


class OutboxBell:
    def __init__(self, *, notify: bool = False) -> None:
        self.notify = notify
        self._listeners: list[Callable[[], None]] = []

    def connect(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def ring(self) -> None:
        for listener in self._listeners:
            listener()

    async def commit(self, session: AsyncSession) -> None:
        """Commit the session's transaction and wake the sender if it queued rows."""
        queued = bool(session.info.pop(QUEUED_KEY, False))
        if queued and self.notify:
            await session.execute(select(func.pg_notify(CHANNEL, "")))
        await session.commit()
        if queued:
            self.ring()
